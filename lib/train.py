"""Fit a model, evaluate it, and keep its per-epoch History.

``fit`` works with any torch optimizer or our own, any scheduler stepped per batch or per epoch, and
an optional custom ``step`` for optimizers that need more than ``loss.backward(); opt.step()``
(K-FAC's sampled-label pass, SAM's two passes). ``fast`` switches on the GPU's fast paths (bf16 autocast,
channels_last, ``torch.compile``; ``lib.env.fast_paths`` decides them, on any device); a step that registers
hooks (``step.compiles = False``) runs uncompiled. With a ``checkpoint`` path it saves after every epoch and
resumes from there; a non-finite loss stops the run and marks it diverged.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

CHECK_EVERY = 20  # steps between divergence checks (each check is a device sync)


@dataclass
class History:
    """Per epoch: epoch, steps, lr, train_loss, train_acc, test_loss, test_acc, time_s, + measurements."""
    epochs: list[dict] = field(default_factory=list)
    diverged: bool = False

    def frame(self):
        import pandas as pd
        return pd.DataFrame(self.epochs)

    def best(self, key: str = "test_acc") -> float:
        vals = [e[key] for e in self.epochs if math.isfinite(e.get(key, math.nan))]
        return max(vals) if vals else math.nan

    def last(self, key: str = "test_acc") -> float:
        """The last epoch's ``key`` (NaN for a run with no epoch): the "final accuracy" of every chapter."""
        return self.epochs[-1].get(key, math.nan) if self.epochs else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(**d)


def histories_frame(runs: dict, keys=("model", "optimizer", "seed")):
    """Long format for curve figures: one row per run and epoch, a run's dict key tuple spread over
    the columns ``keys``."""
    import pandas as pd
    return pd.concat([h.frame().assign(**dict(zip(keys, k))) for k, h in runs.items()])


def epochs_to_target(history: History, target: float, key: str = "test_acc", *, censored: bool = False) -> int | None:
    """The 0-based first epoch whose ``key`` reaches ``target``; if none does, None — or with ``censored``, the
    run's number of epochs (a lower bound: a claim resting on such a run needs a "reached" precondition)."""
    first = next((e["epoch"] for e in history.epochs if e.get(key, -math.inf) >= target), None)
    return len(history.epochs) if first is None and censored else first


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


NO_FAST = {"amp": None, "channels_last": False, "compile": False}     # fp32, contiguous, eager


def autocast(device: str, amp: str | None = None):
    """``amp`` ("bf16") autocast on ``device``'s type, or nothing (fp32)."""
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def fp32(device):
    """Autocast off on ``device`` (a torch.device or its name) for numerically sensitive code inside an autocast
    region: each op in it computes in its inputs' dtype, which such code makes float32."""
    return torch.autocast(torch.device(device).type, enabled=False)


def to_device(xb: torch.Tensor, device: str, channels_last: bool = False) -> torch.Tensor:
    xb = xb.to(device, non_blocking=True)
    if xb.ndim == 4 and channels_last:
        xb = xb.contiguous(memory_format=torch.channels_last)
    return xb


def standard_step(model, optimizer, xb, yb, loss_fn):
    """One plain step: ``loss.backward(); optimizer.step()``. Returns (loss, output), detached."""
    optimizer.zero_grad(set_to_none=True)
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward()
    optimizer.step()
    return loss.detach(), out.detach()


def _correct(out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
    if out.ndim == 2 and yb.ndim == 1 and not yb.is_floating_point():
        return (out.argmax(1) == yb).sum()
    return torch.tensor(float("nan"), device=out.device)


@torch.no_grad()
def evaluate(model, loader, *, loss_fn: Callable = F.cross_entropy, device: str = "cpu",
             max_batches: int | None = None, fast: dict | None = None) -> tuple[float, float]:
    """Mean loss and accuracy (in %) of ``model`` over ``loader`` (its first ``max_batches`` batches), with the
    fast paths ``fast`` (:data:`NO_FAST` when None)."""
    fast = fast or NO_FAST
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0.0, 0
    for i, (xb, yb) in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        xb, yb = to_device(xb, device, fast["channels_last"]), yb.to(device)
        with autocast(device, fast["amp"]):
            out = model(xb)
            total_loss += float(loss_fn(out, yb).float()) * len(yb)
        correct += float(_correct(out, yb))
        n += len(yb)
    model.train(was_training)
    return total_loss / n, 100.0 * correct / n


def fit(model: torch.nn.Module, optimizer, train_loader, test_loader, *, epochs: int,
        scheduler=None, scheduler_interval: str = "epoch", step: Callable = standard_step,
        loss_fn: Callable = F.cross_entropy, device: str = "cpu", max_steps: int | None = None,
        checkpoint: str | Path | None = None, measure: Callable | None = None,
        fast: dict | None = None, progress: bool = True, desc: str = "") -> History:
    """Train for ``epochs`` (or until ``max_steps`` optimizer steps), evaluating after each epoch
    (on at most ``max_steps`` test batches when it is set: a capped run is a check, not a result).

    ``measure(model, epoch) -> dict`` adds a chapter's measurements to each epoch's record (outside autocast, on
    the uncompiled model). ``fast``: {"amp": "bf16" | None, "channels_last", "compile"} (:data:`NO_FAST` when
    None); compile is skipped for a ``step`` with ``compiles = False`` (:func:`compiled`).
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    if epochs < 1 or (max_steps is not None and max_steps < 1):
        raise ValueError(f"epochs and max_steps must be >= 1, got {epochs}, {max_steps}")
    fast = fast or NO_FAST
    model.to(device, memory_format=torch.channels_last) if fast["channels_last"] else model.to(device)
    history = _resume(checkpoint, model, optimizer, scheduler) if checkpoint else History()
    net = torch.compile(model) if compiled(fast, step) else model
    steps = history.epochs[-1]["steps"] if history.epochs else 0
    bar = tqdm(total=epochs, initial=len(history.epochs), desc=desc or "fit", unit="epoch",
               disable=not progress, mininterval=2)
    for epoch in range(len(history.epochs), epochs):
        if history.diverged or (max_steps is not None and steps >= max_steps):
            break
        t0, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
        model.train()
        train_loader.set_epoch(epoch)
        loss_sum, correct, n = torch.zeros((), device=device), torch.zeros((), device=device), 0
        for i, (xb, yb) in enumerate(train_loader):
            xb, yb = to_device(xb, device, fast["channels_last"]), yb.to(device)
            with autocast(device, fast["amp"]):
                loss, out = step(net, optimizer, xb, yb, loss_fn)
            loss_sum += loss.float() * len(yb)
            correct += _correct(out, yb)
            n, steps = n + len(yb), steps + 1
            if scheduler is not None and scheduler_interval == "batch":
                scheduler.step()
            if (i + 1) % CHECK_EVERY == 0 and not torch.isfinite(loss_sum):
                break
            if max_steps is not None and steps >= max_steps:
                break
        record = {"epoch": epoch, "steps": steps, "lr": lr,
                  "train_loss": float(loss_sum) / n, "train_acc": 100.0 * float(correct) / n}
        if not math.isfinite(record["train_loss"]):
            history.diverged = True
            record.update(test_loss=math.nan, test_acc=math.nan)
        else:
            record["test_loss"], record["test_acc"] = evaluate(net, test_loader, loss_fn=loss_fn, device=device,
                                                               max_batches=max_steps, fast=fast)
            if measure is not None:
                record.update(measure(model, epoch))
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
        prev = history.epochs[-1]["time_s"] if history.epochs else 0.0
        record["time_s"] = prev + time.perf_counter() - t0
        history.epochs.append(record)
        if checkpoint:
            _save(checkpoint, model, optimizer, scheduler, history)
        bar.update(1)
        bar.set_postfix(loss=f"{record['train_loss']:.3g}", test_acc=f"{record['test_acc']:.2f}", lr=f"{lr:.2g}")
    bar.close()
    return history


def compiled(fast: dict | None, step: Callable) -> bool:
    """Whether :func:`fit` compiles the model: asked for by ``fast``, and ``step`` does not say ``compiles =
    False``. Such steps read tensors that their hooks keep from inside the forward pass (K-FAC's layer outputs,
    to differentiate the Fisher loss by them; APT's activation patterns); a compiled forward returns only its
    outputs to autograd, so gradients with respect to values inside it do not exist."""
    return bool((fast or NO_FAST)["compile"]) and getattr(step, "compiles", True)


def _save(path, model, optimizer, scheduler, history: History) -> None:
    """Everything needed to continue exactly: weights, optimizer and scheduler state, RNG, history."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict() if scheduler is not None else None,
             "history": history.to_dict(), "torch_rng": torch.get_rng_state(),
             "python_rng": random.getstate(), "numpy_rng": np.random.get_state(),   # timm's mixup/erasing draw here
             "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a kill during the save keeps the previous epoch's checkpoint


def _resume(path, model, optimizer, scheduler) -> History:
    path = Path(path)
    if not path.exists():
        return History()
    state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if "python_rng" in state:
        random.setstate(state["python_rng"])
        np.random.set_state(state["numpy_rng"])
    if state["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return History.from_dict(state["history"])
