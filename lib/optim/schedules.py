"""The papers' stock learning-rate schedules, built from torch's schedulers. A builder gets the run's length
(``run_epochs``, ``total_steps``) and the spec's arguments.

Per epoch: ``multistep`` (×0.1 at 50 % and 75 % of the epochs, or at the given ``milestones``),
``waterfall`` (ResNet's ×0.1 at epochs 30, 60, 80 of 90, scaled to the epochs), ``cosine`` (DeiT: a linear
warm-up over ``warmup`` epochs from lr/(k+1), then cosine to 0), ``warmup`` (linear from ``start_factor``·lr
to lr over ``epochs`` epochs, then constant). Per batch: ``onecycle`` (torch's OneCycleLR over the whole run)
and ``cyclic`` (CyclicLR).
"""
from __future__ import annotations

from torch.optim import lr_scheduler

from lib.optim import SCHEDULES


@SCHEDULES.register("multistep")
def multistep(optimizer, *, run_epochs: int, total_steps: int, milestones: list[int] | None = None):
    """×0.1 at each of ``milestones`` (epochs; default 50 % and 75 % of the run, the K-FAC authors' default)."""
    if milestones is not None and not all(0 < m < run_epochs for m in milestones):
        raise ValueError(f"multistep milestones {milestones} must lie inside the run's {run_epochs} epochs")
    return lr_scheduler.MultiStepLR(optimizer, milestones or [run_epochs // 2, (3 * run_epochs) // 4], gamma=0.1)


@SCHEDULES.register("waterfall")
def waterfall(optimizer, *, run_epochs: int, total_steps: int):
    return lr_scheduler.MultiStepLR(optimizer, sorted({round(run_epochs * f / 90) for f in (30, 60, 80)}), gamma=0.1)


@SCHEDULES.register("cosine")
def cosine(optimizer, *, run_epochs: int, total_steps: int, warmup: int = 0):
    annealing = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, run_epochs - warmup))
    if not warmup:
        return annealing
    ramp = lr_scheduler.LinearLR(optimizer, 1 / (warmup + 1), total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [ramp, annealing], [warmup])


@SCHEDULES.register("warmup")
def warmup(optimizer, *, run_epochs: int, total_steps: int, epochs: int, start_factor: float):
    return lr_scheduler.LinearLR(optimizer, start_factor, total_iters=epochs)


@SCHEDULES.register("onecycle", per_batch=True)
def onecycle(optimizer, *, run_epochs: int, total_steps: int, **kwargs):
    return lr_scheduler.OneCycleLR(optimizer, total_steps=total_steps, **kwargs)


@SCHEDULES.register("cyclic", per_batch=True)
def cyclic(optimizer, *, run_epochs: int, total_steps: int, **kwargs):
    return lr_scheduler.CyclicLR(optimizer, **kwargs)
