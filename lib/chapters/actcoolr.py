"""Chapter 03 (ActCooLR): the supplement's numbers, the runs behind each item, and the claim rules.

Paper: *ActCooLR – High-Level Learning Rate Schedules using Activation Pattern Temperature*, supplementary
material (the main paper is not available). Temperature: ``measure.apt``; the model fit and schedulers:
``optim.actcoolr``; models: ``models.cifar_resnets`` and ``models.convnets.KerasCNN`` (the "4-layer ConvNet").

Every claim is decided by a ``rule_*`` function at the end (numbers in, :class:`lib.verdicts.Decision` out),
each with the margin, band or tolerance it uses named beside it, and the preconditions the notebook computes
from the runs passed through :func:`lib.verdicts.require`.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import torch

from lib import data, experiment, loader, train, verdicts
from lib.measure import apt
from lib.optim import actcoolr

NOTEBOOK = "03_actcoolr"
ITEMS = ("fig1", "fig2", "fig3", "table1", "fig4", "fig5", "table2", "sectionD")
# per profile the settings it runs with
PROFILES = {
    # resnet: the ResNet of Figures 1, 2, 5 and Section D (paper: ResNet-32); t2_models: Table 2's networks;
    # range: per data set the model, constant rate, epochs and the epochs whose state is analysed
    "paper": dict(n_train=dict(cifar10=None, fashion_mnist=None), n_test=None, batch=dict(cifar10=256, fashion_mnist=64),
                  seeds=[0, 1, 2], resnet_depth=32, epochs=50, analysis_batch=512, t2_epochs=[25, 50],
                  t2_models={"ResNet-18": ("resnet18_cifar", {}), "PyramidNet-110": ("pyramidnet", dict(depth=110))},
                  range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=200, points=[0, 10, 50, 200]),
                         "cifar10": dict(model="vgg16_cifar", lr=0.05, epochs=300, points=[0, 30, 150, 300])}),
    # small: ResNet-20 for ResNet-32 (and for Table 2's ResNet-18), PyramidNet-20 (alpha 48) for PyramidNet-110,
    # 4,000 CIFAR-10 / 6,000 Fashion-MNIST images, 6 epochs; Table 2 at its 25-epoch hyperparameters
    "small": dict(n_train=dict(cifar10=4000, fashion_mnist=6000), n_test=2000, batch=dict(cifar10=128, fashion_mnist=64),
                  seeds=[0], resnet_depth=20, epochs=6, analysis_batch=256, t2_epochs=[6],
                  t2_models={"ResNet-18": ("resnet_cifar", dict(depth=20)), "PyramidNet-110": ("pyramidnet", dict(depth=20))},
                  range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=6, points=[0, 2, 6]),
                         "cifar10": dict(model="vgg16_cifar", lr=0.05, epochs=3, points=[0, 1, 3])}),
    "smoke": dict(n_train=dict(cifar10=200, fashion_mnist=200), n_test=100, batch=dict(cifar10=50, fashion_mnist=50),
                  seeds=[0], resnet_depth=8, epochs=2, analysis_batch=32, t2_epochs=[2],
                  t2_models={"ResNet-18": ("resnet_cifar", dict(depth=8)), "PyramidNet-110": ("pyramidnet", dict(depth=8))},
                  range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=1, points=[0, 1]),
                         "cifar10": dict(model="resnet_cifar", lr=0.05, epochs=1, points=[0, 1])}),
}
# what executing the whole chapter costs: smoke and small measured on 2 CPU cores; paper estimated for one A100
# in bf16 from the runs, epochs and images (no GPU was available to measure it)
COST = {"smoke": "~1 min",
        "small": "~30 min (21 runs, 6 range analyses)",
        "paper": "9-15 days (3 seeds of ResNet-32, VGG-16 for 300 epochs, ResNet-18, PyramidNet-110)"}

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
    settings = P.settings
    return experiment.run_config(
        P, kind=f"{model}-{data_name}", data=data_name, n_train=settings["n_train"][data_name], n_test=settings["n_test"],
        augment={"flip": True}, model=model, model_kwargs=model_kwargs,
        optimizer=dict(name="sgd", lr=lr, momentum=momentum, weight_decay=weight_decay), schedule=schedule,
        epochs=epochs, batch=batch or settings["batch"][data_name], seed=seed,
        **({"apt": {"every": apt_every}} if apt_every else {}), **({"keep_weights": True} if keep_weights else {}))


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


def analysis_batch(P, data_name: str, n: int, device: str):
    """A fixed batch of ``n`` training images (normalised, no augmentation) for the range analyses."""
    ds = data.load(data_name).subset(P.settings["n_train"][data_name], P.settings["n_test"], seed=0)
    xb, yb = next(iter(loader.Loader.for_split(ds, "train", batch_size=n, shuffle=False, device=device)))
    return xb, yb


def range_analysis(model, xb, yb, lrs=actcoolr.LRS) -> list[dict[str, float]]:
    """Section C's range analysis: from the model's state, one plain SGD step (no momentum: the kept weights
    carry no optimizer state) of the cross-entropy on the batch ``xb`` (B, ...), ``yb`` (B,) at each rate of
    ``lrs``; per rate, the per-layer temperatures {ReLU layer: T} (the model is left as it was)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    step = functools.partial(train.standard_step, loss_fn=torch.nn.functional.cross_entropy)
    return apt.range_analysis(model, opt, xb, yb, step, lrs)


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


def fit_curve(fit: dict, lrs=actcoolr.LRS) -> list[dict[str, float]]:
    """Figure 3's points for one :func:`fit_rows` result: per rate λ, the measured temperature T, its change
    probability 1 − 2^(−T) and the fitted erf model's P(λ) = ½[1 + erf((ln λ − μ)/(σ√2))] (NaN if not identifiable)."""
    return [{"lr": lr, "T": t, "P measured": float(apt.temp2prob(t)),
             "P fitted": float(actcoolr.erf_model(lr, fit["sigma"], fit["mu"]))}
            for lr, t in zip(lrs, fit["temperatures"])]


def init_sigma(P, model: str, model_kwargs: dict, seed: int, xb, yb) -> float:
    """ActCooLR's σ (Section B): the erf model fitted to a range analysis of ``model``'s initialisation for
    ``seed`` (CIFAR-10), on the fixed batch ``xb`` (B, 3, 32, 32), ``yb`` (B,)."""
    cfg = config(P, data_name="cifar10", model=model, model_kwargs=model_kwargs, schedule=None, lr=0.1, seed=seed,
                 epochs=1)
    initial = experiment.build(cfg, P.device).model.to(P.device)
    return fit_rows(range_analysis(initial, xb, yb))["sigma"]


def sigma_path(fits: pd.DataFrame, name: str, seed: int) -> str:
    """σ of data set ``name`` and ``seed`` over the analysed epochs, in the frame's order, as "1.35→1.30"
    ("undetermined" where σ is not identifiable, NaN)."""
    sigmas = fits[(fits["data"] == name) & (fits["seed"] == seed)]["sigma"]
    return "→".join("undetermined" if np.isnan(v) else f"{v:.2f}" for v in sigmas)


# --- the numbers the rules read from the runs ------------------------------------------------------------

CHANCE = 10.0                                       # % test accuracy of a guess: CIFAR-10 and Fashion-MNIST, 10 classes
N_FULL = {"cifar10": 50000, "fashion_mnist": 60000}  # training images of the full sets (the paper profile's n_train=None)


def t_curve(histories) -> tuple[np.ndarray, np.ndarray]:
    """(epoch, mean temperature) pairs of every epoch of every seed's run, pooled."""
    f = pd.concat([h.frame()[["epoch", "T_mean"]] for h in histories])
    return f["epoch"].to_numpy(float), f["T_mean"].to_numpy(float)


def stage(layer: str, depth: int) -> int:
    """The stage (16 / 32 / 64 filters) of a ``resnet_cifar`` ReLU: the stem's is stage 0, ``blocks.i.*`` is i // n."""
    if not layer.startswith("blocks."):
        return 0
    return int(layer.split(".")[1]) // ((depth - 2) // 6)


def layer_profile(histories, depth: int) -> pd.DataFrame:
    """Per seed and ReLU layer (input → output): its stage and its temperature averaged over training."""
    rows = []
    for seed, h in enumerate(histories):
        f = h.frame()
        cols = [c for c in f.columns if c.startswith("T:")]
        rows += [{"seed": seed, "layer": i, "stage": stage(c[2:], depth), "T": float(f[c].mean())}
                 for i, c in enumerate(cols)]
    return pd.DataFrame(rows)


def mean_t(histories) -> list[float]:
    """Per seed: the mean temperature over layers, averaged over the epochs of training."""
    return [float(h.frame()["T_mean"].mean()) if h.epochs else math.nan for h in histories]


def final(histories, key: str) -> list[float]:
    """The last epoch's ``key`` of each seed's run (NaN for a run with no epochs)."""
    return [h.last(key) for h in histories]


def generalisation_gap(histories) -> list[float]:
    """Per seed: last epoch's training accuracy (on the augmented batches) − test accuracy, in points."""
    return [tr - te for tr, te in zip(final(histories, "train_acc"), final(histories, "test_acc"))]


def trained(runs: dict, seeds) -> verdicts.Precondition:
    """Every run trained (above :data:`CHANCE`), each named "<run> seed <s>"; ``runs``: {run: per-seed
    histories, in the order of ``seeds``}."""
    return verdicts.all_trained({f"{n} seed {s}": h for n, hs in runs.items() for s, h in zip(seeds, hs)}, chance=CHANCE)


def trained_from(per_lr: dict, lrs, seeds) -> verdicts.Precondition:
    """Figure 5's precondition: every run from the initial rates ``lrs`` trained (above :data:`CHANCE`);
    ``per_lr``: {initial rate: per-seed histories, in the order of ``seeds``}."""
    return verdicts.all_trained({f"from {lr:g}, seed {s}": h for lr in lrs for s, h in zip(seeds, per_lr[lr])},
                                chance=CHANCE)


def late_log_lr(h) -> float:
    """log₁₀ of the learning rate averaged over the last half of the epochs (the profile once settled)."""
    f = h.frame()
    return float(np.log10(f["lr"].iloc[len(f) // 2:]).mean()) if len(f) else math.nan


def steps_before_late(h) -> int:
    """Optimizer steps before the last half of the epochs (the window :func:`late_log_lr` averages)."""
    k = len(h.epochs) // 2
    return h.epochs[k - 1]["steps"] if k else 0


def section_d_frame(h, t0: float = 3.03, gamma: float = 1.0) -> pd.DataFrame:
    """Per epoch: P̂, the mean over layers of each layer's change probability 1 − 2^(−T), beside the target
    C(x) = 1 − 2^(−T₀(1 − x)^γ) at the epoch's middle x."""
    fd = h.frame()
    x = (fd["epoch"] + 0.5) / len(fd)
    fd["P measured"] = apt.temp2prob(fd[[c for c in fd.columns if c.startswith("T:")]]).mean(axis=1)
    fd["P target"] = apt.temp2prob([actcoolr.target_temperature(v, t0, gamma) for v in x])
    return fd


def sigma_ends(fits: pd.DataFrame, name: str) -> tuple[list[float], list[float]]:
    """Per seed, σ at the first and at the last identifiable analysed epoch of data set ``name``."""
    g = fits[(fits["data"] == name) & fits["identifiable"]]
    if g.empty:
        return [], []
    at = lambda e: g[g["epoch"] == e]["sigma"].tolist()
    return at(g["epoch"].min()), at(g["epoch"].max())


def late_target_gap(fd: pd.DataFrame) -> float:
    """Largest |P̂ − C| over the epochs of the last half of training (``P measured``, ``P target`` columns)."""
    late = fd[fd["epoch"] >= len(fd) // 2]
    return float((late["P measured"] - late["P target"]).abs().max()) if len(late) else math.nan


def steps_per_epoch(settings: dict, name: str) -> int:
    """Optimizer steps in one epoch on data set ``name`` under these profile settings (the last batch partial)."""
    n = settings["n_train"][name] or N_FULL[name]
    return -(-n // settings["batch"][name])


def analysis_steps(settings: dict, name: str) -> int:
    """Optimizer steps to the last analysed state of a range-analysis run under these profile settings."""
    return settings["range"][name]["points"][-1] * steps_per_epoch(settings, name)


# --- preconditions computed from the runs -----------------------------------------------------------------

MIN_HORIZON = 0.5    # σ's course is the paper's over its analysed horizon: ours must cover at least half its steps
MIN_MEASUREMENTS = 10   # the listing's update closes 19% of the gap to the target rate per measurement (1/every at
#                         it, (every−1)/every² after): a 10× gap from above is within 2× only after ~10 of them


def covers_horizon(name: str, ours_steps: int, paper_steps: int) -> verdicts.Precondition:
    """The range analyses reach far enough into training for σ's course (Section C: 3 → 0.3 over 200 epochs)."""
    share = ours_steps / paper_steps
    return verdicts.check(f"{name} analyses cover the paper's horizon", share >= MIN_HORIZON,
                   f"{ours_steps:,} of the paper's {paper_steps:,} steps = {share:.1%} (needs ≥ {MIN_HORIZON:.0%})")


def scheduler_settled(steps_before: int, every: int) -> verdicts.Precondition:
    """ActCooLR measured often enough before the compared window to have closed an initial rate's gap."""
    k = -(-steps_before // every)
    return verdicts.check("the scheduler had time to close the gap", k >= MIN_MEASUREMENTS,
                   f"{k} measurements before the last half (every {every} steps; needs ≥ {MIN_MEASUREMENTS})")


def tuned_here(what: str, ours_epochs: int, paper_epochs: int, n_train: int | None) -> verdicts.Precondition:
    """The paper's hyperparameters (a 24-hour random search at its scale, Section G) are tuned only at that
    scale; at another we ran no search of our own, so the precondition fails and says so."""
    same, images = ours_epochs == paper_epochs and n_train is None, "all" if n_train is None else f"{n_train:,}"
    return verdicts.check(f"{what} tuned at this scale", same, "the paper's values, searched at its scale" if same else
                   f"the paper's {paper_epochs}-epoch values used for {ours_epochs} epochs on {images} images; "
                   "no search was run here")


# --- the rules --------------------------------------------------------------------------------------------

FIT_TOL = 0.1            # RMS error of the fitted change probability: a tenth of [0, 1] (the paper states no number)
SIGMA_BAND = (0.5, 2.0)  # "σ roughly constant": the last analysed σ within a factor 2 of the first (Section C, D)
SIGMA_FALL = 0.5         # "σ changes more significantly" (Fashion-MNIST, about 3 → 0.3): at least halves
FIG5_REFERENCE = 0.1     # Figure 5 compares against the main paper's initial rate, 0.1
FIG5_ACC_MARGIN = 1.0    # "very similar validation errors": within ±1 point (a 2-point span around 0.1)
FIG5_LR_MARGIN = math.log10(2)   # "very similar rate profiles": late rates within a factor 2 (log₁₀ units)
T2_MARGIN = 1.5          # "in a similar range as 1-cycle": ±1.5 points of error (the paper's widest gap is 1.13)
SECTION_D_TOL = 0.1      # |P̂ − C|: about the change a 1.5× rate error makes on the erf curve's steep part (σ ≈ 1.5)


def rule_cools(curves: dict, pre=()) -> verdicts.Decision:
    """Figures 1–2 / Section A "temperature cools down": in every run the mean temperature falls over the epochs
    (Spearman ρ(epoch, T_mean) < 0, permutation p < 0.05; ``curves``: {run: (epochs, T) pooled over seeds})."""
    cases = [verdicts.trend(x, y, sign=-1) for x, y in curves.values()]
    return verdicts.require(verdicts.combine(cases, names=list(curves)), pre)


def rule_deeper_hotter(profiles: dict, pre=()) -> verdicts.Decision:
    """Section A "deeper layers generally have a higher temperature", decided *within* each stage of equal
    filters (more filters raise the base temperature, so across stages depth is confounded with width):
    Spearman ρ(layer, T) > 0 in every stage of every run. ``profiles``: {run: :func:`layer_profile` frame}."""
    cases, names = [], []
    for run, f in profiles.items():
        for s, g in f.groupby("stage"):
            cases.append(verdicts.trend(g["layer"], g["T"], sign=+1))
            names.append(f"{run}, stage {s}")
    return verdicts.require(verdicts.combine(cases, names=names), pre)


def rule_no_shortcut(t_ns, t_rn, gap_ns, gap_rn, pre=()) -> verdicts.Decision:
    """Section A: without shortcuts the net is hotter (mean T over training above the ResNet's, Welch) yet
    generalises worse (its train − test accuracy gap above the ResNet's, Welch); per-seed values."""
    return verdicts.require(verdicts.combine([verdicts.difference(t_ns, t_rn, names=("T no shortcut", "T ResNet")),
                                              verdicts.difference(gap_ns, gap_rn, names=("gap no shortcut", "gap ResNet"))],
                                             names=["hotter", "generalises worse"]), pre)


def rule_erf_fits(rmse: dict, pre=()) -> verdicts.Decision:
    """Figure 3 / Section C "the model fits": the RMS error of the erf fit (Eq. 5 of the main paper) to the
    measured change probabilities ≤ :data:`FIT_TOL` at every analysed point (``rmse``: {point: value})."""
    cases = [verdicts.exact(r, 0.0, atol=FIT_TOL, why="a tenth of the probability scale") if math.isfinite(r)
             else verdicts.Decision(None, reason="curve_fit found no fit") for r in rmse.values()]
    return verdicts.require(verdicts.combine(cases, names=list(rmse)), pre)


def rule_sigma_constant(cases: dict, pre=()) -> verdicts.Decision:
    """Section C / D "σ remains approximately constant": in every case, the bootstrap interval of mean
    σ(last analysed state) / mean σ(first) over seeds inside :data:`SIGMA_BAND` (``cases``: {name: (first,
    last)} per-seed σ)."""
    return verdicts.require(verdicts.combine([verdicts.ratio(last, first, band=SIGMA_BAND) for first, last in cases.values()],
                                             names=list(cases)), pre)


def rule_sigma_falls(first, last, pre=()) -> verdicts.Decision:
    """Section C, the 4-layer ConvNet on Fashion-MNIST: "σ changes more significantly (starting at about 3,
    decreasing to about 0.3)": σ(last) / σ(first) ≤ :data:`SIGMA_FALL` (the paper's own ratio is 0.1)."""
    return verdicts.require(verdicts.ratio(last, first, band=(0.0, SIGMA_FALL)), pre)


def rule_fig5_similar(acc: dict, log_lr: dict, pre=()) -> verdicts.Decision:
    """Section B / Figure 5: every initial rate but 1.0 gives the reference's (:data:`FIG5_REFERENCE`) final
    accuracy within ±:data:`FIG5_ACC_MARGIN` and its late log₁₀ rate within ±:data:`FIG5_LR_MARGIN` (TOST each,
    per-seed values; ``acc`` / ``log_lr``: {initial rate: values})."""
    ref, cases, names = FIG5_REFERENCE, [], []
    for lr in (r for r in acc if r not in (ref, 1.0)):
        cases += [verdicts.equivalent(acc[lr], acc[ref], margin=FIG5_ACC_MARGIN, names=(f"acc {lr:g}", f"acc {ref:g}")),
                  verdicts.equivalent(log_lr[lr], log_lr[ref], margin=FIG5_LR_MARGIN,
                                      names=(f"log lr {lr:g}", f"log lr {ref:g}"))]
        names += [f"{lr:g} accuracy", f"{lr:g} rate"]
    return verdicts.require(verdicts.combine(cases, names=names), pre)


def rule_fig5_high_rate(acc_high, acc_ref, pre=()) -> verdicts.Decision:
    """Section B: from the initial rate 1.0 ActCooLR ends "with a better overall network performance" than from
    the reference 0.1: final accuracy difference > 0 (Welch, per seed)."""
    return verdicts.require(verdicts.difference(acc_high, acc_ref, names=("acc 1.0", f"acc {FIG5_REFERENCE:g}")), pre)


def rule_table2(errors: dict, pre=()) -> verdicts.Decision:
    """Table 2 / Section G "ActCooLR's accuracy is in a similar range as 1-cycle": for every network, the
    ActCooLR − 1-cycle top-1 error within ±:data:`T2_MARGIN` points (TOST; ``errors``: {network: (ActCooLR,
    1-cycle) per-seed errors})."""
    return verdicts.require(verdicts.combine([verdicts.equivalent(ac, oc, margin=T2_MARGIN, names=("ActCooLR", "1-cycle"))
                                              for ac, oc in errors.values()], names=list(errors)), pre)


def rule_section_d(gaps, pre=()) -> verdicts.Decision:
    """Section D "a quick convergence to the target probability": over the last half of training the largest
    |P̂ − C| stays below :data:`SECTION_D_TOL` (one-sample t over seeds of the tolerance minus that gap > 0)."""
    slack = [SECTION_D_TOL - g for g in np.atleast_1d(gaps)]
    return verdicts.require(verdicts.above(slack, 0.0, name=f"{SECTION_D_TOL:g} − largest late |P̂ − C|"), pre)
