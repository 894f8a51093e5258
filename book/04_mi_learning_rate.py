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
# # 04 · Dynamic learning rate from mutual information
#
# Vasudevan — *Dynamic learning rate using Mutual Information*. After every epoch, the mutual information
# between the output layer's activations and the true labels, I(H;Y) for the last layer ("IHYLL"), is
# estimated with the Kraskov–Stögbauer–Grassberger (KSG) estimator on 1000 training samples, and the
# learning rate moves up while IHYLL still changes (and stays below the data's I(X;Y), "IXY"), and down
# once it saturates. This chapter reproduces **Figure 1** (IXY against sample size), the paper's **tiling**
# of X and Y for CNN bounds, **Figures 3 and 4** (fixed vs warm-up vs the two policies on MNIST and CIFAR-10),
# **Figure 5** (a batch-size change mid-run) and **Figure 6** (layer-wise rates).
#
# **Our readings of what the paper leaves open** (each an assumption, stated where it is used):
# - *The model* of its Figure 2 is not in the text: we use the classic Keras MNIST CNN (`KerasCNN`), which fits
#   the evidence (two conv and two dense learning-rate groups in Figure 6, ~99% MNIST, ~63% CIFAR-10).
# - *Y* is the one-hot label, estimated with the same KSG estimator as X (`lib/measure/mi.py`, which also
#   has the discrete-Y estimator as a cross-check); hidden layers are read after ReLU, the output after
#   softmax; X is pixels in [0, 1].
# - *Policy 2's case table* as printed would raise the rate above the bound and has no case for
#   "below the bound, saturated": we run the evident intent; `lib/optim/mi_lr.py` has the printed one.
# - *Tiling*: "repeating or tiling X and Y n times" has two readings; the **tiling** item measures both,
#   and policy 2 uses the reading that changes anything (samples), as the paper's CNN bound.
# - *Both policies start at LR_min and need two measurements for a change*, so epochs 0 and 1 run at LR_min.
#
# **KSG's bias.** In hundreds of dimensions from 1000 samples KSG underestimates mutual information strongly
# (`tests/test_mi.py` shows it already at 4+4 dimensions); values of I(X;Y) on raw pixels and of I(H;Y) on
# wide layers are far below the truth and only their changes should be read. The output layer (10 dims) is
# the regime where the estimator works.
#
# **Scale.** The `small` profile trains on 4,000 images, three seeds per run: Figure 3 (MNIST) for 30 epochs,
# long enough for policy 1's rate to rise and cool down; Figures 4-6 for 12 epochs (paper: 60,000 / 50,000
# images, 50 epochs; CIFAR-10's fixed and warm-up runs 200).
#
# **How a verdict is reached.** Every claim is decided by a rule function in `lib/chapters/mi_lr.py` (tested in
# `tests/test_rules_mi_lr.py`, on synthetic inputs and on the paper's own numbers) over per-seed values, with
# an interval (Welch, TOST, Clopper–Pearson), and only if its preconditions hold: every compared run trained;
# a policy compared with a fixed rate is either rate-matched to it or compared with the best rate of a sweep
# that brackets the rate the policy ran at (at 12 epochs a higher rate simply wins, and policy 2 climbs to
# several times 0.01) — and each policy is also compared with the swept fixed rate nearest its own mean rate,
# the rate-matched control; an MI reading a claim rests on is neither at KSG's floor nor at its ceiling
# (ψ(N) − ⟨ψ(N_c)⟩ for 1000 one-hot labels: the Tiling item measures it). A failed precondition makes the verdict
# *inconclusive*, with its numbers.
#
# **Across machines.** A run is repeatable on one CPU model at one thread count (`make verify` re-trains
# committed records and compares), but not across CPU models or thread counts, where the floating-point sums
# differ: when the first edition of this chapter was re-executed from an empty store on another CPU, two of its
# verdicts, decided on point gaps, flipped. A verdict here rests on an interval over three seeds, whose spread
# (printed with every claim) is the yardstick such drift is read against; the records say which CPU and how many
# threads made them. `make book/04_mi_learning_rate.ipynb FRESH=1`, in a second checkout, re-executes the chapter
# there from an empty store (`results-fresh/`; it writes that checkout's `figures/`), and `python -m lib.book compare
# figures <second checkout>/figures 04_mi_learning_rate` lists, claim by claim, whether the two verdicts agree.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["fig3"]; None: all
seeds = None        # None: the profile's seeds (small: [0, 1, 2])
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)

# %%
import numpy as np
import pandas as pd
import seaborn as sns

from lib import data, experiment, plots, report
from lib.chapters import mi_lr
from lib.measure import mi
from lib.optim.mi_lr import data_mi

P, prov, claims = report.begin("04_mi_learning_rate", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)

# %% [markdown]
# The settings this profile runs with, beside the paper's:

# %%
display(report.settings_table(P))

# %%
available = data.available(("mnist", "cifar10"))

# %% [markdown]
# ## Figure 1 — IXY against sample size
#
# I(X;Y) of the raw data (X: pixels, Y: one-hot label) on stratified random subsets of each size, mean ± std
# over repeats. The paper reads this curve to choose its 1000-sample subset. (With 784 or 3072 dimensions
# these are strong underestimates; the true I(X;Y) of a deterministic labelling is H(Y) = ln 10 = 2.30 nats.
# Where the estimate still moves between the two largest sizes, 1000 samples is not a plateau; on CIFAR-10
# it falls towards 0 as N grows — KSG in 3,072 dimensions, not the data, is what the curve shows.)

# %%
if P.wants("fig1") and available:          # no data set here: nothing to measure
    rows = [{"data": name, "samples": n, "repeat": r,
             "IXY (nats)": data_mi(ds.subset(n, None, seed=r))}
            for name, ds in available.items() for n in P.settings["fig1_sizes"] for r in range(P.settings["fig1_repeats"])]
    fig1 = pd.DataFrame(rows)
    report.save_table(fig1, P.chapter, "fig1")
    display(fig1.groupby(["data", "samples"])["IXY (nats)"].agg(["mean", "std"]).round(3))
    g = sns.relplot(fig1, x="samples", y="IXY (nats)", col="data", kind="line", errorbar="sd", marker="o",
                    height=2.8, facet_kws=dict(sharey=False))
    g.set(xscale="log")
    report.save_figure(g.figure, P.chapter, "fig1")
    at = lambda d, n: fig1.query("data == @d and samples == @n")["IXY (nats)"].to_list()
    top = max(P.settings["fig1_sizes"])
    cap = mi_lr.probe_ceiling(P)
    for d in available:
        if 1000 in P.settings["fig1_sizes"]:
            claims.add("fig1", f"{d}: by 1000 samples the IXY estimate is near its value at larger samples",
                       mi_lr.rule_plateau(at(d, 1000), at(d, top), ceiling=cap),
                       rule=f"TOST: IXY(1000) − IXY({top}) within ±{mi_lr.PLATEAU} nats; IXY({top}) off KSG's floor "
                            f"({mi_lr.MI_FLOOR} nats)", paper="Figure 1 (a plot: no numbers printed)",
                       ours=f"{report.mean_std(at(d, 1000), 3)} vs {report.mean_std(at(d, top), 3)} nats")
elif P.wants("fig1"):
    claims.add("fig1", "IXY plateaus by 1000 samples", rule="", not_run=data.NO_DATA.format("MNIST or CIFAR-10"))

# %% [markdown]
# ## Tiling — the paper's bound for CNNs
#
# "A reasonable estimate of the upper bound IXY may be obtained by repeating or tiling X and Y, n times."
# Repeating the *samples* makes every sample have n − 1 copies that differ only by the 1e-10 jitter: once
# n − 1 ≥ k they are its k nearest neighbours, its x-neighbourhood holds only its copies, while its
# y-neighbourhood holds every sample of its class — the estimate becomes ψ(N·n) − ⟨ψ(n_y)⟩ ≈ H(Y).
# Repeating the *features* changes no max-norm distance. Measured on the 1000-sample subset the policies use:

# %%
if P.wants("tiling") and available:
    trows = []
    for name, ds in available.items():
        sub = ds.subset(P.settings["mi_n"], None, seed=0)
        x, y = sub.x_train.reshape(len(sub.x_train), -1) / 255.0, mi.one_hot(sub.y_train, 10)
        tiles = P.settings["tiles"] if name == "mnist" else [t for t in P.settings["tiles"] if t <= 4]
        for n in tiles:
            trows.append({"data": name, "copies n": n, "reading": "samples", "IXY (nats)": mi.ksg(*mi.tile(x, y, n))})
        trows.append({"data": name, "copies n": 4, "reading": "features", "IXY (nats)": mi.ksg(*mi.tile(x, y, 4, "features"))})
    tiling = pd.DataFrame(trows)
    report.save_table(tiling, P.chapter, "tiling")
    display(tiling.round(3))
    print(f"H(Y) for 10 balanced classes: {np.log(10):.3f} nats; the policies use samples tiled {P.settings['tile']} "
          "times (the paper: one copy per filter of the first conv layer, 32; from k + 1 = 4 copies on the estimate "
          "is the same, as the rows above show, and 32 copies would cost 64× the distances)")

# %% [markdown]
# **The jitter's share.** On MNIST most max-norm distances between two images are exactly 1.0, the distance
# between two one-hot labels, so KSG's 1e-10 jitter decides the ties. The estimates the ceiling preconditions
# compare — the tiled IXY the policies use and KSG's ceiling — repeated over five jitter draws on the policies'
# sample. The ceiling every claim below uses is the mean of its five draws (`mi_lr.probe_ceiling`), and a reading
# counts as "at the ceiling" within max(0.02, 2 × the draws' standard deviation) nats of it: the tolerance is set
# by the jitter it must absorb, not by hand.

# %%
if P.wants("tiling") and "mnist" in available:
    sub = available["mnist"].subset(P.settings["mi_n"], None, seed=0)
    jitter = mi_lr.jitter_spread(sub.x_train.reshape(len(sub.x_train), -1) / 255.0, sub.y_train, tile=P.settings["tile"])
    jitter["ceiling − IXY"] = jitter["KSG ceiling"] - jitter["IXY tiled"]
    report.save_table(jitter, P.chapter, "jitter")
    display(jitter.round(4))
    display(jitter.drop(columns="jitter seed").agg(["mean", "std", "min", "max"]).round(4))

# %% [markdown]
# ## Figure 3 — MNIST: fixed, warm-up, policy 1, policy 2
#
# Plain SGD, batch 100: fixed 0.01; warm-up 0.001 → 0.01 linearly over 5 epochs; policy 1 (γ₁ = 0.1, γ₂ = 1,
# ε = 0.01, LR 0.001…0.1); policy 2 at equal rates (γ = 0.1, LR 0.001…0.1). Every run measures IHYLL each
# epoch (the fixed and warm-up runs only record it).
#
# Beside the paper's four runs, the fixed rate is **swept** at this scale (0.01, 0.03, 0.1): the sweep's best
# rate is the tuned baseline, and the sweep brackets the rates the policies reach.
#
# **Claims and rules** (each a function of `lib/chapters/mi_lr.py`). (1) IHYLL rises with training: the
# per-run rise from the first to the last epoch, one-sample t interval above 0. (2) Test accuracy rises with
# IHYLL: the runs' per-run Spearman ρ, interval above 0 — and, because any two curves that rise with training
# share a within-run ρ, across runs: the run ending with the higher IHYLL ends with the higher accuracy.
# (3) IXY is a soft upper bound: ≥ 95% of epochs with IHYLL ≤ IXY (Clopper–Pearson), testable only if IXY is
# below KSG's ceiling. (4) Policy 2 ends at least as
# high as a fixed rate (non-inferiority, margin 0.5 points MNIST / 1 point CIFAR-10) — against the paper's
# 0.01 (decided only if rate-matched) and against the best swept rate (a favourable verdict only if that rate
# lies inside the sweep, not at its edge: losing to an edge rate refutes all the more) — and (5) reaches that
# run's end accuracy in fewer epochs (only if that run had plateaued: a still-rising run first reaches its own
# end accuracy at its last epoch, by construction). (6) Policy 2 beats policy 1: Welch interval of the
# end-accuracy gap above 0, only if the two ran at rates within 2× of each other. (7) Each policy ends at least as
# high as the **rate-matched control**, the swept fixed rate nearest its mean rate (within 2×): does the MI feedback
# add anything to the rate level it reaches? (8) Each policy's rate "then cools down": its last epoch's rate at
# least 25% below its peak (per seed, interval) — for policy 2 only if the rate can fall at all: its downward
# branches are γ·|1 − IHYLL/IXY|, ~0 once IHYLL has saturated at IXY, so its IHYLL must end off IXY by more than
# KSG's jitter. (9) Warm-up "seems effective for MNIST": it
# ends at least as high as the fixed 0.01 it warms up to. The MNIST runs are 30 epochs long.

# %%
if P.wants("fig3") and "mnist" in available:
    r3 = mi_lr.run_four(P, "mnist", P.seeds)
    display(mi_lr.four_runs_items(P, claims, "mnist", r3, "fig3"))
    f3 = mi_lr.frame(r3)
    cap = mi_lr.probe_ceiling(P)
    first, last = [h.epochs[0]["IHYLL"] for h in r3.values()], [h.last("IHYLL") for h in r3.values()]
    claims.add("fig3", "training increases IHYLL", mi_lr.rule_ihyll_rises(first, last, ceiling=cap),
               rule="one-sample t interval of the per-run IHYLL rise (last − first epoch) above 0; first epoch off "
                    "KSG's ceiling", paper="IHYLL rises in every run of Figure 3 (plots)",
               ours=f"first {report.mean_std(first, 3)} → last {report.mean_std(last, 3)} nats over {len(r3)} runs")
    below = int((f3["IHYLL"] <= f3["IXY"]).sum())
    claims.add("fig3", "IXY (tiled, for a CNN) is a soft upper bound of IHYLL",
               mi_lr.rule_soft_bound(below, len(f3), ixy=float(f3["IXY"].iloc[0]), ceiling=cap),
               rule="Clopper–Pearson interval of the share of epochs with IHYLL ≤ IXY at or above 95%; IXY below "
                    "KSG's ceiling (else the bound holds by construction)", paper="stated (Section 3)",
               ours=f"{below}/{len(f3)} epochs; IXY {f3['IXY'].iloc[0]:.3f}, ceiling {cap:.3f} nats")
    rho = mi_lr.per_run_rho(r3)
    at_cap = float(mi_lr.near_ceiling(f3["IHYLL"], cap).mean())
    claims.add("fig3", "test accuracy rises with IHYLL", mi_lr.rule_acc_follows_ihyll(rho, at_ceiling=at_cap, tol=cap.tol),
               rule="one-sample t interval of the per-run Spearman ρ(IHYLL, test acc) above 0; IHYLL below KSG's "
                    "ceiling in most epochs", paper="a non-linear, increasing relationship (plots)",
               ours=f"per-run ρ {report.mean_std(rho)} over {len(rho)} runs")
    end_cap = float(mi_lr.near_ceiling(last, cap).mean())
    claims.add("fig3", "across runs, the higher end IHYLL goes with the higher end test accuracy (our control)",
               mi_lr.rule_acc_follows_ihyll_across(last, [h.last() for h in r3.values()], at_ceiling=end_cap,
                                                   tol=cap.tol),
               rule="Spearman ρ over the runs' last epochs, permutation test; most runs' end IHYLL below KSG's ceiling",
               paper="'increasing IHYLL results in higher test accuracy'",
               ours=f"{len(last)} runs; end IHYLL {report.mean_std(last, 3)} nats")
if P.wants("fig3"):
    claims.add("fig3", "MI-driven training is easier to initiate (a range around the desired rate is easier to "
               "specify than a tuned fixed rate)", rule="",
               not_run="needs the policies over several (LR_min, LR_max) ranges beside the fixed-rate sweep, "
                       "and the paper gives no measure of 'easier'")
if P.wants("fig3") and "mnist" not in available:
    claims.add("fig3", "MNIST runs", rule="", evidence="", not_run=data.NO_DATA.format("MNIST"))

# %% [markdown]
# What the policies did with the rate, and what the MI measurement cost per epoch — our goal, not the paper's: at
# most 10% of the epoch. The runs here share the CPU (two at a time), which slows the probe and the training
# by different amounts, so their recorded shares measure the load too: the goal is decided by `make bench`
# (`benchmarks/mi_cost.py`, one epoch and one probe in one process on an idle machine), and the row below gives
# the range the runs recorded. IHYLL against the (tiled) IXY: the paper uses IHYLL > IXY as the signal to slow
# down.

# %%
if P.wants("fig3") and "mnist" in available:
    shares = 100 * np.array(mi_lr.mi_cost_shares(r3))
    print(f"MI cost per epoch: {f3['mi_time_s'].mean():.2f} s = {shares.mean():.1f}% of an epoch (mean over runs)")
    claims.add("fig3", f"the MI measurement costs at most {mi_lr.MI_COST_GOAL:.0%} of an epoch (our goal)", rule="",
               paper="not stated", ours=f"per-run share {report.mean_std(shares)}% over {len(shares)} runs",
               not_run=f"timed by make bench (benchmarks/mi_cost.py) on an idle machine: these runs shared the CPU, "
                       f"and their per-run shares range {shares.min():.1f}-{shares.max():.1f}%")
    display(f3.groupby("run").agg(lr_max=("lr", "max"), lr_end=("lr", "last"), IHYLL_end=("IHYLL", "last"),
                                  IXY=("IXY", "first")).round(4))

# %% [markdown]
# ## Figure 4 — CIFAR-10, the same model
#
# As Figure 3 with γ₁ = 0.01 for policy 1 and dampened increases for policy 2 (γ₁ = γ₂ = 0.01), and the same
# fixed-rate sweep and the rate-matched controls. The paper trains the fixed and
# warm-up runs 200 epochs and the dynamic ones 50; the `small` profile trains every run for the same 12 epochs,
# three seeds; "at least as high" allows 1 point here. At 12 epochs neither policy has time to cool (the
# cool-down claims say so with their numbers); "warm-up is insufficient for CIFAR-10" has no criterion to test.

# %%
if P.wants("fig4") and "cifar10" in available:
    r4 = mi_lr.run_four(P, "cifar10", P.seeds)
    display(mi_lr.four_runs_items(P, claims, "cifar10", r4, "fig4"))
elif P.wants("fig4"):
    claims.add("fig4", "CIFAR-10 runs", rule="", evidence="", not_run=data.NO_DATA.format("CIFAR-10"))

# %% [markdown]
# ## Figure 5 — a batch-size change during training
#
# The base run is the fixed 0.01 at batch 100 (12 epochs at small). From its checkpoint after epoch 3 (a run
# of the same config stopped there, with its weights kept: same seed, same batches, so the same state), runs
# continue with batch 500: fixed 0.01, and policy 2 (γ = 0.1, LR 0.001…0.1) tracking IHYLL's value only
# for the 5 epochs after the change, its history carried over from the first 3 epochs — and, as our control,
# the linear-scaling rule the paper cites for such changes (Goyal et al.: 5× the batch, 5× the rate, 0.05).
# **Claims**: after the change policy 2 ends above the fixed rate (Welch interval above 0), its rate rises
# above the rate before the change, and (our control) it ends at least as high as the linear-scaling rule.
# "The rate rises" alone is predetermined: in the value-only window the policy raises the rate whenever IHYLL is
# below IXY, whatever the batch did. So a **counterfactual** continues policy 2 with the same window and the
# batch kept at 100, and the claim that the rate rises *because of* the change compares the two rises. (An
# assumption of ours: a continuation's policy restarts at LR_min, 0.001, as every policy run starts, not at the
# base's 0.01; the paper does not say.) The batch-500 runs take 5× fewer steps per epoch: policy 2 and the fixed
# rate after the change are compared at equal epochs and equal steps (same batch) — decided only if
# rate-matched, which the linear-scaling control is meant to be — and the table shows the base
# run's accuracy at the step count the batch-500 runs end with. Figures 5 and 6 run 12 epochs at the small
# profile (`side_epochs`), for their cost.

# %%
if P.wants("fig5") and "mnist" in available:
    bc = P.settings["bs_change"]
    epochs = P.settings["mnist"]["side_epochs"]
    prefix_cfgs = {s: mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=s, epochs=bc["at"], keep_weights=True)
                   for s in P.seeds}
    prefixes = experiment.run_many(prefix_cfgs, device=P.device, label="fig5 base, first epochs")
    scaled = 0.01 * bc["batch"] / P.settings["batch"]
    conts, labels5 = {}, ("fixed, BS 100 → 500", "policy 2, BS 100 → 500", f"linear scaling {scaled:g}, BS 100 → 500")
    kept5 = "policy 2, BS 100 kept (counterfactual)"
    for s in P.seeds:
        carried = {"IHYLL": [e["IHYLL"] for e in prefixes[s].epochs]}
        p2 = dict(name="mi", policy=mi_lr.policy("value_and_change"), value_only_epochs=[0, bc["value_only"]], history=carried)
        for label, (lr, sched) in zip(labels5, ((0.01, None), (0.01, p2), (scaled, None))):
            conts[label, s] = mi_lr.config(P, data="mnist", lr=lr, schedule=sched, seed=s, epochs=epochs - bc["at"],
                                       batch=bc["batch"], init_from=prefix_cfgs[s])
        conts[kept5, s] = mi_lr.config(P, data="mnist", lr=0.01, schedule=p2, seed=s, epochs=epochs - bc["at"],
                                       init_from=prefix_cfgs[s])
    base5 = {s: mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=s, epochs=epochs) for s in P.seeds}
    r5 = {("base (BS 100)", s): h for s, h in experiment.run_many(base5, device=P.device, label="fig5 base").items()}
    for (label, s), cont in experiment.run_many(conts, device=P.device, label="fig5").items():
        for e in cont.epochs:
            e["epoch"] += bc["at"]                                   # continue the base run's epoch and step counts
            e["steps"] += prefixes[s].epochs[-1]["steps"]
        r5[label, s] = type(cont)(epochs=prefixes[s].epochs + cont.epochs)
    equal_steps = lambda k: report.mean_std([next((e["test_acc"] for e in r5["base (BS 100)", s].epochs
                                                   if e["steps"] >= h.epochs[-1]["steps"]), np.nan)
                                             for s, h in mi_lr.group(r5, k).items()])
    t5 = pd.DataFrame([{"run": k, "paper end acc": mi_lr.PAPER_FIG5.get(k, ("—",))[0],
                        "paper best acc": mi_lr.PAPER_FIG5.get(k, ("—", "—"))[1],
                        f"ours end acc ({P.profile})": report.mean_std(mi_lr.accs(r5, k)),
                        "ours best acc": report.mean_std([h.best() for h in mi_lr.group(r5, k).values()]),
                        "ours max lr after the change": report.mean_std(
                            [max(e["lr"] for e in h.epochs[bc["at"]:]) for h in mi_lr.group(r5, k).values()], 3),
                        "ours steps": int(np.mean([h.epochs[-1]["steps"] for h in mi_lr.group(r5, k).values()])),
                        "base (BS 100) at these steps": equal_steps(k)}
                       for k in ("base (BS 100)", *labels5, kept5)])
    report.save_table(t5, P.chapter, "fig5")
    display(t5)
    fig = plots.panel_grid(mi_lr.frame(r5), row="run", title=f"fig5 ({P.profile})",
                           panels=[("epoch", "lr"), ("epoch", "test_acc"), ("epoch", "IHYLL"), ("IHYLL", "test_acc")])
    report.save_figure(fig, P.chapter, "fig5")
    fixed5, dyn5, lin5 = (mi_lr.accs(r5, k) for k in labels5)
    ok5 = [mi_lr.trained(r5, labels5)]
    claims.add("fig5", "after a batch-size increase, the MI-driven rate ends above the fixed rate",
               mi_lr.rule_beats(dyn5, fixed5, names=("policy 2", "fixed"),
                                preconditions=[*ok5, mi_lr.rate_matched(r5, labels5[1], labels5[0])]),
               rule="Welch interval of policy 2 − fixed end acc (both BS 500 after epoch 3) above 0",
               paper=f"policy 2 {mi_lr.PAPER_FIG5[labels5[1]][0]} vs fixed {mi_lr.PAPER_FIG5[labels5[0]][0]}",
               ours=f"policy 2 {report.mean_std(dyn5)} vs fixed {report.mean_std(fixed5)}")
    highest = lambda k: [max(e["lr"] for e in h.epochs[bc["at"]:]) for h in mi_lr.group(r5, k).values()]
    rise, rise_kept = highest(labels5[1]), highest(kept5)
    before = [h.epochs[bc["at"] - 1]["lr"] for h in mi_lr.group(r5, labels5[1]).values()]
    cap5 = mi_lr.probe_ceiling(P)
    ixy5 = next(e["IXY"] for h in mi_lr.group(r5, labels5[1]).values() for e in h.epochs if "IXY" in e)
    claims.add("fig5", "after the batch-size increase the MI-driven rate rises",
               mi_lr.rule_rate_rises(before, rise, ixy=ixy5, ceiling=cap5),
               rule="one-sample t interval of (highest rate after the change − rate before it) above 0; IXY below "
                    "KSG's ceiling (else the value branch can only raise the rate)",
               paper="'the higher LR reached' after the change (plot)",
               ours=f"before {report.mean_std(before, 3)}, highest after {report.mean_std(rise, 3)}")
    claims.add("fig5", "the MI-driven rate rises because of the batch-size increase (our counterfactual)",
               mi_lr.rule_rise_caused(np.subtract(rise, before), np.subtract(rise_kept, before),
                                      preconditions=[mi_lr.trained(r5, (labels5[1], kept5))]),
               rule="Welch interval of the rise (highest rate after epoch 3 − rate before it), BS 500 − BS kept at 100, "
                    "above 0", paper="implied: 'the higher LR reached' after the change, against Figure 3's run",
               ours=f"highest after: BS 500 {report.mean_std(rise, 3)}, BS kept {report.mean_std(rise_kept, 3)}")
    claims.add("fig5", f"after the change, policy 2 ends at least as high as the linear-scaling rule (lr {scaled:g}; "
               "our control)", mi_lr.rule_ends_as_high(dyn5, lin5, data="mnist", preconditions=[
                   *ok5, mi_lr.rate_matched(r5, labels5[1], labels5[2])]),
               rule=f"Welch interval of policy 2 − linear scaling end acc above −{mi_lr.COMPETITIVE['mnist']} points",
               paper="not run in the paper (its cited guideline)",
               ours=f"policy 2 {report.mean_std(dyn5)} vs linear scaling {report.mean_std(lin5)}")
elif P.wants("fig5"):
    claims.add("fig5", "MNIST runs", rule="", not_run=data.NO_DATA.format("MNIST"))

# %% [markdown]
# ## Figure 6 — layer-wise learning rates
#
# Policy 2 at equal rates (γ = 0.1, LR 0.001…0.05) with one rate per layer (parameter groups conv1, conv2,
# dense1, dense2), each driven by that layer's I(H;Y) relative to IXY. The wide layers' I(H;Y) is measured
# on the profile's `layer_mi_n` samples (small: 500, to keep the per-epoch cost of 21,632- and
# 36,864-dimensional activations in bounds). **Claim**: layer-wise rates are competitive with the fixed 0.01
# trained as long (Figure 5's base run) — non-inferior within 0.5 points — decided only if every layer's I(H;Y),
# which drives its rate, is off KSG's floor and ceiling (else that layer's rate follows estimator noise).

# %%
if P.wants("fig6") and "mnist" in available:
    keys = [f"IHY_{n}" for n in mi_lr.LAYERS[:-1]] + ["IHYLL"]
    sched6 = dict(name="mi", policy=mi_lr.policy("value_and_change", lr_max=0.05), keys=keys)
    side = P.settings["mnist"]["side_epochs"]
    r6 = experiment.run_many({("layer-wise", s): mi_lr.config(P, data="mnist", lr=0.001, schedule=sched6, seed=s,
                                                              epochs=side, layers=mi_lr.LAYERS,
                                                              mi_n=P.settings["layer_mi_n"], groups=mi_lr.LAYERS)
                              for s in P.seeds}, device=P.device, label="fig6 layer-wise")
    f6 = mi_lr.frame(r6)
    lr_cols = {f"lr_{i}": f"lr {n}" for i, n in enumerate(mi_lr.LAYERS)}
    display(f6.groupby("epoch")[["test_acc", *keys, "IXY", "mi_time_s", *lr_cols]].mean().rename(columns=lr_cols).round(4))
    long6 = f6.rename(columns=lr_cols).melt(id_vars=["epoch", "seed"], value_vars=list(lr_cols.values()) + keys)
    long6["panel"] = np.where(long6["variable"].str.startswith("lr"), "learning rate", "I(H;Y) (nats)")
    long6["run"] = long6["panel"]
    fig = plots.panel_grid(long6, panels=[("epoch", "value")], row="run", hue="variable", title=f"fig6 ({P.profile})")
    report.save_figure(fig, P.chapter, "fig6")
    fixed6 = {("fixed", s): mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=s, epochs=side) for s in P.seeds}
    fixed = mi_lr.accs(experiment.run_many(fixed6, device=P.device, label="fig6 fixed"), "fixed")
    lw = mi_lr.accs(r6, "layer-wise")
    cap6 = mi_lr.probe_ceiling(P, P.settings["layer_mi_n"])
    claims.add("fig6", "layer-wise MI-driven rates are competitive with a fixed rate",
               mi_lr.rule_layerwise(lw, fixed, layer_mi={k: f6[k].to_list() for k in keys}, ceiling=cap6),
               rule=f"Welch interval of layer-wise − fixed end acc above −{mi_lr.COMPETITIVE['mnist']} points; every "
                    f"layer's I(H;Y) off KSG's floor ({mi_lr.MI_FLOOR}) and ceiling ({cap6:.3f} nats)",
               paper=f"layer-wise {mi_lr.PAPER_FIG6[0]} vs fixed {mi_lr.PAPER['mnist']['fixed'][0]}",
               ours=f"layer-wise {report.mean_std(lw)} vs fixed {report.mean_std(fixed)}; mean I(H;Y) "
                    + ", ".join(f"{k} {f6[k].mean():.3f}" for k in keys))
elif P.wants("fig6"):
    claims.add("fig6", "MNIST runs", rule="", not_run=data.NO_DATA.format("MNIST"))

# %% [markdown]
# ## Summary
#
# Every claim with its computed verdict (saved as `figures/04_mi_learning_rate/claims.csv`).

# %%
report.finish(P, prov, claims, columns=("item", "claim", "paper", "ours", "n", "interval", "verdict", "reason"))
