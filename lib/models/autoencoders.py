"""The autoencoders of the β-SWWDirVAE proposal (chapter 05).

- What-where pooling (Zhao et al., 2015): "what" = the pooled values, "where" = the pooling switches;
  unpooling puts the values back at the switches. Exact (max-pool indices) or soft (the proposal's
  Eqs. 1-2, from Goroshin et al., 2015: a softmax-weighted max and soft argmax over each window).
- ``SWWAE``: a VGG-style conv encoder, a mirrored decoder unpooling with the encoder's switches, and the
  loss of Eq. (3): NLL + λ_rec·L2rec + λ_M·L2M.
- ``VAE``: the MLP Gaussian VAE and Dirichlet VAE of Joo et al. (2019), β-weighted KL (Higgins et al., 2017).
- ``SWWDirVAE``: the proposal's β-SWWDirVAE (its Eq. 10, the KL's sign corrected: the loss is
  reconstruction + β·KL).

Every L2 term is a mean over the elements of the compared tensors (Zhao et al. write ‖x − x̂‖²; the mean
keeps the λ's on the scale of the NLL — an assumption). Unsupervised models (``unsupervised = True``)
return each sample's loss from ``forward``; ``train.fit`` averages it with ``mean_loss``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lib.models import MODELS

# ---------------------------------------------------------------- what-where pooling

def _windows(z: torch.Tensor, k: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H/k, W/k, k·k): the non-overlapping k×k windows, row-major inside."""
    n, c, h, w = z.shape
    if h % k or w % k:
        raise ValueError(f"feature map {h}x{w} is not a multiple of the pooling window {k}")
    return z.unfold(2, k, k).unfold(3, k, k).reshape(n, c, h // k, w // k, k * k)


def _positions(k: int, like: torch.Tensor) -> torch.Tensor:
    """(k·k, 2) positions (x, y) of a window's cells, normalised to [−1, 1], row-major like ``_windows``."""
    lin = torch.linspace(-1, 1, k, device=like.device, dtype=like.dtype)
    y, x = torch.meshgrid(lin, lin, indexing="ij")
    return torch.stack([x.flatten(), y.flatten()], dim=1)


def soft_pool(z: torch.Tensor, k: int = 2, beta: float = 10.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Eqs. (1)-(2): per k×k window N_k, with weights w = softmax(β·z) over the window,
    what m_k = Σ z·w (≈ max) and where p_k = Σ (x, y)·w (≈ argmax), positions in [−1, 1].
    Returns what (N, C, H/k, W/k) and where (N, C, H/k, W/k, 2). β → ∞: max pooling; β → 0: mean pooling."""
    win = _windows(z, k)
    w = torch.softmax(beta * win, dim=-1)
    return (w * win).sum(-1), w @ _positions(k, z)


def soft_unpool(what: torch.Tensor, where: torch.Tensor, k: int = 2) -> torch.Tensor:
    """The inverse of ``soft_pool``'s switches: each value is spread over its window's cells by bilinear
    weights around the soft position (weights sum to 1; at a corner position it is exact unpooling)."""
    n, c, h, w = what.shape
    pos = _positions(k, what)                                            # (k·k, 2)
    step = 2.0 / max(k - 1, 1)
    weight = (1 - (pos - where.unsqueeze(-2)).abs() / step).clamp_min(0).prod(-1)   # (N, C, h, w, k·k)
    out = (what.unsqueeze(-1) * weight).reshape(n, c, h, w, k, k)
    return out.permute(0, 1, 2, 4, 3, 5).reshape(n, c, h * k, w * k)


class WhatWhere(nn.Module):
    """2×2 what-where pooling: exact (``beta=None``: max-pool values and switch indices) or soft (Eqs. 1-2)."""

    def __init__(self, k: int = 2, beta: float | None = None):
        super().__init__()
        if beta is not None and beta <= 0:
            raise ValueError(f"the soft pooling's beta must be positive, got {beta}")
        self.k, self.beta = k, beta

    def pool(self, z: torch.Tensor):
        if self.beta is None:
            return F.max_pool2d(z, self.k, return_indices=True)
        return soft_pool(z, self.k, self.beta)

    def unpool(self, what: torch.Tensor, where: torch.Tensor, size) -> torch.Tensor:
        if self.beta is None:
            return F.max_unpool2d(what, where, self.k, output_size=size[-2:])
        return soft_unpool(what, where, self.k)


# ---------------------------------------------------------------- SWWAE

def _stage(cin: int, cout: int, convs: int, last_plain: bool = False) -> nn.Sequential:
    """``convs`` 3×3 conv–BN–ReLU layers (the last one a plain conv when ``last_plain``: the image)."""
    layers = []
    for i in range(convs):
        c_out = cout
        if last_plain and i == convs - 1:
            layers.append(nn.Conv2d(cin, c_out, 3, padding=1))
        else:
            layers += [nn.Conv2d(cin, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        cin = c_out
    return nn.Sequential(*layers)


def l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared difference, shape (N,)."""
    return (a - b).pow(2).flatten(1).mean(1)


@MODELS.register("swwae")
class SWWAE(nn.Module):
    """Stacked what-where autoencoder. Encoder level l: x_l = pool(stage_l(x_{l−1})), keeping each
    pool's switches; decoder: x̂_{l−1} = stage'_l(unpool(x̂_l, switches_l)), x̂_L = x_L. Eq. (3):
    L = NLL + λ_rec·‖x_0 − x̂_0‖² + λ_M·Σ_{m=1}^{L−1} ‖x_m − x̂_m‖² (means over elements). With both λ = 0
    there is no decoder: the "convnet of same configuration" of the paper's Table 1."""

    unsupervised = False

    def __init__(self, *, channels=(32, 64, 128), convs: int = 1, in_chans: int = 3, image_size: int = 32,
                 num_classes: int = 10, lambda_rec: float = 1.0, lambda_m: float = 0.2, pool_beta: float | None = None,
                 dropout: float = 0.0):
        super().__init__()
        if lambda_rec < 0 or lambda_m < 0:
            raise ValueError(f"lambda_rec and lambda_m must be >= 0, got {lambda_rec}, {lambda_m}")
        if image_size % 2 ** len(channels):
            raise ValueError(f"image size {image_size} does not halve {len(channels)} times")
        widths = (in_chans, *channels)
        self.encoder = nn.ModuleList(_stage(a, b, convs) for a, b in zip(widths[:-1], widths[1:]))
        self.pool = WhatWhere(2, pool_beta)
        self.lambda_rec, self.lambda_m = lambda_rec, lambda_m
        self.decoder = nn.ModuleList(_stage(b, a, convs, last_plain=(i == 0))
                                     for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))) \
            if (lambda_rec or lambda_m) else None
        self.top = (channels[-1], image_size // 2 ** len(channels))      # channels, side of x_L
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels[-1] * self.top[1] ** 2, num_classes))

    def encode(self, x: torch.Tensor):
        """x_0 … x_L, the switches of each pool, and the size of each pooled map."""
        xs, wheres, sizes = [x], [], []
        for stage in self.encoder:
            h = stage(xs[-1])
            what, where = self.pool.pool(h)
            xs.append(what)
            wheres.append(where)
            sizes.append(h.shape)
        return xs, wheres, sizes

    def decode(self, top: torch.Tensor, wheres, sizes) -> list[torch.Tensor]:
        """x̂_{L−1} … x̂_0 from x̂_L = ``top`` (returned in encoder order: x̂_0 first)."""
        outs = [top]
        for l in reversed(range(len(self.decoder))):
            outs.append(self.decoder[l](self.pool.unpool(outs[-1], wheres[l], sizes[l])))
        return outs[::-1]

    def reconstruction_terms(self, xs, xhats) -> tuple[torch.Tensor, torch.Tensor]:
        """Per sample: L2rec = ‖x_0 − x̂_0‖² and L2M = Σ_{m ≥ 1} ‖x_m − x̂_m‖² (x̂_L = x_L adds 0 here)."""
        return l2(xs[0], xhats[0]), sum(l2(a, b) for a, b in zip(xs[1:], xhats[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encode(x)[0][-1])

    def objective(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. (3) on a labelled batch: (loss, logits)."""
        xs, wheres, sizes = self.encode(x)
        logits = self.head(xs[-1])
        loss = F.cross_entropy(logits, y)
        if self.decoder is not None:
            rec, mid = self.reconstruction_terms(xs, self.decode(xs[-1], wheres, sizes))
            loss = loss + self.lambda_rec * rec.mean() + self.lambda_m * mid.mean()
        return loss, logits


def objective_step(model, optimizer, xb, yb, loss_fn):
    """``train.fit``'s step for models with their own ``objective`` (the supervised SWWAE)."""
    optimizer.zero_grad(set_to_none=True)
    loss, out = model.objective(xb, yb)
    loss.backward()
    optimizer.step()
    return loss.detach(), out.detach()


SWWAE.training_step = staticmethod(objective_step)     # the step experiment.choose_step takes from the model


def mean_loss(out: torch.Tensor, y=None) -> torch.Tensor:
    """``train.fit``'s loss for unsupervised models, whose forward returns each sample's loss."""
    return out.mean()


# ---------------------------------------------------------------- Gaussian and Dirichlet latents

def at_least_fp32(t: torch.Tensor) -> torch.Tensor:
    """``t`` in float32 when it is in a lower precision (bf16 / fp16 under autocast), else unchanged (float64 stays)."""
    return t.float() if t.is_floating_point() and torch.finfo(t.dtype).bits < 32 else t


def gamma_icdf_approx(u: torch.Tensor, alpha: torch.Tensor, rate: float = 1.0) -> torch.Tensor:
    """log of Eq. (7): F⁻¹(u; α, β) ≈ β⁻¹ (u·α·Γ(α))^{1/α} — the inverse of the small-x expansion of the
    Gamma CDF, P(α, x) ≈ x^α / (α Γ(α)); exact as u → 0, good for α ≲ 1 (Joo et al., Sec. 3.2).
    Returned as log v = (log u + log α + lnΓ(α)) / α − log β, so that small α do not underflow. In float32 at
    least, whatever α's dtype (bf16 under autocast would round lnΓ and the 1/α power)."""
    u, alpha = at_least_fp32(u), at_least_fp32(alpha)
    return (torch.log(u) + torch.log(alpha) + torch.lgamma(alpha)) / alpha - math.log(rate)


def dirichlet_rsample(alpha: torch.Tensor, u: torch.Tensor | None = None) -> torch.Tensor:
    """z ~ Dirichlet(α) by the Gamma composition: v_k = F⁻¹(u_k; α_k, 1), z = v / Σv (softmax of log v),
    one uniform per sample and dimension (each row on its own). Differentiable in α; float32 (as
    :func:`gamma_icdf_approx`)."""
    alpha = at_least_fp32(alpha)
    if u is None:
        u = torch.rand_like(alpha).clamp_min(torch.finfo(alpha.dtype).tiny)
    return torch.softmax(gamma_icdf_approx(u, alpha), dim=-1)


def multigamma_kl(alpha_hat: torch.Tensor, alpha: torch.Tensor | float) -> torch.Tensor:
    """KL(MultiGamma(α̂, 1) ‖ MultiGamma(α, 1)) = Σ_k [lnΓ(α_k) − lnΓ(α̂_k) + (α̂_k − α_k) ψ(α̂_k)], summed
    over the last axis (Joo et al., Eq. 3). The proposal prints log(α̂) for lnΓ(α̂) and ψ(α) for ψ(α̂), and
    names it KL(P‖Q): this is the posterior-to-prior KL the ELBO needs. In float32 at least, whatever α̂'s dtype."""
    alpha_hat = at_least_fp32(alpha_hat)
    alpha = torch.as_tensor(alpha, dtype=alpha_hat.dtype, device=alpha_hat.device)
    return (torch.lgamma(alpha) - torch.lgamma(alpha_hat) + (alpha_hat - alpha) * torch.digamma(alpha_hat)).sum(-1)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²), summed over the last axis."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)


class Latent(nn.Module):
    """features -> posterior parameters -> a sample z, its KL to the prior, and the code (posterior mean).
    ``kind="gaussian"``: μ, log σ² (reparameterised); ``"dirichlet"``: α̂ = softplus(·) (Joo et al.)."""

    def __init__(self, features: int, k: int, kind: str = "dirichlet", prior_alpha: float = 0.98):
        super().__init__()
        if kind not in ("gaussian", "dirichlet"):
            raise ValueError(f"unknown latent {kind!r}; valid: gaussian, dirichlet")
        if prior_alpha <= 0:
            raise ValueError(f"the Dirichlet prior's alpha must be positive, got {prior_alpha}")
        self.kind, self.k, self.prior_alpha = kind, k, prior_alpha
        self.proj = nn.Linear(features, 2 * k if kind == "gaussian" else k)

    def posterior(self, h: torch.Tensor):
        p = self.proj(h)
        if self.kind == "gaussian":
            return p.chunk(2, dim=-1)
        return (F.softplus(p).clamp_min(1e-3),)   # α̂ > 0; the floor keeps 1/α̂ in Eq. (7) finite

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, KL per sample)."""
        post = self.posterior(h)
        if self.kind == "gaussian":
            mu, logvar = post
            return mu + torch.randn_like(mu) * (0.5 * logvar).exp(), gaussian_kl(mu, logvar)
        return dirichlet_rsample(post[0]), multigamma_kl(post[0], self.prior_alpha)

    def code(self, h: torch.Tensor) -> torch.Tensor:
        """The posterior mean: μ, or α̂ / Σα̂."""
        post = self.posterior(h)
        return post[0] if self.kind == "gaussian" else post[0] / post[0].sum(-1, keepdim=True)


def _mlp(sizes) -> nn.Sequential:
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


@MODELS.register("vae")
class VAE(nn.Module):
    """Joo et al.'s MNIST model: encoder D-500-500 -> latent K (Gaussian or Dirichlet), decoder K-500-500-D,
    Bernoulli pixels (inputs in [0, 1]). ``forward`` returns each sample's β-weighted negative ELBO,
    −log p(x|z) + β·KL(q(z|x) ‖ p(z)) (β = 1: the VAE; Higgins et al.'s Eq. 4 otherwise)."""

    unsupervised = True

    def __init__(self, *, latent: str = "dirichlet", k: int = 50, hidden: int = 500, in_chans: int = 1,
                 image_size: int = 28, prior_alpha: float = 0.98, beta: float = 1.0, num_classes: int | None = None):
        super().__init__()
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        d = in_chans * image_size * image_size
        self.shape, self.beta = (in_chans, image_size, image_size), beta
        self.encoder = nn.Sequential(nn.Flatten(), _mlp([d, hidden, hidden]), nn.ReLU())
        self.latent = Latent(hidden, k, latent, prior_alpha)
        self.decoder = _mlp([k, hidden, hidden, d])

    def terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per sample: (−log p(x|z) in nats, KL)."""
        z, kl = self.latent(self.encoder(x))
        logits = self.decoder(z)
        rec = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)
        return rec, kl

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rec, kl = self.terms(x)
        return rec + self.beta * kl

    @torch.no_grad()
    def code(self, x: torch.Tensor, sample: bool = False) -> torch.Tensor:
        """The posterior mean, or (``sample``) one draw z ~ q(z|x)."""
        h = self.encoder(x)
        return self.latent(h)[0] if sample else self.latent.code(h)

    def decoder_weight_norms(self) -> torch.Tensor:
        """‖W_{:,k}‖ of the first decoder layer per latent dimension (Joo et al.'s component collapsing)."""
        return self.decoder[0].weight.norm(dim=0).detach()


@MODELS.register("swwdirvae")
class SWWDirVAE(SWWAE):
    """The proposal's β-SWWDirVAE (Eq. 10, sign corrected), trained without labels: the SWWAE's encoder; its
    top "what" x_L -> α̂ (K = prod(latent_shape)) -> z ~ Dirichlet(α̂) -> linear + ReLU -> x̂_L; the decoder
    unpools with the encoder's switches. Per sample,
    L = λ_rec·‖x − x̂‖² + λ_M·Σ_{m=1}^{L} ‖x_m − x̂_m‖² + β·KL / D   (means over elements, D = input size:
    with λ_rec = 1 and β = 1 this is the ELBO per input element of a Gaussian decoder with variance ½)."""

    unsupervised = True
    training_step = None        # no labels: train.fit's standard step on the loss its forward returns

    def __init__(self, *, channels=(32, 64, 128), convs: int = 1, in_chans: int = 3, image_size: int = 32,
                 latent_shape=(4, 16, 16), prior_alpha: float = 0.98, beta: float = 1.0, lambda_rec: float = 1.0,
                 lambda_m: float = 0.2, pool_beta: float | None = None, num_classes: int | None = None):
        super().__init__(channels=channels, convs=convs, in_chans=in_chans, image_size=image_size,
                         lambda_rec=lambda_rec, lambda_m=lambda_m, pool_beta=pool_beta)
        if beta < 0 or not lambda_rec:
            raise ValueError(f"beta must be >= 0 and lambda_rec > 0, got {beta}, {lambda_rec}")
        self.head = None
        c, s = self.top
        self.latent_shape, self.beta, self.input_size = tuple(latent_shape), beta, in_chans * image_size ** 2
        self.latent = Latent(c * s * s, math.prod(latent_shape), "dirichlet", prior_alpha)
        self.expand = nn.Sequential(nn.Linear(self.latent.k, c * s * s), nn.ReLU(), nn.Unflatten(1, (c, s, s)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs, wheres, sizes = self.encode(x)
        z, kl = self.latent(xs[-1].flatten(1))
        xhats = self.decode(self.expand(z), wheres, sizes)
        rec, mid = self.reconstruction_terms(xs, xhats)
        return self.lambda_rec * rec + self.lambda_m * mid + self.beta * kl / self.input_size

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """x̂ decoded from the posterior mean E[z|x] (and the encoder's switches)."""
        xs, wheres, sizes = self.encode(x)
        return self.decode(self.expand(self.latent.code(xs[-1].flatten(1))), wheres, sizes)[0]

    @torch.no_grad()
    def code(self, x: torch.Tensor) -> torch.Tensor:
        """K·E[z|x] reshaped to ``latent_shape`` (mean 1 per element): what the proposal feeds EfficientNet."""
        return (self.latent.code(self.encode(x)[0][-1].flatten(1)) * self.latent.k).reshape(-1, *self.latent_shape)
