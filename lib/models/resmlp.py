"""ResMLP (Touvron et al., TPAMI 2022), Eqs. (1)-(3):

    Aff_{α,β}(x) = Diag(α) x + β                                     (1)
    Z = X + Aff((A · Aff(X)ᵀ)ᵀ)            cross-patch, A is N²×N²     (2)
    Y = Z + Aff(C · GELU(B · Aff(Z)))      cross-channel, B: 4d×d      (3)

Pre-normalisation Aff starts at α=1, β=0; post-normalisation starts α at a small value chosen by depth
as in CaiT (0.1 up to 18 blocks, 1e-5 up to 24, 1e-6 deeper). The paper writes the post-normalisation as
Aff, i.e. with β; its printed parameter counts (Table 3: B24 115.7M, B24/8 129.1M) are those of a
post-normalisation *without* β (LayerScale, as in the official code): with β they would be 115.8M and
129.2M. We follow the printed counts: post-normalisation is Diag(α) x.

Table 3's variants are constructor options: ``norm="layernorm"`` (pre-norms and the final norm become
LayerNorm), ``pooling="class_mlp"``, ``patch_comm`` in {linear, none, mlp, conv3x3, dwconv3x3, dsconv3x3}
and ``causal=True`` (the seq2seq decoder's lower-triangular A).

Class-MLP (our reading; the paper gives only the CaiT analogy and 17.7M parameters for S12): a class
vector, then two layers that update only it, patches frozen — each layer aggregates [class; patches]
with a learned linear combination over positions (the cross-patch idea, a row of A) and adds it, then
applies the cross-channel MLP of Eq. (3). Two such layers add 2.36M parameters to S12: 15.4M -> 17.7M.
"""
from __future__ import annotations

import torch
from timm.layers import DropPath
from torch import nn

from lib.models import MODELS
from lib.models.layers import Mlp, PatchEmbed

CONFIGS = {
    "S12": dict(dim=384, depth=12), "S24": dict(dim=384, depth=24), "B24": dict(dim=768, depth=24),
}
PATCH_COMMS = ("linear", "none", "mlp", "conv3x3", "dwconv3x3", "dsconv3x3")


def layerscale_init(depth: int) -> float:
    """CaiT's initial α of the post-normalisation by depth."""
    return 0.1 if depth <= 18 else 1e-5 if depth <= 24 else 1e-6


class Affine(nn.Module):
    """Eq. (1): Diag(α) x + β over the last (channel) axis."""

    def __init__(self, dim: int, alpha: float = 1.0, beta: bool = True):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((dim,), alpha))
        self.beta = nn.Parameter(torch.zeros(dim)) if beta else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.beta, self.alpha, x) if self.beta is not None else self.alpha * x  # one kernel


class CrossPatch(nn.Module):
    """The patch-communication sublayer on (B, N², d): a linear map A over patches, shared across
    channels (Eq. 2), or one of Table 3's alternatives."""

    def __init__(self, kind: str, *, patches: int, dim: int, causal: bool = False):
        super().__init__()
        if kind not in PATCH_COMMS:
            raise ValueError(f"unknown patch communication {kind!r}; valid: {', '.join(PATCH_COMMS)}")
        self.kind, self.side = kind, int(patches ** 0.5)
        if kind == "linear":
            self.A = nn.Linear(patches, patches)
            if causal:   # seq2seq decoder: position i sees positions <= i only
                self.register_buffer("mask", torch.tril(torch.ones(patches, patches)), persistent=False)
        elif kind == "mlp":
            self.mlp = Mlp(patches, 4 * patches)
        elif kind == "conv3x3":
            self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        elif kind == "dwconv3x3":
            self.conv = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        elif kind == "dsconv3x3":
            self.conv = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim), nn.Conv2d(dim, dim, 1))
        self.causal = causal and kind == "linear"

    def forward(self, x: torch.Tensor) -> torch.Tensor:                      # (B, N², d)
        if self.kind == "none":
            return torch.zeros_like(x)
        if self.kind == "linear":
            w = self.A.weight * self.mask if self.causal else self.A.weight
            return nn.functional.linear(x.transpose(1, 2), w, self.A.bias).transpose(1, 2)  # A·Xᵀ over patches
        if self.kind == "mlp":
            return self.mlp(x.transpose(1, 2)).transpose(1, 2)
        B, P, d = x.shape
        grid = x.transpose(1, 2).reshape(B, d, self.side, self.side)           # (B, d, N, N)
        return self.conv(grid).flatten(2).transpose(1, 2)


class ResMLPBlock(nn.Module):
    def __init__(self, *, dim: int, patches: int, init: float, norm: str = "affine", patch_comm: str = "linear",
                 causal: bool = False, drop_path: float = 0.0):
        super().__init__()
        pre = (lambda: Affine(dim)) if norm == "affine" else (lambda: nn.LayerNorm(dim))
        self.norm1, self.cross_patch, self.post1 = pre(), CrossPatch(patch_comm, patches=patches, dim=dim,
                                                                      causal=causal), Affine(dim, init, beta=False)
        self.norm2, self.cross_channel, self.post2 = pre(), Mlp(dim, 4 * dim), Affine(dim, init, beta=False)
        self.patch_comm = patch_comm
        self.drop = DropPath(drop_path) if drop_path else nn.Identity()      # stochastic depth (DeiT recipe)

    def forward(self, x: torch.Tensor) -> torch.Tensor:                      # (B, N², d)
        if self.patch_comm != "none":
            x = x + self.drop(self.post1(self.cross_patch(self.norm1(x))))   # Eq. (2)
        return x + self.drop(self.post2(self.cross_channel(self.norm2(x))))  # Eq. (3)


class ClassMLP(nn.Module):
    """Pooling by a class vector updated in two layers from the frozen patches (see module docstring)."""

    def __init__(self, *, dim: int, patches: int, init: float, layers: int = 2):
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.aggregate = nn.ModuleList(nn.Linear(patches + 1, 1) for _ in range(layers))
        self.norms = nn.ModuleList(nn.ModuleList([Affine(dim), Affine(dim, init, beta=False), Affine(dim),
                                                  Affine(dim, init, beta=False)])
                                   for _ in range(layers))
        self.mlps = nn.ModuleList(Mlp(dim, 4 * dim) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:                      # (B, N², d) -> (B, d)
        cls = self.cls.expand(len(x), -1, -1)                                  # (B, 1, d)
        for agg, (n1, p1, n2, p2), mlp in zip(self.aggregate, self.norms, self.mlps):
            both = n1(torch.cat([cls, x], dim=1))                              # (B, 1+N², d)
            cls = cls + p1(agg(both.transpose(1, 2)).transpose(1, 2))          # a linear mix over positions
            cls = cls + p2(mlp(n2(cls)))
        return cls[:, 0]


@MODELS.register("resmlp")
class ResMLP(nn.Module):
    def __init__(self, *, dim: int, depth: int, num_classes: int, image_size: int = 224, patch: int = 16,
                 in_chans: int = 3, norm: str = "affine", pooling: str = "avg", patch_comm: str = "linear",
                 causal: bool = False, init: float | None = None, drop_path: float = 0.0):
        super().__init__()
        if norm not in ("affine", "layernorm") or pooling not in ("avg", "class_mlp"):
            raise ValueError(f"norm must be affine|layernorm and pooling avg|class_mlp, got {norm!r}, {pooling!r}")
        init = layerscale_init(depth) if init is None else init
        self.patch_embed = PatchEmbed(image_size=image_size, patch=patch, dim=dim, in_chans=in_chans)
        n = self.patch_embed.tokens
        self.blocks = nn.Sequential(*[ResMLPBlock(dim=dim, patches=n, init=init, norm=norm, patch_comm=patch_comm,
                                                  causal=causal, drop_path=drop_path) for _ in range(depth)])
        self.norm = Affine(dim) if norm == "affine" else nn.LayerNorm(dim)
        self.pool = ClassMLP(dim=dim, patches=n, init=init) if pooling == "class_mlp" else None
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:                      # (B, 3, H, W)
        x = self.norm(self.blocks(self.patch_embed(x)))                        # (B, N², d)
        return self.head(self.pool(x) if self.pool is not None else x.mean(dim=1))


def resmlp(name: str, *, num_classes: int = 1000, **options) -> ResMLP:
    """``resmlp("S12")``, ``resmlp("S12", patch=8)``, ``resmlp("S12", patch_comm="none")``, ..."""
    if name not in CONFIGS:
        raise ValueError(f"unknown ResMLP config {name!r}; valid: {', '.join(CONFIGS)}")
    return ResMLP(**CONFIGS[name], num_classes=num_classes, **options)
