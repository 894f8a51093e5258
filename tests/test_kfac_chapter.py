"""Chapter 01's helpers: the paper profile builds the paper's runs (one real step on the CPU), and the numbers
and preconditions the claim rules are fed (targets, epochs to target, per-seed graft gaps, trained, rates tuned)
compute what they say. The rules themselves: tests/test_rules_kfac_mixer.py."""
import math

import pytest
import torch

from conftest import real_data
from lib import experiment, optim, profiles, train
from lib.chapters import kfac_mixer
from lib.models.mixer import CONFIGS

CH = "01_kfac_mlp_mixer"


def test_paper_profile_configs_are_the_papers():
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu")
    cfg = kfac_mixer.config(P, data="cifar10", model="S/16", optimizer=kfac_mixer.optimizer_spec("K-FAC", P), seed=0)
    assert cfg["model_kwargs"] == CONFIGS["S/16"] and cfg["augment"] == {"flip": True, "resize": 256, "center_crop": 224}
    assert (cfg["epochs"], cfg["batch"], cfg["n_train"]) == (100, 64, None)
    assert cfg["optimizer"] == dict(name="kfac", lr=1e-3, damping=1e-3, stat_decay=0.95, kl_clip=1e-2, init="identity",
                                    wd_from_step=200, stats_every=10, inv_every=100, momentum=0.9, weight_decay=1e-4)
    authors = kfac_mixer.optimizer_spec(kfac_mixer.AUTHORS, P)
    assert authors == {**cfg["optimizer"], "g_rows_quirk": True}                  # the one difference: G ×rows
    native = kfac_mixer.config(P, data="cifar10", model="S/4", optimizer=authors, seed=0)
    assert native["augment"] == {"flip": True, "crop_pad": 4}                      # the authors' RandomCrop(32, 4)
    pt = kfac_mixer.config(P, data="cifar10", model="B/16-PT", optimizer=kfac_mixer.optimizer_spec("SGD", P), seed=0,
                           checkpoint="x.pth")
    assert pt["model_kwargs"] == CONFIGS["B/16"] and pt["checkpoint"] == "x.pth"
    rates = kfac_mixer.chosen_rates(P, {}, ["S/16"])["S/16"]                      # no sweep: the paper's rates
    assert rates == {"SGD": 1e-2, "Adam": 1e-3, "K-FAC": 1e-3, kfac_mixer.AUTHORS: 1e-3}
    assert kfac_mixer.graft_spec("SGD", "SGD", P, rates) == kfac_mixer.optimizer_spec("SGD", P)   # (A, A) shares A's run


def test_paper_profile_pushes_one_real_step_through_s16():
    real_data("cifar10")
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu", max_steps=1)
    cfg = kfac_mixer.config(P, data="cifar10", model="S/16", optimizer=kfac_mixer.optimizer_spec("K-FAC", P), seed=0)
    h = experiment.run_classifier(cfg, progress=False)
    assert len(h.epochs) == 1 and h.epochs[0]["steps"] == 1 and 0 <= h.epochs[0]["test_acc"] <= 100


def hist(accs):
    return train.History(epochs=[{"epoch": i, "test_acc": a} for i, a in enumerate(accs)])


def test_targets_rule_and_epochs_to_target():
    P = profiles.check(CH, profile="smoke")
    runs = {("S/4", "SGD", 0): hist([10, 30]), ("S/4", "Adam", 0): hist([20, 40]), ("S/4", "K-FAC", 0): hist([50, 50])}
    assert kfac_mixer.targets(P, runs, ["S/4"], kfac_mixer.PAPER_TARGETS_T2) == {"S/4": 36.0}     # 0.9 × mean(30, 40, 50)
    assert kfac_mixer.epochs_to_target(runs, "S/4", "SGD", 36.0) == [2]                   # never reached: counts 2 epochs
    assert kfac_mixer.epochs_to_target(runs, "S/4", "K-FAC", 36.0) == [0]
    assert kfac_mixer.targets(profiles.check(CH, profile="paper"), runs, ["S/4"], kfac_mixer.PAPER_TARGETS_T2) == {"S/4": 80}
    missed = kfac_mixer.targets_reached(runs, {"S/4": 36.0})
    assert not missed.met and missed.detail == "not reached by S/4 SGD seed 0"
    assert kfac_mixer.targets_reached(runs, {"S/4": 25.0}).met
    late = kfac_mixer.targets_reached(runs, {"S/4": 25.0}, before=1)              # SGD and Adam reach it at epoch 1
    assert not late.met and "before the rate's first decay (epoch 1)" in late.name
    assert late.detail == "not reached by S/4 Adam seed 0, S/4 SGD seed 0"
    assert kfac_mixer.first_decay(P) == P.settings["epochs"] // 2


def test_the_long_runs_have_their_own_length_milestones_and_sweep():
    small = profiles.check(CH, profile="small", device="cpu")
    spec = kfac_mixer.optimizer_spec("SGD", small, lr=0.1)
    short = kfac_mixer.config(small, data="cifar10", model="S/16", optimizer=spec, seed=0)
    long = kfac_mixer.config(small, data="cifar10", model="S/16", optimizer=spec, seed=0, long=True)
    assert (short["epochs"], short["schedule"]) == (10, "multistep")                # the committed records' configs
    assert (long["epochs"], long["schedule"]) == (26, {"name": "multistep", "milestones": [20, 24]})
    assert kfac_mixer.first_decay(small, long=True) == 20 and kfac_mixer.first_decay(small) == 5
    sched = optim.make_scheduler(long["schedule"], torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
                                 epochs=26)
    assert sorted(sched.milestones) == [20, 24]
    with pytest.raises(ValueError, match="inside the run's 26 epochs"):
        optim.make_scheduler({"name": "multistep", "milestones": [20, 26]},
                             torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), epochs=26)
    with pytest.raises(ValueError, match="S/4 has no long runs"):
        kfac_mixer.config(small, data="cifar10", model="S/4", optimizer=spec, seed=0, long=True)
    with pytest.raises(ValueError, match="no long runs"):
        kfac_mixer.schedule(profiles.check(CH, profile="paper"), long=True)
    assert kfac_mixer.long_models(small) == ("S/16",) and kfac_mixer.long_models(profiles.check(CH, profile="paper")) == ()
    grid = kfac_mixer.sweep_rates(small, long=True)
    assert all(len(r) >= 3 for r in grid.values()) and grid != kfac_mixer.sweep_rates(small)
    sweep = {("S/16", o, lr): hist([10, 50 - abs(math.log10(lr / rates[1]))]) for o, rates in grid.items() for lr in rates}
    chosen = kfac_mixer.chosen_rates(small, sweep, ["S/16"])
    tuned = kfac_mixer.rates_tuned(small, sweep, chosen, long=True)               # the middle rates: inside the long grid
    assert tuned.met and "sweep of the long runs" in tuned.detail
    sweep["S/16", "SGD", 0.3] = hist([10, 60])                                    # the long grid's top SGD rate wins
    chosen = kfac_mixer.chosen_rates(small, sweep, ["S/16"])
    assert not kfac_mixer.rates_tuned(small, sweep, chosen, long=True).met        # the edge of the long grid ...
    assert kfac_mixer.rates_tuned(small, sweep, chosen).met                       # ... inside the 10-epoch one's


def test_graft_gaps_per_seed():
    tab = {("SGD", "SGD"): 70.0, ("SGD", "K-FAC"): 71.0, ("K-FAC", "SGD"): 80.0, ("K-FAC", "K-FAC"): 80.5}
    assert kfac_mixer.column_minus_row_gap(tab) == 9.75 - 0.75                           # columns 10, 9.5; rows 1, 0.5
    runs = {("S/16", f"({m}, {d})", s): hist([a + s]) for (m, d), a in tab.items() for s in (0, 1)}
    runs["S/16", "(SGD, SGD)", 2] = hist([50.0])                                  # seed 2 lacks three cells
    assert kfac_mixer.graft_gaps(runs, "S/16") == [9.0, 9.0]
    assert kfac_mixer.graft_table(runs, "S/16").loc["SGD", "SGD"] == (70 + 71 + 50) / 3


def test_trained_precondition():
    up = train.History(epochs=[{"train_loss": 2.3, "test_acc": 12}, {"train_loss": 1.5, "test_acc": 40}])
    flat = train.History(epochs=[{"train_loss": 2.04, "test_acc": 20}, {"train_loss": 1.95, "test_acc": 28}])
    runs = {("S/16", "K-FAC", 0): up, ("S/16", "SGD", 0): flat, ("B/16", "SGD", 0): flat}
    assert kfac_mixer.trained(runs, ["S/16"], ["K-FAC"], data="cifar10").met
    failed = kfac_mixer.trained(runs, ["S/16"], kfac_mixer.OPTIMIZERS, data="cifar10")
    assert not failed.met and "S/16 SGD seed 0" in failed.detail and "B/16" not in failed.detail


def test_the_sweep_chooses_the_best_rate_and_an_edge_fails_tuned():
    small = profiles.check(CH, profile="small")
    grid = small.settings["sweep"]["rates"]
    assert small.settings["sweep"]["seed"] not in small.seeds                    # the choice is made on its own seed
    assert all(kfac_mixer.PAPER_RATES[o] in rates for o, rates in grid.items())   # the paper's rate is in every grid
    peak = {"SGD": 3e-2, "Adam": 1e-3, "K-FAC": 1e-3}                             # each grid's interior best
    sweep = {("S/16", o, lr): hist([10, 50 - 10 * abs(math.log10(lr / peak[o]))]) for o, rates in grid.items()
             for lr in rates}
    chosen = kfac_mixer.chosen_rates(small, sweep, ["S/16", "B/16-PT"])
    assert chosen["S/16"] == {**peak, kfac_mixer.AUTHORS: 1e-3}
    assert chosen["B/16-PT"]["SGD"] == 1e-2                                       # not swept: the paper's rate
    tuned = kfac_mixer.rates_tuned(small, sweep, {"S/16": chosen["S/16"]})
    assert tuned.met and "S/16: SGD 0.03, Adam 0.001, K-FAC 0.001" in tuned.detail
    top = max(grid["SGD"])
    sweep["S/16", "SGD", top] = hist([10, 60])                                    # the grid's top rate wins
    chosen = kfac_mixer.chosen_rates(small, sweep, ["S/16"])
    edge = kfac_mixer.rates_tuned(small, sweep, chosen)
    assert not edge.met and f"at the edge of its sweep: S/16 SGD {top:g}" in edge.detail
    unswept = kfac_mixer.rates_tuned(small, sweep, kfac_mixer.chosen_rates(small, sweep, ["B/16-PT"]))
    assert not unswept.met and "not swept (the paper's rates): B/16-PT" in unswept.detail
    assert not kfac_mixer.rates_tuned(small, {}, kfac_mixer.chosen_rates(small, {}, ["S/16"])).met   # nothing swept
    table = kfac_mixer.sweep_table(sweep, chosen)
    assert len(table) == sum(map(len, grid.values())) and table["chosen"].sum() == 3


def test_rates_tuned_without_a_sweep_holds_only_at_the_papers_scale():
    assert kfac_mixer.rates_tuned(profiles.check(CH, profile="paper", seeds=[0]), {}, {}).met
    capped = kfac_mixer.rates_tuned(profiles.check(CH, profile="paper", max_steps=1), {}, {})
    assert not capped.met and "no sweep of its own" in capped.detail


def test_prefix_is_the_papers_runs_capped_at_their_first_epochs():
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu")
    PP = kfac_mixer.prefix_params(P)
    assert PP.max_steps == kfac_mixer.PREFIX_EPOCHS * 782 and PP.settings == P.settings
    full = kfac_mixer.config(P, data="cifar10", model="S/16", optimizer=kfac_mixer.optimizer_spec("SGD", P), seed=0)
    capped = kfac_mixer.config(PP, data="cifar10", model="S/16", optimizer=kfac_mixer.optimizer_spec("SGD", P), seed=0)
    assert capped == {**full, "max_steps": 20 * 782} and capped["epochs"] == 100     # the schedule of the full run
    sched = optim.make_scheduler("multistep", torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
                                 epochs=100, steps_per_epoch=782)
    assert sorted(sched.milestones) == [50, 75]                    # constant over the prefix (and up to the README's 40)
    slowest = max(kfac_mixer.PAPER_T2[m][o][1] for m in ("S/16", "B/16") for o in kfac_mixer.OPTIMIZERS)
    assert slowest + 5 <= kfac_mixer.PREFIX_EPOCHS < 40                 # headroom over the paper's slowest, 15
    with pytest.raises(ValueError, match="profile 'paper'"):
        kfac_mixer.prefix_params(profiles.check(CH, profile="small"))
