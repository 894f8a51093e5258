"""Chapter 01 (K-FAC on MLP-Mixer): the paper's numbers, the runs behind each item, tables and rules.

Paper: Hosseini, Zhou, Chen — *Analyzing the Effectiveness of K-FAC on Training MLP-Mixers for Image
Classification*. Optimizers and hyperparameters from its Section 4.3; K-FAC's other settings and the
schedule from the authors' code defaults (the paper does not state a schedule).

Each claim is decided by a ``rule_*`` function (numbers in, :class:`lib.verdicts.Decision` out) after its
preconditions: every compared run trained (:func:`trained`), the learning rates tuned at the scale the runs
are made at (:func:`rates_tuned`), and for epochs to target every run reached it (:func:`targets_reached`).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pandas as pd
from torch.nn import functional

from lib import experiment, report, train, verdicts
from lib.models.mixer import CONFIGS
from lib.optim import kfac

# the small and smoke profiles' Mixer sizes (S at 1/8 width and half depth; tiny)
_SMALL_S = dict(dim=64, depth=4, token_hidden=32, channel_hidden=256)
_TINY = dict(dim=16, depth=1, token_hidden=8, channel_hidden=32)

NOTEBOOK = "01_kfac_mlp_mixer"
ITEMS = ("table2", "fig2", "fig3", "table3", "fig4", "table4", "quirks", "prefix")
# per profile the settings it runs with. models: the paper's names -> Mixer sizes (Table 2's rows); c100_models and
# graft_models: Table 3's and Table 4's; upsample: the "224" input pipeline; crop_pad: the authors' 32×32
# RandomCrop(32, padding=4); kfac: update intervals; sweep: the learning-rate sweep at this scale (None: the paper's
# rates, chosen by the paper's sweep at the paper's scale); long: Table 2's runs of these models train longer, with
# their own milestones and their own sweep (None: every run trains `epochs`, ×0.1 at 50% and 75%)
PROFILES = {
    "paper": dict(models={m: CONFIGS[m] for m in ("S/4", "B/4", "S/16", "B/16")}, c100_models=("B/4", "B/16"),
                  graft_models=("S/16", "B/16"), upsample=dict(resize=256, center_crop=224), crop_pad=4, n_train=None,
                  n_test=None, epochs=100, batch=64, seeds=[0, 1, 2], c100_n_train=None, c100_epochs=100,
                  kfac=dict(stats_every=10, inv_every=100), sweep=None, long=None),
    # One width (S at 1/8 width, half depth), native and upsampled, 630 steps; Table 2's upsampled S/16 (the
    # claims 2 and the G-scaling quirk are about) trains 26 epochs, 20 at the full rate, so that it can reach a
    # plateau before the rate is cut (the 10-epoch runs climb several points per epoch when it is). Upsampling
    # 32 -> 128 -> centre 112 with patch 16 keeps the paper's 768-dim patches (each from 4×4 original pixels, 48
    # values: 16× redundant; the paper's 32 -> 256 -> 224 gives 2×2, 64×); 49 tokens, so the two inputs cost about
    # the same.
    "small": dict(models={"S/4": dict(image_size=32, patch=4, **_SMALL_S), "S/16": dict(image_size=112, patch=16, **_SMALL_S)},
                  c100_models=("S/16",), graft_models=("S/16",), upsample=dict(resize=128, center_crop=112), crop_pad=4,
                  n_train=4000, n_test=2000, epochs=10, batch=64, seeds=[0, 1, 2], c100_n_train=4000, c100_epochs=10,
                  kfac=dict(stats_every=2, inv_every=20),
                  sweep=dict(seed=100, rates={"SGD": [3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0],
                                              "Adam": [3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
                                              "K-FAC": [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]}),
                  long=dict(models=("S/16",), epochs=26, milestones=[20, 24],
                            rates={"SGD": [1e-2, 3e-2, 1e-1, 3e-1], "Adam": [3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
                                   "K-FAC": [3e-4, 1e-3, 3e-3, 1e-2]})),
    "smoke": dict(models={"S/4": dict(image_size=32, patch=8, **_TINY), "S/16": dict(image_size=56, patch=8, **_TINY)},
                  c100_models=("S/16",), graft_models=("S/16",), upsample=dict(resize=64, center_crop=56), crop_pad=4,
                  n_train=100, n_test=100, epochs=2, batch=50, seeds=[0], c100_n_train=200, c100_epochs=1,
                  kfac=dict(stats_every=1, inv_every=2),
                  sweep=dict(seed=100, rates={"SGD": [1e-2, 3e-2], "Adam": [1e-3], "K-FAC": [1e-3]}),
                  long=dict(models=("S/16",), epochs=3, milestones=[2],
                            rates={"SGD": [1e-2], "Adam": [1e-3], "K-FAC": [1e-3]})),
}
# what executing the whole chapter costs: smoke and small measured on 2 CPU cores; paper estimated for one A100
# in bf16 from the runs, epochs and images (no GPU was available to measure it)
COST = {"smoke": "~20 s",
        "small": "~3.5 h of training with JOBS=2 from an empty store (100 runs, 454 run-min recorded: the 25 long S/16 "
                 "runs 251 of them on a shared CPU, ~200 at an idle one's pace; the 75 10-epoch runs 209)",
        "paper": "3-6 weeks on one A100 (3 seeds x 15 runs x 100 epochs at 224 for Table 2, + Tables 3-4); "
                 "about a week with JOBS=8 on 8 GPUs"}

OPTIMIZERS = ("SGD", "Adam", "K-FAC")
AUTHORS = "K-FAC (authors')"     # their G scaling ×rows (Section "quirks"), beside the expand-G K-FAC
PAPER_RATES = {"SGD": 1e-2, "Adam": 1e-3, "K-FAC": 1e-3}     # Section 4.3, chosen from {1e-2, 1e-3}
# K-FAC's settings and where each comes from (the paper's text gives only the rate, momentum and weight decay)
KFAC_SOURCES = {"lr, momentum 0.9, weight decay 1e-4": "the paper, Section 4.3",
                "damping 1e-3, stat decay 0.95, KL clip 1e-2": "the authors' code defaults (main.py)",
                "statistics every 10, inverses every 100 steps": "the authors' code defaults (TCov, TInv)",
                "factors start at I; weight decay from step 20·TCov on; true Fisher (sampled labels)":
                    "the K-FAC code the authors forked (alecwangcq/KFAC-Pytorch)",
                "schedule ×0.1 at 50% and 75% of the epochs": "the authors' code default (MultiStepLR)",
                "G ×rows (K-FAC (authors'))": "the authors' code; the expand G of Eschenhagen et al. is ours"}
# Table 2 (CIFAR-10) and Table 3 (CIFAR-100): model -> optimizer -> (best test acc %, epochs to target)
PAPER_T2 = {"S/4": {"SGD": (83.22, 38), "Adam": (80.88, 43), "K-FAC": (82.42, 35)},
            "B/4": {"SGD": (82.73, 40), "Adam": (80.90, 42), "K-FAC": (82.81, 40)},
            "S/16": {"SGD": (74.64, 11), "Adam": (71.99, 15), "K-FAC": (80.44, 3)},
            "B/16": {"SGD": (72.68, 6), "Adam": (67.09, 10), "K-FAC": (79.02, 2)},
            "B/16-PT": {"SGD": (96.73, 0), "Adam": (72.24, None), "K-FAC": (91.00, 40)}}
PAPER_TARGETS_T2 = {"S/4": 80, "B/4": 80, "S/16": 70, "B/16": 65, "B/16-PT": 90}
PAPER_T3 = {"B/4": {"SGD": (53.67, 10), "Adam": (48.04, 11), "K-FAC": (60.59, 3)},
            "B/16": {"SGD": (47.65, 6), "Adam": (42.71, 7), "K-FAC": (54.96, 3)},
            "B/16-PT": {"SGD": (83.49, 0), "Adam": (45.37, None), "K-FAC": (70.81, 41)}}
PAPER_TARGETS_T3 = {"B/4": 45, "B/16": 40, "B/16-PT": 70}
# Table 4 (CIFAR-10 grafting): model -> (magnitude M, direction D) -> best test acc %
PAPER_T4 = {"S/16": {("SGD", "SGD"): 74.64, ("SGD", "K-FAC"): 75.47, ("K-FAC", "SGD"): 80.45, ("K-FAC", "K-FAC"): 80.44},
            "B/16": {("SGD", "SGD"): 72.68, ("SGD", "K-FAC"): 75.44, ("K-FAC", "SGD"): 78.86, ("K-FAC", "K-FAC"): 79.02},
            "B/16-PT": {("SGD", "SGD"): 96.73, ("SGD", "K-FAC"): 95.92, ("K-FAC", "SGD"): 90.75,
                        ("K-FAC", "K-FAC"): 91.00}}
PAPER_UPSAMPLE = dict(resize=256, center_crop=224)   # Section 4.1: bilinear resize to 256, centre crop 224
TARGET_SHARE = 0.9   # scaled profiles: target = 90% of the mean over optimizers of the best accuracy
CHANCE = {"cifar10": 10.0, "cifar100": 1.0}   # test accuracy % of a constant guess
# Claim 1's margin for "similar" (points of best test accuracy): the paper calls the 32×32 rows similar with
# pairwise gaps up to 2.34 (S/4, SGD − Adam) and the upsampled rows discrepant from 2.65 (S/16, SGD − Adam) on.
SIMILAR_MARGIN = 2.5
# Quirk 2: cos(Δ_M, Δ_D) of a cell that is K-FAC in both roles is 1 up to float32 rounding: each Δ is measured as a
# difference of float32 weights, exact to ~1e-7 of the weights, so its error grows as the step shrinks relative to
# the weights (smoke, after the identity warm-up: 1 − 2e-8; from the first step, where the identity-started K-FAC's
# steps are tiny: 1 − 3e-4). 1e-3 covers that and stays far below the guarded cell (smoke: 0.73).
ALIGN_TOL = 1e-3
# "At a plateau": the paper's accuracy claims are about the best accuracy of 100-epoch runs, after the runs stopped
# improving. A run still climbing at its full rate when the rate is cut ends where the budget cut it, and an
# accuracy gap between two such runs measures which optimizer is faster, not where each ends (a gap in either
# direction). The mean test accuracy of the last PLATEAU_K full-rate epochs may exceed that of the PLATEAU_K before
# them by at most PLATEAU_RISE points, in the seed mean of every compared optimizer. Block means, not two single
# epochs: single epochs swing by 1–6 points at this scale, so even a flat curve failed a two-epoch test a quarter of
# the time at 3 seeds; with blocks of 4 a flat curve passes about 90% (SGD) to 98% (K-FAC) of the time.
PLATEAU_RISE = 1.0
PLATEAU_K = 4


def optimizer_spec(name: str, P, *, lr: float | None = None, **kfac_options) -> dict:
    """Section 4.3: momentum 0.9, weight decay 1e-4; ``lr`` (default: the paper's, :data:`PAPER_RATES`). K-FAC: the
    authors' code defaults (damping 1e-3, stat decay 0.95, KL clip 1e-2), the reference code's identity start and
    weight decay from 20 statistics steps on, and the profile's update intervals; :data:`AUTHORS` adds their G ×rows."""
    common = dict(momentum=0.9, weight_decay=1e-4)
    base = "K-FAC" if name == AUTHORS else name
    if base not in PAPER_RATES:
        raise ValueError(f"unknown optimizer {name!r}; valid: {OPTIMIZERS + (AUTHORS,)}")
    rate = PAPER_RATES[base] if lr is None else lr
    if base == "SGD":
        return dict(name="sgd", lr=rate, **common)
    if base == "Adam":
        return dict(name="adam", lr=rate, **common)
    intervals = P.settings["kfac"]
    quirk = dict(g_rows_quirk=True) if name == AUTHORS else {}
    return dict(name="kfac", lr=rate, damping=1e-3, stat_decay=0.95, kl_clip=1e-2, init="identity",
                wd_from_step=20 * intervals["stats_every"], **intervals, **common, **quirk, **kfac_options)


def graft_spec(magnitude: str, direction: str, P, rates: dict, *, restore_grad: bool = True, **kfac_options) -> dict:
    """(M, D) with each child at its ``rates`` ({optimizer: lr}); (A, A) is plain A (same config, so the run store
    shares it with Table 2's run)."""
    if magnitude == direction:
        return optimizer_spec(magnitude, P, lr=rates[magnitude], **kfac_options)
    return dict(name="graft", magnitude=optimizer_spec(magnitude, P, lr=rates[magnitude], **kfac_options),
                direction=optimizer_spec(direction, P, lr=rates[direction], **kfac_options), restore_grad=restore_grad)


def long_models(P) -> tuple:
    """The models whose Table 2 runs train longer than the profile's ``epochs`` (its ``long`` setting); () if none."""
    return tuple((P.settings.get("long") or {}).get("models", ()))


def schedule(P, *, data: str = "cifar10", long: bool = False) -> tuple[int, str | dict]:
    """(epochs, schedule spec) of a run: the profile's ``long`` runs (Table 2's runs of :func:`long_models`) with
    their milestones; every other run the authors' default, ×0.1 at 50% and 75% of its epochs."""
    if long:
        L = P.settings.get("long")
        if not L:
            raise ValueError(f"the {P.profile} profile has no long runs (its 'long' setting is None)")
        return L["epochs"], {"name": "multistep", "milestones": list(L["milestones"])}
    return P.settings["c100_epochs" if data == "cifar100" else "epochs"], "multistep"


def config(P, *, data: str, model: str, optimizer: dict, seed: int, checkpoint: str | None = None,
           long: bool = False) -> dict:
    """A run's full config (``long``: one of Table 2's longer runs, :func:`schedule`). ``B/16-PT`` is the paper's
    own B/16 at 224×224 started from ``checkpoint``, whatever the profile (a checkpoint fits only the full-size
    model)."""
    if long and model not in long_models(P):
        raise ValueError(f"{model} has no long runs in the {P.profile} profile (long models: {long_models(P)})")
    cifar100 = data == "cifar100"
    epochs, sched = schedule(P, data=data, long=long)
    if model == "B/16-PT":
        kw, upsample = CONFIGS["B/16"], PAPER_UPSAMPLE
    else:
        kw, upsample = P.settings["models"][model], P.settings["upsample"]
    return experiment.run_config(
        P, kind=f"mixer-{data}", data=data, model="mixer", model_kwargs=kw,
        n_train=P.settings["c100_n_train" if cifar100 else "n_train"], n_test=P.settings["n_test"],
        augment={"flip": True, **(upsample if kw["image_size"] > 32 else {"crop_pad": P.settings["crop_pad"]})},
        optimizer=optimizer,
        schedule=sched, batch=P.settings["batch"], epochs=epochs, seed=seed,
        **({"checkpoint": str(checkpoint)} if model == "B/16-PT" else {}))


def run_grid(P, *, data: str, optimizers: dict, seeds, checkpoint: str | None = None, long: bool = False) -> dict:
    """(model, optimizer label, seed) -> History for ``optimizers`` = {model: {label: spec}}, each run reused from
    the store when already done (the unfinished ones trained by parallel workers with ``JOBS`` > 1:
    ``experiment.run_many``); ``long``: Table 2's longer runs (:func:`schedule`)."""
    cfgs = {(model, label, seed): config(P, data=data, model=model, optimizer=spec, seed=seed, checkpoint=checkpoint,
                                         long=long)
            for model, specs in optimizers.items() for label, spec in specs.items() for seed in seeds}
    return experiment.run_many(cfgs, device=P.device, label=data + (" (long)" if long else ""))


def specs(P, rates: dict, models, labels) -> dict:
    """{model: {label: optimizer spec at ``rates[model][label]``}}: the input of :func:`run_grid`."""
    return {m: {o: optimizer_spec(o, P, lr=rates[m][o]) for o in labels} for m in models}


# --- the paper's own runs, their first epochs (item prefix, a GPU at the paper profile) ---------------------

# Table 2's upsampled epochs to target are at most 15 (S/16 Adam): the first 20 epochs of the paper's runs decide them
# with 5 epochs of headroom, all before the first decay (epoch 50, or 40 with the README's milestones)
PREFIX_EPOCHS = 20


def prefix_params(P):
    """The paper profile's parameters with every run capped at its first :data:`PREFIX_EPOCHS` epochs. Under the
    authors' MultiStepLR (×0.1 at 50% and 75% of 100 epochs; their README's examples use 40, 80) those epochs are
    at the constant initial rate either way, so a capped run is the beginning of the paper's run, not a scaled one:
    the epochs-to-target claims are decided without any scaling, on one GPU in a fifth of the paper profile's
    Table 2 (18 runs × 20 epochs instead of 100)."""
    if P.profile != "paper":
        raise ValueError(f"the prefix item runs the paper's own runs: profile 'paper', not {P.profile!r}")
    steps_per_epoch = -(-50_000 // P.settings["batch"])                       # 782 steps of 64 on 50,000 images
    return replace(P, max_steps=PREFIX_EPOCHS * steps_per_epoch)


def prefix_tuned(P) -> verdicts.Precondition:
    """The prefix runs' rates are the paper's, chosen by its sweep for these very runs: met at the paper profile's
    settings (the cap is the prefix's own)."""
    return verdicts.check("learning rates tuned at this scale", P.settings == P.paper,
                          f"the paper's rates for its own runs, first {PREFIX_EPOCHS} epochs" if P.settings == P.paper
                          else "the prefix needs the paper profile's settings")


# --- the learning-rate sweep at this scale ------------------------------------------------------------------

def sweep_rates(P, *, long: bool = False) -> dict | None:
    """{optimizer: [rates]} of the profile's sweep (``long``: the long runs' own sweep); None without one."""
    if P.settings["sweep"] is None or (long and not P.settings.get("long")):
        return None
    return P.settings["long"]["rates"] if long else P.settings["sweep"]["rates"]


def sweep_grid(P, *, long: bool = False) -> dict:
    """(model, optimizer, lr) -> History: every Table 2 model × optimizer × rate of the profile's sweep, on CIFAR-10
    at the sweep's own seed (not one of the comparison seeds, so the choice does not flatter the runs it chooses
    for); ``long``: the long models (:func:`long_models`) over their own rates at their own length, since a rate
    tuned for 10 epochs need not suit 26; {} when the profile has no such sweep (the paper's rates)."""
    grid = sweep_rates(P, long=long)
    if grid is None:
        return {}
    models = long_models(P) if long else P.settings["models"]
    cfgs = {(m, o, lr): config(P, data="cifar10", model=m, optimizer=optimizer_spec(o, P, lr=lr),
                               seed=P.settings["sweep"]["seed"], long=long)
            for m in models for o, rates in grid.items() for lr in rates}
    return experiment.run_many(cfgs, device=P.device, label="sweep" + (" (long)" if long else ""))


def chosen_rates(P, sweep: dict, models) -> dict:
    """{model: {label: lr}}: per model and optimizer the sweep's rate with the best test accuracy; the paper's rates
    where there is no sweep (the paper profile, B/16-PT). :data:`AUTHORS` takes K-FAC's rate."""
    out = {}
    for m in models:
        rates = dict(PAPER_RATES)
        for o in OPTIMIZERS:
            tried = {lr: h.best() for (mm, oo, lr), h in sweep.items() if (mm, oo) == (m, o)}
            if tried:
                rates[o] = max(tried, key=tried.get)
        out[m] = {**rates, AUTHORS: rates["K-FAC"]}
    return out


def sweep_table(sweep: dict, chosen: dict) -> pd.DataFrame:
    """One row per sweep run: model, optimizer, lr, its epochs, best test accuracy and last training loss, chosen
    or not."""
    return pd.DataFrame([{"model": m, "optimizer": o, "lr": lr, "epochs": len(h.epochs), "best test acc": round(h.best(), 2),
                          "last train loss": round(h.last("train_loss"), 3), "diverged": h.diverged,
                          "chosen": chosen[m][o] == lr} for (m, o, lr), h in sweep.items()])


def best(runs: dict, model: str, label: str) -> list[float]:
    """Per seed, the best test accuracy of ``model`` trained with ``label`` (the paper's "best accuracy")."""
    return [h.best() for (m, o, _), h in runs.items() if (m, o) == (model, label)]


def targets(P, runs: dict, models, paper_targets: dict) -> dict:
    """The paper's targets at the paper profile; otherwise TARGET_SHARE × the mean over optimizers of
    the seed-mean best accuracy (the paper chose its targets "roughly based on the average performances")."""
    if P.profile == "paper":
        return {m: paper_targets[m] for m in models}
    labels = [o for o in OPTIMIZERS if any(oo == o for (_, oo, _) in runs)]     # the paper's three, not the authors'
    return {m: round(TARGET_SHARE * np.mean([np.mean(best(runs, m, o)) for o in labels]), 1) for m in models}


def results_table(P, runs: dict, models, paper: dict, target: dict) -> pd.DataFrame:
    """Paper vs this book: best test accuracy (mean ± std over seeds) and epochs to target (per seed). No seconds
    to target: the runs share the CPU (JOBS), so their clocks are not step costs; those are benchmarks/kfac.py's."""
    rows = []
    for m in models:
        for o in sorted({oo for (mm, oo, _) in runs if mm == m}, key=(OPTIMIZERS + (AUTHORS,)).index):
            hs = [h for (mm, oo, _), h in sorted(runs.items()) if (mm, oo) == (m, o)]
            ept = [train.epochs_to_target(h, target[m]) for h in hs]
            mine = paper.get(m, {}).get(o, (None, None))     # no paper row: the authors' K-FAC, a model of a scaled profile
            rows.append({"model": m, "optimizer": o, "paper acc": "–" if mine[0] is None else mine[0],
                         f"ours acc ({P.profile})": report.mean_std([h.best() for h in hs]),
                         "paper epochs→target": "–" if mine[1] is None else mine[1],
                         "ours epochs→target": ", ".join("–" if e is None else str(e) for e in ept),
                         "ours target": target[m], "seeds": len(hs), "epochs": max(len(h.epochs) for h in hs)})
    return pd.DataFrame(rows)


def sweep_figure(sweep: dict, chosen: dict, title: str):
    """Best test accuracy against the learning rate, one panel per model, a line per optimizer; the chosen rate
    ringed."""
    import matplotlib.pyplot as plt
    models = list(dict.fromkeys(m for m, _, _ in sweep))          # the profile's order
    fig, axes = plt.subplots(1, len(models), figsize=(4.5 * len(models), 3.4), squeeze=False, sharey=True)
    for ax, m in zip(axes[0], models):
        for o in OPTIMIZERS:
            pts = sorted((lr, h.best()) for (mm, oo, lr), h in sweep.items() if (mm, oo) == (m, o))
            if pts:
                line, = ax.plot(*zip(*pts), marker="o", label=o)
                ax.scatter([chosen[m][o]], [dict(pts)[chosen[m][o]]], s=160, facecolors="none", edgecolors=line.get_color())
        ax.set(xscale="log", xlabel="learning rate", title=m)
    axes[0][0].set_ylabel("best test accuracy (%)")
    axes[0][-1].legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def not_run_rows(model: str, paper: dict, reason: str) -> pd.DataFrame:
    return pd.DataFrame([{"model": model, "optimizer": o, "paper acc": paper[model][o][0],
                          "ours": f"not run: {reason}"} for o in OPTIMIZERS])


def accuracies(runs: dict, models, labels) -> dict:
    """{model: {label: per-seed best test accuracy}}: the input of the accuracy rules."""
    return {m: {o: best(runs, m, o) for o in labels} for m in models}


def epochs_to_target(runs: dict, model: str, label: str, target: float) -> list[int]:
    """Per seed, the first (0-based) epoch reaching ``target``; a run that never reaches it counts as its number
    of epochs (``train.epochs_to_target(censored=True)``, a lower bound: :func:`targets_reached` makes a claim on
    such a run inconclusive)."""
    hs = [h for (m, o, _), h in sorted(runs.items()) if (m, o) == (model, label)]
    return [train.epochs_to_target(h, target, censored=True) for h in hs]


def graft_table(runs: dict, model: str) -> pd.DataFrame:
    """Rows: magnitude optimizer M; columns: direction optimizer D (the paper's Table 4 layout); seed means."""
    return pd.DataFrame({d: [np.mean(best(runs, model, f"({m}, {d})")) for m in ("SGD", "K-FAC")]
                         for d in ("SGD", "K-FAC")}, index=pd.Index(["SGD", "K-FAC"], name="M \\ D"))


def column_minus_row_gap(cells: dict) -> float:
    """Table 4's statistic for one seed, from ``{(M, D): accuracy}``: the mean |difference| within columns (same
    D, other M) minus the mean |difference| within rows (same M, other D); > 0: the magnitude matters more."""
    v = np.array([[cells[m, d] for d in ("SGD", "K-FAC")] for m in ("SGD", "K-FAC")])
    return float(np.abs(v[0, :] - v[1, :]).mean() - np.abs(v[:, 0] - v[:, 1]).mean())


def graft_gaps(runs: dict, model: str) -> list[float]:
    """:func:`column_minus_row_gap` per seed that has all four (M, D) cells of ``model``."""
    cells = {(m, d): {s: h.best() for (mm, o, s), h in runs.items() if (mm, o) == (model, f"({m}, {d})")}
             for m in ("SGD", "K-FAC") for d in ("SGD", "K-FAC")}
    seeds = sorted(set.intersection(*(set(c) for c in cells.values())))
    return [column_minus_row_gap({k: c[s] for k, c in cells.items()}) for s in seeds]


def quirk_seeds(P) -> list[int]:
    """Seeds of the quirks' extra runs (the unguarded graft cell, shown beside the seed noise and decided by no
    claim): all at the paper profile, the first at the scaled ones."""
    return list(P.seeds) if P.profile == "paper" else list(P.seeds[:1])


# --- preconditions ----------------------------------------------------------------------------------------

def trained(runs: dict, models, labels, *, data: str) -> verdicts.Precondition:
    """Every run of ``models`` × ``labels`` trained (:func:`lib.verdicts.run_trained`: its training loss fell by
    ≥ 10% from the first epoch to the last, its last test accuracy ≥ chance + 5 points)."""
    picked = {f"{m} {o} seed {s}": h for (m, o, s), h in sorted(runs.items()) if m in models and o in labels}
    return verdicts.all_trained(picked, chance=CHANCE[data])


def rates_tuned(P, sweep: dict, chosen: dict, *, long: bool = False) -> verdicts.Precondition:
    """The rates ``chosen`` ({model: {optimizer: lr}}, the models a claim compares on) were tuned at the scale the
    runs are made at. With a sweep (:func:`sweep_grid`, ``long`` for the long runs' own): every model was swept and
    every chosen rate lies inside its grid (at an edge the best rate may lie beyond it). Without one: the paper's
    rates, chosen by its sweep over {1e-2, 1e-3} at 100 epochs on 50,000 images — met only at that scale (the paper
    profile, uncapped)."""
    grid = sweep_rates(P, long=long)
    if not grid:
        same = {k: v for k, v in P.settings.items() if k != "seeds"} == {
            k: v for k, v in P.paper.items() if k != "seeds"} and P.max_steps is None
        detail = ("the paper's rates, chosen by its sweep at this scale" if same else
                  f"the paper's rates (SGD 1e-2, Adam and K-FAC 1e-3) were chosen at 100 epochs on 50,000 images; the "
                  f"{P.profile} profile runs {P.settings['epochs']} epochs on {P.settings['n_train'] or 50000} images "
                  f"with no sweep of its own")
        return verdicts.check("learning rates tuned at this scale", same, detail)
    swept = {m for m, _, _ in sweep}
    unswept = [m for m in chosen if m not in swept]
    edge = [f"{m} {o} {chosen[m][o]:g}" for m in chosen if m in swept for o, rates in grid.items()
            if chosen[m][o] in (min(rates), max(rates))]
    picked = "; ".join(f"{m}: " + ", ".join(f"{o} {chosen[m][o]:g}" for o in grid) for m in chosen if m in swept)
    has_inside = all(len(r) > 2 for r in grid.values())                  # a grid of 1–2 rates is all edge
    return verdicts.check("learning rates tuned at this scale", bool(swept) and not edge and not unswept and has_inside,
                          f"best of the CIFAR-10 sweep{' of the long runs' if long else ''} ({picked or 'no sweep runs'})"
                          + (f"; at the edge of its sweep: {', '.join(edge)}" if edge else "")
                          + (f"; not swept (the paper's rates): {', '.join(unswept)}" if unswept else "")
                          + ("" if has_inside else "; a grid of < 3 rates has no inside"))


def targets_reached(runs: dict, target: dict, *, before: int | None = None) -> verdicts.Precondition:
    """Every run of ``runs`` reached its model's ``target`` — a run that did not counts as its number of epochs, a
    lower bound that would flatter the optimizer it belongs to — and, with ``before``, at an epoch before that one
    (the schedule's first decay: the paper's epochs to target all fall in its constant-rate epochs; a target crossed
    after the decay measures the schedule, not the optimizer)."""
    def late(h, t):
        e = train.epochs_to_target(h, t)
        return e is None or (before is not None and e >= before)
    missed = [f"{m} {o} seed {s}" for (m, o, s), h in sorted(runs.items()) if m in target and late(h, target[m])]
    n = sum(m in target for m, _, _ in runs)
    name = "every run reached the target" + (f" before the rate's first decay (epoch {before})" if before else "")
    return verdicts.check(name, not missed, f"not reached by {', '.join(missed)}" if missed else f"all {n} runs")


def first_decay(P, data: str = "cifar10", *, long: bool = False) -> int:
    """The first epoch at the decayed rate of a run's multistep schedule (:func:`schedule`): its first milestone,
    else 50% of its epochs."""
    epochs, sched = schedule(P, data=data, long=long)
    return sched["milestones"][0] if isinstance(sched, dict) else epochs // 2


def plateau_window(decay: int, k: int = PLATEAU_K) -> tuple[int, int]:
    """(first, last) epoch of the last 2k full-rate epochs 0 … ``decay`` − 1: the block of k before, then the last k."""
    return decay - 2 * k, decay - 1


def full_rate_rise(runs: dict, model: str, label: str, window: tuple[int, int]) -> float:
    """The seed mean of: mean test accuracy over the second half of ``window`` minus the mean over its first half
    (epochs ``window[0]`` … ``window[1]``, inclusive), for ``model`` × ``label``."""
    hs = [h for (m, o, _), h in runs.items() if (m, o) == (model, label)]
    k = (window[1] - window[0] + 1) // 2
    acc = lambda h, first: np.mean([h.epochs[e]["test_acc"] for e in range(first, first + k)])
    return float(np.mean([acc(h, window[1] + 1 - k) - acc(h, window[0]) for h in hs]))


def plateaued(P, runs: dict, models, labels, *, data: str, long: bool = False) -> verdicts.Precondition:
    """Every compared optimizer was at a plateau when its rate was first cut: the seed-mean test accuracy of its last
    :data:`PLATEAU_K` full-rate epochs exceeds that of the :data:`PLATEAU_K` before by ≤ :data:`PLATEAU_RISE` points
    (:func:`full_rate_rise`). Without it a best-accuracy gap measures the budget (which optimizer is faster), not
    the end point the paper's claim is about."""
    decay = first_decay(P, data, long=long)
    window = plateau_window(decay)
    name = f"at a plateau before the rate's first decay (epoch {decay})"
    if window[0] < 0:
        return verdicts.check(name, False, f"the full-rate phase has {decay} epochs: too short for two blocks of {PLATEAU_K}")
    short = sorted({f"{m} {o}" for (m, o, _), h in runs.items() if m in models and o in labels
                    and len(h.epochs) <= window[1]})
    if short:                                        # capped (max_steps) or diverged before the window's end
        return verdicts.check(name, False, f"no epoch {window[1]} in the runs of {', '.join(short)}")
    rises = {f"{m} {o}": full_rate_rise(runs, m, o, window) for m in models for o in labels}
    return verdicts.check(name, all(r <= PLATEAU_RISE for r in rises.values()),
                          f"mean test accuracy of epochs {window[1] + 1 - PLATEAU_K}–{window[1]} minus that of "
                          f"{window[0]}–{window[0] + PLATEAU_K - 1}: "
                          + ", ".join(f"{k} {r:+.1f}" for k, r in rises.items()) + f" (at most {PLATEAU_RISE:g} points)")


def preconditions(P, runs: dict, models, tuned: verdicts.Precondition, *, data: str, labels=OPTIMIZERS,
                  end_point: bool = True, long: bool = False) -> list[verdicts.Precondition]:
    """The preconditions of an optimizer comparison on ``models``: every run of ``models`` × ``labels`` trained
    (:func:`trained`), the rates ``tuned`` at this scale (:func:`rates_tuned`, computed once per chapter) and, for a
    claim about the runs' end point (best accuracy; not epochs to target), every optimizer at a plateau
    (:func:`plateaued`)."""
    out = [trained(runs, models, labels, data=data), tuned]
    return out + [plateaued(P, runs, models, labels, data=data, long=long)] if end_point else out


# --- rules ------------------------------------------------------------------------------------------------

def rule_similar(acc: dict, pre=()) -> verdicts.Decision:
    """Claim 1 (Table 2, 32×32 rows; Section 5.1 "all three optimizers perform similarly"): on every model, every
    pair of optimizers is equivalent within ±:data:`SIMILAR_MARGIN` points of best test accuracy (TOST; all pairs
    must hold, an intersection–union test needs no correction). ``acc``: {model: {optimizer: per-seed values}}."""
    pairs = [(a, b) for i, a in enumerate(OPTIMIZERS) for b in OPTIMIZERS[i + 1:]]
    per_model = [verdicts.combine([verdicts.equivalent(o[a], o[b], margin=SIMILAR_MARGIN, names=(a, b)) for a, b in pairs])
                 for o in acc.values()]
    return verdicts.require(verdicts.combine(per_model, names=list(acc)), pre)


def rule_above(values: dict, high: str, low: str, pre=()) -> verdicts.Decision:
    """One pair of claim 2 (Table 2, S/16 and B/16; Section 5.1 "K-FAC results in the best performance, followed
    by SGD and then Adam ... this holds true for ... convergence speed"): ``high`` − ``low`` > 0 on every model by
    Welch's interval. Accuracy: ``values`` = best test accuracy, e.g. ("K-FAC", "SGD"); epochs to target: ``values``
    = epochs, and the later optimizer is ``high``, e.g. ("SGD", "K-FAC") for "K-FAC reaches the target first".
    ``values``: {model: {optimizer: per-seed values}}."""
    per_model = [verdicts.difference(o[high], o[low], names=(high, low)) for o in values.values()]
    return verdicts.require(verdicts.combine(per_model, names=list(values)), pre)


def rule_best(acc: dict, winner: str, pre=()) -> verdicts.Decision:
    """Claims 3 and 4: ``winner`` has the best test accuracy on every model — above each other optimizer by Welch's
    interval. Claim 3: K-FAC on CIFAR-100 B/4 and B/16 (Table 3, Section 5.2 "K-FAC significantly outperforms SGD
    and Adam"); claim 4: SGD fine-tuning B/16-PT (Tables 2 and 3, "SGD significantly outperforms Adam and
    K-FAC"). ``acc``: {model: {optimizer: per-seed values}}."""
    per_model = [verdicts.combine([verdicts.difference(o[winner], o[x], names=(winner, x)) for x in o if x != winner])
                 for o in acc.values()]
    return verdicts.require(verdicts.combine(per_model, names=list(acc)), pre)


def rule_magnitude_decides(gaps: dict, pre=()) -> verdicts.Decision:
    """Claim 5 (Table 4, Section 5.3 "very little difference within each row, ... a clear difference within each
    column"): on every model the per-seed :func:`column_minus_row_gap` has a mean above 0 (one-sample t interval).
    ``gaps``: {model: per-seed values}."""
    per_model = [verdicts.above(g, 0.0, name="columns − rows") for g in gaps.values()]
    return verdicts.require(verdicts.combine(per_model, names=list(gaps)), pre)


def rule_g_scaling_keeps_order(acc: dict, authors: str, pre=()) -> verdicts.Decision:
    """Quirk 1 (ours; the authors' G ×rows, not in the paper's text): on every model, K-FAC with the ``authors`` G
    sits on the same side of SGD as K-FAC with the expand G. The expand side is decided first (Welch); with no
    side decided there is no order to keep (undecided), otherwise the authors' K-FAC is tested on that side.
    ``acc``: {model: {"K-FAC": ..., authors: ..., "SGD": ...}}."""
    def keeps(o):
        side = verdicts.difference(o["K-FAC"], o["SGD"], names=("K-FAC", "SGD"))
        if side.holds is None:
            return replace(side, reason=f"no K-FAC vs SGD order to keep: {side.reason}")
        pair = (authors, "SGD") if side.holds else ("SGD", authors)
        return verdicts.difference(o[pair[0]], o[pair[1]], names=pair)
    return verdicts.require(verdicts.combine([keeps(o) for o in acc.values()], names=list(acc)), pre)


def rule_unguarded_is_kfac(unguarded: float, guarded: float) -> verdicts.Decision:
    """Quirk 2 (ours): without the ``.grad`` guard the (K-FAC, SGD) cell is K-FAC in both roles — its mean
    cos(Δ_M, Δ_D) is 1 within :data:`ALIGN_TOL`; the guarded cell, below 1 − :data:`ALIGN_TOL`, is the control
    that shows the measurement tells the two apart."""
    control = verdicts.check("the guarded cell's directions differ", guarded < 1 - ALIGN_TOL,
                             f"guarded cos {guarded:.4f} (needs < {1 - ALIGN_TOL:g})")
    why = "float32 rounding of steps measured as weight differences"
    return verdicts.require(verdicts.exact(unguarded, 1.0, atol=ALIGN_TOL, why=why), [control])


def decay_from_start(spec: dict) -> dict:
    """``spec`` (a graft's children too) with K-FAC's weight decay from the first step on, as SGD's."""
    out = {**spec, "wd_from_step": 0} if spec["name"] == "kfac" else dict(spec)
    return {k: decay_from_start(v) if k in ("magnitude", "direction") else v for k, v in out.items()}


def identity_warmup(spec: dict) -> int:
    """Optimizer steps for the identity start of ``spec``'s K-FAC (itself or a graft's child) to fade to 5% of the
    factors: 3 time constants, 3 / (1 − stat decay) statistics steps (60 at 0.95) × ``stats_every``."""
    k = spec if spec["name"] == "kfac" else next(c for c in (spec["magnitude"], spec["direction"]) if c["name"] == "kfac")
    return round(3 / (1 - k["stat_decay"])) * k["stats_every"]


def graft_alignment(P, model: str, spec: dict, *, steps: int = 10, seed: int = 0) -> float:
    """Mean over ``steps`` graft steps of the mean over tensors of cos(Δ_M, Δ_D) (1: D's step points where M's
    does), on this profile's data, after :func:`identity_warmup` steps: before, K-FAC's factors are near the identity
    and its step near the gradient's own direction, so the guarded cell could not be told from the unguarded one.
    K-FAC's weight decay from the first step (:func:`decay_from_start`): the reference K-FAC adds it only from step
    20·TCov on and SGD from the first, so the two directions would also differ by the decay term alone."""
    built = experiment.build(config(P, data="cifar10", model=model, optimizer=decay_from_start(spec), seed=seed))
    skip = identity_warmup(spec)
    batches = (b for _ in itertools.count() for b in built.train)              # epoch after epoch
    out = []
    for i, (xb, yb) in enumerate(batches):
        if i == skip + steps:
            break
        kfac.fisher_step(built.model, built.optimizer, xb, yb, functional.cross_entropy)
        if i >= skip:
            out.append(built.optimizer.alignment)
    return float(np.mean(out))


def seed_noise(runs: dict, model: str) -> float:
    """Pooled seed-to-seed std of the best accuracy over the optimizers of ``model`` (0 with one seed)."""
    stds = [np.std(best(runs, model, o), ddof=1) for o in OPTIMIZERS if len(best(runs, model, o)) > 1]
    return float(np.sqrt(np.mean(np.square(stds)))) if stds else 0.0


def train_time_s(*grids: dict | None) -> float:
    """Training time of the distinct runs behind the given grids, from the run store (seconds: each run's last
    epoch's ``time_s``); a grid that is None (its item did not run) adds nothing."""
    seen = {json.dumps(h.epochs): h for g in grids if g is not None for h in g.values()}   # a shared run counts once
    return float(sum(h.last("time_s") for h in seen.values() if h.epochs))


def paper_values(table: dict, models, column: int = 0) -> dict:
    """{model: {optimizer: [the paper's value]}} from a Table 2 / 3 dict (column 0: accuracy, 1: epochs)."""
    return {m: {o: [table[m][o][column]] for o in OPTIMIZERS} for m in models}


def summary(values: dict, digits: int = 2) -> str:
    """{model: {label: values}} as "S/16: SGD m ± s, Adam …; B/16: …" (mean ± std over seeds)."""
    return "; ".join(f"{m}: " + ", ".join(f"{o} {report.mean_std(v, digits)}" for o, v in per.items())
                     for m, per in values.items())


def subset(values: dict, models) -> dict:
    """``values`` ({model: ...}) restricted to ``models``, in their order (the rows a claim is about)."""
    return {m: values[m] for m in models}


def claim_sgd_best_on_pt(P, claims: report.Claims, item: str, runs: dict, paper: dict, tuned: verdicts.Precondition,
                         *, data: str, not_run: str | None = None) -> None:
    """Claim 4 (Tables 2 and 3, Section 5.2 "SGD significantly outperforms Adam and K-FAC"): fine-tuning B/16-PT,
    SGD is best (:func:`rule_best` on the B/16-PT runs of ``runs``, under :func:`preconditions`); recorded in
    ``claims`` as ``item``, or as not run for the reason ``not_run`` (no checkpoint)."""
    text, rule = "fine-tuning B/16-PT: SGD is best", "SGD − K-FAC > 0 and SGD − Adam > 0 (Welch)"
    if not_run is not None:
        claims.add(item, text, rule=rule, not_run=not_run)
        return
    acc = accuracies(runs, ["B/16-PT"], OPTIMIZERS)    # {"B/16-PT": {optimizer: per-seed best accuracy}}
    claims.add(item, text, rule_best(acc, "SGD", preconditions(P, runs, ["B/16-PT"], tuned, data=data)), rule=rule,
               paper=summary(paper_values(paper, ["B/16-PT"])), ours=summary(acc))


def quirks_table(runs: dict, models, labels) -> pd.DataFrame:
    """The quirks table: rows ``models``, columns ``labels`` (the quirk runs and their references), cells the
    seed-mean best test accuracy."""
    return pd.DataFrame({label: [np.mean(best(runs, m, label)) for m in models] for label in labels},
                        index=pd.Index(models, name="model"))


def quirks_vs_seed_noise(quirks: pd.DataFrame, table2: dict | None) -> pd.DataFrame:
    """Per model of ``quirks`` (:func:`quirks_table`): how far the unguarded and the guarded (K-FAC, SGD) cells
    are from plain K-FAC, beside Table 2's seed-to-seed std (:func:`seed_noise`; NaN when Table 2 did not run,
    ``table2`` None)."""
    noise = {m: seed_noise(table2, m) if table2 is not None else float("nan") for m in quirks.index}
    return pd.DataFrame({"|authors' (K-FAC, SGD) − K-FAC|": (quirks["(K-FAC, SGD) authors'"] - quirks["K-FAC"]).abs(),
                         "|guarded (K-FAC, SGD) − K-FAC|": (quirks["(K-FAC, SGD)"] - quirks["K-FAC"]).abs(),
                         "seed std (Table 2)": pd.Series(noise)})
