"""Sharpness-aware minimisation (Foret et al., 2020), around any base optimizer.

Each step: the gradient g at w, the ascent ε̂ = ρ·g/‖g‖₂ (Eq. 2; the norm over all parameters), the
gradient at w + ε̂, and the base optimizer's step from w with it (the d ε̂/dw term dropped, as the paper
does). ``adaptive=True`` is ASAM (Kwon et al., 2021): ε̂ = ρ·T²g/‖T g‖ with T = |w|. The proposal's
Algorithm 1 writes w_adv = w + g/‖g‖ — it omits ρ (i.e. ρ = 1); we use the paper's ρ (0.05 by default).

Two-step API: ``perturb()`` after the first backward, ``step()`` after the second (it restores w
exactly, then runs the base step). ``sam_step`` is ``train.fit``'s step: BatchNorm's running
statistics are updated by the first pass only.
"""
from __future__ import annotations

import torch

from lib.models.layers import frozen_batchnorm_stats
from lib.optim import OPTIMIZERS, make_optimizer


class SAM(torch.optim.Optimizer):
    def __init__(self, base: torch.optim.Optimizer, *, rho: float = 0.05, adaptive: bool = False, eps: float = 1e-12):
        if rho <= 0:
            raise ValueError(f"SAM's rho must be positive, got {rho}")
        params = [p for g in base.param_groups for p in g["params"]]
        super().__init__(params, {"lr": base.param_groups[0]["lr"]})
        self.base, self.rho, self.adaptive, self.eps = base, rho, adaptive, eps
        self.param_groups = base.param_groups          # a scheduler on SAM drives the base's learning rate
        self._w: dict[torch.Tensor, torch.Tensor] = {}

    def _params(self):
        return [p for g in self.param_groups for p in g["params"] if p.grad is not None]

    @torch.no_grad()
    def perturbation(self) -> list[torch.Tensor]:
        """ε̂ per parameter with a gradient, from the current gradients."""
        params = self._params()
        scaled = [(p.abs() * p.grad if self.adaptive else p.grad) for p in params]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(s) for s in scaled]))
        scale = self.rho / (norm + self.eps)
        return [(p.abs() if self.adaptive else 1) * s * scale for p, s in zip(params, scaled)]

    @torch.no_grad()
    def perturb(self) -> None:
        """w -> w + ε̂ (w is kept to be restored exactly)."""
        for p, e in zip(self._params(), self.perturbation()):
            self._w[p] = p.detach().clone()
            p.add_(e)

    @torch.no_grad()
    def step(self, closure=None):
        """Restore w, then the base optimizer's step with the gradient taken at w + ε̂."""
        for p, w in self._w.items():
            p.copy_(w)
        self._w.clear()
        return self.base.step()

    def zero_grad(self, set_to_none: bool = True):
        self.base.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return self.base.state_dict()

    def load_state_dict(self, state):
        self.base.load_state_dict(state)


def sam_step(model, optimizer: SAM, xb, yb, loss_fn):
    """One SAM step for ``train.fit``: loss and output are those of the first pass, at w."""
    optimizer.zero_grad(set_to_none=True)
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward()
    optimizer.perturb()
    optimizer.zero_grad(set_to_none=True)
    with frozen_batchnorm_stats(model):
        loss_fn(model(xb), yb).backward()
    optimizer.step()
    return loss.detach(), out.detach()


SAM.training_step = staticmethod(sam_step)


@OPTIMIZERS.register("sam")
def build(model, *, base: dict, **kwargs) -> SAM:
    """``{"name": "sam", "base": <the base optimizer's spec>, "rho": 0.05}`` (Foret et al.)."""
    return SAM(make_optimizer(base, model), **kwargs)
