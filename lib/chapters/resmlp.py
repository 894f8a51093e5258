"""Chapter 02 (ResMLP): the paper's numbers, the CIFAR-10 ablation runs, and the weight analyses.

Paper: Touvron et al. — *ResMLP: Feedforward Networks for Image Classification With Data-Efficient
Training* (TPAMI 2022). Table 1 (complexity), Table 3 (ablations), Figures 2–3 (the cross-patch
weights). Accuracies are ImageNet top-1 (%); ours are CIFAR-10 top-1 at the end of training.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from lib import experiment, report
from lib.measure import complexity as cx
from lib.models.resmlp import resmlp

# Table 1: params (M, printed as integers), GFLOPs, V100 im/s at batch 32, peak memory (MB), top-1
PAPER_T1 = {"S12": dict(params=15, flops=3.0, images_per_s=1415.1, peak_memory_mb=179.5, top1=76.6),
            "S24": dict(params=30, flops=6.0, images_per_s=715.4, peak_memory_mb=235.3, top1=79.4)}
# Table 3: (block, variant, config, options, params M, GFLOPs, ImageNet top-1, ReaL, V2)
PAPER_T3 = [
    ("baseline", "S12", "S12", {}, 15.4, 3.0, 76.6, 83.3, 64.4),
    ("baseline", "S24", "S24", {}, 30.0, 6.0, 79.4, 85.3, 67.9),
    ("baseline", "B24", "B24", {}, 115.7, 23.0, 81.0, 86.1, 69.0),
    ("normalization", "Aff → LayerNorm", "S12", dict(norm="layernorm"), 15.4, 3.0, 77.7, 84.1, 65.7),
    ("pooling", "average → Class-MLP", "S12", dict(pooling="class_mlp"), 17.7, 3.0, 77.5, 84.0, 66.1),
    ("patch communication", "linear → none", "S12", dict(patch_comm="none"), 14.9, 2.8, 56.5, 63.4, 43.1),
    ("patch communication", "linear → MLP", "S12", dict(patch_comm="mlp"), 18.6, 4.3, 77.3, 84.0, 65.7),
    ("patch communication", "linear → conv 3×3", "S12", dict(patch_comm="conv3x3"), 30.8, 6.0, 77.3, 84.4, 65.7),
    ("patch communication", "linear → conv 3×3 depth-wise", "S12", dict(patch_comm="dwconv3x3"), 14.9, 2.8, 76.3,
     83.4, 64.6),
    ("patch communication", "linear → conv 3×3 depth-separable", "S12", dict(patch_comm="dsconv3x3"), 16.7, 3.2,
     77.0, 84.0, 65.5),
    ("patch size", "S12 patch 16 → 14", "S12", dict(patch=14), 15.6, 4.0, 76.9, 83.7, 65.0),
    ("patch size", "S12 patch 16 → 8", "S12", dict(patch=8), 22.1, 14.0, 79.1, 85.2, 67.2),
    ("patch size", "B24 patch 16 → 8", "B24", dict(patch=8), 129.1, 100.2, 81.0, 85.7, 68.6),
]
# Table 3's "Training" block, ResMLP-S12 (ImageNet top-1): the 400-epoch DeiT recipe is the baseline
PAPER_TRAINING = {"modern (DeiT, 400 epochs)": 76.6, "old-fashioned (SGD, 90 epochs)": 69.2, "distillation": 77.8}

# Our CIFAR-10 ablations: label -> (model options, the Table 3 row whose direction it tests, sign flip).
# Our patch-size row goes the other way (4 -> 8: larger patches), as a smaller patch than 4 on 32x32
# images costs more than a CPU profile affords; the paper's claim predicts it to be worse.
ABLATIONS = {
    "linear (baseline)": ({}, None, 1),
    "Aff → LayerNorm": (dict(norm="layernorm"), "Aff → LayerNorm", 1),
    "average → Class-MLP": (dict(pooling="class_mlp"), "average → Class-MLP", 1),
    "linear → none": (dict(patch_comm="none"), "linear → none", 1),
    "linear → MLP": (dict(patch_comm="mlp"), "linear → MLP", 1),
    "linear → conv 3×3": (dict(patch_comm="conv3x3"), "linear → conv 3×3", 1),
    "linear → conv 3×3 depth-wise": (dict(patch_comm="dwconv3x3"), "linear → conv 3×3 depth-wise", 1),
    "linear → conv 3×3 depth-separable": (dict(patch_comm="dsconv3x3"), "linear → conv 3×3 depth-separable", 1),
    "patch ×2 (larger)": ("larger_patch", "S12 patch 16 → 8", -1),
}
PATCH_COMMS = [k for k in ABLATIONS if k.startswith("linear")]
SMALL_SHARE = 0.05   # Figure 3: a weight is "small" below 5% of its matrix's largest magnitude


def paper_row(variant: str) -> tuple:
    return next(r for r in PAPER_T3 if r[1] == variant)


def paper_delta(variant: str) -> float:
    """ImageNet top-1 of a Table 3 row minus that of its baseline (S12, or B24 for the B24 row)."""
    row = paper_row(variant)
    return round(row[6] - paper_row(row[2])[6], 1)


# ---- complexity (Tables 1 and 3) ----

def complexity_row(config: str, options: dict, image_size: int = 224) -> dict:
    m = resmlp(config, **options)
    return {"params_M": cx.params(m) / 1e6, "GFLOPs": cx.flops(m, image_size) / 1e9}


def complexity_table() -> pd.DataFrame:
    """Every Table 3 row: the paper's params and FLOPs beside ours, and whether they agree to the
    paper's printed precision (one decimal)."""
    rows = []
    for block, variant, config, options, p, f, *_ in PAPER_T3:
        ours = complexity_row(config, options)
        rows.append({"block": block, "variant": variant, "paper params (M)": p,
                     "ours params (M)": round(ours["params_M"], 2), "paper GFLOPs": f,
                     "ours GFLOPs": round(ours["GFLOPs"], 3),
                     "params match": round(ours["params_M"], 1) == p, "FLOPs match": round(ours["GFLOPs"], 1) == f})
    return pd.DataFrame(rows)


def table1(device: str, *, batch: int = 32, iters: int = 10) -> pd.DataFrame:
    """Table 1's complexity columns for S12 and S24 at 224×224: ours beside the paper's V100."""
    rows = []
    for name, paper in PAPER_T1.items():
        m = resmlp(name)
        t = cx.throughput(m, image_size=224, batch=batch, device=device, iters=iters)
        rows.append({"model": f"ResMLP-{name}", "paper params (M)": paper["params"],
                     "ours params (M)": round(cx.params(m) / 1e6, 2), "paper GFLOPs": paper["flops"],
                     "ours GFLOPs": round(cx.flops(m) / 1e9, 3), "paper im/s (V100)": paper["images_per_s"],
                     "ours im/s": round(t["images_per_s"], 1), "paper peak MB (V100)": paper["peak_memory_mb"],
                     "ours peak MB": round(t["peak_memory_mb"], 1)})
    return pd.DataFrame(rows)


# ---- the CIFAR-10 runs ----

def model_kwargs(P, options: dict | str) -> dict:
    kw = dict(P.settings["model"])
    if options == "larger_patch":
        return {**kw, "patch": 2 * kw["patch"]}
    return {**kw, **options}


def config(P, *, model_kwargs: dict, recipe: str, seed: int, model: str = "resmlp", distill: dict | None = None,
           keep_weights: bool = False) -> dict:
    """A CIFAR-10 run at this profile with one of its recipes ("modern", "modern_full", "old_fashioned",
    "sgd_same_epochs", "teacher")."""
    r = dict(P.settings["recipes"][recipe])
    c = {"kind": f"{model}-cifar10", "data": "cifar10", "n_train": P.settings["n_train"], "n_test": P.settings["n_test"],
         "model": model, "model_kwargs": {**model_kwargs, **r.pop("model_kwargs", {})},
         "batch": P.settings["batch"], "seed": seed, "profile": P.profile, "max_steps": P.max_steps, **r}
    if distill is not None:
        c["distill"] = distill
    if keep_weights:
        c["keep_weights"] = True
    return c


def teacher_config(P, seed: int = 0) -> dict:
    t = P.settings["teacher"]
    return config(P, model_kwargs=t["model_kwargs"], recipe="teacher", seed=seed, model=t["model"],
                  keep_weights=True)


def run(P, cfg: dict, label: str):
    return experiment.run_classifier(cfg, device=P.device, label=label)


def final(h) -> float:
    """Test accuracy at the end of training (the paper reports the final model)."""
    return h.epochs[-1]["test_acc"] if h.epochs else float("nan")


def direction(ours_variant, ours_base, paper_delta: float) -> bool | None:
    """Does our change have the paper's sign? True / False when our difference is separated from 0
    by two standard errors (report.separated), None (inconclusive) otherwise."""
    above = report.separated(ours_variant, ours_base)
    return None if above is None else above == (paper_delta > 0)


def ablation_table(acc: dict, base: str = "linear (baseline)") -> pd.DataFrame:
    """Per ablation: ours (final CIFAR-10 acc, mean ± std over seeds), our change vs the baseline,
    the paper's change on ImageNet, and whether the directions agree (beyond 2 s.e.)."""
    rows = []
    for label, (_, paper_variant, sign) in ABLATIONS.items():
        delta = np.mean(acc[label]) - np.mean(acc[base])
        pd_ = None if paper_variant is None else sign * paper_delta(paper_variant)
        agree = None if paper_variant is None else direction(acc[label], acc[base], pd_)
        rows.append({"variant": label, "ours acc": report.mean_std(acc[label]), "ours Δ": round(delta, 2),
                     "paper Δ (ImageNet)": "—" if pd_ is None else pd_,
                     "same direction": "—" if paper_variant is None else {True: "yes", False: "no", None: "unclear"}[agree],
                     "seeds": len(acc[label])})
    return pd.DataFrame(rows)


# ---- the cross-patch weights (Figures 2 and 3) ----

def small_share(w: torch.Tensor, share: float = SMALL_SHARE) -> float:
    """Figure 3's sparsity: the share of entries with |w| < share · max|w|."""
    a = w.detach().abs()
    return float((a < share * a.max()).float().mean())


def sparsity_frame(model) -> pd.DataFrame:
    """Per block: the sparsity of A (cross-patch), B and C (the cross-channel MLP's two matrices)."""
    rows = []
    for i, blk in enumerate(model.blocks):
        mats = {"A": blk.cross_patch.A.weight, "B": blk.cross_channel.fc1.weight, "C": blk.cross_channel.fc2.weight}
        rows += [{"layer": i + 1, "matrix": k, "sparsity": small_share(w)} for k, w in mats.items()]
    return pd.DataFrame(rows)


def a_rows(model, layer: int, central: int) -> np.ndarray:
    """Rows of layer ``layer``'s A for the ``central``×``central`` central patches, each as an N×N image:
    (central², N, N)."""
    A = model.blocks[layer].cross_patch.A.weight.detach().cpu().numpy()
    n = int(round(A.shape[0] ** 0.5))
    lo = (n - central) // 2
    idx = [r * n + c for r in range(lo, lo + central) for c in range(lo, lo + central)]
    return A[idx].reshape(-1, n, n)


def locality(model, layer: int) -> tuple[float, float]:
    """How convolution-like layer ``layer``'s A is: the mean over interior patches of the share of a
    row's |weight| mass on the patch and its 8 neighbours, and that share for uniform weights (9/N²)."""
    A = model.blocks[layer].cross_patch.A.weight.detach().abs().cpu().numpy()
    n = int(round(A.shape[0] ** 0.5))
    shares = []
    for r in range(1, n - 1):
        for c in range(1, n - 1):
            row = A[r * n + c].reshape(n, n)
            shares.append(row[r - 1:r + 2, c - 1:c + 2].sum() / row.sum())
    return float(np.mean(shares)), 9 / n ** 2
