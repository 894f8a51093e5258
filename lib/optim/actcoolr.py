"""ActCooLR: learning rates from a target activation pattern temperature (supplement Sections B-D, H).

The model (main paper's Eq. 5, fitted in the supplement's ``model_fit``): the probability of a pattern
change after one step at learning rate λ is

    P(λ) = ½ [1 + erf((ln λ − μ) / (σ√2))]

fitted with scipy's ``curve_fit`` to a *range analysis* — one step at each of 25 learning rates from the
same model state. The supplement's Table 1 lists them: they are ``logspace(−3.2, 2, 25)``, i.e. 6.3e-4 to
100 (its text says 1e-4 to 1e2).

The scheduler (``adapt_lr_with_stats``): σ stays fixed; each measurement re-estimates
μ = ln λ_now − σ√2 erfinv(2P_now − 1) and gives the rate that hits the target,
λ_target = exp(σ√2 erfinv(2P_target − 1) + μ); the rate moves 1/every of the way there and the same
increment/every is re-applied on the steps between measurements, as the listing does. P_now is the
probability of the mean temperature over layers; probabilities are clipped to [1e-6, 1 − 1e-6] (the
listing raises on erfinv(±1)).

The target curve: the supplement never defines T(x) from T₀ and γ; we take T(x) = T₀(1 − x)^γ over
training progress x ∈ [0, 1], which is Figure 5's "linear from 3.03 to 0" at γ = 1 — an assumption.

Dynamic ActCooLR (Section D): SGD on the learning rate itself towards a target probability curve C(i),
loss (P̂ − C)², ∂P/∂λ := 1, rate λ_T = 0.05, measured every 10 steps with the gradient re-applied between.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import curve_fit
from scipy.special import erf, erfinv

from lib.measure.apt import temp2prob
from lib.optim import SCHEDULES

LRS = np.logspace(-3.2, 2, 25)         # the supplement's Table 1
CLIP = 1e-6


def erf_model(lr, sigma: float, mu: float):
    """P(λ), the probability of a pattern change after one step at rate λ."""
    return 0.5 * (1 + erf((np.log(lr) - mu) / (sigma * math.sqrt(2))))


def fit(lrs, temps, *, as_printed: bool = False) -> tuple[float, float]:
    """(σ, μ) of the erf model fitted to measured temperatures (curve_fit, as ``model_fit``)."""
    lrs, p = np.asarray(lrs, float), temp2prob(temps, as_printed=as_printed)
    (sigma, mu), _ = curve_fit(erf_model, lrs, p, p0=(1.0, float(np.log(np.median(lrs)))), maxfev=10000)
    return abs(float(sigma)), float(mu)


def target_temperature(x: float, t0: float, gamma: float) -> float:
    """T(x) = T₀(1 − x)^γ at training progress x (our reading; see the module docstring)."""
    return t0 * (1 - min(max(x, 0.0), 1.0)) ** gamma


def lr_for_target(lr_now: float, p_now: float, p_target: float, sigma: float) -> float:
    """The rate whose predicted change probability is ``p_target``, μ re-estimated from (λ_now, P_now)."""
    p_now, p_target = (float(np.clip(p, CLIP, 1 - CLIP)) for p in (p_now, p_target))
    mu = math.log(lr_now) - sigma * math.sqrt(2) * erfinv(2 * p_now - 1)
    return math.exp(sigma * math.sqrt(2) * erfinv(2 * p_target - 1) + mu)


class ActCooLR:
    """A per-step scheduler (``train.fit(..., scheduler_interval="batch")``): ``observe`` a measurement's
    per-layer temperatures on measuring steps; ``step`` after every optimizer step."""

    def __init__(self, optimizer, *, sigma: float, t0: float, gamma: float, total_steps: int, every: int = 10,
                 as_printed: bool = False):
        if not (sigma > 0 and t0 > 0 and gamma > 0) or total_steps < 1 or every < 1:   # NaN σ fails too
            raise ValueError(f"need sigma, t0, gamma > 0 and total_steps, every >= 1; got {sigma}, {t0}, {gamma}, "
                             f"{total_steps}, {every}")
        self.optimizer, self.sigma, self.t0, self.gamma = optimizer, sigma, t0, gamma
        self.total, self.every, self.as_printed = total_steps, every, as_printed
        self.steps, self.grad, self.fresh = 0, 0.0, False

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def _set(self, lr: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = lr

    def observe(self, temps: dict[str, float]) -> None:
        p_now = float(temp2prob(np.mean(list(temps.values())), as_printed=self.as_printed))
        t_target = target_temperature(self.steps / self.total, self.t0, self.gamma)
        target = lr_for_target(self.lr, p_now, float(temp2prob(t_target, as_printed=self.as_printed)), self.sigma)
        self.grad = (target - self.lr) / self.every
        self._set(self.lr * (1 - 1 / self.every) + target / self.every)
        self.fresh = True

    def step(self) -> None:
        if not self.fresh:                       # between measurements: re-apply the last increment / every
            self._set(max(self.lr + self.grad / self.every, 1e-12))
        self.fresh, self.steps = False, self.steps + 1

    def state_dict(self) -> dict:
        return {"steps": self.steps, "grad": self.grad, "lr": self.lr}

    def load_state_dict(self, state: dict) -> None:
        self.steps, self.grad = state["steps"], state["grad"]
        self._set(state["lr"])


class DynamicActCooLR(ActCooLR):
    """Section D: λ ← λ − λ_T · 2(P̂ − C(x)) at each measurement (P̂: the mean over layers of each layer's
    change probability), the same increment re-applied on the steps between; λ kept positive."""

    def __init__(self, optimizer, *, t0: float, gamma: float, total_steps: int, every: int = 10, rate: float = 0.05,
                 min_lr: float = 1e-6):
        super().__init__(optimizer, sigma=1.0, t0=t0, gamma=gamma, total_steps=total_steps, every=every)
        self.rate, self.min_lr = rate, min_lr

    def observe(self, temps: dict[str, float]) -> None:
        p_hat = float(np.mean(temp2prob(list(temps.values()))))
        c = float(temp2prob(target_temperature(self.steps / self.total, self.t0, self.gamma)))
        self.grad = -self.rate * 2 * (p_hat - c)
        self._set(max(self.lr + self.grad, self.min_lr))
        self.fresh = True

    def step(self) -> None:
        if not self.fresh:
            self._set(max(self.lr + self.grad, self.min_lr))
        self.fresh, self.steps = False, self.steps + 1


@SCHEDULES.register("actcoolr", per_batch=True)
def build(optimizer, *, run_epochs: int, total_steps: int, **kwargs) -> ActCooLR:
    """``{"name": "actcoolr", "sigma", "t0", "gamma", "every"}``: fed by the temperature the run's ``apt`` measures."""
    return ActCooLR(optimizer, total_steps=total_steps, **kwargs)


@SCHEDULES.register("dynamic_actcoolr", per_batch=True)
def build_dynamic(optimizer, *, run_epochs: int, total_steps: int, **kwargs) -> DynamicActCooLR:
    return DynamicActCooLR(optimizer, total_steps=total_steps, **kwargs)
