"""MLP-Mixer (Tolstikhin et al., 2021), as in Eqs. (1)-(2) of the K-FAC paper:

    U[:, i] = X[:, i] + W2 σ(W1 LN(X)[:, i])   for each channel i   (token mixing)
    Y[j, :] = U[j, :] + W4 σ(W3 LN(U)[j, :])   for each token j     (channel mixing)

then a final LayerNorm, the mean over tokens, and a linear head.
"""
from __future__ import annotations

import torch
from torch import nn

from lib.models import MODELS
from lib.models.layers import Mlp, PatchEmbed

# The K-FAC paper's Table 1 (sizes of the Mixer paper, which the authors' code also uses on 32×32).
CONFIGS = {
    "S/4": dict(image_size=32, patch=4, dim=512, depth=8, token_hidden=256, channel_hidden=2048),
    "B/4": dict(image_size=32, patch=4, dim=768, depth=12, token_hidden=384, channel_hidden=3072),
    "S/16": dict(image_size=224, patch=16, dim=512, depth=8, token_hidden=256, channel_hidden=2048),
    "B/16": dict(image_size=224, patch=16, dim=768, depth=12, token_hidden=384, channel_hidden=3072),
}


EPS = 1e-6    # LayerNorm eps of the original Mixer and timm's (torch's default is 1e-5): a loaded checkpoint matches


class MixerBlock(nn.Module):
    def __init__(self, *, dim: int, tokens: int, token_hidden: int, channel_hidden: int):
        super().__init__()
        self.norm1, self.token_mixing = nn.LayerNorm(dim, eps=EPS), Mlp(tokens, token_hidden)
        self.norm2, self.channel_mixing = nn.LayerNorm(dim, eps=EPS), Mlp(dim, channel_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:                        # (B, S, C)
        x = x + self.token_mixing(self.norm1(x).transpose(1, 2)).transpose(1, 2)  # MLP over S, input (B, C, S)
        return x + self.channel_mixing(self.norm2(x))                           # MLP over C, input (B, S, C)


@MODELS.register("mixer")
class MLPMixer(nn.Module):
    def __init__(self, *, image_size: int, patch: int, dim: int, depth: int, token_hidden: int,
                 channel_hidden: int, num_classes: int, in_chans: int = 3):
        super().__init__()
        self.patch_embed = PatchEmbed(image_size=image_size, patch=patch, dim=dim, in_chans=in_chans)
        tokens = self.patch_embed.tokens
        self.blocks = nn.Sequential(*[MixerBlock(dim=dim, tokens=tokens, token_hidden=token_hidden,
                                                 channel_hidden=channel_hidden) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(dim, eps=EPS), nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:                        # (B, 3, H, W)
        x = self.norm(self.blocks(self.patch_embed(x)))                          # (B, S, C)
        return self.head(x.mean(dim=1))                                         # (B, classes)


def mixer(name: str, *, num_classes: int, **overrides) -> MLPMixer:
    """A Table 1 config by name (``"S/16"``), optionally overridden (the small profile's scaled sizes)."""
    if name not in CONFIGS:
        raise ValueError(f"unknown Mixer config {name!r}; valid: {', '.join(CONFIGS)}")
    return MLPMixer(**{**CONFIGS[name], **overrides}, num_classes=num_classes)


TIMM_NAMES = (("stem.proj.", "patch_embed.proj."), (".mlp_tokens.", ".token_mixing."),
              (".mlp_channels.", ".channel_mixing."))


def from_timm(state: dict) -> dict:
    """timm's MLP-Mixer parameter names -> ours (same tensors, same layout)."""
    out = {}
    for k, v in state.items():
        for theirs, ours in TIMM_NAMES:
            k = k.replace(theirs, ours)
        out[k] = v
    return out


def load_pretrained(model: MLPMixer, path: str) -> MLPMixer:
    """Load a timm-format checkpoint (e.g. timm's ``mixer_b16_224`` weights saved with torch.save or
    as .safetensors) into ``model``, keeping ``model``'s own head (a new class count is fine-tuned)."""
    from pathlib import Path
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"checkpoint {p} does not exist")
    if p.suffix == ".safetensors":
        from safetensors.torch import load_file
        state = load_file(str(p))
    else:
        state = torch.load(p, map_location="cpu", weights_only=True)
    state = {k: v for k, v in from_timm(state.get("state_dict", state)).items() if not k.startswith("head.")}
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:                       # shape mismatch: another config's checkpoint
        raise ValueError(f"{p} does not fit this Mixer: {str(e).splitlines()[1].strip()}") from e
    if unexpected or set(missing) != {"head.weight", "head.bias"}:
        raise ValueError(f"{p} does not fit this Mixer: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model
