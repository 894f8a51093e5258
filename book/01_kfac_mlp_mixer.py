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
# # 01 · K-FAC on MLP-Mixer
#
# Hosseini, Zhou, Chen — *Analyzing the Effectiveness of K-FAC on Training MLP-Mixers for Image
# Classification*. The paper trains MLP-Mixers (S/4, B/4 on 32×32 CIFAR; S/16, B/16 on CIFAR upsampled to
# 224×224; B/16-PT fine-tuned from ImageNet) with SGD, Adam and K-FAC, and grafts K-FAC's step size onto
# SGD's direction and vice versa. This chapter reproduces **Table 2** (CIFAR-10), **Figures 2–3** (its
# curves), **Table 3** and **Figure 4** (CIFAR-100), **Table 4** (grafting), and adds an item **quirks**:
# two ways the authors' code differs from textbook K-FAC, and whether they change the claims.
#
# **What cannot be reproduced here, and why.**
# - *B/16-PT rows* need the ImageNet Mixer-B/16 checkpoint, which is not available on this machine.
#   Pass a timm-format file as the `checkpoint` parameter to run them; without one they say "not run".
# - *Scale.* The `paper` profile is 100 epochs of full-size Mixers on 50,000 images (a GPU for days).
#   The `small` profile spends its hour on contrast, not coverage: one width (S at 1/8 width, half depth)
#   at native 32×32 and upsampled input, 4,000 images, 3 seeds for every comparison, and each optimizer's
#   learning rate chosen by a sweep at this scale on a fourth seed. Table 2's upsampled S/16 — the model
#   claim 2 and the G-scaling quirk are decided on — trains 26 epochs (1,638 steps: the rate ×0.1 at epochs
#   20 and 24, so 20 epochs at the full rate), so that the plateau test can see whether each optimizer
#   had stopped improving before its rate is cut; it has its own sweep at that length. Everything else (S/4, CIFAR-100,
#   grafting, the quirks' graft cells) trains 10 epochs (630 steps, ×0.1 at epochs 5 and 7): too few
#   full-rate epochs to show a plateau, so their best-accuracy claims are inconclusive at small by design,
#   and they stay in the chapter as the comparison after 630 steps. Upsampling keeps what the paper says
#   makes it hard: 32 → 128 → centre 112 with 16×16 patches gives the paper's 768-dimensional patches, each
#   made from 4×4 original pixels (48 values: 16× redundant; the paper's 32 → 256 → 224 gives 2×2, 64×),
#   with 49 tokens, so both inputs cost about the same. B models, CIFAR-100 on 32×32 and grafting on B are
#   not run at small (the paper profile runs them).
# - *Verdicts.* Each claim is decided by a rule in `lib/chapters/kfac_mixer.py` on per-seed numbers
#   (Welch intervals, equivalence tests against a stated margin), only with at least 3 seeds per group and
#   only when its preconditions hold: every compared run trained, the learning rates were tuned at the
#   scale the runs are made at (each chosen rate inside its sweep), and — for a claim about best accuracy,
#   which the paper measures after 100 epochs — every compared optimizer had stopped improving at its full
#   rate. A failed precondition makes the verdict **inconclusive**, with its numbers in the `reason` column.
# - *Data.* The CIFAR-10 on this machine is a JPEG copy (lossy, 30.5 dB PSNR); CIFAR-100 is lossless.
# - *Unstated settings.* The paper gives no learning-rate schedule; we use the authors' code default,
#   MultiStepLR ×0.1 at 50% and 75% of the epochs, for every optimizer, and the authors' augmentation
#   (32×32: random crop with 4-pixel padding and flips; upsampled: resize, centre crop, flips).
#
# K-FAC here uses the "expand" convention for Linear layers on 3-D inputs (the token-mixing layers see
# (batch, channels, tokens)): A averages āāᵀ over all N·R rows, G sums ggᵀ over the R rows of an example and
# averages over examples; `lib/optim/kfac.py` states it and `tests/test_kfac.py` checks it against brute force.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["table2"]; None: all
seeds = None        # None: the profile's seeds (small and paper: [0, 1, 2])
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)
checkpoint = None   # path to a timm-format ImageNet Mixer-B/16 checkpoint, for the B/16-PT rows

# %%
from pathlib import Path

import pandas as pd

from lib import data, plots, report, train
from lib.chapters import kfac_mixer

P, prov, claims = report.begin("01_kfac_mlp_mixer", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)
if checkpoint is not None and not Path(checkpoint).exists():
    raise FileNotFoundError(f"checkpoint {checkpoint} does not exist")
t2 = t2_short = t3 = t4 = quirk_runs = None   # Table 2's, the quirks' 10-epoch references', Tables 3–4's, the quirks' runs
sweep = {}                          # the learning-rate sweep's runs: (model, optimizer, lr) -> History

# %% [markdown]
# The settings this profile runs with, beside the paper's (`n_train` None: all 50,000 train images; `kfac`: K-FAC
# statistics and inverses every that many steps):

# %%
display(report.settings_table(P))

# %% [markdown]
# K-FAC's settings and where each comes from — most are not in the paper's text:

# %%
display(pd.DataFrame(list(kfac_mixer.KFAC_SOURCES.items()), columns=["K-FAC setting", "source"]))

# %%
available = data.available(("cifar10", "cifar100"))
PT_REASON = "no ImageNet Mixer-B/16 checkpoint on this machine (pass `checkpoint=`)"
for item, need in (("table2", "cifar10"), ("table4", "cifar10"), ("quirks", "cifar10")):   # table3: below
    if P.wants(item) and need not in available:
        claims.add(item, f"{item}: its runs", rule="", not_run=data.NO_DATA.format(need))

# %% [markdown]
# ## The learning rates, chosen at this scale
#
# The paper chose each optimizer's rate from {1e-2, 1e-3} at its scale. A rate chosen for 100 epochs on
# 50,000 images need not suit 630 steps, so at a scaled profile every optimizer is swept on each Table 2 model
# (half-decade grids from a third of the paper's rate up to 100× SGD's 1e-2 and 30× Adam's and K-FAC's 1e-3) on
# a seed of its own, and the rate with the best test accuracy is used for the 3 comparison seeds. A chosen rate at
# the edge of its grid fails the "tuned" precondition. The grids were widened twice, each time because SGD's and
# Adam's best on S/4 came out at the top rate: a short run favours hot rates. The long S/16 runs have a sweep of
# their own at their own length, over the half-decade rates around the 10-epoch choices. Its grids were extended
# whenever an edge came out best (SGD's down once, Adam's down twice, K-FAC's up once; the table below shows every
# rate tried). Where neighbouring rates' best accuracies differ by less than the seed-to-seed spread (compare the
# sweep table with Table 2's ± columns), which rate wins is partly the sweep seed's noise. The budget allows no
# further extension: a chosen rate still at an edge fails the "tuned" precondition. The authors' K-FAC takes
# K-FAC's rate; CIFAR-100 and grafting use the 10-epoch CIFAR-10 rates of the same model (as the paper uses one set
# of rates throughout).

# %%
MODELS = tuple(P.settings["models"])
SMALL = tuple(m for m in MODELS if P.settings["models"][m]["image_size"] == 32)     # native 32×32
UP = tuple(m for m in MODELS if P.settings["models"][m]["image_size"] > 32)         # upsampled
MODELS_T2 = MODELS + (("B/16-PT",) if checkpoint else ())
MODELS_T3 = tuple(P.settings["c100_models"]) + (("B/16-PT",) if checkpoint else ())
MODELS_T4 = tuple(P.settings["graft_models"]) + (("B/16-PT",) if checkpoint else ())
LONG = kfac_mixer.long_models(P)                                                 # Table 2's longer runs
LONG_UP = bool(LONG) and set(UP) <= set(LONG)                                    # claim 2 is decided on them
sweep_long = {}                                                                  # their sweep: (model, optimizer, lr)
if any(P.wants(i) for i in kfac_mixer.ITEMS if i != "prefix") and "cifar10" in available:
    sweep = kfac_mixer.sweep_grid(P)
if any(P.wants(i) for i in ("table2", "fig2", "fig3", "quirks")) and "cifar10" in available:   # as Table 2
    sweep_long = kfac_mixer.sweep_grid(P, long=True)
rates = kfac_mixer.chosen_rates(P, sweep, MODELS + MODELS_T3 + ("B/16-PT",))     # B/16-PT: not swept
rates_long = kfac_mixer.chosen_rates(P, sweep_long, LONG)
tuned = lambda models, long=False: kfac_mixer.rates_tuned(        # for a claim's models, on its runs' own sweep
    P, sweep_long if long else sweep, kfac_mixer.subset(rates_long if long else rates, models), long=long)
print(tuned(MODELS))
if LONG:
    print(tuned(LONG, long=True))
for grid, chosen, name, what in ((sweep, rates, "sweep", "sweep"), (sweep_long, rates_long, "sweep_long", "sweep, long runs")):
    if grid:
        display(kfac_mixer.sweep_table(grid, chosen))
        report.save_figure(kfac_mixer.sweep_figure(grid, chosen, f"learning-rate {what} ({P.profile} profile, seed "
                                                   f"{P.settings['sweep']['seed']})"), P.chapter, name)

# %% [markdown]
# ## Table 2 — CIFAR-10
#
# Every model × optimizer at its chosen rate, over the profile's seeds (runs are stored in `results/` and
# reused), with the authors' K-FAC (G ×rows) beside the expand-G one; the `epochs` column gives each model's run
# length (the long runs: 26 at small). Best test accuracy and the first (0-based)
# epoch whose test accuracy reaches the target. The paper's targets are {80, 80, 70, 65, 90}%; at a scaled
# profile the target of each model is 90% of the mean over the three optimizers of its best accuracy. No
# seconds to target: the runs share the CPU, so their clocks are not step costs (`benchmarks/kfac.py`
# measures those).

# %%
LABELS_T2 = kfac_mixer.OPTIMIZERS + (kfac_mixer.AUTHORS,)
need_t2 = any(P.wants(i) for i in ("table2", "fig2", "fig3", "quirks"))
if need_t2 and "cifar10" in available:
    t2 = kfac_mixer.run_grid(P, data="cifar10", seeds=P.seeds, checkpoint=checkpoint, optimizers=kfac_mixer.specs(
        P, rates, [m for m in MODELS_T2 if m not in LONG], LABELS_T2))
    if LONG:
        t2 |= kfac_mixer.run_grid(P, data="cifar10", seeds=P.seeds, long=True,
                                  optimizers=kfac_mixer.specs(P, rates_long, LONG, LABELS_T2))
    target2 = kfac_mixer.targets(P, t2, MODELS_T2, kfac_mixer.PAPER_TARGETS_T2)
    table2 = kfac_mixer.results_table(P, t2, MODELS_T2, kfac_mixer.PAPER_T2, target2)
    report.save_table(table2, P.chapter, "table2")
    display(table2)

# %% [markdown]
# B/16-PT (fine-tuning the ImageNet checkpoint):

# %%
if need_t2 and checkpoint is None:
    display(kfac_mixer.not_run_rows("B/16-PT", kfac_mixer.PAPER_T2, PT_REASON))

# %% [markdown]
# **Claim 1** — on 32×32 CIFAR-10 the three optimizers perform similarly (paper: best accuracies within
# 2.34 points on S/4 and 1.91 on B/4). Rule (`kfac_mixer.rule_similar`): on every 32×32 model every pair of
# optimizers is equivalent within ±2.5 points by two one-sided tests — the paper calls gaps up to 2.34 similar
# and the upsampled rows, from 2.65 on, discrepant. With 3 seeds such a test passes only for gaps well inside
# the margin and a small seed spread.
#
# **Claim 2** — on upsampled inputs without pretraining, K-FAC > SGD > Adam in best accuracy and in epochs to
# target, decided pair by pair (the paper's ordering is three claims, and they can differ): each pair's
# difference above 0 by Welch's interval on every upsampled model (`kfac_mixer.rule_above`). Epochs to target
# need every run to reach its target (a run that does not counts as its number of epochs, a bound that would
# flatter it).
#
# Preconditions of every optimizer comparison: each compared run trained (training loss −10% or more from
# the first epoch to the last, test accuracy ≥ chance + 5 points) and the rates tuned at this scale (every
# compared model swept, every chosen rate inside its grid). A best-accuracy claim also needs every compared
# optimizer at a plateau when its rate is first cut (`kfac_mixer.plateaued`: the seed-mean test accuracy of the
# last 4 full-rate epochs at most 1 point above that of the 4 before them; single epochs swing by several points
# at this scale, so two blocks, not two epochs, are compared): the paper's best accuracies
# are end points of 100 epochs, and between runs still climbing when the rate is cut an accuracy gap says which
# optimizer is faster, in either direction, not where each ends. Epochs to target instead need each run of the
# pair to reach its target before the rate's first decay: the paper's epochs to target all fall in its
# constant-rate epochs, and a target crossed after the decay would measure the schedule.

# %%
PAIRS = (("K-FAC", "SGD"), ("SGD", "Adam"), ("K-FAC", "Adam"))
if P.wants("table2") and "cifar10" in available:
    acc = kfac_mixer.accuracies(t2, MODELS_T2, kfac_mixer.OPTIMIZERS)
    claims.add("table2", "32×32 CIFAR-10: SGD, Adam and K-FAC perform similarly",
               kfac_mixer.rule_similar(kfac_mixer.subset(acc, SMALL),
                                       kfac_mixer.preconditions(P, t2, SMALL, tuned(SMALL), data="cifar10")),
               rule=f"every pair of optimizers within ±{kfac_mixer.SIMILAR_MARGIN:g} points (TOST), {', '.join(SMALL)}",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T2, ("S/4", "B/4"))),
               ours=kfac_mixer.summary(kfac_mixer.subset(acc, SMALL)))
    for high, low in PAIRS:
        claims.add("table2", f"upsampled, no pretraining: {high} > {low} in best accuracy",
                   kfac_mixer.rule_above(kfac_mixer.subset(acc, UP), high, low,
                                         kfac_mixer.preconditions(P, t2, UP, tuned(UP, LONG_UP), data="cifar10",
                                                                  labels=(high, low), long=LONG_UP)),
                   rule=f"{high} − {low} > 0 (Welch), {', '.join(UP)}",
                   paper=kfac_mixer.summary({m: {o: [kfac_mixer.PAPER_T2[m][o][0]] for o in (high, low)}
                                             for m in ("S/16", "B/16")}),
                   ours=kfac_mixer.summary({m: {o: acc[m][o] for o in (high, low)} for m in UP}))

# %%
if P.wants("table2") and "cifar10" in available:
    ept = {m: {o: kfac_mixer.epochs_to_target(t2, m, o, target2[m]) for o in kfac_mixer.OPTIMIZERS} for m in UP}
    for high, low in PAIRS:
        reached = kfac_mixer.targets_reached({k: h for k, h in t2.items() if k[1] in (high, low)},
                                             kfac_mixer.subset(target2, UP),
                                             before=kfac_mixer.first_decay(P, long=LONG_UP))
        claims.add("table2", f"upsampled, no pretraining: {high} reaches the target before {low}",
                   kfac_mixer.rule_above(ept, low, high, kfac_mixer.preconditions(
                       P, t2, UP, tuned(UP, LONG_UP), data="cifar10", labels=(high, low), end_point=False) + [reached]),
                   rule=f"epochs to target {low} − {high} > 0 (Welch), {', '.join(UP)}",
                   paper=kfac_mixer.summary({m: {o: [kfac_mixer.PAPER_T2[m][o][1]] for o in (high, low)}
                                             for m in ("S/16", "B/16")}, 0),
                   ours=kfac_mixer.summary({m: {o: ept[m][o] for o in (high, low)} for m in UP}, 1),
                   evidence=f"targets {kfac_mixer.subset(target2, UP)}")
    kfac_mixer.claim_sgd_best_on_pt(P, claims, "table2", t2, kfac_mixer.PAPER_T2, tuned(["B/16-PT"]), data="cifar10",
                                    not_run=None if checkpoint else PT_REASON)

# %% [markdown]
# ## Figures 2 and 3 — CIFAR-10 test curves
#
# Test accuracy and loss per epoch for each optimizer (line: mean over seeds; band: min–max), for the
# upsampled models (Figure 2) and the 32×32 models (Figure 3).

# %%
for item, models in (("fig2", UP + ("B/16-PT",)), ("fig3", SMALL)):
    if P.wants(item) and "cifar10" in available:
        frame = train.histories_frame({k: h for k, h in t2.items() if k[0] in models})
        fig = plots.curves(frame, title=f"{item}: CIFAR-10 ({P.profile} profile)")
        report.save_figure(fig, P.chapter, item)

# %% [markdown]
# ## Table 3 and Figure 4 — CIFAR-100
#
# The paper's B/4 and B/16 with the three optimizers and the authors' K-FAC beside them (the small profile: its
# upsampled S/16 only, 3 seeds, at the rates chosen on CIFAR-10). **Claim 3** — K-FAC is best on CIFAR-100 without pretraining. Rule
# (`kfac_mixer.rule_best`): on every model, K-FAC − SGD and K-FAC − Adam both above 0 by Welch's interval, under the
# same preconditions as Table 2 (chance: 1%).

# %%
need_t3 = P.wants("table3") or P.wants("fig4")
if need_t3 and "cifar100" in available:
    t3 = kfac_mixer.run_grid(P, data="cifar100", optimizers=kfac_mixer.specs(P, rates, MODELS_T3, LABELS_T2),
                             seeds=P.seeds, checkpoint=checkpoint)
    target3 = kfac_mixer.targets(P, t3, MODELS_T3, kfac_mixer.PAPER_TARGETS_T3)
    table3 = kfac_mixer.results_table(P, t3, MODELS_T3, kfac_mixer.PAPER_T3, target3)
    report.save_table(table3, P.chapter, "table3")
    display(table3)
    if checkpoint is None:
        display(kfac_mixer.not_run_rows("B/16-PT", kfac_mixer.PAPER_T3, PT_REASON))

# %%
if P.wants("table3") and "cifar100" in available:
    scratch = tuple(P.settings["c100_models"])
    acc3 = kfac_mixer.subset(kfac_mixer.accuracies(t3, MODELS_T3, kfac_mixer.OPTIMIZERS), scratch)
    claims.add("table3", "CIFAR-100, no pretraining: K-FAC is best",
               kfac_mixer.rule_best(acc3, "K-FAC", kfac_mixer.preconditions(P, t3, scratch, tuned(scratch), data="cifar100")),
               rule=f"K-FAC − SGD > 0 and K-FAC − Adam > 0 (Welch), {', '.join(scratch)}",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T3, ("B/4", "B/16"))),
               ours=kfac_mixer.summary(acc3))
    kfac_mixer.claim_sgd_best_on_pt(P, claims, "table3", t3, kfac_mixer.PAPER_T3, tuned(["B/16-PT"]), data="cifar100",
                                    not_run=None if checkpoint else PT_REASON)
elif P.wants("table3"):
    claims.add("table3", "CIFAR-100, no pretraining: K-FAC is best", rule="K-FAC above SGD and Adam (Welch)",
               not_run="CIFAR-100 is not in data/: run `make data`")

# %%
if P.wants("fig4") and "cifar100" in available:
    fig = plots.curves(train.histories_frame(t3), title=f"fig4: CIFAR-100 ({P.profile} profile)")
    report.save_figure(fig, P.chapter, "fig4")

# %% [markdown]
# ## Table 4 — learning-rate grafting (CIFAR-10)
#
# (M, D): the step size of M on the direction of D, per parameter tensor; (A, A) is plain A, so the diagonal
# reuses Table 2's runs (at small, the 10-epoch S/16 runs at the 10-epoch rates, which the quirks table also
# uses; Table 2's own S/16 runs are the long ones). Both children read the same, unmodified gradient (`lib/optim/graft.py` restores
# `.grad` between them). **Claim 5** — the magnitude optimizer decides accuracy: rows (same M) differ little,
# columns (same D) a lot. Rule (`kfac_mixer.rule_magnitude_decides`): per seed, the mean |difference| within columns
# minus the mean |difference| within rows; on each of S/16 and B/16 (and B/16-PT with a checkpoint) its mean
# over seeds lies above 0 by the one-sample t interval (paper: 4.97, 3.42 and 4.92 points). Preconditions: every
# graft run trained, the rates tuned at this scale, every cell at a plateau. Each child optimizer runs at its
# chosen rate. The small profile grafts on its upsampled S/16 only, 3 seeds. The authors' K-FAC (G ×rows) is not
# grafted: the paper's cells are K-FAC and SGD, and a second K-FAC would add 3 cells × 3 seeds for a question
# (does the G scaling change the grafting claim) that the quirks section asks of Table 2 first. Grafting trains 10
# epochs at small (5 at the full rate): too few to show a plateau, so claim 5 is inconclusive there by design.

# %%
if P.wants("table4") and "cifar10" in available:
    grafts = {model: {f"({m}, {d})": kfac_mixer.graft_spec(m, d, P, rates[model]) for m in ("SGD", "K-FAC")
                      for d in ("SGD", "K-FAC")} for model in MODELS_T4}
    t4 = kfac_mixer.run_grid(P, data="cifar10", optimizers=grafts, seeds=P.seeds, checkpoint=checkpoint)
    for m in MODELS_T4:
        tab = kfac_mixer.graft_table(t4, m)
        report.save_table(tab.reset_index(), P.chapter, f"table4_{m.replace('/', '')}")
        paper_cells = kfac_mixer.PAPER_T4[m]
        print(f"{m} — ours ({P.profile}); paper: SGD row {paper_cells['SGD', 'SGD']}, {paper_cells['SGD', 'K-FAC']}; "
              f"K-FAC row {paper_cells['K-FAC', 'SGD']}, {paper_cells['K-FAC', 'K-FAC']}")
        display(tab.round(2))

# %%
if P.wants("table4") and "cifar10" in available:
    gaps4 = {m: kfac_mixer.graft_gaps(t4, m) for m in MODELS_T4}
    text = lambda ms: "; ".join(f"{m}: {report.mean_std(gaps4[m])}" for m in ms)
    paper4 = lambda ms: "; ".join(f"{m}: {kfac_mixer.column_minus_row_gap(kfac_mixer.PAPER_T4[m]):.2f}" for m in ms)
    rule4 = "mean |Δ| within columns − within rows > 0 (one-sample t over seeds)"
    scratch4 = tuple(P.settings["graft_models"])
    labels4 = grafts[scratch4[0]]
    claims.add("table4", "grafting: the magnitude optimizer decides accuracy",
               kfac_mixer.rule_magnitude_decides(kfac_mixer.subset(gaps4, scratch4), kfac_mixer.preconditions(
                   P, t4, scratch4, tuned(scratch4), data="cifar10", labels=labels4)),
               rule=rule4 + f", {', '.join(scratch4)}", paper=paper4(("S/16", "B/16")), ours=text(scratch4))
    if checkpoint:
        claims.add("table4", "grafting on B/16-PT: the magnitude optimizer decides accuracy",
                   kfac_mixer.rule_magnitude_decides(kfac_mixer.subset(gaps4, ["B/16-PT"]), kfac_mixer.preconditions(
                       P, t4, ["B/16-PT"], tuned(["B/16-PT"]), data="cifar10", labels=labels4)), rule=rule4,
                   paper=paper4(["B/16-PT"]), ours=text(["B/16-PT"]))
    else:
        claims.add("table4", "grafting on B/16-PT: the magnitude optimizer decides accuracy", rule=rule4,
                   not_run=PT_REASON)

# %% [markdown]
# ## Beyond the paper — the authors' two quirks
#
# 1. **G scaled by rows.** For Linear layers on 3-D inputs, the authors' code scales G by the number of
#    rows N·R instead of N: R× the expand G (×channels for token mixing, ×tokens for channel mixing), which
#    weakens the damping λ relative to the curvature. Table 2 runs this "authors' K-FAC" beside the expand-G
#    one; we ask whether claim 2's K-FAC-vs-SGD ordering survives it (`kfac_mixer.rule_g_scaling_keeps_order`:
#    on each upsampled model, with K-FAC − SGD decided by Welch's interval, the authors' K-FAC sits on the same
#    side; every run trained and at a plateau; at small, on the long S/16 runs).
# 2. **Grafting through a rewritten `.grad`.** The authors' K-FAC writes its step into `.grad` before SGD
#    reads it, so their (K-FAC, SGD) cell is K-FAC in both roles. We rerun that cell with
#    `rewrite_grad=True, restore_grad=False` and compare it with plain K-FAC and with the guarded cell
#    (`kfac_mixer.rule_unguarded_is_kfac`: mean cos(Δ_M, Δ_D) over 10 steps, after the identity start of K-FAC's
#    factors has faded to 5%, is 1 within 1e-3 without the guard; the guarded cell, below that, is the control that the measurement tells them apart; K-FAC's weight
#    decay from the first step here, as SGD's, since the reference K-FAC's late start of it alone would part the
#    directions in the first steps). The rerun cell's
#    accuracy is shown, not decided: one seed at the scaled profiles.

# %%
if P.wants("quirks") and "cifar10" in available:
    AUTHORS = kfac_mixer.AUTHORS
    accq = kfac_mixer.accuracies(t2, UP, ("K-FAC", AUTHORS, "SGD"))
    claims.add("quirks", "the authors' G scaling leaves 'K-FAC vs SGD' on upsampled inputs unchanged",
               kfac_mixer.rule_g_scaling_keeps_order(accq, AUTHORS, [
                   kfac_mixer.trained(t2, UP, ("K-FAC", AUTHORS, "SGD"), data="cifar10"),
                   kfac_mixer.plateaued(P, t2, UP, ("K-FAC", AUTHORS, "SGD"), data="cifar10", long=LONG_UP)]),
               rule=f"K-FAC with R×G on the side of SGD that K-FAC with expand G is on (Welch), {', '.join(UP)}",
               paper="— (not in the paper)", ours=kfac_mixer.summary(accq))

# %%
if P.wants("quirks") and "cifar10" in available:
    cells = {m: {"(K-FAC, SGD)": kfac_mixer.graft_spec("K-FAC", "SGD", P, rates[m]),
                 "(K-FAC, SGD) authors'": kfac_mixer.graft_spec("K-FAC", "SGD", P, rates[m], restore_grad=False,
                                                                 rewrite_grad=True)} for m in UP}
    quirk_runs = kfac_mixer.run_grid(P, data="cifar10", optimizers=cells, seeds=kfac_mixer.quirk_seeds(P))
    # the cells' references at the cells' own length and rates (Table 2's runs themselves where no model is long)
    t2_short = kfac_mixer.run_grid(P, data="cifar10", seeds=P.seeds,
                                   optimizers=kfac_mixer.specs(P, rates, UP, ("K-FAC", AUTHORS, "SGD")))
    quirks = kfac_mixer.quirks_table({**t2_short, **quirk_runs}, UP, ("K-FAC", AUTHORS, "SGD") + tuple(cells[UP[0]]))
    report.save_table(quirks.reset_index(), P.chapter, "quirks")
    display(quirks.round(2))
    align = {label: kfac_mixer.graft_alignment(P, UP[0], cells[UP[0]][label], seed=P.seeds[0])
             for label in ("(K-FAC, SGD)", "(K-FAC, SGD) authors'")}
    print(f"mean cos(Δ_M, Δ_D) over 10 graft steps on {UP[0]}, after {kfac_mixer.identity_warmup(cells[UP[0]]['(K-FAC, SGD)'])}:",
          {k: round(v, 4) for k, v in align.items()})
    claims.add("quirks", "without the guard, the (K-FAC, SGD) cell is K-FAC in both roles",
               kfac_mixer.rule_unguarded_is_kfac(align["(K-FAC, SGD) authors'"], align["(K-FAC, SGD)"]),
               rule=f"cos(Δ_M, Δ_D) = 1 ± {kfac_mixer.ALIGN_TOL:g} without the guard; below that with it (control)",
               paper="— (the authors' code)", ours=", ".join(f"{k}: {v:.4f}" for k, v in align.items()))

# %% [markdown]
# The accuracy of that cell need not equal plain K-FAC's to the digit even so: floating-point differences in
# the rescaling grow over training into differences of the size of the seed-to-seed spread. Compared against
# that spread:

# %%
if P.wants("quirks") and "cifar10" in available:
    display(kfac_mixer.quirks_vs_seed_noise(quirks, t2_short).round(2))

# %% [markdown]
# ## The paper's own runs, first 20 epochs (item `prefix`, paper profile)
#
# The authors' schedule keeps the learning rate constant until epoch 50 (40 in their README's examples), and
# every upsampled epochs-to-target number of Table 2 is at most 15. So the first 20 epochs of the paper's own
# runs — full-size S/16 and B/16 at 224×224 on 50,000 images, the paper's rates, 3 seeds, the authors' K-FAC
# beside the expand-G one — decide claim 2's
# epochs-to-target pairs without any scaling, at the paper's targets (70 and 65%), on one GPU in a fifth of the
# paper profile's Table 2: `make reproduce-kfac-prefix PROFILE=paper` (run it alone: with Table 2's full runs in
# the same execution it retrains their first 20 epochs). At the scaled profiles this item says "not run".

# %%
PREFIX_TEXT = "the paper's runs, first {} epochs: {} reaches the target before {}"   # epochs, high, low
if P.wants("prefix") and P.profile != "paper":
    for high, low in PAIRS:
        claims.add("prefix", PREFIX_TEXT.format(kfac_mixer.PREFIX_EPOCHS, high, low),
                   rule=f"epochs to target {low} − {high} > 0 (Welch), S/16 and B/16 at 224",
                   not_run="the paper profile's item (full-size Mixers at 224×224 on 50,000 images: a GPU, days)")
elif P.wants("prefix") and "cifar10" in available:
    PP = kfac_mixer.prefix_params(P)
    prefix = kfac_mixer.run_grid(PP, data="cifar10", seeds=P.seeds, optimizers=kfac_mixer.specs(
        PP, kfac_mixer.chosen_rates(PP, {}, UP), UP, LABELS_T2))
    target_p = kfac_mixer.subset(kfac_mixer.PAPER_TARGETS_T2, UP)
    display(kfac_mixer.results_table(PP, prefix, UP, kfac_mixer.PAPER_T2, target_p))
    ept_p = {m: {o: kfac_mixer.epochs_to_target(prefix, m, o, target_p[m]) for o in kfac_mixer.OPTIMIZERS} for m in UP}
    for high, low in PAIRS:
        pair = {k: h for k, h in prefix.items() if k[1] in (high, low)}
        pre_p = [kfac_mixer.trained(pair, UP, (high, low), data="cifar10"), kfac_mixer.prefix_tuned(P),
                 kfac_mixer.targets_reached(pair, target_p)]
        claims.add("prefix", PREFIX_TEXT.format(kfac_mixer.PREFIX_EPOCHS, high, low),
                   kfac_mixer.rule_above(ept_p, low, high, pre_p),
                   rule=f"epochs to target {low} − {high} > 0 (Welch), {', '.join(UP)}",
                   paper=kfac_mixer.summary({m: {o: [kfac_mixer.PAPER_T2[m][o][1]] for o in (high, low)} for m in UP}, 0),
                   ours=kfac_mixer.summary({m: {o: ept_p[m][o] for o in (high, low)} for m in UP}, 1),
                   evidence=f"targets {target_p}")

# %% [markdown]
# ## Reading the verdicts
#
# A verdict at the `small` profile says whether the paper's claim holds *at that scale*: 4,000 images, one Mixer
# width 1/8 of S, each optimizer at the best rate of its own sweep. Every optimizer comparison states its
# preconditions — each run trained, each rate inside its sweep, and for best accuracy each optimizer at a plateau
# before its rate is cut — and a failed one (printed with its numbers in the `reason` column) makes the verdict
# inconclusive, as do fewer than 3 seeds per group. The 10-epoch runs (S/4, CIFAR-100, grafting) have 5 epochs at
# the full rate, fewer than the plateau test's two blocks of 4, so their best-accuracy claims are inconclusive by
# design: their gaps say which optimizer is ahead after 630 steps, not which ends ahead. Claim 2 and the G-scaling
# quirk are decided on the 26-epoch S/16 runs, whose plateau test is computed, not assumed. K-FAC at
# this scale takes statistics every 2 steps and inverses every 20, not the authors' 10 and 100: the reference
# code starts its factors at the identity and forgets it at the rate of the stat decay (weight 0.95^k after k
# statistics steps), so at the authors' intervals K-FAC would be close to SGD at its own small rate for a large
# part of 630 steps (`tests/test_kfac_trains.py`'s docstring gives the MNIST numbers that led to this). What
# transfers across scale unchanged are the
# quirks: properties of the update rule, checked here step by step (alignment) and in `tests/test_kfac.py` /
# `tests/test_graft.py`.

# %% [markdown]
# ## Summary
#
# Every claim with its computed verdict (saved as `figures/01_kfac_mlp_mixer/claims.csv`):

# %%
prov["runs_train_time_s"] = round(kfac_mixer.train_time_s(sweep, sweep_long, t2, t2_short, t3, t4, quirk_runs), 1)
report.finish(P, prov, claims, columns=("item", "claim", "paper", "ours", "n", "interval", "verdict", "reason"))
