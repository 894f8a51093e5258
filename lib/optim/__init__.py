"""Optimizers and learning-rate schedules by the name a run config gives them.

``{"name": "kfac", "lr": 1e-3, ...}`` -> ``make_optimizer``; ``"multistep"`` or ``{"name": "cosine",
"warmup": 5}`` -> ``make_scheduler``. The papers' optimizers (K-FAC, grafting, SAM) and schedules (ActCooLR,
the MI-driven rates) register themselves in their modules; torch's and timm's are registered here and in
``schedules``. An optimizer that needs its own training step (K-FAC's Fisher pass, SAM's two passes) carries
it as ``training_step`` (:func:`training_step` finds it, in a graft's parts too).
"""
from __future__ import annotations

import torch
from timm.optim import Lamb

from lib.registry import Registry

OPTIMIZERS = Registry("optimizer")    # name -> builder(model, **spec) -> torch.optim.Optimizer
SCHEDULES = Registry("schedule")      # name -> builder(optimizer, *, run_epochs, total_steps, **spec); meta: per_batch, probe


def make_optimizer(spec: dict, model: torch.nn.Module) -> torch.optim.Optimizer:
    """``{"name": <registered>, **its arguments}``."""
    spec = dict(spec)
    return OPTIMIZERS.get(spec.pop("name"))(model, **spec)


def schedule_name(spec: str | dict | None) -> str | None:
    return spec if spec is None or isinstance(spec, str) else spec["name"]


def per_batch(spec: str | dict | None) -> bool:
    """Stepped after every optimizer step (else after every epoch)."""
    name = schedule_name(spec)
    return name is not None and name in SCHEDULES and SCHEDULES.meta[name].get("per_batch", False)


def make_scheduler(spec: str | dict | None, optimizer, *, epochs: int, steps_per_epoch: int = 1, probe=None):
    """``None``: a constant rate. A name or ``{"name": ..., **arguments}``; a schedule registered with
    ``probe=True`` (the MI-driven one) is also given the run's measurement probe."""
    if spec is None:
        return None
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("name")
    builder = SCHEDULES.get(name)
    extra = {"probe": probe} if SCHEDULES.meta[name].get("probe") else {}
    return builder(optimizer, run_epochs=epochs, total_steps=epochs * steps_per_epoch, **extra, **spec)


def training_step(optimizer):
    """The training step ``optimizer`` needs (``train.fit(step=...)``), or None for the standard one."""
    return getattr(optimizer, "training_step", None)


@OPTIMIZERS.register("sgd")
def sgd(model, *, groups: list[str] | None = None, **kwargs) -> torch.optim.SGD:
    """torch's SGD; ``groups``: module names, one parameter group each (layer-wise learning rates)."""
    params = [{"params": model.get_submodule(g).parameters()} for g in groups] if groups else model.parameters()
    return torch.optim.SGD(params, **kwargs)


@OPTIMIZERS.register("adam")
def adam(model, *, momentum: float = 0.9, **kwargs) -> torch.optim.Adam:
    """torch's Adam with β1 = ``momentum``."""
    return torch.optim.Adam(model.parameters(), betas=(momentum, 0.999), **kwargs)


@OPTIMIZERS.register("lamb")
def lamb(model, **kwargs) -> Lamb:
    """timm's Lamb (You et al., 2020)."""
    return Lamb(model.parameters(), **kwargs)


# importing the modules registers their optimizers and schedules
from lib.optim import actcoolr, graft, kfac, mi_lr, sam, schedules  # noqa: E402, F401
