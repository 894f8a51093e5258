"""Chapter 03 (ActCooLR): the supplement's numbers, the runs behind each item, and the claim rules.

Paper: *ActCooLR – High-Level Learning Rate Schedules using Activation Pattern Temperature*, supplementary
material (the main paper is not available). Temperature: ``measure.apt``; the model fit and schedulers:
``optim.actcoolr``; models: ``models.cifar_resnets`` and ``models.convnets.KerasCNN`` (the "4-layer ConvNet").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from lib import data, experiment, loader, train
from lib.measure import apt
from lib.optim import actcoolr

# Table 2 (CIFAR-10 top-1 error %): (epochs, network, method) -> (hyperparameters, error)
PAPER_T2 = {(25, "ResNet-18", "1-cycle"): (dict(max_lr=1.7, t_max=0.7), 7.53),
            (25, "ResNet-18", "ActCooLR"): (dict(t0=4.32, gamma=2.0), 8.11),
            (25, "PyramidNet-110", "1-cycle"): (dict(max_lr=3.5, t_max=0.1), 6.3),
            (25, "PyramidNet-110", "ActCooLR"): (dict(t0=2.885, gamma=1.0), 6.19),
            (50, "ResNet-18", "1-cycle"): (dict(max_lr=1.9, t_max=0.15), 6.7),
            (50, "ResNet-18", "ActCooLR"): (dict(t0=3.678, gamma=5.5), 6.94),
            (50, "PyramidNet-110", "1-cycle"): (dict(max_lr=3.5, t_max=0.3), 5.04),
            (50, "PyramidNet-110", "ActCooLR"): (dict(t0=4.34, gamma=10.0), 6.17)}
FIG5_LRS = (1.0, 0.1, 1e-2, 1e-3, 1e-4, 1e-5)      # initial learning rates; T0 = 3.03, γ = 1, momentum 0.9
VARIANTS = {"ResNet": {}, "FixUp": dict(fixup=True), "Pyramid": dict(alpha=48), "no shortcut": dict(shortcut=False)}


def config(P, *, data_name: str, model: str, model_kwargs: dict, schedule, lr: float, seed: int, epochs: int,
           momentum: float = 0.9, weight_decay: float = 5e-5, keep_weights: bool = False, apt_every: int | None = 10,
           batch: int | None = None) -> dict:
    s = P.settings
    c = {"kind": f"{model}-{data_name}", "data": data_name, "n_train": s["n_train"][data_name],
         "n_test": s["n_test"], "augment": {"flip": True}, "model": model, "model_kwargs": model_kwargs,
         "optimizer": dict(name="sgd", lr=lr, momentum=momentum, weight_decay=weight_decay), "schedule": schedule,
         "epochs": epochs, "batch": batch or s["batch"][data_name], "seed": seed, "profile": P.profile,
         "max_steps": P.max_steps}
    if apt_every:
        c["apt"] = {"every": apt_every}
    if keep_weights:
        c["keep_weights"] = True
    return c


def run(P, cfg: dict, label: str) -> train.History:
    return experiment.run_classifier(cfg, device=P.device, label=label)


def layer_frame(h) -> pd.DataFrame:
    """Long frame: epoch, layer index (input to output), temperature."""
    f = h.frame()
    cols = [c for c in f.columns if c.startswith("T:")]
    long = f.melt(id_vars=["epoch"], value_vars=cols, var_name="layer", value_name="temperature")
    long["layer"] = long["layer"].map({c: i for i, c in enumerate(cols)})
    return long


def heatmap(h) -> np.ndarray:
    """(layers, epochs) temperatures."""
    return layer_frame(h).pivot(index="layer", columns="epoch", values="temperature").to_numpy()


def cools(h) -> bool:
    """The mean temperature of the last epoch below that of the first."""
    f = h.frame()
    return bool(f["T_mean"].iloc[-1] < f["T_mean"].iloc[0])


def deeper_hotter(h) -> float:
    """Spearman ρ between layer depth and the layer's temperature averaged over training."""
    from scipy.stats import spearmanr
    per_layer = layer_frame(h).groupby("layer")["temperature"].mean()
    return float(spearmanr(per_layer.index, per_layer.to_numpy()).statistic)


def analysis_batch(P, data_name: str, n: int, device: str):
    """A fixed batch of ``n`` training images (normalised, no augmentation) for the range analyses."""
    ds = data.load(data_name).subset(P.settings["n_train"][data_name], P.settings["n_test"], seed=0)
    xb, yb = next(iter(loader.Loader.for_split(ds, "train", batch_size=n, shuffle=False, device=device)))
    return xb, yb


def sgd_step(model, optimizer, xb, yb):
    optimizer.zero_grad(set_to_none=True)
    F.cross_entropy(model(xb), yb).backward()
    optimizer.step()


def range_analysis(model, xb, yb, lrs=actcoolr.LRS) -> list[dict[str, float]]:
    """One plain SGD step (no momentum: the kept weights carry no optimizer state) at each rate."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    return apt.range_analysis(model, opt, xb, yb, sgd_step, lrs)


SPAN = 0.5   # a fit needs measured change probabilities spanning at least this much of [0, 1]


def fit_rows(temps: list[dict[str, float]], lrs=actcoolr.LRS, *, last_only: bool = False) -> dict:
    """The erf model fitted to the mean (or the last layer's) temperature per rate, both conversions.
    When the measured probabilities span less than ``SPAN`` (e.g. every pattern changes at every rate),
    σ and μ are not identifiable: they are NaN and ``identifiable`` is False."""
    last = list(temps[0])[-1]
    t = np.array([d[last] if last_only else apt.mean_temperature(d) for d in temps])
    p = apt.temp2prob(t)
    if p.max() - p.min() < SPAN:
        return {"sigma": float("nan"), "mu": float("nan"), "rmse (probability)": float("nan"),
                "sigma as printed": float("nan"), "mu as printed": float("nan"), "identifiable": False,
                "temperatures": t}
    try:
        sigma, mu = actcoolr.fit(lrs, t)
        sigma_p, mu_p = actcoolr.fit(lrs, t, as_printed=True)
    except (RuntimeError, ValueError):      # curve_fit found no fit (e.g. a diverged state): NaN, said so
        sigma = mu = sigma_p = mu_p = float("nan")
    resid = float(np.sqrt(np.mean((actcoolr.erf_model(lrs, sigma, mu) - apt.temp2prob(t)) ** 2)))
    return {"sigma": sigma, "mu": mu, "rmse (probability)": resid, "sigma as printed": sigma_p, "mu as printed": mu_p,
            "identifiable": True, "temperatures": t}
