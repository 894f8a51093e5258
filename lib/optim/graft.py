"""Learning-rate grafting (Agarwal et al., 2020): optimizer M sets each step's size, D its direction.

Per parameter tensor, from the same weights and the same gradient, each child computes its own step
(and updates its own state, e.g. momentum); the applied step is

    Δ = ‖Δ_M‖ / ‖Δ_D‖ · Δ_D.

Both children must read the same, unmodified gradient. An optimizer that rewrites ``.grad`` in place
(the K-FAC code the K-FAC-on-Mixer authors forked does) would otherwise hand its preconditioned step
to the second child, silently making D = M; so ``.grad`` is restored between the children unless
``restore_grad=False`` (the authors' behaviour, kept to study it). Grafting (A, A) equals plain A.
"""
from __future__ import annotations

import torch

from lib.optim import OPTIMIZERS, make_optimizer


class Graft(torch.optim.Optimizer):
    def __init__(self, magnitude: torch.optim.Optimizer, direction: torch.optim.Optimizer, *,
                 restore_grad: bool = True, eps: float = 1e-16):
        params = [p for g in magnitude.param_groups for p in g["params"]]
        if [id(p) for p in params] != [id(p) for g in direction.param_groups for p in g["params"]]:
            raise ValueError("grafting needs both optimizers over the same parameters, in the same order")
        if magnitude is direction:
            raise ValueError("graft two separate optimizer instances (their states must not be shared)")
        super().__init__(params, {"lr": magnitude.param_groups[0]["lr"]})
        self.children = (magnitude, direction)
        self.param_groups = magnitude.param_groups     # a scheduler on the graft drives M's learning rate
        self.restore_grad, self.eps = restore_grad, eps
        self.alignment = float("nan")   # last step: mean over tensors of cos(Δ_M, Δ_D), for analysis

    @torch.no_grad()
    def step(self, closure=None):
        M, D = self.children
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        start = [p.clone() for p in params]
        grads = [p.grad.clone() for p in params] if self.restore_grad else None
        M.step()
        delta_m = [p - s for p, s in zip(params, start)]
        for i, (p, s) in enumerate(zip(params, start)):
            p.copy_(s)
            if grads is not None:
                p.grad.copy_(grads[i])                # D sees the gradient M saw
        D.step()
        cosines = []
        for p, s, dm in zip(params, start, delta_m):
            dd = p - s
            cosines.append(torch.nn.functional.cosine_similarity(dm.flatten(), dd.flatten(), dim=0, eps=self.eps))
            p.copy_(s + dd * (dm.norm() / dd.norm().clamp_min(self.eps)))
        self.alignment = float(torch.stack(cosines).mean()) if cosines else float("nan")

    @property
    def training_step(self):
        """The step a part needs (K-FAC's Fisher pass: ``kfac.fisher_step`` serves a graft holding K-FAC)."""
        return next((s for s in (getattr(o, "training_step", None) for o in self.children) if s), None)

    def zero_grad(self, set_to_none: bool = True):
        for o in self.children:
            o.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return {"magnitude": self.children[0].state_dict(), "direction": self.children[1].state_dict()}

    def load_state_dict(self, state):
        self.children[0].load_state_dict(state["magnitude"])
        self.children[1].load_state_dict(state["direction"])


@OPTIMIZERS.register("graft")
def build(model, *, magnitude: dict, direction: dict, restore_grad: bool = True) -> Graft:
    """``{"name": "graft", "magnitude": <spec>, "direction": <spec>}``: M's step sizes, D's directions."""
    return Graft(make_optimizer(magnitude, model), make_optimizer(direction, model), restore_grad=restore_grad)
