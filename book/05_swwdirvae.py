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
# # 05 · β-SWWDirVAE — what-where autoencoders, Dirichlet VAEs, β, SAM, and the proposal itself
#
# Giacometti, Terekhin, Taepov, Aksakal — *Advanced Topics in ML: Proposal* (2023). A proposal, not a results
# paper: it reviews four ideas, cites two result tables, and hypothesises that combining them —
# a stacked what-where autoencoder (SWWAE) whose latent is a Dirichlet VAE's, weighted by β, pre-trained
# without labels and then frozen in front of an EfficientNet trained with SAM — "can improve on existing
# benchmarks for CIFAR-10 and CIFAR-100". This chapter reproduces what can run here of the cited results —
# **Table 2** (DirVAE's kNN table), **Figures 2–3** (component collapsing, t-SNE), **Table 1** (SWWAE on CIFAR),
# SAM's claim — and then **tests the hypothesis** at a scale a CPU can train.
#
# **What the proposal prints, and what we use** (each in `lib/`, tested in `tests/test_autoencoders.py` and
# `tests/test_sam.py`):
# - *The MultiGamma KL* (its Eq. 6) reads Σ lnΓ(α) − Σ log(α̂) + Σ(α̂ − α)ψ(α): not zero at α̂ = α, so not a KL.
#   We use Joo et al.'s KL(q‖p) = Σ[lnΓ(α) − lnΓ(α̂) + (α̂ − α)ψ(α̂)], checked against Monte Carlo and torch.
# - *Eq. (10)* subtracts β·KL from the reconstruction loss (maximising the KL); the loss is reconstruction + β·KL.
# - *Algorithm 1 (SAM)* perturbs by g/‖g‖, i.e. ρ = 1; Foret et al. use ρ·g/‖g‖ with ρ = 0.05, as we do.
# - *Eq. (5)* asks α_k, β > 1 for the MultiGamma; Eq. (7)'s approximation is accurate for small α (the tests
#   show it), and Joo et al.'s prior is α = 0.98: we use that.
# - *Eq. (7)*, F⁻¹(u; α, β) ≈ β⁻¹(uαΓ(α))^{1/α}, is used as printed (in log space), one uniform per sample and
#   dimension.
#
# **Our readings of what it leaves open** (assumptions): every L2 term of the SWWAE is a mean over elements
# (Zhao et al. write ‖x − x̂‖²); the β-SWWDirVAE's KL is divided by the input size so that β = 1 is an ELBO per
# element; a latent "representation" is the posterior mean (GVAE μ, DirVAE α̂/Σα̂); the proposal's "reshaped"
# latent is a 3×16×16 (small) or 3×32×32 (paper) image, scaled by K so its elements average 1.
#
# **What cannot run here**: Omniglot (Table 2's right half) and the 80-million-tiny-images pre-training of Table
# 1 (the data set was withdrawn; the proposal says so itself) and ImageNet for the proposal's pre-training: the
# β-SWWDirVAE is pre-trained on CIFAR-10's training images instead, without their labels.
#
# **How a verdict is reached**: each claim's rule is a function of `lib/chapters/swwdirvae.py` (tested in
# `tests/test_rules_swwdirvae.py`, on Table 1's and Table 2's own numbers where the paper prints them) over
# per-seed values — Welch intervals for "A beats B", a bootstrap interval for the ratio — and needs at least 3
# seeds per group; its preconditions (every compared run trained, rate-matched arms, a train–test gap for SAM)
# are computed from the runs, and a failed one makes the verdict inconclusive with its numbers. The small
# profile still runs 2 seeds, so its comparisons are inconclusive until the chapter is rescaled.

# %% tags=["parameters"]
profile = None      # "paper" | "small" | "smoke"; None: "paper" with CUDA, else "small"
only = None         # items to run, e.g. ["table2"]; None: all
seeds = None        # None: the profile's seeds (small: [0, 1])
device = None       # None: "cuda" when available, else "cpu"
max_steps = None    # caps every run's optimizer steps (e.g. 1 to check the paper profile on a CPU)

# %%
import numpy as np
import pandas as pd
import seaborn as sns

from lib import data, experiment, loader, plots, report, train
from lib.chapters import swwdirvae

P, prov, claims = report.begin("05_swwdirvae", profile=profile, only=only, seeds=seeds, device=device,
                                max_steps=max_steps)

# %% [markdown]
# The settings this profile runs with, beside the paper profile's (the cited papers' own settings where they
# are known: Joo et al. train K = 50 MLP VAEs on the whole of MNIST; Zhao et al. a deeper VGG-style net).

# %%
display(report.settings_table(P))
available = data.available(("mnist", "cifar10", "cifar100"))

# %% [markdown]
# ## Table 2 — kNN on the latent codes (MNIST, K = 50)
#
# Joo et al. train a Gaussian VAE and a Dirichlet VAE (784-500-500-50 encoder, mirrored decoder, Bernoulli
# pixels, Dirichlet prior α = 0.98 per dimension) and classify the *test* images' latent codes by their k
# nearest neighbours among the *training* images' codes. The raw-pixel row is the same classifier on pixels.
#
# "Latent representation" has two readings: the posterior mean (GVAE μ, DirVAE α̂/Σα̂; our main reading) or
# a sample z ~ q(z|x). They differ most where dimensions have collapsed: a collapsed Gaussian dimension's
# mean is ~0, but its sample is N(0, 1) noise that swamps the Euclidean distance. We measure both.

# %%
if P.wants("table2") or P.wants("fig2") or P.wants("fig3"):
    if "mnist" not in available:
        for item in ("table2", "fig2", "fig3"):
            claims.add(item, "Joo et al.'s MNIST results", rule="—", evidence="", not_run=data.NO_DATA.format("MNIST"))
    else:
        vae_settings = P.settings["vae"]
        mnist = available["mnist"].subset(vae_settings["n_train"], vae_settings["n_test"], seed=0)
        vae_cfgs = {(name, seed): swwdirvae.vae_config(P, latent, seed)
                    for latent, name in (("gaussian", "GVAE"), ("dirichlet", "DirVAE")) for seed in P.seeds}
        vae_runs = experiment.run_many(vae_cfgs, device=P.device, label="table2")
        vae_pre = [swwdirvae.vaes_trained({f"{name}, seed {seed}": h for (name, seed), h in vae_runs.items()})]
        vaes = {key: experiment.trained_model(cfg, P.device) for key, cfg in vae_cfgs.items()}
        knn = {("raw pixels", 0): swwdirvae.knn_errors(*swwdirvae.pixels(mnist, "train"), *swwdirvae.pixels(mnist, "test", P.settings["knn_n_test"]))}
        for (name, seed), model in vaes.items():
            tr = swwdirvae.codes(model, mnist, "train", normalize=False, device=P.device)
            te = swwdirvae.codes(model, mnist, "test", normalize=False, device=P.device, n=P.settings["knn_n_test"])
            knn[name, seed] = swwdirvae.knn_errors(*tr, *te)
            tr, te = (swwdirvae.codes(model, mnist, split, normalize=False, device=P.device, sample=True,
                                      n=P.settings["knn_n_test"] if split == "test" else None) for split in ("train", "test"))
            knn[f"{name}, sampled z", seed] = swwdirvae.knn_errors(*tr, *te)
        table2 = swwdirvae.knn_frame(knn)
        report.save_table(table2, P.chapter, "table2_runs")

# %%
if P.wants("table2") and "mnist" in available:
    errs = {(r, k): g["error (%)"].tolist() for (r, k), g in table2.groupby(["representation", "k"])}
    rows = [{"representation": r, "k": k, "paper": swwdirvae.table2_paper_cell(r, i), "ours": errs[r, k]}
            for r in dict.fromkeys(table2.representation) for i, k in enumerate(swwdirvae.KS)]
    t2 = report.paper_vs_ours(rows, profile=P.profile)
    report.save_table(t2, P.chapter, "table2")
    display(t2)
    fig = plots.bars(table2, x="k", y="error (%)", hue="representation", title=f"table2: kNN error on MNIST codes ({P.profile})")
    report.save_figure(fig, P.chapter, "table2")

# %% [markdown]
# The verdicts (rules in `lib/chapters/swwdirvae.py`, each tested on Table 2's own numbers): DirVAE below GVAE at
# every k by Welch's 95% interval (`rule_knn_lower`); the proposal's "roughly 4 to 5-fold" as the bootstrap
# interval of GVAE / DirVAE inside 4/1.5–5×1.5 = 2.67–7.5× at every k (`rule_knn_ratio`; the paper's own ratios
# are 4.54, 3.82, 2.94); raw pixels below each VAE's mean error (`rule_pixels_beat_codes`). Precondition: every
# VAE trained (its negative ELBO fell by ≥ 10%). With fewer than 3 seeds a comparison is inconclusive.

# %%
if P.wants("table2") and "mnist" in available:
    g, d, raw = ({k: errs[r, k] for k in swwdirvae.KS} for r in ("GVAE", "DirVAE", "raw pixels"))
    gz, dz = ({k: errs[f"{r}, sampled z", k] for k in swwdirvae.KS} for r in ("GVAE", "DirVAE"))
    pk = {r: " / ".join(f"{v:.2f}" for v in swwdirvae.PAPER_TABLE2[r][0]) for r in swwdirvae.PAPER_TABLE2}
    vs = lambda a, b: ", ".join(f"k={k}: {report.mean_std(a[k])} vs {report.mean_std(b[k])}" for k in swwdirvae.KS)
    for reading, (a, b) in {"posterior means": (g, d), "codes sampled from q(z|x)": (gz, dz)}.items():
        claims.add("table2", f"DirVAE's codes give a lower kNN error than GVAE's (k = 3, 5, 10) — {reading}",
                   swwdirvae.rule_knn_lower(a, b, vae_pre), rule="at every k: Welch 95% interval of GVAE − DirVAE error above 0",
                   paper=f"GVAE {pk['GVAE']} vs DirVAE {pk['DirVAE']}", ours="GVAE vs DirVAE: " + vs(a, b))
    claims.add("table2", "DirVAE's kNN error is roughly 4 to 5 times lower than GVAE's", swwdirvae.rule_knn_ratio(g, d, vae_pre),
               rule=f"at every k: bootstrap interval of GVAE / DirVAE inside {swwdirvae.RATIO_BAND[0]:.2f}–{swwdirvae.RATIO_BAND[1]:.2f}×",
               paper=", ".join(f"k={k}: {a / b:.2f}×" for k, a, b in zip(swwdirvae.KS, swwdirvae.PAPER_TABLE2["GVAE"][0], swwdirvae.PAPER_TABLE2["DirVAE"][0])),
               ours=", ".join(f"k={k}: {np.mean(g[k]) / np.mean(d[k]):.2f}×" for k in swwdirvae.KS))
    claims.add("table2", "raw pixels beat both VAEs' codes (the table's last row)",
               swwdirvae.rule_pixels_beat_codes({"GVAE": g, "DirVAE": d}, {k: raw[k][0] for k in swwdirvae.KS}, vae_pre),
               rule="at every k: each VAE's mean error (one-sample t, 95%) above the pixels'",
               paper=f"raw {pk['raw pixels']} vs DirVAE {pk['DirVAE']}, GVAE {pk['GVAE']}",
               ours=", ".join(f"k={k}: raw {raw[k][0]:.2f} vs DirVAE {report.mean_std(d[k])}, GVAE {report.mean_std(g[k])}"
                              for k in swwdirvae.KS))

# %% [markdown]
# ## Figure 2 — component collapsing
#
# A latent dimension whose outgoing decoder weights have shrunk to ~0 is ignored by the decoder (Joo et al.'s
# "component collapsing"; in a GVAE its posterior has fallen onto the prior). Per model, the norm of the
# first decoder layer's weights from each latent dimension, sorted and divided by the largest. A dimension is
# counted as collapsed below 10% of the largest. **Claim**: GVAE collapses components, DirVAE does not — rule
# (`rule_collapse`): GVAE's collapsed share above a tenth of the dimensions and DirVAE's active share above nine
# tenths, each by the one-sample t interval over seeds.

# %%
if P.wants("fig2") and "mnist" in available:
    rows = []
    for (name, seed), model in vaes.items():
        norms = model.decoder_weight_norms().cpu().numpy()
        rows += [{"model": name, "seed": seed, "rank": i, "weight norm / largest": v}
                 for i, v in enumerate(np.sort(norms)[::-1] / norms.max())]
    fig2 = pd.DataFrame(rows)
    report.save_table(fig2, P.chapter, "fig2")
    share = {key: swwdirvae.collapsed_share(m.decoder_weight_norms().cpu().numpy()) for key, m in vaes.items()}
    display(pd.Series(share, name="collapsed share").unstack(0))
    g = sns.relplot(fig2, x="rank", y="weight norm / largest", hue="model", style="seed", kind="line", height=3,
                    aspect=1.5)
    g.set(xlabel="latent dimensions, sorted by their decoder weights")
    g.figure.suptitle(f"fig2: decoder weights per latent dimension ({P.profile})", y=1.03)
    report.save_figure(g.figure, P.chapter, "fig2")
    gs, ds_ = [v for (n, _), v in share.items() if n == "GVAE"], [v for (n, _), v in share.items() if n == "DirVAE"]
    claims.add("fig2", "GVAE suffers component collapsing, DirVAE does not", swwdirvae.rule_collapse(gs, ds_, vae_pre),
               rule=f"collapsed share (decoder weight norm < 10% of the largest): GVAE's above {swwdirvae.COLLAPSE_SHARE:g}, "
               f"DirVAE's below it (one-sample t, 95%)", paper="Joo et al.'s Figure 2 (a figure: no numbers printed)",
               ours=f"GVAE {report.mean_std(gs)}, DirVAE {report.mean_std(ds_)} (shares of 50 dimensions)")

# %% [markdown]
# ## Figure 3 — t-SNE of the latent codes
#
# scikit-learn's t-SNE of the raw test images (the paper's left panel), of GVAE's and of DirVAE's codes,
# coloured by digit. The paper reads "better separation and cohesion" off the picture; we compute it as the
# silhouette of the digit classes in each 2-D embedding (−1…1). **Claim**: DirVAE's embedding separates the
# classes best — rule (`rule_separation`): Welch's 95% interval of DirVAE − GVAE silhouette above 0, and DirVAE's
# mean (one-sample t) above the pixels' (one t-SNE of the pixels, one value).

# %%
if P.wants("fig3") and "mnist" in available:
    n = P.settings["tsne_n"]
    x_raw, y_t = swwdirvae.pixels(mnist, "test", n)
    emb, sil = {}, {}
    emb["t-SNE of pixels"], sil["raw pixels", 0] = swwdirvae.tsne_separation(x_raw, y_t)
    for (name, seed), model in vaes.items():
        e, sil[name, seed] = swwdirvae.tsne_separation(swwdirvae.codes(model, mnist, "test", normalize=False, device=P.device, n=n)[0], y_t)
        if seed == P.seeds[0]:
            emb[f"{name} codes (seed {seed})"] = e
    fig3 = pd.DataFrame([{"representation": r, "seed": s, "silhouette": v} for (r, s), v in sil.items()])
    report.save_table(fig3, P.chapter, "fig3")
    display(fig3.round(3))
    fig = plots.embeddings({k: (v, y_t) for k, v in emb.items()}, title=f"fig3: t-SNE, {n} test digits ({P.profile})")
    report.save_figure(fig, P.chapter, "fig3")
    sd, sg = ([v for (r, _), v in sil.items() if r == name] for name in ("DirVAE", "GVAE"))
    claims.add("fig3", "DirVAE's latent space separates the classes better than t-SNE of the pixels and than GVAE's",
               swwdirvae.rule_separation(sd, sg, sil["raw pixels", 0], vae_pre),
               rule="silhouette of the digits in the t-SNE: DirVAE − GVAE (Welch, 95%) above 0, DirVAE above pixels",
               paper="Joo et al.'s Figure 3 (a picture: \"better separation and cohesion\")",
               ours=f"DirVAE {report.mean_std(sd, 3)}, GVAE {report.mean_std(sg, 3)}, pixels {sil['raw pixels', 0]:.3f}")

# %% [markdown]
# ## Table 1 — the what-where decoder as a regulariser (CIFAR)
#
# Zhao et al.'s supervised SWWAE: the classifier's loss plus λ_rec = 1 times the input's reconstruction error
# and λ_M = 0.2 times the intermediate ones (Eq. 3), against the same convnet without the decoder. Both from
# scratch (Zhao et al. pre-trained on the 80-million-tiny-images set, withdrawn). A third row pools softly
# (Eqs. 1–2, β = 10) instead of with max-pool switches. **Claim**: the decoder adds about a point (92.23 vs
# 91.33 on CIFAR-10, 69.12 vs 67.50 on CIFAR-100) — rule (`rule_decoder_improves`): Welch's 95% interval of SWWAE
# − convnet test accuracy above 0. Preconditions: every compared run trained (training loss down ≥ 10%, test
# accuracy ≥ chance + 5 points) and both arms run the same optimizer, rate, schedule and epochs.

# %%
if P.wants("table1"):
    t1_cfgs = {}
    for name in P.settings["table1_data"]:
        if name not in available:
            claims.add("table1", f"SWWAE beats the same convnet on {name}", rule="—", evidence="",
                       not_run=data.NO_DATA.format(name))
            continue
        for seed in P.seeds:
            t1_cfgs["SWWAE (λ_rec = 1, λ_M = 0.2)", name, seed] = swwdirvae.swwae_config(P, name, decoder=True, seed=seed)
            t1_cfgs["convnet of same configuration", name, seed] = swwdirvae.swwae_config(P, name, decoder=False, seed=seed)
            if name == "cifar10":
                t1_cfgs["SWWAE, soft pooling (β = 10)", name, seed] = swwdirvae.swwae_config(P, name, decoder=True, seed=seed,
                                                                                             pool_beta=10.0)
    t1_runs = experiment.run_many(t1_cfgs, device=P.device, label="table1")
    acc1 = pd.DataFrame([{"model": m, "data": d, "seed": s, "test acc": h.last()} for (m, d, s), h in t1_runs.items()])
    if len(acc1):
        report.save_table(acc1, P.chapter, "table1_runs")
        rows = [{"model": m, "data": d, "paper": swwdirvae.PAPER_TABLE1.get(m, {}).get(d, "—"), "ours": g["test acc"].tolist()}
                for (m, d), g in acc1.groupby(["model", "data"], sort=False)]
        t1 = report.paper_vs_ours(rows, profile=P.profile)
        report.save_table(t1, P.chapter, "table1")
        display(t1)
        report.save_figure(plots.bars(acc1, x="data", y="test acc", hue="model", title=f"table1 ({P.profile})"), P.chapter, "table1")
        for d, g in acc1.groupby("data"):
            sw, cv = (g[g.model == m]["test acc"].tolist() for m in swwdirvae.PAPER_TABLE1)
            pre = swwdirvae.compared(t1_runs, t1_cfgs, [k for k in t1_runs if k[1] == d and k[0] in swwdirvae.PAPER_TABLE1],
                                     chance=100 / available[d].spec.classes)
            psw, pcv = (swwdirvae.PAPER_TABLE1[m][d] for m in swwdirvae.PAPER_TABLE1)
            claims.add("table1", f"the what-where decoder improves the convnet on {d}", swwdirvae.rule_decoder_improves(sw, cv, pre),
                       rule="Welch 95% interval of SWWAE − convnet test accuracy above 0",
                       paper=f"SWWAE {psw:.2f} vs convnet {pcv:.2f} ({psw - pcv:+.2f})",
                       ours=f"SWWAE {report.mean_std(sw)} vs convnet {report.mean_std(cv)} ({np.mean(sw) - np.mean(cv):+.2f})")

# %% [markdown]
# ## SAM — sharpness-aware minimisation lowers the test error
#
# The proposal's Figure 4(a) (Foret et al.): switching from the base optimizer to SAM reduces the error rate.
# Here: Table 1's convnet on CIFAR-10, SGD against SAM(SGD) with ρ = 0.05, the same schedule and epochs (SAM
# costs two passes a step). **Claim**: SAM lowers the test error — rule (`rule_sam_lowers_error`): Welch's 95%
# interval of SAM − SGD test accuracy above 0. Preconditions: both trained and rate-matched; SGD's runs end with a
# train–test gap of ≥ 5 points (SAM lowers the error by closing that gap: an under-fitting model has none); and ρ
# tuned at this scale (a sweep of more than one ρ). This profile runs one ρ (0.05, Foret et al.'s), so the claim
# stays inconclusive here until a ρ sweep is added.

# %%
if P.wants("sam"):
    if "cifar10" not in available:
        claims.add("sam", "SAM lowers the test error", rule="—", evidence="", not_run=data.NO_DATA.format("CIFAR-10"))
    else:
        sam_cfgs = {(opt, seed): swwdirvae.swwae_config(P, "cifar10", decoder=False, seed=seed, sam=opt == "SAM")
                    for opt in ("SGD", "SAM") for seed in P.seeds}
        sam_runs = experiment.run_many(sam_cfgs, device=P.device, label="sam")
        frame = train.histories_frame({(k[0], k[1], "convnet"): h for k, h in sam_runs.items()},
                                                 keys=("optimizer", "seed", "model"))
        report.save_table(frame, P.chapter, "sam_curves")
        report.save_figure(plots.curves(frame, hue="optimizer", row="model", title=f"sam: convnet on CIFAR-10 ({P.profile})"),
                           P.chapter, "sam")
        acc = {o: [sam_runs[o, s].last() for s in P.seeds] for o in ("SGD", "SAM")}
        display(pd.DataFrame({o: [report.mean_std(v)] for o, v in acc.items()}, index=["test acc"]))
        pre = swwdirvae.sam_preconditions(sam_runs, sam_cfgs, [("SAM", s) for s in P.seeds], [("SGD", s) for s in P.seeds],
                                          chance=100 / available["cifar10"].spec.classes)
        claims.add("sam", "SAM lowers the test error of the same model and budget in epochs",
                   swwdirvae.rule_sam_lowers_error(acc["SAM"], acc["SGD"], pre),
                   rule="Welch 95% interval of SAM − SGD test accuracy above 0",
                   paper="Foret et al.'s Figure 4(a): a lower error on every task shown (bars, no numbers printed)",
                   ours=f"SAM {report.mean_std(acc['SAM'])} vs SGD {report.mean_std(acc['SGD'])}")

# %% [markdown]
# ## The proposal — β-SWWDirVAE + EfficientNet + SAM
#
# Step 1: the β-SWWDirVAE (the SWWAE's encoder and decoder with a Dirichlet latent, Eq. 10 with the sign
# corrected) is trained without labels on CIFAR-10's training images, for each β of a small sweep (β = 1: the
# VAE; β > 1: the β-VAE the proposal invokes). Step 2: its decoder is dropped, the encoder frozen, and the
# latent — K·E[z|x] reshaped to an image — is classified by EfficientNet-B0 (torchvision's; at the small
# profile at half width and depth, without B0's dropout and stochastic depth and at learning rate 0.02: with
# them, at 0.05, it stayed at 12–22% for 6 epochs in our first execution, too close to chance to compare
# anything) trained with SAM. Against EfficientNet-B0 on the images with SAM, and with
# SGD: the same network body, epochs and schedule (the image baseline's stem has stride 2 at the small profile,
# so that both see 16×16 maps after the stem).
#
# First, the premise: "the latent representation contains better information than the raw input" — the kNN
# error (k = 5) of the latent codes against raw pixels on the same images.

# %%
if P.wants("proposal"):
    names = [d for d in P.settings["proposal_data"] if d in available]
    for name in set(P.settings["proposal_data"]) - set(names):
        claims.add("proposal", f"β-SWWDirVAE + EfficientNet + SAM beats EfficientNet + SAM on {name}", rule="—",
                   evidence="", not_run=data.NO_DATA.format(name))
    for name in sorted({"cifar10", "cifar100"} - set(P.settings["proposal_data"])):
        claims.add("proposal", f"β-SWWDirVAE + EfficientNet + SAM beats EfficientNet + SAM on {name}", rule="—",
                   not_run=f"not in the {P.profile} profile's proposal_data (time) — the paper profile runs it")
    enc_cfgs = {(name, beta): swwdirvae.encoder_config(P, name, beta) for name in names for beta in P.settings["betas"]}
    enc_runs = experiment.run_many(enc_cfgs, device=P.device, label="pre-training")      # step 1, then step 2:
    prop_cfgs = {(swwdirvae.proposal_model(beta), name, seed):
                 swwdirvae.effnet_config(P, name, seed=seed, sam=True, encoder=enc) for (name, beta), enc in enc_cfgs.items()
                 for seed in P.seeds}
    prop_cfgs.update({(f"EfficientNet + {opt}", name, seed): swwdirvae.effnet_config(P, name, seed=seed, sam=opt == "SAM")
                      for name in names for seed in P.seeds for opt in ("SAM", "SGD")})
    prop_runs = experiment.run_many(prop_cfgs, device=P.device, label="proposal")
    knn_rows, encoders = [], {key: experiment.trained_model(cfg, P.device) for key, cfg in enc_cfgs.items()}
    for name in names:
        sub = available[name].subset(P.settings["effnet"]["n_train"], P.settings["effnet"]["n_test"], seed=0)
        knn_rows.append({"data": name, "representation": "raw pixels",
                         "kNN error (%), k=5": swwdirvae.knn_errors(*swwdirvae.pixels(sub, "train"), *swwdirvae.pixels(sub, "test"), ks=(5,))[5]})
        for beta in P.settings["betas"]:
            tr, te = (swwdirvae.codes(encoders[name, beta], sub, split, normalize=True, device=P.device) for split in ("train", "test"))
            knn_rows.append({"data": name, "representation": f"β-SWWDirVAE latent, β = {beta}",
                             "kNN error (%), k=5": swwdirvae.knn_errors(*tr, *te, ks=(5,))[5]})
    knn_latent = pd.DataFrame(knn_rows)
    if len(knn_latent):
        report.save_table(knn_latent, P.chapter, "proposal_knn")
        display(knn_latent.round(2))

# %% [markdown]
# What the frozen encoder hands EfficientNet: test images, their β-SWWDirVAE reconstructions (decoded from the
# posterior mean with the encoder's switches) and the latent "images" (the first three of their channels as
# RGB, each rescaled to [0, 1]).

# %%
if P.wants("proposal") and encoders:
    (name, beta), enc = next(iter(encoders.items()))
    ds = available[name]
    xb = next(iter(loader.Loader(ds.x_test[:8], ds.y_test[:8], batch_size=8, mean=ds.spec.mean, std=ds.spec.std,
                                   shuffle=False, device=P.device)))[0]
    grid = np.concatenate([swwdirvae.denormalize(xb, ds.spec.mean, ds.spec.std),
                           swwdirvae.denormalize(enc.reconstruct(xb), ds.spec.mean, ds.spec.std),
                           swwdirvae.latent_rgb(enc.code(xb), size=32)])
    fig = plots.image_grid(grid, cols=8, title=f"proposal: images / reconstructions / latents (β = {beta}, {P.profile})")
    report.save_figure(fig, P.chapter, "proposal_latents")

# %% [markdown]
# The classifiers, and the verdicts. **The hypothesis**: β-SWWDirVAE + EfficientNet + SAM is better than
# EfficientNet + SAM — rule (`rule_proposal_beats`): reproduced if for some β of the sweep Welch's interval of the
# difference (Bonferroni over the β's) lies above 0, not reproduced if for every β it lies below 0, inconclusive
# otherwise; each β's comparison needs both classifiers trained, rate-matched, and its encoder pre-trained (loss
# down ≥ 10%). Also decided: SAM helps EfficientNet (the preconditions of the SAM section); a β > 1 gives a
# better latent for classification than β = 1 (the β-VAE argument; both classifiers must train — a comparison of
# two failures says nothing); and the premise, that the latent is a better representation than the pixels (kNN
# error lower for some β, over encoder seeds: one encoder per β here, so it cannot be decided yet).

# %%
if P.wants("proposal") and prop_runs:
    accp = pd.DataFrame([{"model": m, "data": d, "seed": s, "test acc": h.last(), "time (s)": h.last("time_s")}
                         for (m, d, s), h in prop_runs.items()])
    report.save_table(accp, P.chapter, "proposal_runs")
    tp = accp.groupby(["data", "model"], sort=False).agg(**{
        f"test acc ({P.profile})": ("test acc", report.mean_std), "seeds": ("seed", "count"),
        "train time (s)": ("time (s)", "mean")}).round(1).reset_index()
    report.save_table(tp, P.chapter, "proposal")
    display(tp)
    report.save_figure(plots.bars(accp, x="data", y="test acc", hue="model", title=f"proposal ({P.profile})", size=(8, 3)),
                       P.chapter, "proposal")
    for d, g in accp.groupby("data"):
        acc = {m: gm["test acc"].tolist() for m, gm in g.groupby("model")}
        keys = lambda *models: swwdirvae.run_keys(models, d, P.seeds)
        arms = {b: swwdirvae.proposal_model(b) for b in P.settings["betas"]}
        chance = 100 / available[d].spec.classes
        enc_pre = {b: swwdirvae.vaes_trained({f"β-SWWDirVAE (β = {b})": enc_runs[d, b]}) for b in P.settings["betas"]}
        base, betas = acc["EfficientNet + SAM"], {b: acc[arms[b]] for b in P.settings["betas"]}
        pre = {b: swwdirvae.compared(prop_runs, prop_cfgs, keys(arms[b], "EfficientNet + SAM"), chance=chance) + [enc_pre[b]]
               for b in betas}
        claims.add("proposal", f"β-SWWDirVAE + EfficientNet + SAM beats EfficientNet + SAM on {d} (the hypothesis)",
                   swwdirvae.rule_proposal_beats(betas, base, pre),
                   rule="for some β: Welch interval (Bonferroni over β) of proposal − EfficientNet + SAM above 0",
                   paper="hypothesised (Sect. 3.2, 6): no numbers", ours=", ".join(
                       f"β={b}: {report.mean_std(v)}" for b, v in betas.items()) + f" vs EfficientNet + SAM {report.mean_std(base)}")
        claims.add("proposal", f"SAM improves EfficientNet on {d}", swwdirvae.rule_sam_lowers_error(base, acc["EfficientNet + SGD"],
                   swwdirvae.sam_preconditions(prop_runs, prop_cfgs, keys("EfficientNet + SAM"), keys("EfficientNet + SGD"), chance=chance)),
                   rule="Welch 95% interval of SAM − SGD test accuracy above 0", paper="Foret et al.'s Figure 4(a) (bars)",
                   ours=f"SAM {report.mean_std(base)} vs SGD {report.mean_std(acc['EfficientNet + SGD'])}")
        lo, hi = min(betas), max(betas)
        claims.add("proposal", f"a larger β (β-VAE) gives the better latent for classification on {d}",
                   swwdirvae.rule_larger_beta(betas[hi], betas[lo], swwdirvae.compared(prop_runs, prop_cfgs, keys(arms[hi], arms[lo]),
                                                                              chance=chance) + [enc_pre[hi], enc_pre[lo]]),
                   rule=f"Welch 95% interval of β = {hi} − β = {lo} test accuracy above 0",
                   paper="Higgins et al. (Sect. 2.3): β > 1 beats β = 1 (for disentangling)",
                   ours=f"β={hi}: {report.mean_std(betas[hi])}, β={lo}: {report.mean_std(betas[lo])}")
        k = knn_latent[knn_latent.data == d].set_index("representation")["kNN error (%), k=5"]
        claims.add("proposal", f"the β-SWWDirVAE latent is a better representation than the raw image on {d} (premise)",
                   swwdirvae.rule_latent_premise({b: [k[f"β-SWWDirVAE latent, β = {b}"]] for b in betas}, k["raw pixels"],
                                                 {b: [enc_pre[b]] for b in betas}),
                   rule="for some β: kNN (k = 5) error of the latent below the pixels' (one-sample t over encoder seeds)",
                   paper="stated (Sect. 3.2): no numbers", ours=", ".join(f"{r}: {v:.1f}" for r, v in k.items()))

# %% [markdown]
# ## Summary
#
# Every claim with its computed verdict, the paper's numbers beside ours, the test, its interval and n, and the
# preconditions (saved as `figures/05_swwdirvae/claims.csv`). A verdict comes only from a rule of
# `lib/chapters/swwdirvae.py`: a comparison needs at least 3 seeds per group, so at the small profile, which keeps
# its 2 seeds for now (the runs were made with them; the chapter's own issue will rescale it), the comparisons are
# inconclusive ("fewer than 3 seeds"), as is any claim whose precondition failed — e.g. SAM where SGD under-fits
# (no train–test gap to close) and ρ was not tuned, or the β comparison when a classifier stayed near chance.

# %%
report.finish(P, prov, claims, columns=("item", "claim", "paper", "ours", "n", "interval", "verdict", "reason"))
