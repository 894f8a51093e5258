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
#   The `small` profile keeps the contrasts the claims rest on — native 32×32 vs upsampled input with the
#   paper's 196 tokens, S vs B width, the three optimizers at the paper's learning rates — on a CPU in
#   about 45 minutes, so its accuracies are far below the paper's, and the epochs-to-target targets are
#   scaled by a stated rule.
# - *Verdicts.* Each claim is decided by a rule in `lib/chapters/kfac_mixer.py` on per-seed numbers
#   (Welch intervals, equivalence tests against a stated margin), only with at least 3 seeds per group and
#   only when its preconditions hold: every compared run trained, and the learning rates were tuned at the
#   scale the runs are made at. The small profile keeps its 2 seeds (1 for CIFAR-100, grafting and the
#   quirks) and the paper's rates without a sweep of its own, so its optimizer comparisons are
#   **inconclusive**, each with the reason (the numbers are shown all the same); only the second quirk, a
#   property of the update rule, is decided there.
# - *Data.* The CIFAR-10 on this machine is a JPEG copy (lossy, 30.5 dB PSNR); CIFAR-100 is lossless.
# - *Unstated settings.* The paper gives no learning-rate schedule; we use the authors' code default,
#   MultiStepLR ×0.1 at 50% and 75% of the epochs, for every optimizer.
#
# K-FAC here uses the "expand" convention for Linear layers on 3-D inputs (the token-mixing layers see
# (batch, channels, tokens)): A averages āāᵀ over all N·R rows, G sums ggᵀ over the R rows of an example and
# averages over examples; `lib/optim/kfac.py` states it and `tests/test_kfac.py` checks it against brute force.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["table2"]; None: all
seeds = None        # None: the profile's seeds (small: [0, 1]; paper: [0, 1, 2])
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)
checkpoint = None   # path to a timm-format ImageNet Mixer-B/16 checkpoint, for the B/16-PT rows

# %%
from pathlib import Path

from lib import data, plots, report, train
from lib.chapters import kfac_mixer

P, prov, claims = report.begin("01_kfac_mlp_mixer", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)
if checkpoint is not None and not Path(checkpoint).exists():
    raise FileNotFoundError(f"checkpoint {checkpoint} does not exist")
t2 = t3 = t4 = quirk_runs = None    # the run grids of Table 2, Table 3, Table 4 and the quirks: None until run

# %% [markdown]
# The settings this profile runs with, beside the paper's (`n_train` None: all 50,000 train images; `kfac`: K-FAC
# statistics and inverses every that many steps):

# %%
display(report.settings_table(P))

# %%
available = data.available(("cifar10", "cifar100"))
PT_REASON = "no ImageNet Mixer-B/16 checkpoint on this machine (pass `checkpoint=`)"
for item, need in (("table2", "cifar10"), ("table4", "cifar10"), ("quirks", "cifar10")):   # table3: below
    if P.wants(item) and need not in available:
        claims.add(item, f"{item}: its runs", rule="", not_run=data.NO_DATA.format(need))

# %% [markdown]
# ## Table 2 — CIFAR-10
#
# Every model × optimizer, each over the profile's seeds (runs are stored in `results/` and reused).
# Best test accuracy, the first (0-based) epoch whose test accuracy reaches the target, and the training
# wall-clock seconds until then on our device (K-FAC's steps cost more, so epochs alone flatter it). The paper's
# targets are {80, 80, 70, 65, 90}%; at a scaled profile the target of each model is 90% of the mean
# over the three optimizers of its best accuracy.

# %%
MODELS_T2 = ("S/4", "B/4", "S/16", "B/16") + (("B/16-PT",) if checkpoint else ())
MODELS_T3 = ("B/4", "B/16") + (("B/16-PT",) if checkpoint else ())
opts = {o: kfac_mixer.optimizer_spec(o, P) for o in kfac_mixer.OPTIMIZERS}
need_t2 = any(P.wants(i) for i in ("table2", "fig2", "fig3"))
if need_t2 and "cifar10" in available:
    t2 = kfac_mixer.run_grid(P, data="cifar10", models=MODELS_T2, optimizers=opts, seeds=P.seeds, checkpoint=checkpoint)
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
# 2.34 points on S/4 and 1.91 on B/4). Rule (`kfac_mixer.rule_similar`): on S/4 and B/4 every pair of optimizers is
# equivalent within ±2.5 points by two one-sided tests — the paper calls gaps up to 2.34 similar and the
# upsampled rows, from 2.65 on, discrepant.
#
# **Claim 2** — on upsampled inputs without pretraining, K-FAC > SGD > Adam in best accuracy (2a) and in
# epochs to target (2b). Rule 2a (`kfac_mixer.rule_accuracy_order`): on S/16 and B/16, K-FAC − SGD and SGD − Adam both
# above 0 by Welch's interval (Bonferroni over the two pairs). Rule 2b (`kfac_mixer.rule_epochs_order`): the same
# ordering of per-seed epochs to target, Adam > SGD > K-FAC; it needs every run to reach its target (a run
# that does not counts as its number of epochs, a bound that would flatter it).
#
# Preconditions of every optimizer comparison: each compared run trained (training loss −10% or more from
# the first epoch to the last, test accuracy ≥ chance + 5 points) and the learning rates were tuned at this
# scale (the paper's sweep over {1e-2, 1e-3} was made at 100 epochs on 50,000 images).

# %%
SMALL, UP = ("S/4", "B/4"), ("S/16", "B/16")
tuned = kfac_mixer.rates_tuned(P)
print(tuned)

# %%
if P.wants("table2") and "cifar10" in available:
    acc = kfac_mixer.accuracies(t2, MODELS_T2, kfac_mixer.OPTIMIZERS)
    claims.add("table2", "32×32 CIFAR-10: SGD, Adam and K-FAC perform similarly",
               kfac_mixer.rule_similar(kfac_mixer.subset(acc, SMALL),
                                       kfac_mixer.preconditions(t2, SMALL, tuned, data="cifar10")),
               rule=f"every pair of optimizers within ±{kfac_mixer.SIMILAR_MARGIN:g} points (TOST), S/4 and B/4",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T2, SMALL)),
               ours=kfac_mixer.summary(kfac_mixer.subset(acc, SMALL)))
    claims.add("table2", "upsampled, no pretraining: K-FAC > SGD > Adam in best accuracy",
               kfac_mixer.rule_accuracy_order(kfac_mixer.subset(acc, UP),
                                              kfac_mixer.preconditions(t2, UP, tuned, data="cifar10")),
               rule="K-FAC − SGD > 0 and SGD − Adam > 0 (Welch, Bonferroni), S/16 and B/16",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T2, UP)),
               ours=kfac_mixer.summary(kfac_mixer.subset(acc, UP)))

# %%
if P.wants("table2") and "cifar10" in available:
    ept = {m: {o: kfac_mixer.epochs_to_target(t2, m, o, target2[m]) for o in kfac_mixer.OPTIMIZERS} for m in UP}
    reached = kfac_mixer.targets_reached(t2, kfac_mixer.subset(target2, UP))
    claims.add("table2", "upsampled, no pretraining: K-FAC reaches the target first, then SGD, then Adam",
               kfac_mixer.rule_epochs_order(ept, kfac_mixer.preconditions(t2, UP, tuned, data="cifar10") + [reached]),
               rule="epochs to target Adam > SGD > K-FAC (Welch, Bonferroni), S/16 and B/16",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T2, UP, 1), 0),
               ours=kfac_mixer.summary(ept, 1), evidence=f"targets {kfac_mixer.subset(target2, UP)}")
    kfac_mixer.claim_sgd_best_on_pt(claims, "table2", t2, kfac_mixer.PAPER_T2, tuned, data="cifar10",
                                    not_run=None if checkpoint else PT_REASON)

# %% [markdown]
# ## Figures 2 and 3 — CIFAR-10 test curves
#
# Test accuracy and loss per epoch for each optimizer (line: mean over seeds; band: min–max), for the
# upsampled models (Figure 2) and the 32×32 models (Figure 3).

# %%
for item, models in (("fig2", ("S/16", "B/16", "B/16-PT")), ("fig3", ("S/4", "B/4"))):
    if P.wants(item) and "cifar10" in available:
        frame = train.histories_frame({k: h for k, h in t2.items() if k[0] in models})
        fig = plots.curves(frame, title=f"{item}: CIFAR-10 ({P.profile} profile)")
        report.save_figure(fig, P.chapter, item)

# %% [markdown]
# ## Table 3 and Figure 4 — CIFAR-100
#
# B/4 and B/16 with the three optimizers. **Claim 3** — K-FAC is best on CIFAR-100 without pretraining.
# Rule (`kfac_mixer.rule_best`): on B/4 and B/16, K-FAC − SGD and K-FAC − Adam both above 0 by Welch's interval, under
# the same preconditions as Table 2 (chance: 1%). The scaled profiles run one seed here (the CIFAR-100 runs
# are the most expensive), which leaves the claim undecided: fewer than 3 seeds.

# %%
need_t3 = P.wants("table3") or P.wants("fig4")
if need_t3 and "cifar100" in available:
    c100_seeds = kfac_mixer.costly_seeds(P)
    t3 = kfac_mixer.run_grid(P, data="cifar100", models=MODELS_T3, optimizers=opts, seeds=c100_seeds, checkpoint=checkpoint)
    target3 = kfac_mixer.targets(P, t3, MODELS_T3, kfac_mixer.PAPER_TARGETS_T3)
    table3 = kfac_mixer.results_table(P, t3, MODELS_T3, kfac_mixer.PAPER_T3, target3)
    report.save_table(table3, P.chapter, "table3")
    display(table3)
    if checkpoint is None:
        display(kfac_mixer.not_run_rows("B/16-PT", kfac_mixer.PAPER_T3, PT_REASON))

# %%
if P.wants("table3") and "cifar100" in available:
    acc3 = kfac_mixer.subset(kfac_mixer.accuracies(t3, MODELS_T3, kfac_mixer.OPTIMIZERS), MODELS_T3[:2])
    claims.add("table3", "CIFAR-100, no pretraining: K-FAC is best",
               kfac_mixer.rule_best(acc3, "K-FAC", kfac_mixer.preconditions(t3, MODELS_T3[:2], tuned, data="cifar100")),
               rule="K-FAC − SGD > 0 and K-FAC − Adam > 0 (Welch), B/4 and B/16",
               paper=kfac_mixer.summary(kfac_mixer.paper_values(kfac_mixer.PAPER_T3, MODELS_T3[:2])),
               ours=kfac_mixer.summary(acc3))
    kfac_mixer.claim_sgd_best_on_pt(claims, "table3", t3, kfac_mixer.PAPER_T3, tuned, data="cifar100",
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
# reuses Table 2's runs. Both children read the same, unmodified gradient (`lib/optim/graft.py` restores
# `.grad` between them). **Claim 5** — the magnitude optimizer decides accuracy: rows (same M) differ little,
# columns (same D) a lot. Rule (`kfac_mixer.rule_magnitude_decides`): per seed, the mean |difference| within columns
# minus the mean |difference| within rows; on each of S/16 and B/16 (and B/16-PT with a checkpoint) its mean
# over seeds lies above 0 by the one-sample t interval (paper: 4.97, 3.42 and 4.92 points). Preconditions: every
# graft run trained, the rates tuned at this scale. The scaled profiles run one seed (the profile's first):
# fewer than 3, so undecided.

# %%
if P.wants("table4") and "cifar10" in available:
    grafts = {f"({m}, {d})": kfac_mixer.graft_spec(m, d, P) for m in ("SGD", "K-FAC") for d in ("SGD", "K-FAC")}
    MODELS_T4 = UP + (("B/16-PT",) if checkpoint else ())
    t4 = kfac_mixer.run_grid(P, data="cifar10", models=MODELS_T4, optimizers=grafts, seeds=kfac_mixer.costly_seeds(P),
                             checkpoint=checkpoint)
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
    claims.add("table4", "grafting: the magnitude optimizer decides accuracy",
               kfac_mixer.rule_magnitude_decides(kfac_mixer.subset(gaps4, UP),
                                                 kfac_mixer.preconditions(t4, UP, tuned, data="cifar10", labels=grafts)),
               rule=rule4 + ", S/16 and B/16", paper=paper4(UP), ours=text(UP))
    if checkpoint:
        claims.add("table4", "grafting on B/16-PT: the magnitude optimizer decides accuracy",
                   kfac_mixer.rule_magnitude_decides(kfac_mixer.subset(gaps4, ["B/16-PT"]), kfac_mixer.preconditions(
                       t4, ["B/16-PT"], tuned, data="cifar10", labels=grafts)), rule=rule4,
                   paper=paper4(["B/16-PT"]), ours=text(["B/16-PT"]))
    else:
        claims.add("table4", "grafting on B/16-PT: the magnitude optimizer decides accuracy", rule=rule4,
                   not_run=PT_REASON)

# %% [markdown]
# ## Beyond the paper — the authors' two quirks
#
# 1. **G scaled by rows.** For Linear layers on 3-D inputs, the authors' code scales G by the number of
#    rows N·R instead of N: R× the expand G (×channels for token mixing, ×tokens for channel mixing), which
#    weakens the damping λ relative to the curvature. We rerun K-FAC with `g_rows_quirk=True` on the
#    upsampled models and ask whether claim 2's K-FAC-vs-SGD ordering survives (`kfac_mixer.rule_g_scaling_keeps_order`:
#    on each model, with K-FAC − SGD decided by Welch's interval, the authors' K-FAC sits on the same side; every
#    run trained; one seed at the scaled profiles, so undecided there).
# 2. **Grafting through a rewritten `.grad`.** The authors' K-FAC writes its step into `.grad` before SGD
#    reads it, so their (K-FAC, SGD) cell is K-FAC in both roles. We rerun that cell with
#    `rewrite_grad=True, restore_grad=False` and compare it with plain K-FAC and with the guarded cell
#    (`kfac_mixer.rule_unguarded_is_kfac`: mean cos(Δ_M, Δ_D) over the first steps is 1 within 1e-3 without the guard;
#    the guarded cell, below that, is the control that the measurement tells them apart).

# %%
if P.wants("quirks") and "cifar10" in available:
    AUTHORS_G = "K-FAC (authors' G)"
    q_opts = {"K-FAC": opts["K-FAC"], "SGD": opts["SGD"],
              AUTHORS_G: kfac_mixer.optimizer_spec("K-FAC", P, g_rows_quirk=True),
              "(K-FAC, SGD)": kfac_mixer.graft_spec("K-FAC", "SGD", P),
              "(K-FAC, SGD) authors'": kfac_mixer.graft_spec("K-FAC", "SGD", P, restore_grad=False, rewrite_grad=True)}
    quirk_runs = kfac_mixer.run_grid(P, data="cifar10", models=UP, optimizers=q_opts, seeds=kfac_mixer.costly_seeds(P))
    quirks = kfac_mixer.quirks_table(quirk_runs, UP, q_opts)
    report.save_table(quirks.reset_index(), P.chapter, "quirks")
    display(quirks.round(2))

# %%
if P.wants("quirks") and "cifar10" in available:
    accq = kfac_mixer.accuracies(quirk_runs, UP, ("K-FAC", AUTHORS_G, "SGD"))
    claims.add("quirks", "the authors' G scaling leaves 'K-FAC vs SGD' on upsampled inputs unchanged",
               kfac_mixer.rule_g_scaling_keeps_order(accq, AUTHORS_G, [kfac_mixer.trained(
                   quirk_runs, UP, ("K-FAC", AUTHORS_G, "SGD"), data="cifar10")]),
               rule="K-FAC with R×G on the side of SGD that K-FAC with expand G is on (Welch), S/16 and B/16",
               paper="— (not in the paper)", ours=kfac_mixer.summary(accq))
    align = {label: kfac_mixer.graft_alignment(P, "S/16", q_opts[label], seed=P.seeds[0])
             for label in ("(K-FAC, SGD)", "(K-FAC, SGD) authors'")}
    print("mean cos(Δ_M, Δ_D) over the first graft steps on S/16:", {k: round(v, 4) for k, v in align.items()})
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
    display(kfac_mixer.quirks_vs_seed_noise(quirks, t2).round(2))

# %% [markdown]
# ## Reading the verdicts
#
# A verdict at the `small` profile would say whether the paper's ordering holds *at that scale*: 2,500
# images, 6 epochs, Mixers 1/8 as wide. The schedule decays the learning rate at epochs 3 and 4, so SGD at
# 1e-2 gets three epochs at full rate, and the paper's rates were never re-tuned for it. So every optimizer
# comparison states its preconditions — each run trained, the rates tuned at this scale — and a failed one
# (printed with its numbers in the `reason` column) makes the verdict inconclusive, as do fewer than 3 seeds
# per group; the paper's 100-epoch results are neither confirmed nor contradicted by a 6-epoch run. What does
# transfer across scale are the quirks: they are properties of the update rule, checked here step by step
# (alignment) and in `tests/test_kfac.py` / `tests/test_graft.py`.

# %% [markdown]
# ## Summary
#
# Every claim with its computed verdict (saved as `figures/01_kfac_mlp_mixer/claims.csv`):

# %%
prov["runs_train_time_s"] = round(kfac_mixer.train_time_s(t2, t3, t4, quirk_runs), 1)  # from the run store
report.finish(P, prov, claims, columns=("item", "claim", "paper", "ours", "n", "interval", "verdict", "reason"))
