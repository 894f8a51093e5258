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
# # 03 · ActCooLR — activation pattern temperature
#
# *ActCooLR – High-Level Learning Rate Schedules using Activation Pattern Temperature*, supplementary
# material (the main paper is not available to us, so every gap is stated where we fill it). At a ReLU
# layer, the **activation pattern temperature** T = −log₂(P_same) measures how many positions keep their
# on/off pattern over all channels through one optimisation step (`lib/measure/apt.py`). The paper
# models the probability of a pattern change after a step at rate λ as P(λ) = ½[1 + erf((ln λ − μ)/(σ√2))],
# and **ActCooLR** sets the rate that makes the temperature follow a target curve (`lib/optim/actcoolr.py`).
# This chapter reproduces **Figures 1–2** (temperatures over training under several schedules and
# ResNet variants), **Figure 3 / Table 1** (range analyses and the model fit), **Figure 4** (the last ReLU
# layer), **Figure 5** (robustness to the initial rate), **Table 2** (ActCooLR vs 1-cycle) and **Section D**
# (dynamic ActCooLR).
#
# **Readings we had to take** (each used where stated):
# - *Target curve*: T(x) = T₀(1 − x)^γ over training progress x (Figure 5's "linear from 3.03 to 0" at γ = 1).
# - *Conversions*: the listing goes −log₂ one way and 1 − e^(−T) back; we use 1 − 2^(−T) and report the
#   fit with the printed one beside it (Table 1).
# - *Range-analysis rates*: the supplement's Table 1 is logspace(−3.2, 2, 25) (6.3e-4 … 100), not 1e-4 … 1e2.
# - *Schedules of Figure 1* are not given: step decay ×0.1 at 50%/75%, cyclic 0.001–0.1 (triangular, four
#   cycles), 1-cycle up to 1.0 (30% warm-up, momentum 0.765–0.9); FixUp, pyramid widths (α = 48) and
#   no-shortcut ResNets as in `lib/models/cifar_resnets.py`.
# - *The 4-layer ConvNet* for Fashion-MNIST is the Keras CNN of chapter 04 (conv 32, conv 64, dense 128, dense 10).
# - *No validation split*: accuracies are on the test set (the paper holds out 1% of the training images
#   to choose hyperparameters; we choose none).
#
# **Verdicts.** Each claim is decided by a rule in `lib/chapters/actcoolr.py` (tested in
# `tests/test_rules_actcoolr.py`, on the paper's own numbers where it prints them): a difference by Welch's
# interval, "similar" by an equivalence test against a stated margin, a ratio by its bootstrap interval, a
# trend by Spearman's ρ with a permutation p-value — and only after its preconditions, computed from the runs
# (every compared run trained, hyperparameters tuned at this scale, enough of the paper's horizon), hold.
# A comparison needs ≥ 3 seeds per group: with fewer (the `small` profile runs one seed until this chapter's
# own issue rescales it) such a claim is **inconclusive**, and so is one whose precondition failed; the reason
# is printed beside it.
#
# **Not here**: PyramidNet on Tiny ImageNet (Figure 3: the book has no Tiny ImageNet loader, nor the data)
# and ResNet-50 on ImageNet (Figure 4): the data sets are not on this machine. **Scale**: the `small` profile uses ResNet-20 in place of ResNet-32 / ResNet-18
# and PyramidNet-20 in place of PyramidNet-110, on 4,000 CIFAR-10 images for 6 epochs.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["fig5"]; None: all
seeds = None        # None: the profile's seeds
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)

# %%
import pandas as pd

from lib import data, experiment, plots, report, train, verdicts
from lib.chapters import actcoolr

P, prov, claims = report.begin("03_actcoolr", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)
display(report.settings_table(P))

# %%
available = data.available(("cifar10", "fashion_mnist"))
settings = P.settings
steps_per_epoch = actcoolr.steps_per_epoch(settings, "cifar10")

# %% [markdown]
# ## Figures 1 and 2 — temperatures over training
#
# ResNet under step decay, cyclic and 1-cycle schedules, and the FixUp, pyramid and no-shortcut variants
# under step decay; the temperature of every ReLU layer measured every 10 steps on the training batch
# (the same-batch estimate), averaged per epoch. **Claims** (Section A), each only if every run trained:
# (1) the temperature cools over training — in every run the mean temperature falls with the epoch (Spearman
# ρ < 0, permutation p < 0.05; step decay forces much of this, and the supplement's *bottom-to-top* order is
# not tested here); (2) deeper layers run hotter — decided *within* each stage of equal filters, since the
# supplement says more filters raise the base temperature (ρ(layer, T) > 0 in every stage of every run);
# (3) the no-shortcut net is hotter yet generalises worse — its mean temperature and its train − test accuracy
# gap above the ResNet's (Welch, ≥ 3 seeds).

# %%
SCHEDULES = {"step decay": ("multistep", 0.1),
             "cyclic": (dict(name="cyclic", base_lr=0.001, max_lr=0.1,
                             step_size_up=max(1, settings["epochs"] * steps_per_epoch // 8)), 0.1),
             "1-cycle": (dict(name="onecycle", max_lr=1.0, pct_start=0.3, base_momentum=0.765, max_momentum=0.9), 1.0)}
SPECS1 = {("ResNet", label): (sched, lr, {}) for label, (sched, lr) in SCHEDULES.items()}
SPECS1.update({(variant, "step decay"): ("multistep", 0.1, kw) for variant, kw in list(actcoolr.VARIANTS.items())[1:]})
if (P.wants("fig1") or P.wants("fig2")) and "cifar10" in available:
    cfgs1 = {(v, s, seed): actcoolr.config(P, data_name="cifar10", model="resnet_cifar", schedule=sched, lr=lr, seed=seed,
                                           model_kwargs=dict(depth=settings["resnet_depth"], **kw), epochs=settings["epochs"])
             for (v, s), (sched, lr, kw) in SPECS1.items() for seed in P.seeds}
    runs1 = experiment.run_many(cfgs1, device=P.device, label="fig1-2")
    by_run = {f"{v}, {s}": [runs1[v, s, seed] for seed in P.seeds] for v, s in SPECS1}      # run -> per seed
    trained1 = actcoolr.trained(by_run, P.seeds)

# %%
if P.wants("fig1") and "cifar10" in available:
    fig = plots.heatmaps({name: actcoolr.heatmap(hs[0]) for name, hs in by_run.items()}, xlabel="epoch",
                         ylabel="ReLU layer (input → output)", title=f"fig1: per-layer temperature ({P.profile})")
    report.save_figure(fig, P.chapter, "fig1")

# %%
if P.wants("fig2") and "cifar10" in available:
    frame = train.histories_frame({(name, "T", P.seeds[0]): hs[0] for name, hs in by_run.items()}, keys=("run", "x", "seed"))
    fig = plots.panel_grid(frame.assign(one="runs"), panels=[("epoch", "lr"), ("epoch", "test_acc"), ("epoch", "T_mean")],
                           row="one", hue="run", title=f"fig2: learning rate, test accuracy, mean temperature ({P.profile})")
    report.save_figure(fig, P.chapter, "fig2")
    summary = pd.DataFrame([{"run": name, "seed": seed, "T first epoch": h.frame()["T_mean"].iloc[0],
                             "T last epoch": h.last("T_mean"), "mean T": h.frame()["T_mean"].mean(),
                             "final train acc": h.last("train_acc"), "final acc": h.last("test_acc")}
                            for name, hs in by_run.items() for seed, h in zip(P.seeds, hs)]).round(3)
    report.save_table(summary, P.chapter, "fig2")
    display(summary)

# %%
if P.wants("fig2") and "cifar10" in available:
    per_run = summary.groupby("run", sort=False)
    claims.add("fig2", "the temperature cools over training",
               actcoolr.rule_cools({n: actcoolr.t_curve(hs) for n, hs in by_run.items()}, [trained1]),
               rule="Spearman ρ(epoch, mean T) < 0, permutation p < 0.05, in every run",
               paper="temperatures cool down (Figures 1–2; no numbers printed)",
               ours=", ".join(f"{n}: {report.mean_std(g['T first epoch'])}→{report.mean_std(g['T last epoch'])}"
                              for n, g in per_run))

# %%
if P.wants("fig1") and "cifar10" in available:
    profiles1 = {n: actcoolr.layer_profile(hs, settings["resnet_depth"]) for n, hs in by_run.items()}
    claims.add("fig1", "deeper layers run hotter (within each stage of equal filters)",
               actcoolr.rule_deeper_hotter(profiles1, [trained1]),
               rule="Spearman ρ(layer, mean layer T) > 0, permutation p < 0.05, in every stage of every run",
               paper="deeper layers generally have a higher temperature (Figure 1)",
               ours=", ".join(f"{n}: first layer {report.mean_std(f[f.layer == 0]['T'])}, last "
                              f"{report.mean_std(f[f.layer == f.layer.max()]['T'])}" for n, f in profiles1.items()))
    ns, rn = by_run["no shortcut, step decay"], by_run["ResNet, step decay"]
    both = actcoolr.trained({"no shortcut": ns, "ResNet": rn}, P.seeds)
    t_ns, t_rn, gap_ns, gap_rn = (actcoolr.mean_t(ns), actcoolr.mean_t(rn), actcoolr.generalisation_gap(ns),
                                  actcoolr.generalisation_gap(rn))
    claims.add("fig1", "the no-shortcut net is hotter yet generalises worse",
               actcoolr.rule_no_shortcut(t_ns, t_rn, gap_ns, gap_rn, [both]),
               rule="mean T and train − test accuracy gap both above the ResNet's (Welch, ≥ 3 seeds)",
               paper="no-shortcut temperatures higher, generalisation worse (Figure 1; no numbers printed)",
               ours=f"mean T {report.mean_std(t_ns)} vs {report.mean_std(t_rn)}; gap "
                    f"{report.mean_std(gap_ns)} vs {report.mean_std(gap_rn)} points")

# %% [markdown]
# ## Figure 3 / Table 1 — range analyses and the model fit; Figure 4 — the last ReLU layer
#
# At several points of training under a constant rate (the 4-layer ConvNet on Fashion-MNIST, VGG-16 on
# CIFAR-10), one plain SGD step from the same state at each of the 25 rates, on one fixed batch
# (`analysis_batch` images; the paper averages over the whole training set), and the erf model fitted to
# the measured change probabilities. The state after e epochs is a run of e epochs with its weights kept
# (same seed and batches as a longer run at a constant rate). Where the measured probabilities hardly vary
# over the 25 rates (every pattern changes even at the smallest rate, as the paper notes for the last layer
# early in training), σ and μ are not identifiable and the table says so instead of printing what curve_fit
# returns. **Claims** (Section C): the erf model fits — RMS error of the fitted probability ≤ 0.1 at every
# identifiable point (a tenth of the probability scale: a weak test, which any sigmoid may pass); σ stays
# roughly constant on VGG-16 / CIFAR-10 — σ(last) / σ(first) within a factor 2, by its bootstrap interval over
# seeds; on the 4-layer ConvNet / Fashion-MNIST the paper says instead that σ falls (about 3 → 0.3): at least
# halves. Figure 4 repeats the fit on the last ReLU layer alone, where σ "remains rather constant". The σ
# claims need the analyses to reach at least half the paper's horizon in steps (the `small` profile reaches
# well under 1% of it: inconclusive, with that reason).

# %%
if any(P.wants(i) for i in ("fig3", "table1", "fig4")):
    fits, curves, range_runs = [], [], {}
    for name, r in settings["range"].items():
        if name not in available:
            print(data.NO_DATA.format(name))
            continue
        xb, yb = actcoolr.analysis_batch(P, name, settings["analysis_batch"], P.device)
        kw = dict(in_chans=1, image_size=28) if r["model"] == "keras_cnn" else {}
        for seed in P.seeds:
            for e in r["points"]:
                cfg = actcoolr.config(P, data_name=name, model=r["model"], model_kwargs=kw, schedule=None, lr=r["lr"],
                                      seed=seed, epochs=max(e, 1), keep_weights=True, apt_every=None)
                if e == 0:
                    model = experiment.build(cfg, P.device).model.to(P.device)         # the initialisation
                else:
                    range_runs[name, seed] = actcoolr.run(P, cfg, f"{name} {r['model']} to epoch {e}")   # the last one stays
                    model = experiment.trained_model(cfg, P.device)
                temps = actcoolr.range_analysis(model, xb, yb)
                for last_only in (False, True):
                    f = actcoolr.fit_rows(temps, last_only=last_only)
                    layers = "last" if last_only else "mean"
                    fits.append({"data": name, "model": r["model"], "seed": seed, "epoch": e, "layers": layers,
                                 **{k: v for k, v in f.items() if k != "temperatures"}})
                    curves += [{"data": name, "seed": seed, "epoch": e, "layers": layers, **point}
                               for point in actcoolr.fit_curve(f)]
    fits, curves = pd.DataFrame(fits), pd.DataFrame(curves)
    report.save_table(fits, P.chapter, "table1_fits")
    display(fits.round(4))

# %%
for item, layers in (("fig3", "mean"), ("fig4", "last")):
    if P.wants(item) and len(curves):
        shown = curves[(curves["layers"] == layers) & (curves["seed"] == P.seeds[0])]
        fig = plots.measured_and_fitted(shown, x="lr", measured="P measured", fitted="P fitted", hue="epoch", col="data",
                                        title=f"{item}: change probability vs rate ({layers} over layers); lines: erf fits")
        report.save_figure(fig, P.chapter, item)

# %%
if any(P.wants(i) for i in ("table1", "fig4")) and len(fits):
    paper_settings = P.paper
    range_pre = {name: [actcoolr.covers_horizon(name, actcoolr.analysis_steps(settings, name),
                                                actcoolr.analysis_steps(paper_settings, name)),
                        actcoolr.trained({name: [range_runs[name, s] for s in P.seeds]}, P.seeds)]
                 for name in fits["data"].unique()}

# %%
if P.wants("table1") and len(fits):
    m = fits[fits["layers"] == "mean"]
    ok = m[m["identifiable"]]
    enough = [verdicts.check(f"{name}: ≥ 2 identifiable analysed points", ok[ok["data"] == name]["epoch"].nunique() >= 2,
                             f"{ok[ok['data'] == name]['epoch'].nunique()} of {m[m['data'] == name]['epoch'].nunique()}")
              for name in m["data"].unique()]
    rmse = {f"{r.data} e{r.epoch} s{r.seed}": r["rmse (probability)"] for _, r in ok.iterrows()}
    band = f"[{actcoolr.SIGMA_BAND[0]:g}, {actcoolr.SIGMA_BAND[1]:g}]"
    claims.add("table1", "the erf model fits the range analyses", actcoolr.rule_erf_fits(rmse, enough),
               rule=f"RMS error of the fitted change probability ≤ {actcoolr.FIT_TOL} at every identifiable point",
               paper="the model fits in practice (Figure 3; no numbers printed)",
               ours=", ".join(f"{name}: {report.mean_std(g['rmse (probability)'], 3)}" for name, g in ok.groupby("data")),
               evidence="not identifiable: " + (", ".join(f"{r.data} e{r.epoch}" for _, r in m[~m["identifiable"]].iterrows())
                                                or "none"))
    if "cifar10" in range_pre:
        claims.add("table1", "σ stays roughly constant over training (VGG-16, CIFAR-10)",
                   actcoolr.rule_sigma_constant({"cifar10": actcoolr.sigma_ends(m, "cifar10")}, range_pre["cifar10"]),
                   rule=f"σ(last) / σ(first) in {band} (bootstrap, ≥ 3 seeds)",
                   paper="σ remains approximately constant (Sections C, D)",
                   ours="σ " + actcoolr.sigma_path(m, "cifar10", P.seeds[0]))
    if "fashion_mnist" in range_pre:
        claims.add("table1", "σ falls over training on the 4-layer ConvNet (Fashion-MNIST)",
                   actcoolr.rule_sigma_falls(*actcoolr.sigma_ends(m, "fashion_mnist"), range_pre["fashion_mnist"]),
                   rule=f"σ(last) / σ(first) ≤ {actcoolr.SIGMA_FALL:g} (bootstrap, ≥ 3 seeds)",
                   paper="σ about 3 → 0.3 over 200 epochs (Section C)",
                   ours="σ " + actcoolr.sigma_path(m, "fashion_mnist", P.seeds[0]))

# %%
if P.wants("fig4") and len(fits):
    last = fits[fits["layers"] == "last"]
    claims.add("fig4", "per layer (the last ReLU layer), σ stays rather constant",
               actcoolr.rule_sigma_constant({n: actcoolr.sigma_ends(last, n) for n in range_pre},
                                            [p for ps in range_pre.values() for p in ps]),
               rule=f"σ(last) / σ(first) in [{actcoolr.SIGMA_BAND[0]:g}, {actcoolr.SIGMA_BAND[1]:g}] per data set "
                    "(bootstrap, ≥ 3 seeds)",
               paper="viewed per layer, σ remains rather constant (Section C)",
               ours=", ".join(f"{n}: σ {actcoolr.sigma_path(last, n, P.seeds[0])}" for n in range_pre))

# %% [markdown]
# ## Figure 5 — the initial learning rate
#
# ActCooLR (T₀ = 3.03, γ = 1, momentum 0.9) with initial rates 1.0 … 1e-5; σ from a range analysis of each
# seed's initial model. A net whose ReLUs have all died measures T = 0 (no pattern can change), and the
# scheduler answers with ever larger rates: watch the 1.0 row. **Claims** (Section B), each only if every
# compared run trained: (1) all initial rates but 1.0 give similar rate profiles and errors — against the
# main paper's 0.1, every other rate's final accuracy within ±1 point and its rate over the last half of
# training within a factor 2 (equivalence tests, ≥ 3 seeds), once the scheduler has measured ≥ 10 times
# before that half; (2) from 1.0 training ends better than from 0.1 (Welch).

# %%
if (P.wants("fig5") or P.wants("table2") or P.wants("sectionD")) and "cifar10" in available:
    xb, yb = actcoolr.analysis_batch(P, "cifar10", settings["analysis_batch"], P.device)
    sigma0 = {seed: actcoolr.init_sigma(P, "resnet_cifar", dict(depth=settings["resnet_depth"]), seed, xb, yb)
              for seed in P.seeds}
    print(f"σ fitted at initialisation (ResNet-{settings['resnet_depth']}), per seed:",
          {k: round(v, 3) for k, v in sigma0.items()})

# %%
if P.wants("fig5") and "cifar10" in available:
    runs5 = {(lr, seed): actcoolr.run(P, actcoolr.config(
                 P, data_name="cifar10", model="resnet_cifar", model_kwargs=dict(depth=settings["resnet_depth"]),
                 schedule=dict(name="actcoolr", sigma=round(sigma0[seed], 6), t0=3.03, gamma=1.0, every=10),
                 lr=lr, seed=seed, epochs=settings["epochs"]), f"ActCooLR from {lr:g}")
             for lr in actcoolr.FIG5_LRS for seed in P.seeds}
    frame5 = train.histories_frame({(f"{lr:g}", "x", seed): h for (lr, seed), h in runs5.items() if seed == P.seeds[0]},
                                   keys=("initial lr", "x", "seed"))
    fig = plots.panel_grid(frame5.assign(one="ActCooLR"), panels=[("epoch", "lr"), ("epoch", "test_acc"), ("epoch", "T_mean")],
                           row="one", hue="initial lr", title=f"fig5: ActCooLR from six initial rates ({P.profile})")
    report.save_figure(fig, P.chapter, "fig5")

# %%
if P.wants("fig5") and "cifar10" in available:
    per_lr = {lr: [runs5[lr, seed] for seed in P.seeds] for lr in actcoolr.FIG5_LRS}
    acc5 = {lr: actcoolr.final(hs, "test_acc") for lr, hs in per_lr.items()}
    log_lr5 = {lr: [actcoolr.late_log_lr(h) for h in hs] for lr, hs in per_lr.items()}
    display(pd.DataFrame({"final acc": {lr: report.mean_std(v) for lr, v in acc5.items()},
                          "log10 lr, last half": {lr: report.mean_std(v, 3) for lr, v in log_lr5.items()}}))
    settled = actcoolr.scheduler_settled(min(actcoolr.steps_before_late(h) for h in runs5.values()), every=10)
    rest = [lr for lr in actcoolr.FIG5_LRS if lr != 1.0]
    claims.add("fig5", "all initial rates but 1.0 give similar learning-rate profiles and errors",
               actcoolr.rule_fig5_similar(acc5, log_lr5, [actcoolr.trained_from(per_lr, rest, P.seeds), settled]),
               rule=f"vs 0.1: final acc within ±{actcoolr.FIG5_ACC_MARGIN:g} point, late log₁₀ lr within ±log₁₀ 2 "
                    "(TOST, ≥ 3 seeds)",
               paper="very similar rate profiles and validation errors for 0.1 … 1e-5 (Figure 5)",
               ours=", ".join(f"{lr:g}: {report.mean_std(acc5[lr])}% at lr 10^{report.mean_std(log_lr5[lr])}" for lr in rest))
    claims.add("fig5", "from the initial rate 1.0 ActCooLR ends better",
               actcoolr.rule_fig5_high_rate(acc5[1.0], acc5[0.1], [actcoolr.trained_from(per_lr, [1.0, 0.1], P.seeds)]),
               rule="final acc from 1.0 above that from 0.1 (Welch, ≥ 3 seeds)",
               paper="a better overall network performance in the end of training (Figure 5)",
               ours=f"1.0: {report.mean_std(acc5[1.0])}%, 0.1: {report.mean_std(acc5[0.1])}%")

# %% [markdown]
# ## Table 2 — ActCooLR vs 1-cycle
#
# 1-cycle (OneCycleLR with the listed λ_max and t_max as its warm-up share, momentum 0.765–0.9) against
# ActCooLR (the listed T₀, γ; momentum 0.9; σ fitted at initialisation), weight decay 5e-5. At the `small`
# profile, with the 25-epoch rows' hyperparameters. **Claim** (Section G): ActCooLR's error is in a similar
# range as 1-cycle's — within ±1.5 points for every network (equivalence test, ≥ 3 seeds; the paper's own
# widest gap is 1.13). Both methods' hyperparameters come from the paper's search at its scale: at another
# scale, where no search was run here, the claim is inconclusive with that reason.

# %%
if P.wants("table2") and "cifar10" in available:
    rows, runs2 = [], {}
    for epochs_paper in (25, 50):
        for net, (model, kw) in settings["t2_models"].items():
            oc, _ = actcoolr.PAPER_T2[epochs_paper, net, "1-cycle"]
            ac, _ = actcoolr.PAPER_T2[epochs_paper, net, "ActCooLR"]
            for ours_epochs in settings["t2_epochs"]:
                if P.profile == "paper" and ours_epochs != epochs_paper or P.profile != "paper" and epochs_paper != 25:
                    continue
                for seed in P.seeds:
                    sig = actcoolr.init_sigma(P, model, kw, seed, xb, yb)
                    specs = {"1-cycle": (dict(name="onecycle", max_lr=oc["max_lr"], pct_start=oc["t_max"],
                                              base_momentum=0.765, max_momentum=0.9), oc["max_lr"] / 25),
                             "ActCooLR": (dict(name="actcoolr", sigma=round(sig, 6), t0=ac["t0"], gamma=ac["gamma"],
                                               every=10), 0.1)}
                    for method, (sched, lr) in specs.items():
                        h = runs2[epochs_paper, ours_epochs, net, method, seed] = actcoolr.run(P, actcoolr.config(
                            P, data_name="cifar10", model=model, model_kwargs=kw, schedule=sched, lr=lr, seed=seed,
                            epochs=ours_epochs), f"{net} {method}")
                        rows.append({"paper epochs": epochs_paper, "ours epochs": ours_epochs, "network": net,
                                     "ours": f"{model} {kw}", "method": method, "seed": seed,
                                     "paper error %": actcoolr.PAPER_T2[epochs_paper, net, method][1],
                                     f"ours error % ({P.profile})": round(100 - h.last("test_acc"), 2)})
    t2 = pd.DataFrame(rows)
    report.save_table(t2, P.chapter, "table2")
    display(t2)

# %%
if P.wants("table2") and "cifar10" in available:
    col = f"ours error % ({P.profile})"
    cases = {f"{net}, {ep} epochs": (g[g.method == "ActCooLR"][col].tolist(), g[g.method == "1-cycle"][col].tolist())
             for (ep, net), g in t2.groupby(["paper epochs", "network"])}
    scales = t2[["paper epochs", "ours epochs"]].drop_duplicates().itertuples(index=False)
    pre2 = [verdicts.all_trained({f"{net} {method}, {ep} epochs, seed {seed}": h
                                  for (ep, _, net, method, seed), h in runs2.items()}, chance=actcoolr.CHANCE)]
    pre2 += [actcoolr.tuned_here(what, ours, paper, settings["n_train"]["cifar10"]) for paper, ours in scales
             for what in (f"1-cycle's λ_max, t_max ({paper} epochs)", f"ActCooLR's T₀, γ ({paper} epochs)")]
    claims.add("table2", "ActCooLR is in a similar range as 1-cycle", actcoolr.rule_table2(cases, pre2),
               rule=f"ActCooLR − 1-cycle error within ±{actcoolr.T2_MARGIN:g} points, every network (TOST, ≥ 3 seeds)",
               paper="; ".join(f"{net}, {ep}: {actcoolr.PAPER_T2[ep, net, 'ActCooLR'][1]} vs "
                               f"{actcoolr.PAPER_T2[ep, net, '1-cycle'][1]}"
                               for (ep, net), _ in t2.groupby(["paper epochs", "network"])),
               ours="; ".join(f"{k}: {report.mean_std(ac)} vs {report.mean_std(oc)}" for k, (ac, oc) in cases.items()))

# %% [markdown]
# ## Section D — dynamic ActCooLR
#
# SGD on the learning rate itself (λ_T = 0.05, probability measured every 10 steps, the gradient
# re-applied in between) towards the target change probability C(x) = 1 − 2^(−T(x)), T₀ = 3.03, γ = 1.
# **Claim**: "a quick convergence to the target probability" — over the last half of training the largest
# per-epoch |P̂ − C| stays below 0.1 (about the change of P a 1.5× rate error makes on the erf curve's steep
# part), by the one-sample interval over ≥ 3 seeds; only if the runs trained.

# %%
if P.wants("sectionD") and "cifar10" in available:
    hd = {seed: actcoolr.run(P, actcoolr.config(
              P, data_name="cifar10", model="resnet_cifar", model_kwargs=dict(depth=settings["resnet_depth"]),
              schedule=dict(name="dynamic_actcoolr", t0=3.03, gamma=1.0, every=10), lr=0.1, seed=seed,
              epochs=settings["epochs"]), "dynamic ActCooLR") for seed in P.seeds}
    fd = actcoolr.section_d_frame(hd[P.seeds[0]])
    display(fd[["epoch", "lr", "test_acc", "T_mean", "P measured", "P target"]].round(4))
    fig = plots.panel_grid(fd.melt(id_vars=["epoch"], value_vars=["P measured", "P target"]).assign(one="Section D"),
                           panels=[("epoch", "value")], row="one", hue="variable", title=f"sectionD ({P.profile})")
    report.save_figure(fig, P.chapter, "sectionD")

# %%
if P.wants("sectionD") and "cifar10" in available:
    gaps = [actcoolr.late_target_gap(actcoolr.section_d_frame(h)) for h in hd.values()]
    claims.add("sectionD", "dynamic ActCooLR reaches its target probability curve",
               actcoolr.rule_section_d(gaps, [verdicts.all_trained({f"seed {s}": h for s, h in hd.items()},
                                                                   chance=actcoolr.CHANCE)]),
               rule=f"largest |P̂ − C| over the last half of training below {actcoolr.SECTION_D_TOL:g} "
                    "(one-sample t, ≥ 3 seeds)",
               paper="a quick convergence to the target probability (no numbers printed)",
               ours=f"largest late |P̂ − C| {report.mean_std(gaps, 3)}")

# %%
for item in ("fig1", "fig2", "fig5", "table2", "sectionD"):
    if P.wants(item) and "cifar10" not in available:
        claims.add(item, item, rule="", not_run=data.NO_DATA.format("CIFAR-10"))
if P.wants("fig3"):
    claims.add("fig3", "the erf model also fits PyramidNet-41 on Tiny ImageNet", rule="",
               not_run="the book has no Tiny ImageNet loader, and Tiny ImageNet is not on this machine")
if P.wants("fig4"):
    claims.add("fig4", "last-layer analysis of ResNet-50 on ImageNet", rule="",
               not_run="ImageNet is not on this machine")

# %% [markdown]
# ## Summary
#
# Every claim with the paper's number beside ours (mean ± std over seeds), the seeds per group (n), the
# preconditions and the reason of its verdict. A claim that compares runs needs ≥ 3 seeds per group: until this
# chapter's own issue rescales the `small` profile (one seed today), those claims are inconclusive here, and so
# are the claims whose preconditions fail at this scale (hyperparameters not tuned here, too short a horizon).

# %%
report.finish(P, prov, claims, columns=("item", "claim", "paper", "ours", "n", "preconditions", "reason", "verdict"))
