"""Chapter 04 (dynamic learning rate from mutual information): the paper's numbers, the runs of its
Figures 3-6, and the tables and rules the chapter decides its claims with.

Paper: Vasudevan — *Dynamic learning rate using Mutual Information*. Plain SGD, batch 100, the model of
its Figure 2 (not in the text: ``models.convnets.KerasCNN``, an assumption), I(H;Y) on 1000 training
samples per epoch, the appendix policies (``optim.mi_lr``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from lib import experiment, report, train

RUNS = ("fixed", "warm-up", "policy 1", "policy 2")
# Figures 3 (MNIST) and 4 (CIFAR-10): end accuracy, best accuracy, and the text on when the fixed run's
# end accuracy was (about) reached
PAPER = {
    "mnist": {"fixed": (98.94, 98.99, "98.94% first at epoch 24"), "warm-up": (98.95, 98.99, "98.89% at 24 (98.91% at 25)"),
              "policy 1": (99.05, 99.11, "98.93% at 7"), "policy 2": (99.22, 99.24, "99.11% at 11")},
    "cifar10": {"fixed": (62.99, 63.27, "63% first at epoch 79"), "warm-up": (63.29, 63.36, "62.99% at 75"),
                "policy 1": (63.11, 63.99, "63.3% at 34"), "policy 2": (65.61, 65.67, "63.35% at 15")},
}
PAPER_FIG5 = {"base (BS 100)": (98.93, 99.06), "fixed, BS 100 → 500": (98.68, 98.68), "policy 2, BS 100 → 500": (99.07, 99.09)}
PAPER_FIG6 = (98.99, 99.08)
LAYERS = ("conv1", "conv2", "dense1", "dense2")


def policy(name: str, *, lr_min: float = 0.001, lr_max: float = 0.1, gamma1: float = 0.1, gamma2: float = 0.1,
           gamma3: float = 0.1, eps: float = 0.01, as_printed: bool = False) -> dict:
    return dict(name=name, lr_min=lr_min, lr_max=lr_max, gamma1=gamma1, gamma2=gamma2, gamma3=gamma3, eps=eps,
                as_printed=as_printed)


def schedules(data: str) -> dict:
    """The four runs of Figure 3 (MNIST) or 4 (CIFAR-10): label -> (base lr, schedule). Policy 1 dampens
    increases (γ₁ = 0.1 MNIST, 0.01 CIFAR-10; γ₂ = 1); policy 2 at equal rates on MNIST (γ = 0.1), with
    dampened increases on CIFAR-10 (γ₁ = γ₂ = 0.01, γ₃ = 0.1), as the appendix says."""
    g1 = 0.1 if data == "mnist" else 0.01
    p2 = policy("value_and_change") if data == "mnist" else policy("value_and_change", gamma1=0.01, gamma2=0.01)
    return {"fixed": (0.01, None), "warm-up": (0.01, dict(name="warmup", epochs=5, start_factor=0.1)),
            "policy 1": (0.01, dict(name="mi", policy=policy("change", gamma1=g1, gamma2=1.0))),
            "policy 2": (0.01, dict(name="mi", policy=p2))}


def config(P, *, data: str, lr: float, schedule, seed: int, epochs: int | None = None, batch: int | None = None,
           layers=("dense2",), mi_n: int | None = None, groups=None, **extra) -> dict:
    s = P.settings
    c = {"kind": f"keras_cnn-{data}", "data": data, "n_train": s[data]["n_train"], "n_test": s[data]["n_test"],
         "model": "keras_cnn", "model_kwargs": dict(in_chans=1, image_size=28) if data in ("mnist", "fashion_mnist")
         else dict(in_chans=3, image_size=32),
         "optimizer": dict(name="sgd", lr=lr, **({"groups": list(groups)} if groups else {})), "schedule": schedule,
         "epochs": epochs or s[data]["epochs"], "batch": batch or s["batch"], "seed": seed, "profile": P.profile,
         "max_steps": P.max_steps,
         "mi": dict(layers=list(layers), output="dense2", n=mi_n or s["mi_n"], tile=s["tile"])}
    return {**c, **extra}


def run(P, cfg: dict, label: str) -> train.History:
    return experiment.run_classifier(cfg, device=P.device, label=label)


def end(h) -> float:
    return h.epochs[-1]["test_acc"]


def first_reaching(h, target: float):
    return train.epochs_to_target(h, target)


def results_table(P, data: str, runs: dict, fixed_end: dict) -> pd.DataFrame:
    """Per run: ours end and best accuracy (mean ± std over seeds) and the first epoch reaching the fixed
    run's end accuracy of the same seed, beside the paper's."""
    rows = []
    for label in RUNS:
        hs = {s: h for (lab, s), h in runs.items() if lab == label}
        reach = [first_reaching(h, fixed_end[s]) for s, h in hs.items()]
        pe, pb, ptext = PAPER[data][label]
        rows.append({"run": label, "paper end acc": pe, "paper best acc": pb, "paper: fixed run's end acc reached": ptext,
                     f"ours end acc ({P.profile})": report.mean_std([end(h) for h in hs.values()]),
                     "ours best acc": report.mean_std([h.best() for h in hs.values()]),
                     "ours: epoch reaching the fixed run's end acc": ", ".join("–" if r is None else str(r) for r in reach),
                     "seeds": len(hs)})
    return pd.DataFrame(rows)


def frame(runs: dict) -> pd.DataFrame:
    """One row per (run, seed, epoch) with lr, test_acc, IHYLL."""
    return train.histories_frame(runs, keys=("run", "seed"))


def ihyll_rises(runs: dict) -> tuple[bool, str]:
    """Claim: training increases IHYLL — in every run, the last epoch's IHYLL above the first's."""
    ups = {k: (h.epochs[-1]["IHYLL"], h.epochs[0]["IHYLL"]) for k, h in runs.items()}
    return all(a > b for a, b in ups.values()), "; ".join(f"{k[0]} s{k[1]}: {b:.2f}→{a:.2f}" for k, (a, b) in ups.items())


def accuracy_follows_ihyll(runs: dict) -> tuple[bool | None, str]:
    """Claim: test accuracy increases with IHYLL. Spearman ρ over every (run, epoch): > 0.5 holds, < 0
    refutes, in between inconclusive."""
    f = frame(runs)
    rho = spearmanr(f["IHYLL"], f["test_acc"]).statistic
    return (True if rho > 0.5 else False if rho < 0 else None), f"Spearman ρ = {rho:.2f} over {len(f)} epochs"


def mean_epoch_to(runs: dict, label: str, fixed_end: dict) -> float:
    """Seed-mean first epoch reaching the fixed run's end accuracy (never: its number of epochs)."""
    hs = {s: h for (lab, s), h in runs.items() if lab == label}
    return float(np.mean([e if (e := first_reaching(h, fixed_end[s])) is not None else len(h.epochs)
                          for s, h in hs.items()]))


def accs(runs: dict, label: str) -> list[float]:
    return [end(h) for (lab, _), h in runs.items() if lab == label]
