"""Activation pattern temperature (APT; ActCooLR supplement, Sections A, C, H).

At every ReLU layer, a position (a sample, and for conv layers a spatial position) keeps its pattern
when the signs of its activations over all channels are the same before and after one optimisation step.
With P_same the share of positions that keep it,

    temperature T = −log₂(P_same)           (0: nothing changed; the cap: P_same = 0.5/total if none stays)

as the supplement's ``APTReLU``. The probability of a pattern change is then 1 − 2^(−T) (:func:`temp2prob`);
the supplement's listing converts back with 1 − e^(−T) instead (``as_printed=True``).

Two estimates (Section H): *same batch* — the training batch itself, passed once before and once after the
step (cheap); *evaluation set* — a fixed set of batches through snapshots of the model before and after
the step. So that both passes see the same function, :func:`measuring` turns dropout off and lets
BatchNorm normalise with the batch's own statistics (the function the step trains) with momentum 0, so
the measuring passes leave the running statistics untouched.

Layers are the model's ``nn.ReLU`` modules (in module order), read through forward hooks.
"""
from __future__ import annotations

import contextlib
import copy
import math

import numpy as np
import torch
from torch import nn

from lib.models.layers import frozen_batchnorm_stats


def prob2temp(p_same: float) -> float:
    return -math.log2(p_same)


def temp2prob(t, *, as_printed: bool = False):
    """Probability of a pattern change at temperature t: 1 − 2^(−t) (1 − e^(−t) as the listing prints)."""
    t = np.asarray(t, dtype=float)
    return 1 - np.exp(-t) if as_printed else 1 - np.exp2(-t)


def relus(model: nn.Module) -> dict[str, nn.ReLU]:
    found = {n: m for n, m in model.named_modules() if isinstance(m, nn.ReLU)}
    if not found:
        raise ValueError("the model has no nn.ReLU modules to measure (functional relu calls are invisible)")
    return found


@contextlib.contextmanager
def measuring(model: nn.Module):
    """Dropout off; BatchNorm on batch statistics without updating its running statistics."""
    saved = [(m, m.training) for m in model.modules()]
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.train()
    try:
        with frozen_batchnorm_stats(model):
            yield model
    finally:
        for m, training in saved:
            m.train(training)


@torch.no_grad()
def patterns(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per ReLU layer, the boolean activity pattern (output > 0) of x, channels on axis 1. Under bf16 autocast the
    pattern is the float32 one but for outputs below ~1e-40 (rounding to bf16 keeps a value's sign: it shares float32's
    exponent range), and the comparisons of patterns are on booleans, exact in any precision."""
    out = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: out.__setitem__(n, o > 0)) for n, m in relus(model).items()]
    try:
        with measuring(model):
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return out


def kept(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Per layer: (positions whose pattern over channels is unchanged, positions)."""
    res = {}
    for n, b in before.items():
        same = (b == after[n]).all(dim=1)                     # (B, *spatial)
        res[n] = (int(same.sum()), same.numel())
    return res


def temperatures(counts: dict[str, tuple[int, int]]) -> dict[str, float]:
    """T per layer from (kept, total) counts, capped as the supplement: kept = 0 counts as 0.5."""
    return {n: prob2temp(max(k, 0.5) / t) for n, (k, t) in counts.items()}


def add(a: dict, b: dict) -> dict:
    return {n: (a[n][0] + b[n][0], a[n][1] + b[n][1]) for n in b} if a else dict(b)


def same_batch_step(model, optimizer, xb, yb, step) -> tuple[tuple, dict[str, float]]:
    """One training ``step(model, optimizer, xb, yb)`` with the same-batch estimate around it:
    returns (step's result, per-layer temperature)."""
    before = patterns(model, xb)
    result = step(model, optimizer, xb, yb)
    return result, temperatures(kept(before, patterns(model, xb)))


def eval_set_temperature(before: nn.Module, after: nn.Module, batches) -> dict[str, float]:
    """The evaluation-set estimate: patterns of snapshots ``before`` and ``after`` one step over fixed batches."""
    counts: dict = {}
    for xb in batches:
        counts = add(counts, kept(patterns(before, xb), patterns(after, xb)))
    return temperatures(counts)


def snapshot(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model)


def mean_temperature(temps: dict[str, float]) -> float:
    return float(np.mean(list(temps.values())))


def range_analysis(model: nn.Module, optimizer, xb, yb, step, lrs, *, seed: int = 0) -> list[dict[str, float]]:
    """From one model state: one ``step`` at each learning rate on the same batch, each from that state
    (model and optimizer restored after every step); per rate, the per-layer temperatures. Every step draws
    its randomness (dropout) from ``seed``, so the rates differ only in the rate, and the analysis repeats
    exactly; the caller's random state is left as it was."""
    model_state, opt_state = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    out = []
    try:
        for lr in lrs:
            for g in optimizer.param_groups:
                g["lr"] = float(lr)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                out.append(same_batch_step(model, optimizer, xb, yb, step)[1])
            model.load_state_dict(model_state)
            optimizer.load_state_dict(opt_state)
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(opt_state)
    return out


class APTStep:
    """A ``train.fit`` step measuring the same-batch temperature every ``every`` steps of an epoch (counted
    from each epoch's start, so a resumed run measures at the same steps), feeding ``scheduler.observe``
    when given. ``epoch_record()`` (for fit's ``measure``) returns the epoch's mean temperature per layer
    (``T:<layer>``) and over layers (``T_mean``), and starts the next epoch."""

    def __init__(self, base_step, *, every: int = 10, scheduler=None):
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.base, self.every, self.scheduler = base_step, every, scheduler
        self.i, self.log = 0, []

    def __call__(self, model, optimizer, xb, yb, loss_fn):
        if self.i % self.every == 0:
            result, temps = same_batch_step(model, optimizer, xb, yb,
                                            lambda m, o, x, y: self.base(m, o, x, y, loss_fn))
            self.log.append(temps)
            if self.scheduler is not None:
                self.scheduler.observe(temps)
        else:
            result = self.base(model, optimizer, xb, yb, loss_fn)
        self.i += 1
        return result

    compiles = False    # hooks added and removed every ``every`` steps would recompile a compiled model each time

    def epoch_record(self, model=None, epoch=None) -> dict:
        rec = {f"T:{n}": float(np.mean([t[n] for t in self.log])) for n in (self.log[0] if self.log else {})}
        rec["T_mean"] = float(np.mean(list(rec.values()))) if rec else float("nan")
        self.i, self.log = 0, []
        return rec
