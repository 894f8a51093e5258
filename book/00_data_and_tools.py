# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Reproduction book (.venv)
#     language: python
#     name: reproduction-book
# ---

# %% [markdown]
# # 00 · Data and tools
#
# Before any paper: the pipeline every chapter stands on. This chapter shows the four data sets the book
# reads (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100) — samples, class counts, pixel statistics and where
# each copy came from — then measures the book's in-memory loader against torchvision's `DataLoader`,
# and records the machine it ran on.
#
# **What cannot be checked here.** The book's CIFAR-10 on this machine is a JPEG copy (30.5 dB PSNR
# against the original; see `../shared/data/MANIFEST.md`): every chapter that uses it says so. The
# loader's goal of "under 2% of a training step on a GPU" needs a GPU; on the CPU we report images/s.

# %% tags=["parameters"]
profile = None     # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None        # a list of items ("datasets", "loader"), or None for all
seeds = [0]        # seeds of the sample grids
device = None      # None: "cuda" when available, else "cpu"
max_steps = None   # caps training steps (this chapter trains nothing)

# %%
import numpy as np
import pandas as pd

from lib import data, env, loader, plots, report, verdicts
from lib.chapters import data_tools

P, prov, claims = report.begin("00_data_and_tools", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)
display(report.settings_table(P))

# %% [markdown]
# ## Data sets
#
# Each data set is loaded from the cache `data/<name>.npz` (filled by `make data`), which checks shapes,
# dtypes, label ranges and the known class counts on every load. A data set that is not there is
# reported and skipped.

# %%
available = data.available(data.NAMES)

# %% [markdown]
# A grid of training images per data set (a seeded random draw):

# %%
if P.wants("datasets"):
    k = P.settings["grid"]
    for name, ds in available.items():
        pick = np.random.default_rng(P.seeds[0]).choice(len(ds.y_train), size=2 * k, replace=False)
        fig = plots.image_grid(ds.x_train[pick], ds.y_train[pick], cols=k, title=f"{name} ({ds.source})")
        report.save_figure(fig, P.chapter, f"samples_{name}")

# %% [markdown]
# Class counts per split (CIFAR-100 by its 20 coarse classes, to keep the plot readable):

# %%
if P.wants("datasets") and available:
    counts = pd.concat([pd.DataFrame({"data set": name, "split": split, "class": np.arange(len(c)), "images": c})
                        for name, ds in available.items() for split in ("train", "test")
                        for c in [np.bincount(getattr(ds, f"y_{split}_coarse" if ds.spec.coarse else f"y_{split}"))]])
    report.save_table(counts, P.chapter, "class_counts")
    fig = plots.bars(counts, x="data set", y="images", hue="split",
                     title="images per class (bar: mean, whisker: min–max; CIFAR-100 by coarse class)")
    report.save_figure(fig, P.chapter, "class_counts")
    display(counts.groupby(["data set", "split"])["images"].agg(["count", "min", "max", "sum"]))

# %% [markdown]
# Pixel mean and standard deviation per channel against the constants the loader normalises with
# (published for the original, lossless data). The check: within 0.005. The JPEG copy of CIFAR-10
# is expected to show a slightly lower standard deviation (JPEG smooths).

# %%
if P.wants("datasets"):
    rows = []
    for name, ds in available.items():
        x = ds.x_train.reshape(len(ds.x_train), -1, len(ds.spec.mean)) / 255.0
        mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
        gap = max(np.abs(mean - ds.spec.mean).max(), np.abs(std - ds.spec.std).max())
        fmt = lambda v: ", ".join(f"{t:.4f}" for t in v)
        rows.append({"data set": name, "mean (ours)": fmt(mean), "mean (constant)": fmt(ds.spec.mean),
                     "std (ours)": fmt(std), "std (constant)": fmt(ds.spec.std), "largest |Δ|": round(gap, 4)})
        claims.add("datasets", f"{name} pixel statistics match the normalisation constants", data_tools.rule_pixel_statistics(gap),
                   rule=f"largest |Δ| of per-channel mean and std ≤ {data_tools.STAT_TOL}", paper="published constants",
                   ours=f"largest |Δ| = {gap:.4f}")
    for name in set(data.NAMES) - set(available):
        claims.add("datasets", f"{name} pixel statistics match the normalisation constants",
                   rule=f"largest |Δ| ≤ {data_tools.STAT_TOL}", not_run=f"{name} is not in data/: run `make data`")
    stats = pd.DataFrame(rows)
    report.save_table(stats, P.chapter, "pixel_statistics")
    display(stats)

# %% [markdown]
# ## The loader
#
# `lib.loader.Loader` keeps a whole split as one uint8 tensor on the device and augments whole batches
# with tensor ops: one gather does the padded random crop and the horizontal flip, resizing runs in
# uint8, and normalisation is one multiply-add in float. Here is an augmented batch (flip + 4-pixel
# padded crop) beside the same images unaugmented, so one can see that a flip is a flip and crops stay
# in bounds (the tests check both exactly):

# %%
if P.wants("loader") and "cifar10" in available:
    ds = available["cifar10"]
    k = P.settings["grid"]
    plain = loader.Loader.for_split(ds, "train", batch_size=k, shuffle=False, seed=P.seeds[0],
                                    augment=loader.Augment(normalize=False))
    aug = loader.Loader.for_split(ds, "train", batch_size=k, shuffle=False, seed=P.seeds[0],
                                  augment=loader.Augment(flip=True, crop_pad=4, normalize=False))
    (x0, y0), (x1, _) = next(iter(plain)), next(iter(aug))
    both = np.concatenate([x0.permute(0, 2, 3, 1).numpy(), x1.permute(0, 2, 3, 1).numpy()])
    fig = plots.image_grid(both, np.concatenate([y0, y0]), cols=k, title="top: as stored; bottom: flip + padded crop")
    report.save_figure(fig, P.chapter, "augmentation")

# %% [markdown]
# Throughput against torchvision's `DataLoader` with the same transforms (PIL images, per-image
# transforms, `num_workers=2`), same batch size, measured one after the other in this process. Two
# settings: CIFAR at 32×32 with flip + padded crop, and the K-FAC paper's upsampling (bilinear resize to
# 256, centre crop 224). The goal set for the loader is at least 10×. Each setting is measured `repeats`
# times, the two loaders interleaved, and decided on the bootstrap interval of the ratio of mean images/s
# (`rule_loader_speed`): above 10 → reproduced, below → not reproduced, straddling 10 → inconclusive.
# Precondition: the machine was idle (1-minute load average ≤ 1 before timing) — a timing taken while
# something else runs measures the load, not the loader.

# %%
if P.wants("loader") and "cifar10" in available:
    cases = {"32×32, flip + crop": (loader.Augment(flip=True, crop_pad=4), P.settings["batch_size"]),
             "32→256→224, flip + resize + centre crop": (loader.Augment(flip=True, resize=256, center_crop=224),
                                                         P.settings["upsample_batch_size"])}
    quiet = verdicts.machine_quiet()
    print(quiet)
    speed = pd.DataFrame([{"setting": case, "batch": bs, "repeat": r, **loader.versus_torchvision(
        available["cifar10"], augment=aug, batch_size=bs, batches=P.settings["bench_batches"], device=P.device)}
        for r in range(P.settings["repeats"]) for case, (aug, bs) in cases.items()])
    report.save_table(speed, P.chapter, "loader_speed")
    display(speed.round(1))
    for case, runs in speed.groupby("setting", sort=False):
        claims.add("loader", f"loader ≥ 10× torchvision DataLoader ({case})",
                   data_tools.rule_loader_speed(runs.ours_img_s, runs.torchvision_img_s, quiet),
                   rule=f"bootstrap interval of ours / torchvision (mean img/s over repeats) above {data_tools.SPEEDUP:g}",
                   paper="goal ≥ 10×", ours=f"{runs.ours_img_s.mean():,.0f} vs {runs.torchvision_img_s.mean():,.0f} img/s "
                   f"({report.mean_std(runs.ratio, 1)}× per repeat)", evidence=env.device_name(P.device))
elif P.wants("loader"):
    claims.add("loader", "loader ≥ 10× torchvision DataLoader", rule=f"ours / torchvision ≥ {data_tools.SPEEDUP:g}",
               not_run="CIFAR-10 is not in data/: run `make data`")

# %% [markdown]
# ## Summary
#
# Every check of this chapter with its computed verdict (saved as `figures/00_data_and_tools/claims.csv`),
# and the machine and versions it ran with (saved as `provenance.json` beside it).

# %%
report.finish(P, prov, claims)
