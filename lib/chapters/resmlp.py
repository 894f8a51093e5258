"""Chapter 02 (ResMLP): the paper's numbers, the CIFAR-10 ablation runs, the weight analyses, and the rules
every claim is decided by.

Paper: Touvron et al. — *ResMLP: Feedforward Networks for Image Classification With Data-Efficient
Training* (TPAMI 2022). Table 1 (complexity), Table 3 (ablations), Figures 2–3 (the cross-patch
weights). Accuracies are ImageNet top-1 (%); ours are CIFAR-10 top-1 at the end of training.

Each claim's rule is a ``rule_*`` function below (numbers in, :class:`lib.verdicts.Decision` out), its
preconditions computed from the runs by the functions above it; ``tests/test_rules_resmlp.py`` checks every
rule's three outcomes and that it holds on the paper's own numbers.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from lib import experiment, report, train, verdicts
from lib.measure import complexity
from lib.models.resmlp import resmlp


def _resmlp_recipes(*, epochs: int, batch: int, augment: dict, full: dict, light: dict, teacher_epochs: int,
                    teacher_lr: float, warmup: int) -> dict:
    """Chapter 02's training recipes at one scale. ``modern``: the paper's (Lamb 5e-3, weight decay 0.2,
    DeiT's warm-up + cosine) with the ``light`` regularisation; ``modern_full``: with DeiT's full
    augmentation (``full``); ``old_fashioned``: ResNet's (SGD, lr 0.1 per 256 images, waterfall), for
    90/400 of the epochs; ``sgd_same_epochs``: that recipe for all the epochs; ``teacher``: the convnet."""
    sgd = dict(name="sgd", lr=0.1 * batch / 256, momentum=0.9, weight_decay=1e-4)
    modern = dict(optimizer=dict(name="lamb", lr=5e-3, weight_decay=0.2), schedule=dict(name="cosine", warmup=warmup),
                  epochs=epochs, **light)
    return {"modern": modern, "modern_full": {**modern, **full},
            "old_fashioned": {**modern, "optimizer": sgd, "schedule": "waterfall", "epochs": max(2, round(epochs * 90 / 400))},
            "sgd_same_epochs": {**modern, "optimizer": sgd, "schedule": "waterfall"},
            "teacher": dict(optimizer=dict(sgd, lr=teacher_lr, weight_decay=5e-4), schedule="cosine",
                            epochs=teacher_epochs, augment=augment)}


_DEIT = dict(regularize=dict(mixup=0.8, cutmix=1.0, smoothing=0.1, erasing=0.25), model_kwargs=dict(drop_path=0.1))

NOTEBOOK = "02_resmlp"
ITEMS = ("table1", "table3", "training", "fig2", "fig3", "table4", "table5", "table6", "fig4")
# per profile the settings it runs with
PROFILES = {
    # paper: ResMLP-S12 itself on CIFAR-10 upsampled to 224 (ImageNet is not here), 400 epochs, batch 1024,
    # DeiT's recipe in full; the teacher is the paper's RegNetY-16GF, trained in the chapter
    "paper": dict(model=dict(dim=384, depth=12, image_size=224, patch=16), n_train=None, n_test=None, batch=1024,
                  seeds=[0, 1, 2], recipes=_resmlp_recipes(
                      epochs=400, batch=1024, warmup=5, teacher_epochs=100, teacher_lr=0.4,
                      augment=dict(flip=True, crop_pad=4, resize=224),
                      light={**_DEIT, "augment": dict(flip=True, crop_pad=4, resize=224, randaugment=[2, 9])},
                      full={}),
                  teacher=dict(model="regnet_y_16gf", model_kwargs={}), fig2=dict(layers=[0, 3, 7, 11], central=6),
                  throughput=dict(batch=32, iters=50)),
    # small: d=96 (1/4 of S12), 6 blocks (1/2), 4x4 patches on 32x32 images (64 patches: A is 64x64),
    # 5,000 training images, 10 epochs; DeiT's augmentation only in the "modern_full" recipe
    "small": dict(model=dict(dim=96, depth=6, image_size=32, patch=4), n_train=5000, n_test=2000, batch=64,
                  seeds=[0, 1], recipes=_resmlp_recipes(
                      epochs=10, batch=64, warmup=1, teacher_epochs=15, teacher_lr=0.05,
                      augment=dict(flip=True, crop_pad=4),
                      light=dict(regularize=dict(smoothing=0.1), augment=dict(flip=True, crop_pad=4)),
                      full={**_DEIT, "augment": dict(flip=True, crop_pad=4, randaugment=[2, 9])}),
                  teacher=dict(model="convnet", model_kwargs=dict(widths=[32, 64, 128])),
                  fig2=dict(layers=[0, 2, 5], central=4), throughput=dict(batch=32, iters=10)),
    "smoke": dict(model=dict(dim=16, depth=2, image_size=32, patch=8), n_train=100, n_test=100, batch=50,
                  seeds=[0, 1], recipes=_resmlp_recipes(
                      epochs=2, batch=50, warmup=1, teacher_epochs=1, teacher_lr=0.05,
                      augment=dict(flip=True, crop_pad=4),
                      light=dict(regularize=dict(smoothing=0.1), augment=dict(flip=True, crop_pad=4)),
                      full={**_DEIT, "augment": dict(flip=True, crop_pad=4, randaugment=[2, 9])}),
                  teacher=dict(model="convnet", model_kwargs=dict(widths=[8, 16])),
                  fig2=dict(layers=[0, 1], central=2), throughput=dict(batch=2, iters=1)),
}
# what executing the whole chapter costs: smoke and small measured on 2 CPU cores; paper estimated for one A100
# in bf16 from the runs, epochs and images (no GPU was available to measure it)
COST = {"smoke": "~2 min",
        "small": "~55 min (27 runs)",
        "paper": "6-9 weeks (3 seeds x 13 ResMLP-S12 runs of 90-400 epochs at 224 + a RegNetY-16GF teacher)"}

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


# ---- the margins, bands and tolerances of the rules (each with its reason) ----
CHANCE = 10.0            # CIFAR-10 top-1 of a guess (%): "trained" means beating it (lib.verdicts.run_trained)
PARAMS_ATOL_T1 = 0.5     # M: Table 1 prints parameters as integers (15, 30)
PARAMS_ATOL = 0.05       # M: Table 3 prints one decimal; a parameter count has no other slack
FLOPS_ATOL = 0.05        # G: both tables print one decimal …
FLOPS_RTOL = 0.01        # … and FlopCounterMode counts matmuls and convolutions only: the Aff maps, GELUs, bias
#                          adds and residual sums it skips are ≈ 0.5% of S12's multiply-adds (per block ≈ 16·N²d
#                          element-wise ops against 8·N²d² + N⁴d multiply-adds); allowed twice over (GELU's cost
#                          per element depends on the counter), as the paper does not say which counter it used
THROUGHPUT_BAND = (1.5, 2.5)   # "about half": S24 has twice S12's blocks and the same stem and head (V100: 1.98×)
THROUGHPUT_REPEATS = 3         # interleaved timings per model (lib.verdicts.MIN_SEEDS)
DEPTHWISE_MARGIN = 0.6   # points of top-1: the paper calls −0.3 (depth-wise vs linear) "similar" and +0.9
#                          (Class-MLP) "a significant gain"; "similar" is within the midpoint of the two
LOCAL_RATIO = 2.0        # Figure 2: "convolution-like" = at least twice the 3×3-neighbourhood share of uniform |A|
#                          (a 3×3 convolution puts all of it there: N²/9 times uniform, 7.1× at N = 8)
A_MOVED = 1.0            # Figures 2–3 read what training wrote into A: ‖A − A₀‖ ≥ ‖A₀‖ (at least its random start)


# ---- complexity (Tables 1 and 3) ----

def complexity_row(config: str, options: dict, image_size: int = 224) -> dict:
    m = resmlp(config, **options)
    return {"params_M": complexity.params(m) / 1e6, "GFLOPs": complexity.flops(m, image_size) / 1e9}


def complexity_table() -> pd.DataFrame:
    """Every Table 3 row: the paper's params and FLOPs beside ours."""
    rows = []
    for block, variant, config, options, p, f, *_ in PAPER_T3:
        ours = complexity_row(config, options)
        rows.append({"block": block, "variant": variant, "paper params (M)": p, "ours params (M)": ours["params_M"],
                     "paper GFLOPs": f, "ours GFLOPs": ours["GFLOPs"]})
    return pd.DataFrame(rows)


def by_variant(table: pd.DataFrame, column: str) -> dict:
    """One column of :func:`complexity_table` as {variant: value}: the per-row counts the rules take."""
    return dict(zip(table["variant"], table[column]))


def largest_gap(table: pd.DataFrame, quantity: str) -> str:
    """The :func:`complexity_table` row furthest from the paper in ``quantity`` ("params (M)" or "GFLOPs"):
    largest |ours − paper|, as the claim's text."""
    r = table.loc[(table[f"ours {quantity}"] - table[f"paper {quantity}"]).abs().idxmax()]
    return f"largest |Δ|: {r['variant']}, {r[f'ours {quantity}']:.3f} vs {r[f'paper {quantity}']}"


def throughput_repeats(device: str, *, batch: int = 32, iters: int = 10,
                       repeats: int = THROUGHPUT_REPEATS) -> pd.DataFrame:
    """Table 1's throughput of S12 and S24 at 224×224, timed ``repeats`` times with the two models
    interleaved (a drift of the machine then hits both): one row per (repeat, model)."""
    models = {name: resmlp(name) for name in PAPER_T1}
    return pd.DataFrame([{"repeat": r, "model": f"ResMLP-{name}",
                          **complexity.throughput(m, image_size=224, batch=batch, device=device, iters=iters)}
                         for r in range(repeats) for name, m in models.items()])


def table1(timings: pd.DataFrame) -> pd.DataFrame:
    """Table 1's complexity columns for S12 and S24: ours (throughput mean ± std over repeats) beside the
    paper's V100."""
    rows = []
    for name, paper in PAPER_T1.items():
        m, t = resmlp(name), timings[timings["model"] == f"ResMLP-{name}"]
        rows.append({"model": f"ResMLP-{name}", "paper params (M)": paper["params"],
                     "ours params (M)": round(complexity.params(m) / 1e6, 2), "paper GFLOPs": paper["flops"],
                     "ours GFLOPs": round(complexity.flops(m) / 1e9, 3), "paper im/s (V100)": paper["images_per_s"],
                     "ours im/s": report.mean_std(t["images_per_s"], 1), "paper peak MB (V100)": paper["peak_memory_mb"],
                     "ours peak MB": round(t["peak_memory_mb"].mean(), 1), "repeats": len(t)})
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
    return experiment.run_config(
        P, kind=f"{model}-cifar10", data="cifar10", n_train=P.settings["n_train"], n_test=P.settings["n_test"],
        model=model, model_kwargs={**model_kwargs, **r.pop("model_kwargs", {})}, batch=P.settings["batch"], seed=seed,
        **r, **({"distill": distill} if distill is not None else {}), **({"keep_weights": True} if keep_weights else {}))


def teacher_config(P, seed: int = 0) -> dict:
    t = P.settings["teacher"]
    return config(P, model_kwargs=t["model_kwargs"], recipe="teacher", seed=seed, model=t["model"],
                  keep_weights=True)


def run(P, cfg: dict, label: str):
    return experiment.run_classifier(cfg, device=P.device, label=label)


def ablation_table(acc: dict, base: str = "linear (baseline)") -> pd.DataFrame:
    """Per ablation: ours (final CIFAR-10 acc, mean ± std over seeds), our change vs the baseline and the
    paper's change on ImageNet (for "patch ×2 (larger)": the sign the paper's S12/8 row predicts)."""
    rows = []
    for label, (_, paper_variant, sign) in ABLATIONS.items():
        delta = np.mean(acc[label]) - np.mean(acc[base])
        pd_ = None if paper_variant is None else sign * paper_delta(paper_variant)
        rows.append({"variant": label, "ours acc": report.mean_std(acc[label]), "ours Δ": round(delta, 2),
                     "paper Δ (ImageNet)": "—" if pd_ is None else pd_, "seeds": len(acc[label])})
    return pd.DataFrame(rows)

def ablation_deltas(table: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Table 3's ablation figure in long format: each :func:`ablation_table` row's Δ (points vs the baseline)
    once as ours and, where the paper has a row, once as the paper's ImageNet Δ (column ``source``)."""
    ours = table.assign(Δ=table["ours Δ"], source=f"ours (CIFAR-10, {profile})")
    theirs = table[table["paper Δ (ImageNet)"] != "—"]
    theirs = theirs.assign(Δ=theirs["paper Δ (ImageNet)"].astype(float), source="paper (ImageNet)")
    return pd.concat([ours, theirs])


def ablation_preconditions(runs: dict, seeds, labels) -> list[verdicts.Precondition]:
    """The preconditions of a claim comparing the ablations ``labels`` (``runs``: {(label, seed): History}):
    every run trained (:func:`runs_trained`) and each variant's seeds distinct runs (:func:`seeds_distinct`)."""
    return [runs_trained({f"{k}, seed {s}": runs[k, s] for k in labels for s in seeds}),
            seeds_distinct({k: [runs[k, s] for s in seeds] for k in labels})]


def accuracies_text(acc: dict, labels) -> str:
    """A claim's "ours": ``"label mean ± std; …"`` over seeds for each of ``labels`` (``acc``: {label: [acc]})."""
    return "; ".join(f"{k} {report.mean_std(acc[k])}" for k in labels)


def paper_vs_baseline(variant: str) -> str:
    """A claim's "paper": the ImageNet top-1 of a Table 3 row against its baseline's, ``"77.7 vs 76.6"``."""
    row = paper_row(variant)
    return f"{row[6]} vs {paper_row(row[2])[6]}"


def by_recipe(runs: dict) -> dict[str, dict]:
    """The training block's runs {(recipe, seed): History} regrouped as {recipe: {seed: History}}."""
    out = {}
    for (name, s), h in runs.items():
        out.setdefault(name, {})[s] = h
    return out


def recipes_trained(rec: dict, names) -> verdicts.Precondition:
    """Every seed's run of the recipes ``names`` trained (``rec``: {recipe: {seed: History}}, :func:`runs_trained`)."""
    return runs_trained({f"{n}, seed {s}": h for n in names for s, h in rec[n].items()})


def training_table(rec: dict, teacher, profile: str) -> pd.DataFrame:
    """Table 3's training block: per recipe its epochs, the paper's ImageNet top-1 (S12) and ours (final
    CIFAR-10 accuracy, mean ± std over seeds), then the convnet teacher's row."""
    paper = dict(zip(("modern", "old_fashioned", "distillation"), PAPER_TRAINING.values()))
    rows = [{"recipe": n, "epochs": len(next(iter(hs.values())).epochs), "paper (ImageNet, S12)": paper.get(n, "—"),
             f"ours ({profile})": report.mean_std([h.last() for h in hs.values()]), "seeds": len(hs)}
            for n, hs in rec.items()]
    rows.append({"recipe": "teacher (convnet)", "epochs": len(teacher.epochs), "paper (ImageNet, S12)": "—",
                 f"ours ({profile})": report.mean_std([teacher.last()]), "seeds": 1})
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


def locality_frame(models: dict) -> pd.DataFrame:
    """Figure 2's locality of every layer's A per seed (``models``: {seed: trained ResMLP}): one row per
    (seed, layer) with its 3×3-neighbourhood "local share" and the "uniform" share (:func:`locality`)."""
    return pd.DataFrame([{"seed": s, "layer": i + 1, "local share": locality(m, i)[0], "uniform": locality(m, i)[1]}
                         for s, m in models.items() for i in range(len(m.blocks))])


def initial_model(cfg: dict) -> torch.nn.Module:
    """The untrained model of a run: seeded and built as :func:`lib.experiment.build` builds it."""
    train.seed_everything(cfg["seed"])
    return experiment.make_model(cfg)


def a_moved(trained, init, layers=None) -> list[float]:
    """Per layer: ‖A − A₀‖ / ‖A₀‖ (Frobenius), how far training moved the cross-patch matrix from its start."""
    layers = range(len(trained.blocks)) if layers is None else layers
    out = []
    for i in layers:
        a, a0 = trained.blocks[i].cross_patch.A.weight.detach(), init.blocks[i].cross_patch.A.weight.detach()
        out.append(float((a - a0).norm() / a0.norm()))
    return out


def sparsity_arrays(sp: pd.DataFrame) -> dict[str, np.ndarray]:
    """Figure 3's trained sparsities as {"A": (seeds, layers), "B": …, "C": …} from :func:`sparsity_frame` rows."""
    wide = sp.pivot_table(index="seed", columns=["matrix", "layer"], values="sparsity")
    return {k: wide[k].to_numpy() for k in "ABC"}


# ---- preconditions (computed from the runs) ----

def runs_trained(histories: dict) -> verdicts.Precondition:
    """Every compared run trained: training loss fell ≥ 10% and final test accuracy ≥ chance + 5 points."""
    return verdicts.all_trained(histories, chance=CHANCE)


def seeds_distinct(histories: dict[str, list]) -> verdicts.Precondition:
    """Each variant's seeds are different runs: no two seeds of one variant have the same per-epoch training
    loss and test accuracy (identical ones mean the seed never reached the run, or one run was reused)."""
    same = []
    for label, hs in histories.items():
        curves = [tuple((e.get("train_loss"), e.get("test_acc")) for e in h.epochs) for h in hs]
        if len(set(curves)) < len(curves):
            same.append(label)
    return verdicts.check("seeds give different runs", not same,
                   f"identical histories across seeds: {', '.join(same)}" if same else f"{len(histories)} variants")


def sgd_tuned(lr: float, sweep: dict | None = None) -> verdicts.Precondition:
    """The old-fashioned recipe's SGD rate was tuned at this scale: ``sweep`` ({lr: [final acc per seed]}) has
    ``lr`` as its best rate, not at either end of the sweep. Without a sweep the precondition fails."""
    if not sweep:
        return verdicts.check("SGD rate tuned at this scale", False, f"no SGD learning-rate sweep here: lr = {lr:g} is "
                       "ResNet's 0.1 per 256 images, never tuned at this scale")
    rates = sorted(sweep)
    best = max(rates, key=lambda r: np.mean(sweep[r]))
    inside = best not in (rates[0], rates[-1])
    return verdicts.check("SGD rate tuned at this scale", best == lr and inside,
                   f"best of {', '.join(f'{r:g}' for r in rates)}: {best:g} (used {lr:g})")


def teacher_better(teacher_acc: float, student_accs) -> verdicts.Precondition:
    """Distillation can help only from a better teacher (DeiT's premise; the paper's RegNetY-16GF 82.9 vs
    ResMLP-S12 76.6): the teacher's accuracy exceeds the undistilled student's mean."""
    m = float(np.mean(student_accs))
    return verdicts.check("teacher better than the student", teacher_acc > m, f"teacher {teacher_acc:.2f} vs student {m:.2f}")


def a_learned(moved) -> verdicts.Precondition:
    """The analysed A is what training wrote into it: ‖A − A₀‖ / ‖A₀‖ ≥ :data:`A_MOVED` for every
    (seed, layer) analysed — after a few hundred steps A can still be mostly its random start."""
    low = min(moved, default=math.nan)
    return verdicts.check("A trained away from its initialisation", bool(low >= A_MOVED),
                   f"smallest ‖A − A₀‖/‖A₀‖ = {low:.2f} over {len(moved)} (needs ≥ {A_MOVED:g})")


# ---- the rules (numbers in, Decision out) ----

def _counts(ours: dict, paper: dict, *, atol: float, rtol: float = 0.0, why: str) -> verdicts.Decision:
    return verdicts.combine([verdicts.exact(ours[k], paper[k], atol=atol, rtol=rtol, why=why) for k in paper], names=list(paper))


def rule_params(ours: dict, paper: dict, *, atol: float = PARAMS_ATOL) -> verdicts.Decision:
    """Parameter counts (M) per model equal the paper's to its printed precision (Tables 1 and 3)."""
    return _counts(ours, paper, atol=atol, why="the paper's printed precision")


def rule_flops(ours: dict, paper: dict) -> verdicts.Decision:
    """FLOP counts (G multiply-adds at 224×224) per model within ±0.05 + 1% of the paper's (Tables 1 and 3):
    its printed decimal and the element-wise operations our counter skips (:data:`FLOPS_RTOL`)."""
    return _counts(ours, paper, atol=FLOPS_ATOL, rtol=FLOPS_RTOL,
                   why="printed decimal; counter skips element-wise ops (≈0.5%), allowed 1%")


def rule_table1_complexity(params: dict, flops: dict) -> verdicts.Decision:
    """Table 1: ResMLP-S12 / S24 have 15M / 30M parameters (printed as integers) and 3.0 / 6.0 GFLOPs."""
    paper = lambda key: {k: v[key] for k, v in PAPER_T1.items()}
    return verdicts.combine([rule_params(params, paper("params"), atol=PARAMS_ATOL_T1), rule_flops(flops, paper("flops"))],
                     names=["parameters", "FLOPs"])


def rule_throughput_ratio(s12_img_s, s24_img_s, quiet: verdicts.Precondition) -> verdicts.Decision:
    """Table 1: S24 runs at about half S12's throughput (V100 1415.1 / 715.4 = 1.98): the bootstrap interval
    of mean(S12 im/s) / mean(S24 im/s) over interleaved repeats inside :data:`THROUGHPUT_BAND`; timed on an
    otherwise idle machine."""
    return verdicts.require(verdicts.ratio(s12_img_s, s24_img_s, band=THROUGHPUT_BAND), [quiet])


def rule_ablation_helps(variant, baseline, pre, *, names=("variant", "baseline")) -> verdicts.Decision:
    """A Table 3 change improves top-1 (Aff → LayerNorm +1.1, average → Class-MLP +0.9, smaller patches:
    S12/8 +2.5): Welch's interval of mean(variant) − mean(baseline) lies above 0."""
    return verdicts.require(verdicts.difference(variant, baseline, names=names), pre)


def rule_none_lowest(acc: dict, pre, *, none: str = "linear → none") -> verdicts.Decision:
    """Table 3 (linear → none, 56.5 against ≥ 76.3 for every other S12 row): removing patch communication
    gives the lowest accuracy — every other variant beats it (Welch, each pair; all must hold)."""
    others = [k for k in acc if k != none]
    pairs = [verdicts.difference(acc[k], acc[none], names=(k, none)) for k in others]
    return verdicts.require(verdicts.combine(pairs, names=others), pre)


def rule_conv3x3_best(acc: dict, pre, *, conv: str = "linear → conv 3×3",
                      rivals=("linear (baseline)", "linear → conv 3×3 depth-wise",
                              "linear → conv 3×3 depth-separable")) -> verdicts.Decision:
    """§3.3 / Table 3: of the linear layer and the 3×3 convolutions, "full 3×3 convolutions yield best results"
    (77.3 vs linear 76.6, depth-wise 76.3, depth-separable 77.0): conv 3×3 beats each (Welch, all must hold).
    The MLP row (77.3, a tie with conv 3×3) is not a convolution the sentence ranks, and is left out."""
    return verdicts.require(verdicts.combine([verdicts.difference(acc[conv], acc[r], names=(conv, r)) for r in rivals],
                               names=list(rivals)), pre)


def rule_depthwise_like_linear(depthwise, linear, pre) -> verdicts.Decision:
    """§3.3 / Table 3: a 3×3 depth-wise convolution "yields similar performance" to the linear layer (76.3 vs
    76.6): equivalent within ±:data:`DEPTHWISE_MARGIN` points by two one-sided tests."""
    return verdicts.require(verdicts.equivalent(depthwise, linear, margin=DEPTHWISE_MARGIN, names=("depth-wise", "linear")), pre)


def rule_modern_beats_old(modern, old, pre) -> verdicts.Decision:
    """Table 3, training block: the modern (DeiT) recipe beats the old-fashioned ResNet one (76.6 vs 69.2,
    +7.4): Welch's interval of mean(modern) − mean(old-fashioned) lies above 0."""
    return verdicts.require(verdicts.difference(modern, old, names=("modern", "old-fashioned")), pre)


def rule_distillation_helps(distilled, modern, pre) -> verdicts.Decision:
    """Table 3, training block: distillation from a convnet improves ResMLP-S12 (77.8 vs 76.6, +1.2): Welch's
    interval of mean(distilled) − mean(modern) lies above 0."""
    return verdicts.require(verdicts.difference(distilled, modern, names=("distilled", "modern")), pre)


def rule_early_layers_local(shares, uniform: float, pre) -> verdicts.Decision:
    """Figure 2: early cross-patch layers are convolution-like — per seed, layer 1's share of |A| on each
    patch's 3×3 neighbourhood over the share uniform weights put there; the one-sample interval of that ratio
    over seeds lies above :data:`LOCAL_RATIO`."""
    r = np.asarray(shares, float) / uniform
    return verdicts.require(verdicts.above(r, LOCAL_RATIO, name="local share / uniform"), pre)


def rule_a_sparser(a, b, c, pre) -> verdicts.Decision:
    """Figure 3: the cross-patch matrices A are sparser than the MLP's B and C — per seed, the mean over layers
    of sparsity(A) − max(sparsity(B), sparsity(C)) (arrays of shape (seeds, layers)); the one-sample interval
    over seeds lies above 0."""
    a, b, c = (np.atleast_2d(np.asarray(x, float)) for x in (a, b, c))
    margin = (a - np.maximum(b, c)).mean(axis=1)                   # (seeds,)
    return verdicts.require(verdicts.above(margin, 0.0, name="A − max(B, C)"), pre)
