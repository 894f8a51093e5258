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
# # 02 · ResMLP
#
# Touvron et al. — *ResMLP: Feedforward Networks for Image Classification With Data-Efficient Training*
# (TPAMI 2022). A ResMLP block is two residual sublayers: a linear layer **A** that mixes the N² patches,
# shared across channels (Eq. 2), and a per-patch MLP **C·GELU(B·)** that mixes channels (Eq. 3), each
# wrapped in the affine map Aff(x) = Diag(α)x + β (Eq. 1) instead of a normalisation layer. This chapter
# reproduces **Table 1** (complexity), **Table 3** (the parameter and FLOP counts of every ablation row,
# and the ablations themselves at CIFAR scale), the **training** block of Table 3 (old-fashioned SGD vs
# the modern recipe, and distillation from a convnet), **Figure 2** (rows of A as images) and **Figure 3**
# (sparsity of A vs B and C). The model is `lib/models/resmlp.py`; its docstring gives our reading of the
# Class-MLP and why the post-normalisation has no β (the printed parameter counts say so).
#
# **What cannot be reproduced here, and why.**
# - *ImageNet.* Every accuracy of the paper is ImageNet top-1 after 400 epochs on eight V100s. ImageNet is
#   not on this machine; the ablations run on CIFAR-10 with a CIFAR-sized ResMLP, and the verdicts compare
#   the *direction* of each change with the paper's, not the numbers. The `paper` profile trains the real
#   ResMLP-S12 on CIFAR-10 upsampled to 224×224 with the paper's recipe (a GPU for days).
# - *Tables 4–6 and Figure 4* need ImageNet-pretrained weights, Flowers/Cars/iNaturalist, WMT 2014,
#   ADE20k or ImageNet-V2: they say "not run" below, with what a user with the data would run.
# - *Timings* (Table 1) are ours, on our device, named beside the paper's V100 numbers; peak memory is
#   measured by torch on CUDA only.
# - *Data.* The CIFAR-10 here is a JPEG copy (lossy, 30.5 dB PSNR).
#
# **How a verdict is reached.** Every claim's rule is a function in `lib/chapters/resmlp.py` (`rule_*`,
# tested in `tests/test_rules_resmlp.py`, including on the paper's own numbers): a difference by Welch's
# interval over seeds, a "similar" by two one-sided tests against a stated margin, a ratio by its bootstrap
# interval, a count by a stated tolerance. A comparison needs at least 3 seeds per group, and each claim's
# preconditions (every compared run trained, the baseline tuned, the seeds distinct runs, the analysed
# weights trained) are computed first: otherwise the verdict is **inconclusive**, with the reason. The
# `small` profile still runs 2 seeds (the runs were made with them; the chapter's own issue rescales it),
# so its accuracy comparisons are inconclusive for now.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["table3"]; None: all
seeds = None        # None: the profile's seeds (small: [0, 1])
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)

# %%
import pandas as pd

from lib import data, env, experiment, plots, report, train, verdicts
from lib.chapters import resmlp

P, prov, claims = report.begin("02_resmlp", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)

# %% [markdown]
# The settings this profile trains with, beside the paper's (the `paper` profile's are the paper's,
# except the data: CIFAR-10 upsampled to 224×224 instead of ImageNet):

# %%
display(report.settings_table(P))

# %%
available = data.available(("cifar10",))    # without it the training items say "not run"

# %% [markdown]
# ## Table 1 — complexity of ResMLP-S12 and S24
#
# Parameters and FLOPs at 224×224 (FLOPs count a multiply-add as one, as the paper does: torch's
# `FlopCounterMode` count / 2), and inference throughput at batch 32 after warm-up, on our device, timed
# three times with S12 and S24 interleaved. **Claims**: the parameter counts match the paper's printed
# integers (±0.5M) and the FLOPs its printed decimal (±0.05G, plus 1% for the element-wise operations our
# counter skips, `resmlp.FLOPS_RTOL`); S24, twice as deep, runs at about half S12's throughput (V100: 1415.1
# vs 715.4 im/s, 1.98×; rule: the bootstrap interval of our ratio inside [1.5, 2.5], timed on an idle machine).

# %%
if P.wants("table1"):
    quiet = verdicts.machine_quiet()             # before timing: a busy machine times the load
    timings = resmlp.throughput_repeats(P.device, **P.settings["throughput"])
    t1 = resmlp.table1(timings)
    report.save_table(timings, P.chapter, "table1_timings")
    report.save_table(t1, P.chapter, "table1")
    print("ours measured on", env.device_name(P.device), "—", quiet)
    display(t1)

# %%
if P.wants("table1"):
    params = dict(zip(resmlp.PAPER_T1, t1["ours params (M)"]))
    gflops = dict(zip(resmlp.PAPER_T1, t1["ours GFLOPs"]))
    claims.add("table1", "ResMLP-S12 / S24: 15M / 30M parameters, 3.0 / 6.0 GFLOPs",
               resmlp.rule_table1_complexity(params, gflops),
               rule=f"params within ±{resmlp.PARAMS_ATOL_T1}M, GFLOPs within ±{resmlp.FLOPS_ATOL} + {resmlp.FLOPS_RTOL:.0%}",
               paper="S12: 15M, 3.0 GFLOPs; S24: 30M, 6.0 GFLOPs",
               ours="; ".join(f"{k}: {params[k]}M, {gflops[k]} GFLOPs" for k in params))
    ips = {k: timings.loc[timings["model"] == f"ResMLP-{k}", "images_per_s"].to_numpy() for k in resmlp.PAPER_T1}
    claims.add("table1", "S24 runs at about half the throughput of S12",
               resmlp.rule_throughput_ratio(ips["S12"], ips["S24"], quiet),
               rule=f"bootstrap interval of S12 / S24 im/s inside {list(resmlp.THROUGHPUT_BAND)}, machine idle",
               paper=f"1415.1 / 715.4 im/s = {1415.1 / 715.4:.2f}× (V100)",
               ours=f"{report.mean_std(ips['S12'], 1)} / {report.mean_std(ips['S24'], 1)} im/s",
               evidence=env.device_name(P.device))

# %% [markdown]
# ## Table 3 — parameters and FLOPs of every ablation row
#
# Each row's model built from the constructor options (`lib/models/resmlp.py`) and counted at 224×224.

# %%
if P.wants("table3"):
    t3c = resmlp.complexity_table()
    report.save_table(t3c, P.chapter, "table3_complexity")
    display(t3c.round(3))

# %%
if P.wants("table3"):
    claims.add("table3", "Table 3's parameter counts",
               resmlp.rule_params(resmlp.by_variant(t3c, "ours params (M)"), resmlp.by_variant(t3c, "paper params (M)")),
               rule=f"every row within ±{resmlp.PARAMS_ATOL}M", paper=f"{len(t3c)} rows, 14.9–129.1M",
               ours=resmlp.largest_gap(t3c, "params (M)"))
    claims.add("table3", "Table 3's FLOP counts",
               resmlp.rule_flops(resmlp.by_variant(t3c, "ours GFLOPs"), resmlp.by_variant(t3c, "paper GFLOPs")),
               rule=f"every row within ±{resmlp.FLOPS_ATOL} + {resmlp.FLOPS_RTOL:.0%} GFLOPs",
               paper=f"{len(t3c)} rows, 2.8–100.2G", ours=resmlp.largest_gap(t3c, "GFLOPs"))

# %% [markdown]
# The row furthest from the paper is **linear → MLP**: the parameters agree (18.6M), the FLOPs come to
# 4.25G where the paper prints 4.3. The cross-patch MLP on N² = 196 patches with hidden 4N² adds
# 2·196·784·384 multiply-adds per block, exactly what we count; the element-wise operations our counter
# skips (Aff, GELU, biases, residuals: ≈ 0.5%) bring it to about 4.27. The rule's 1% allowance covers
# them; the paper does not say which counter it used.

# %% [markdown]
# ## Table 3 — the ablations, trained on CIFAR-10
#
# Every variant of Table 3's normalisation, pooling, patch-communication and patch-size blocks, changed
# one at a time from the CIFAR-sized baseline, trained with the profile's modern recipe, over the
# profile's seeds. Ours is the test accuracy at the end of training; Δ is against our baseline, the
# paper's Δ against ResMLP-S12 on ImageNet. Our patch-size row tests the paper's claim from the other side
# (our 4×4 patches doubled to 8×8, which the claim "smaller patches help" predicts to be worse).
#
# **Rules.** A change "goes the paper's way" when Welch's 95% interval of our difference from the baseline
# lies on the paper's side of 0 (`resmlp.rule_ablation_helps`), and against it when it lies on the other
# side; an interval containing 0 is inconclusive, and so is any comparison with fewer than 3 seeds per
# variant. The orderings ("none is lowest", "conv 3×3 is best") need every pair to hold; "depth-wise performs
# like linear" is an equivalence test within ±0.6 points (`resmlp.DEPTHWISE_MARGIN`). **Preconditions**: every
# compared run trained (training loss fell ≥ 10%, test accuracy ≥ chance + 5 points) and each variant's
# seeds are different runs (identical per-epoch histories across seeds mean they are not).

# %%
need_runs = any(P.wants(i) for i in ("table3", "training", "fig2", "fig3")) and "cifar10" in available
if need_runs:
    base_cfg = {s: resmlp.config(P, model_kwargs=resmlp.model_kwargs(P, {}), recipe="modern", seed=s,
                                 keep_weights=True) for s in P.seeds}
    base = experiment.run_many(base_cfg, device=P.device, label="baseline")
if P.wants("table3") and "cifar10" in available:
    abl = experiment.run_many({(label, s): base_cfg[s] if opts == {} else
                               resmlp.config(P, model_kwargs=resmlp.model_kwargs(P, opts), recipe="modern", seed=s)
                               for label, (opts, _, _) in resmlp.ABLATIONS.items() for s in P.seeds},
                              device=P.device, label="table3")
    acc = {label: [abl[label, s].last() for s in P.seeds] for label in resmlp.ABLATIONS}
    t3 = resmlp.ablation_table(acc)
    report.save_table(t3, P.chapter, "table3_ablations")
    display(t3)

# %%
if P.wants("table3") and "cifar10" in available:
    long = resmlp.ablation_deltas(t3, P.profile)
    fig = plots.bars(long[long["variant"] != "linear (baseline)"], x="Δ", y="variant", hue="source", size=(7, 4),
                     title="Table 3 ablations: change in top-1 vs the baseline (points)")
    report.save_figure(fig, P.chapter, "table3_ablations")

# %%
if P.wants("table3") and "cifar10" in available:
    baseline_acc = acc["linear (baseline)"]
    pre = lambda *labels: resmlp.ablation_preconditions(abl, P.seeds, labels)
    ours = lambda *labels: resmlp.accuracies_text(acc, labels)
    claims.add("table3", "linear → none (a bag of patches) costs the most accuracy",
               resmlp.rule_none_lowest(acc, pre(*resmlp.ABLATIONS)),
               rule="every other variant above 'none' (Welch 95%, each pair)",
               paper="none 56.5 vs ≥ 76.3 for every other S12 row", ours=ours("linear → none", "linear (baseline)"))
    for label, text in (("Aff → LayerNorm", "Aff → LayerNorm improves accuracy (+1.1)"),
                        ("average → Class-MLP", "Class-MLP pooling improves accuracy (+0.9)")):
        claims.add("table3", text, resmlp.rule_ablation_helps(acc[label], baseline_acc, pre(label, "linear (baseline)"),
                                                              names=(label, "baseline")),
                   rule="variant − baseline > 0 (Welch 95%)", paper=resmlp.paper_vs_baseline(label),
                   ours=ours(label, "linear (baseline)"))
    claims.add("table3", "smaller patches improve accuracy (ours: larger patches lower it)",
               resmlp.rule_ablation_helps(baseline_acc, acc["patch ×2 (larger)"],
                                          pre("linear (baseline)", "patch ×2 (larger)"), names=("patch 4", "patch 8")),
               rule="smaller − larger patches > 0 (Welch 95%)",
               paper=f"S12/8 {resmlp.paper_vs_baseline('S12 patch 16 → 8')} (S12/16)",
               ours=ours("linear (baseline)", "patch ×2 (larger)"))

# %%
if P.wants("table3") and "cifar10" in available:
    convs = ("linear → conv 3×3", "linear (baseline)", "linear → conv 3×3 depth-wise", "linear → conv 3×3 depth-separable")
    claims.add("table3", "full 3×3 convolutions give the best patch communication",
               resmlp.rule_conv3x3_best(acc, pre(*convs)),
               rule="conv 3×3 above linear, depth-wise and depth-separable (Welch 95%, each pair)",
               paper="conv 3×3 77.3, linear 76.6, depth-wise 76.3, depth-separable 77.0", ours=ours(*convs))
    dw = "linear → conv 3×3 depth-wise"
    claims.add("table3", "a 3×3 depth-wise conv performs like the linear layer (−0.3)",
               resmlp.rule_depthwise_like_linear(acc[dw], baseline_acc, pre(dw, "linear (baseline)")),
               rule=f"equivalent within ±{resmlp.DEPTHWISE_MARGIN} points (TOST)",
               paper=resmlp.paper_vs_baseline(dw),
               ours=ours(dw, "linear (baseline)"))

# %% [markdown]
# ## Table 3 — the training block
#
# ResMLP-S12 on ImageNet: 76.6% with the modern (DeiT) recipe for 400 epochs, 69.2% with the
# "old-fashioned" ResNet recipe (SGD, 90-epoch waterfall schedule, the same augmentation), 77.8% when also
# distilled from a RegNetY-16GF convnet. At our scale: the old-fashioned recipe runs 90/400 of the modern
# recipe's epochs (its own waterfall scaled to them); a fourth run gives SGD all the epochs, to separate the
# optimizer from the length. The teacher is a small VGG-style convnet trained here first (DeiT's hard-label
# distillation: `lib/deit.py`). The `modern_full` row adds DeiT's whole augmentation (RandAugment, mixup,
# cutmix, random erasing, stochastic depth): at the `small` profile's 10 epochs on 5,000 images we expect
# it to underfit, which is why the profile's modern recipe keeps only label smoothing, flips and crops —
# the row measures that choice instead of asserting it.
#
# **Claims**: the modern recipe beats the old-fashioned one (+7.4); distillation from a convnet improves
# the modern recipe (+1.2). Rules: Welch's interval of the difference above 0, as above. Preconditions:
# the compared runs trained; for the recipes, the old-fashioned SGD rate tuned at this scale (no sweep is
# run here, so this one fails and says so: a win over an untuned SGD says little about the recipe); for
# distillation, a teacher better than the student it teaches.

# %%
if P.wants("training") and "cifar10" in available:
    teacher_cfg = resmlp.teacher_config(P)
    teacher = resmlp.run(P, teacher_cfg, "convnet teacher")
    kw = resmlp.model_kwargs(P, {})
    cfgs = {(name, s): base_cfg[s] if name == "modern" else resmlp.config(P, model_kwargs=kw, recipe=name, seed=s)
            for name in ("modern", "modern_full", "old_fashioned", "sgd_same_epochs") for s in P.seeds}
    cfgs.update({("distillation", s): resmlp.config(P, model_kwargs=kw, recipe="modern", seed=s, distill=teacher_cfg)
                 for s in P.seeds})                                # after the teacher: they read its weights
    done = experiment.run_many(cfgs, device=P.device, label="training")
    rec = resmlp.by_recipe(done)                                   # {recipe: {seed: History}}
    tacc = {name: [h.last() for h in hs.values()] for name, hs in rec.items()}
    ttab = resmlp.training_table(rec, teacher, P.profile)
    report.save_table(ttab, P.chapter, "table3_training")
    display(ttab)

# %%
if P.wants("training") and "cifar10" in available:
    trained_runs = lambda *names: resmlp.recipes_trained(rec, names)
    sgd_lr = P.settings["recipes"]["old_fashioned"]["optimizer"]["lr"]
    claims.add("training", "the modern (DeiT) recipe beats the old-fashioned ResNet recipe",
               resmlp.rule_modern_beats_old(tacc["modern"], tacc["old_fashioned"],
                                            [trained_runs("modern", "old_fashioned"), resmlp.sgd_tuned(sgd_lr)]),
               rule="modern − old-fashioned > 0 (Welch 95%)", paper="76.6 vs 69.2 (+7.4)",
               ours=f"modern {report.mean_std(tacc['modern'])}, old-fashioned {report.mean_std(tacc['old_fashioned'])}",
               evidence=f"SGD for all epochs {report.mean_std(tacc['sgd_same_epochs'])}")
    claims.add("training", "distillation from a convnet improves ResMLP",
               resmlp.rule_distillation_helps(tacc["distillation"], tacc["modern"],
                                              [trained_runs("distillation", "modern"),
                                               resmlp.teacher_better(teacher.last(), tacc["modern"])]),
               rule="distilled − modern > 0 (Welch 95%)", paper="77.8 vs 76.6 (+1.2)",
               ours=f"distilled {report.mean_std(tacc['distillation'])}, modern {report.mean_std(tacc['modern'])}",
               evidence=f"teacher {teacher.last():.2f}")

# %%
if P.wants("training") and "cifar10" in available:
    frame = train.histories_frame({("ResMLP", n, s): h for n, hs in rec.items() for s, h in hs.items()},
                                  keys=("model", "recipe", "seed"))
    report.save_figure(plots.curves(frame, hue="recipe", title=f"training recipes ({P.profile} profile)"),
                       P.chapter, "training_curves")

# %% [markdown]
# ## Figure 2 — rows of the cross-patch matrix A
#
# For the central patches, the row of A that produces each one, shown as an N×N image over the input
# patches (red positive, blue negative, white 0), at several depths of our trained baseline (seed 0).
# The paper shows ResMLP-S24 on ImageNet: convolution-like local patterns early, sparse long-range
# interactions later. **Claim** (early layers are convolution-like): in the first layer, the share of a
# row's |weight| on its own patch and 8 neighbours, over the share uniform weights would put there — its
# one-sample interval over seeds lies above 2 (`resmlp.rule_early_layers_local`); we also print that share for
# every layer. Preconditions: the baseline runs trained, and training moved A at least as far as its
# random start (‖A − A₀‖ ≥ ‖A₀‖, `resmlp.a_learned`): otherwise we would be reading the initialisation.

# %%
if (P.wants("fig2") or P.wants("fig3")) and "cifar10" in available:
    trained = {s: experiment.trained_model(c, P.device) for s, c in base_cfg.items()}
    inits = {s: resmlp.initial_model(c) for s, c in base_cfg.items()}      # each seed's untrained A₀
    moved = {s: resmlp.a_moved(trained[s], inits[s]) for s in P.seeds}     # per layer ‖A − A₀‖ / ‖A₀‖
    base_trained = resmlp.runs_trained({f"baseline, seed {s}": h for s, h in base.items()})
if P.wants("fig2") and "cifar10" in available:
    fig2_settings = P.settings["fig2"]
    central = fig2_settings["central"]
    m0 = trained[P.seeds[0]]
    fig = plots.mosaics({f"layer {i + 1}": resmlp.a_rows(m0, i, central) for i in fig2_settings["layers"]},
                        title=f"fig2: rows of A for the {central}×{central} central patches ({P.profile})")
    report.save_figure(fig, P.chapter, "fig2")
    loc = resmlp.locality_frame(trained)
    display(loc.pivot(index="layer", columns="seed", values="local share").round(3))
    first = loc[loc["layer"] == 1]
    claims.add("fig2", "early cross-patch layers are convolution-like (local)",
               resmlp.rule_early_layers_local(first["local share"], first["uniform"].iloc[0],
                                              [base_trained, resmlp.a_learned([moved[s][0] for s in P.seeds])]),
               rule=f"layer 1: 3×3-neighbourhood share of |A| / uniform > {resmlp.LOCAL_RATIO:g} (one-sample t 95%)",
               paper="Fig. 2 (S24, ImageNet): convolution-like local patterns in early layers",
               ours=f"{report.mean_std(first['local share'] / first['uniform'])}× uniform",
               evidence=", ".join(f"seed {int(r.seed)}: {r['local share']:.3f} vs uniform {r.uniform:.3f}"
                                  for _, r in first.iterrows()))

# %% [markdown]
# ## Figure 3 — sparsity of A vs the MLP's B and C
#
# Per layer, the share of weights whose magnitude is below 5% of the matrix's largest, for A and for the
# cross-channel MLP's B (d→4d) and C (4d→d); at initialisation (same seed, untrained) for reference.
# **Claim**: A is sparser than B and C. Rule (`resmlp.rule_a_sparser`): per seed, the mean over layers of
# A's share minus the larger of B's and C's; its one-sample interval over seeds above 0 → reproduced, below
# → not reproduced. Preconditions as for Figure 2, over every layer's A.

# %%
if P.wants("fig3") and "cifar10" in available:
    sp = pd.concat([resmlp.sparsity_frame(m).assign(seed=s, state="trained") for s, m in trained.items()]
                   + [resmlp.sparsity_frame(inits[P.seeds[0]]).assign(seed=-1, state="initialisation")])
    report.save_table(sp, P.chapter, "fig3")
    fig = plots.bars(sp[sp["state"] == "trained"], x="layer", y="sparsity", hue="matrix",
                     title=f"fig3: share of |w| < 5% of max ({P.profile}; bars: mean over seeds)")
    report.save_figure(fig, P.chapter, "fig3")
    display(sp.pivot_table(index="layer", columns=["state", "matrix"], values="sparsity").round(3))
    m3 = resmlp.sparsity_arrays(sp[sp["state"] == "trained"])       # (seeds, layers) per matrix
    claims.add("fig3", "the cross-patch matrices A are sparser than the MLP's B and C",
               resmlp.rule_a_sparser(m3["A"], m3["B"], m3["C"],
                                     [base_trained, resmlp.a_learned([x for s in P.seeds for x in moved[s]])]),
               rule="per seed, mean over layers of A − max(B, C) > 0 (one-sample t 95%)",
               paper="Fig. 3 (S24, ImageNet): A sparser than B and C", ours=", ".join(
                   f"{k} {report.mean_std(m3[k].mean(axis=1), 3)}" for k in "ABC"))

# %%
for item in ("table3", "training", "fig2", "fig3"):
    if P.wants(item) and "cifar10" not in available:
        claims.add(item, f"{item} at CIFAR scale", rule="", not_run=data.NO_DATA.format("CIFAR-10"))

# %% [markdown]
# ## Tables 4–6 and Figure 4 — not run here
#
# | item | what it needs | what a user with it would run |
# | --- | --- | --- |
# | Table 4 (transfer) | ImageNet-pretrained ResMLP-S12/S24, CIFAR-10/100, Flowers-102, Stanford Cars, iNaturalist 2018/19 | fine-tune the pretrained model at 224×224 per data set with the DeiT fine-tuning recipe (timm's `resmlp_12_224` weights load into `lib/models/resmlp.py` as `tests/test_resmlp.py` shows) |
# | Table 5 (WMT 2014 translation) | WMT14 En-De / En-Fr, a seq2seq toolkit (fairseq) | the ResMLP encoder-decoder with the causal cross-patch layer (`ResMLP(causal=True)`; tested to leak nothing from later positions), d=512, hidden 2048, 6 or 12 layers, Adagrad 0.2 |
# | Table 6 (ADE20k) | ADE20k, ImageNet-pretrained ResMLPs, UperNet (mmsegmentation) | UperNet ×3 schedule with the ResMLP as backbone at 224×224 |
# | Figure 4 (ImageNet-V2 vs val) | ImageNet val and ImageNet-V2 | evaluate the trained models of Table 3 on both |

# %%
NOT_HERE = {"table4": ("transfer from ImageNet is competitive (e.g. S24: 98.7% CIFAR-10, 89.5% CIFAR-100)",
                       "needs ImageNet-pretrained ResMLP weights and the transfer data sets; neither is here"),
            "table5": ("ResMLP-12 reaches 26.8 / 40.6 BLEU on WMT14 En-De / En-Fr", "needs WMT 2014 and a seq2seq toolkit"),
            "table6": ("ResMLP-B24 reaches 42.5 mIoU on ADE20k with UperNet", "needs ADE20k and ImageNet-pretrained weights"),
            "fig4": ("ResMLPs overfit ImageNet-val slightly more than convnets/transformers (ImageNet-V2 gap)",
                     "needs ImageNet and ImageNet-V2")}
for item, (claim, reason) in NOT_HERE.items():
    if P.wants(item):
        claims.add(item, claim, rule="", not_run=reason)

# %% [markdown]
# ## Reading the verdicts
#
# A verdict at the `small` profile speaks about a 0.5M-parameter ResMLP trained for 10 epochs on 5,000
# CIFAR-10 images, not about ResMLP-S12 after 400 ImageNet epochs. Three things weigh on it:
# - *Direction, not size.* The ablation rules ask only whether a change moves accuracy the paper's way,
#   beyond Welch's 95% interval over at least 3 seeds; the sizes in the table above differ from
#   ImageNet's by design (and the figure shows by how much). With the `small` profile's 2 seeds every
#   accuracy comparison is inconclusive ("fewer than 3 seeds"): the chapter's own issue adds seeds.
# - *Preconditions.* A verdict is given only when the runs it compares trained, the seeds are distinct
#   runs, the old-fashioned SGD rate was tuned (it is not, here: no sweep), the teacher beats its student,
#   and the analysed A moved away from its initialisation; a failed one is named in the verdict's reason.
# - *What short training favours.* A variant that learns faster early (a LayerNorm that standardises every
#   token where Aff only rescales it, an MLP over patches) is favoured over one whose advantage needs many epochs to appear; the
#   convolutional patch-communication variants start from torch's default initialisation, not from
#   anything tuned for this block, and the paper's 400-epoch ranking need not hold after 10.
# - *The weight analyses* (Figures 2–3) read a net whose A has moved little from its uniform
#   initialisation (the initialisation row of the Figure 3 table is the reference): the paper's
#   convolution-like, sparse A is what long ImageNet training produced; our verdicts say whether 10
#   CIFAR epochs already show it, and only once A has moved at least as far as its random start.

# %% [markdown]
# ## Summary
#
# Every claim with its computed verdict (saved as `figures/02_resmlp/claims.csv`).

# %%
report.finish(P, prov, claims)
