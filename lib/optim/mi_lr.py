"""Learning rates set per epoch from mutual information (Vasudevan, "Dynamic learning rate using Mutual
Information", appendix policies).

With I_t the I(H;Y) measured after epoch t (IHYLL for the output layer) and IXY the data's I(X;Y):

Policy 1 (relative change):  δ = |I_{t−1} − I_{t−2}| / I_{t−1}
    LR_t = min(LR_max, LR_{t−1} + γ₁δ)  if δ > ε,   else  max(LR_min, LR_{t−1} − γ₂δ)

Policy 2 (value and change relative to IXY):  d1 = 1 − I_{t−1}/IXY,  d2 = |I_{t−1} − I_{t−2}| / I_{t−1}
    d1 > 0, d2 > ε:  min(LR_max, LR_{t−1} + γ₁·d1)     below the bound and still changing: increase
    d1 > 0, d2 ≤ ε:  max(LR_min, LR_{t−1} − γ₂·d1)     below the bound, saturated: decrease
    d1 ≤ 0:          max(LR_min, LR_{t−1} + γ₃·d1)     above the (soft) bound: decrease

The printed case table differs: its second row reads "d1 ≤ 0 & d2 ≤ ε → max(LR_min, LR − γ₂·d1)", which
would *increase* the rate above the bound, its fourth row repeats that condition, and "d1 > 0 & d2 ≤ ε"
has no row. We implement the evident intent above; ``as_printed=True`` applies the printed rows in
order (first match wins, no match keeps the rate).

Both start at LR_min. A policy needs two measurements for a change, so epochs 0 and 1 run at LR_min.
``value_only`` (Figure 5, after a batch-size change) treats the change as significant (d2 > ε), so
the rate follows the value alone. Layer-wise (Figure 6): each parameter group has its own measurement
(that layer's I(H;Y)) and its own rate.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from lib import loader
from lib.measure import mi
from lib.measure.activations import capture
from lib.optim import SCHEDULES


@dataclass
class Policy:
    name: str                      # "change" (policy 1) or "value_and_change" (policy 2)
    lr_min: float
    lr_max: float
    gamma1: float
    gamma2: float
    gamma3: float = 0.0
    eps: float = 0.01
    as_printed: bool = False

    def __post_init__(self):
        if self.name not in ("change", "value_and_change"):
            raise ValueError(f"unknown policy {self.name!r}; valid: change, value_and_change")
        if not 0 < self.lr_min <= self.lr_max:
            raise ValueError(f"need 0 < lr_min <= lr_max, got {self.lr_min}, {self.lr_max}")
        if min(self.gamma1, self.gamma2, self.gamma3, self.eps) < 0:
            raise ValueError("gammas and eps must be >= 0")

    def next_lr(self, lr: float, history: list[float], ixy: float | None = None, value_only: bool = False) -> float:
        """LR_t from LR_{t−1} and the measurements so far (history[-1] = I_{t−1})."""
        if len(history) < 2 or history[-1] == 0:
            return lr
        change = abs(history[-1] - history[-2]) / abs(history[-1])
        if self.name == "change":
            if change > self.eps:
                return min(self.lr_max, lr + self.gamma1 * change)
            return max(self.lr_min, lr - self.gamma2 * change)
        if ixy is None or ixy <= 0:
            raise ValueError(f"policy 2 needs a positive IXY, got {ixy!r}")
        d1, moving = 1 - history[-1] / ixy, value_only or change > self.eps
        return self._printed(lr, d1, moving) if self.as_printed else self._intended(lr, d1, moving)

    def _intended(self, lr, d1, moving):
        if d1 > 0 and moving:
            return min(self.lr_max, lr + self.gamma1 * d1)
        if d1 > 0:
            return max(self.lr_min, lr - self.gamma2 * d1)
        return max(self.lr_min, lr + self.gamma3 * d1)

    def _printed(self, lr, d1, moving):
        if d1 > 0 and moving:
            return min(self.lr_max, lr + self.gamma1 * d1)
        if d1 <= 0 and not moving:
            return max(self.lr_min, lr - self.gamma2 * d1)
        if d1 < 0 and moving:
            return max(self.lr_min, lr + self.gamma3 * d1)
        return lr


class MIScheduler:
    """A per-epoch scheduler for ``train.fit``: ``observe`` the epoch's measurements (called from the fit's
    ``measure``), then ``step`` sets each parameter group's rate. ``keys[g]`` names the measurement that
    drives group g (all "IHYLL" for the network-level policies; one per layer for the layer-wise one)."""

    def __init__(self, optimizer, policy: Policy, *, keys: list[str] | None = None, ixy: float | None = None,
                 value_only_epochs: tuple[int, int] | None = None, start_epoch: int = 0):
        self.optimizer, self.policy, self.ixy = optimizer, policy, ixy
        self.keys = keys or ["IHYLL"] * len(optimizer.param_groups)
        if len(self.keys) != len(optimizer.param_groups):
            raise ValueError(f"{len(self.keys)} keys for {len(optimizer.param_groups)} parameter groups")
        self.value_only_epochs = value_only_epochs     # [first, last) epochs tracking the value only
        self.history: dict[str, list[float]] = {k: [] for k in set(self.keys)}
        self.epoch = start_epoch
        for g in optimizer.param_groups:
            g["lr"] = policy.lr_min

    def observe(self, measurements: dict) -> None:
        for k in self.history:
            self.history[k].append(float(measurements[k]))

    def step(self) -> None:
        self.epoch += 1
        lo, hi = self.value_only_epochs or (0, 0)
        for g, k in zip(self.optimizer.param_groups, self.keys):
            g["lr"] = self.policy.next_lr(g["lr"], self.history[k], self.ixy, value_only=lo <= self.epoch < hi)

    def state_dict(self) -> dict:
        return {"policy": asdict(self.policy), "history": self.history, "epoch": self.epoch,
                "lrs": [g["lr"] for g in self.optimizer.param_groups]}

    def load_state_dict(self, state: dict) -> None:
        self.history, self.epoch = state["history"], state["epoch"]
        for g, lr in zip(self.optimizer.param_groups, state["lrs"]):
            g["lr"] = lr


def data_mi(ds, *, k: int = 3, tile: int = 1, split: str = "train") -> float:
    """IXY of a data set's split: X as pixels in [0, 1] (the Keras convention), Y one-hot, the samples
    repeated ``tile`` times (the paper's CNN bound, ``mi.tile``)."""
    x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
    return mi.ksg(*mi.tile(x.reshape(len(x), -1) / 255.0, mi.one_hot(y, ds.spec.classes), tile), k=k)


_IXY: dict = {}      # IXY per (data set, subset, k, tile), computed once per process


class Probe:
    """The per-epoch measurement behind the policies: I(H;Y) of the named layers on a fixed subset of
    ``n`` training samples (the paper uses 1000), and the data's I(X;Y) on the same samples
    (:func:`data_mi`, tiled ``tile`` times). Hidden layers are read after their ReLU, the output layer
    after its softmax. ``IHYLL`` is the output layer's."""

    def __init__(self, ds, *, layers, output: str, n: int = 1000, k: int = 3, tile: int = 1, seed: int = 0,
                 device: str = "cpu"):
        sub = ds.subset(n, None, seed=seed)
        key = (ds.name, ds.source, len(ds.y_train), n, seed, k, tile)       # the same subset, the same IXY
        if key not in _IXY:
            _IXY[key] = data_mi(sub, k=k, tile=tile)
        first = next(iter(loader.Loader.for_split(sub, "train", batch_size=len(sub.y_train), shuffle=False)))
        self.x, self.layers, self.output, self.k, self.device = first[0], list(layers), output, k, device
        self.onehot = mi.one_hot(sub.y_train, ds.spec.classes)
        self.ixy = _IXY[key]

    def _activation(self, name, out):
        return out.softmax(1) if name == self.output else torch.relu(out)

    def __call__(self, model, epoch=None) -> dict:
        t0 = time.perf_counter()
        acts = capture(model, self.layers, self.x.to(self.device), transform=self._activation)
        out = {("IHYLL" if n == self.output else f"IHY_{n}"): mi.ksg(a.double().numpy(), self.onehot, k=self.k)
               for n, a in acts.items()}
        return {**out, "IXY": self.ixy, "mi_time_s": time.perf_counter() - t0}


@SCHEDULES.register("mi", probe=True)
def build(optimizer, *, run_epochs: int, total_steps: int, probe: Probe | None, policy: dict, keys=None,
          value_only_epochs=None, history: dict | None = None) -> MIScheduler:
    """``{"name": "mi", "policy": {...}}``: the rates a :class:`Policy` sets from the run's probe (the config's
    ``"mi"``); ``history``: measurements carried over from the run it continues."""
    if probe is None:
        raise ValueError('the "mi" schedule needs the run config\'s "mi" probe ({"layers": [...], "output": ...})')
    sched = MIScheduler(optimizer, Policy(**policy), keys=keys, ixy=probe.ixy, value_only_epochs=value_only_epochs)
    for k, v in (history or {}).items():
        sched.history[k] = list(v)
    return sched


def measuring(probe: Probe, scheduler, optimizer):
    """``train.fit``'s per-epoch ``measure`` for a run with a probe: its I(H;Y) record, fed to the scheduler
    when it is the MI-driven one, with each parameter group's rate."""
    if not isinstance(scheduler, MIScheduler):
        return probe

    def measure(model, epoch):
        record = probe(model, epoch)
        scheduler.observe(record)
        return {**record, **{f"lr_{i}": g["lr"] for i, g in enumerate(optimizer.param_groups)}}
    return measure
