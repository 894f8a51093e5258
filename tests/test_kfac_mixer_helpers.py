"""Chapter 01's helpers that used to live in notebook cells: each computes what it says on tiny hand-made runs
(per-seed best accuracy, epochs to target, the preconditions of a comparison, claim 4's row, the quirks tables,
the seed noise and the training time)."""
import math

import pandas as pd

from lib import profiles, report, train, verdicts
from lib.chapters import kfac_mixer

CH = "01_kfac_mlp_mixer"
TUNED = verdicts.check("learning rates tuned at this scale", True)
SMALL = profiles.check(CH, profile="small")   # 10 epochs (full rate 0–4); long runs 26 (full rate 0–19, blocks 12–15, 16–19)


def hist(accs, losses=None, times=None):
    """A run with test accuracies ``accs`` per epoch (and training losses / cumulative seconds if given)."""
    losses = losses or [2.3 * 0.9 ** i for i in range(len(accs))]
    times = times or [10.0 * (i + 1) for i in range(len(accs))]
    return train.History(epochs=[{"epoch": i, "test_acc": a, "train_loss": l, "time_s": t}
                                 for i, (a, l, t) in enumerate(zip(accs, losses, times))])


def test_best_and_epochs_to_target_per_seed():
    runs = {("S/16", "SGD", 1): hist([20, 50, 40]), ("S/16", "SGD", 0): hist([30, 35]), ("S/16", "Adam", 0): hist([60])}
    assert kfac_mixer.best(runs, "S/16", "SGD") == [50, 35]                       # the store's order
    assert kfac_mixer.epochs_to_target(runs, "S/16", "SGD", 45.0) == [2, 1]       # seed 0 never: its 2 epochs
    assert kfac_mixer.epochs_to_target(runs, "S/16", "SGD", 30.0) == [0, 1]       # sorted by seed


def test_subset_keeps_the_given_models_in_their_order():
    values = {"S/4": 1, "B/4": 2, "S/16": 3, "B/16": 4}
    assert kfac_mixer.subset(values, ("B/16", "S/16")) == {"B/16": 4, "S/16": 3}
    assert list(kfac_mixer.subset(values, ["B/16", "S/16"])) == ["B/16", "S/16"]


def test_preconditions_are_trained_then_tuned_then_plateaued():
    flat = hist([20, 28], losses=[2.04, 1.95])                                   # -4% loss: did not train
    runs = {("S/16", "SGD", 0): hist([12, 40] + [45] * 24), ("S/16", "(SGD, K-FAC)", 0): flat, ("B/16", "SGD", 0): flat}
    trained, tuned, plateau = kfac_mixer.preconditions(SMALL, runs, ["S/16"], TUNED, data="cifar10", labels=["SGD"],
                                                       long=True)
    assert trained.met and trained.detail == "all 1 runs" and tuned is TUNED      # the graft label is not compared
    assert plateau.met and "S/16 SGD +0.0" in plateau.detail and "(epoch 20)" in plateau.name
    short = kfac_mixer.preconditions(SMALL, runs, ["S/16"], TUNED, data="cifar10", labels=["SGD"])[2]
    assert not short.met and "too short for two blocks of 4" in short.detail     # the 10-epoch runs: 5 at full rate
    trained, _ = kfac_mixer.preconditions(SMALL, runs, ["S/16"], TUNED, data="cifar10", labels={"(SGD, K-FAC)": {}},
                                          end_point=False)
    assert not trained.met and "S/16 (SGD, K-FAC) seed 0" in trained.detail
    assert not kfac_mixer.preconditions(SMALL, runs, ["S/16", "B/16"], TUNED, data="cifar10", labels=["SGD"],
                                        end_point=False)[0].met


def test_plateau_compares_the_means_of_the_last_two_blocks_of_full_rate_epochs():
    assert kfac_mixer.plateau_window(20) == (12, 19) and kfac_mixer.plateau_window(50) == (42, 49)
    climbing = list(range(10, 30)) + [31] * 6                                    # +1 a epoch at the full rate (0–19)
    runs = {("S/16", "SGD", s): hist([a + s for a in climbing]) for s in range(3)}
    runs |= {("S/16", "K-FAC", s): hist([30] * 12 + [45] * 4 + [45 + s] * 4 + [50] * 6) for s in range(3)}
    assert kfac_mixer.full_rate_rise(runs, "S/16", "SGD", (12, 19)) == 4.0        # mean of 16–19 − mean of 12–15
    assert kfac_mixer.full_rate_rise(runs, "S/16", "K-FAC", (12, 19)) == 1.0      # seeds +0, +1, +2: mean 1 ≤ 1
    spike = [30] * 12 + [45, 45, 45, 38] + [46, 39, 45, 45] + [50] * 6              # single epochs 15→16: +8
    assert kfac_mixer.full_rate_rise({("S/16", "K-FAC", 0): hist(spike)}, "S/16", "K-FAC", (12, 19)) == 0.5
    pre = kfac_mixer.plateaued(SMALL, runs, ["S/16"], ["K-FAC"], data="cifar10", long=True)
    assert pre.met and pre.name == "at a plateau before the rate's first decay (epoch 20)"
    assert "epochs 16–19 minus that of 12–15" in pre.detail
    pre = kfac_mixer.plateaued(SMALL, runs, ["S/16"], ["SGD", "K-FAC"], data="cifar10", long=True)
    assert not pre.met and "S/16 SGD +4.0, S/16 K-FAC +1.0" in pre.detail
    runs["S/16", "K-FAC", 3] = hist([30, 40])                                    # capped after 2 epochs
    pre = kfac_mixer.plateaued(SMALL, runs, ["S/16"], ["K-FAC"], data="cifar10", long=True)
    assert not pre.met and pre.detail == "no epoch 19 in the runs of S/16 K-FAC"
    pre = kfac_mixer.plateaued(SMALL, runs, ["S/16"], ["K-FAC"], data="cifar10")   # 10 epochs: 5 at full rate
    assert not pre.met and "too short" in pre.detail


def test_claim_sgd_best_on_pt_not_run_and_decided():
    claims = report.Claims(CH, "small")
    kfac_mixer.claim_sgd_best_on_pt(SMALL, claims, "table2", {}, kfac_mixer.PAPER_T2, TUNED, data="cifar10",
                                    not_run="no checkpoint")
    row = claims.rows[-1]
    assert (row["item"], row["verdict"], row["reason"]) == ("table2", "not run", "no checkpoint")
    means = {"SGD": 90.0, "Adam": 70.0, "K-FAC": 80.0}                            # SGD best by 10 points
    runs = {("B/16-PT", o, s): hist([m - 20] + [m + s - 1] * 99) for o, m in means.items() for s in range(3)}
    runs["S/16", "Adam", 0] = hist([99, 99])                                      # another model: not looked at
    paper = profiles.check(CH, profile="paper")                                   # 50 full-rate epochs: room for 2 blocks
    kfac_mixer.claim_sgd_best_on_pt(paper, claims, "table3", runs, kfac_mixer.PAPER_T3, TUNED, data="cifar100")
    row = claims.rows[-1]
    assert (row["item"], row["claim"], row["verdict"]) == ("table3", "fine-tuning B/16-PT: SGD is best", "reproduced")
    assert row["n"] == "3/3/3/3" and row["preconditions"].startswith("met: every compared run trained (all 9 runs)")
    assert row["ours"] == "B/16-PT: SGD 90.00 ± 1.00, Adam 70.00 ± 1.00, K-FAC 80.00 ± 1.00"
    assert row["paper"].startswith("B/16-PT: SGD 83.49")                          # Table 3's B/16-PT row


def test_quirks_table_and_its_distance_from_seed_noise():
    labels = ("K-FAC", "(K-FAC, SGD)", "(K-FAC, SGD) authors'")
    cells = {"S/16": (30.0, 27.0, 31.0), "B/16": (25.0, 25.5, 25.0)}
    runs = {(m, o, 0): hist([a]) for m, accs in cells.items() for o, a in zip(labels, accs)}
    quirks = kfac_mixer.quirks_table(runs, ["S/16", "B/16"], labels)
    assert quirks.index.name == "model" and list(quirks.columns) == list(labels)
    assert quirks.loc["S/16", "(K-FAC, SGD)"] == 27.0 and quirks.loc["B/16", "(K-FAC, SGD)"] == 25.5
    table2 = {("S/16", "SGD", 0): hist([10]), ("S/16", "SGD", 1): hist([12]),
              ("B/16", "SGD", 0): hist([10]), ("B/16", "SGD", 1): hist([10])}
    far = kfac_mixer.quirks_vs_seed_noise(quirks, table2)
    assert far["|authors' (K-FAC, SGD) − K-FAC|"].tolist() == [1.0, 0.0]
    assert far["|guarded (K-FAC, SGD) − K-FAC|"].tolist() == [3.0, 0.5]
    assert far["seed std (Table 2)"].round(6).tolist() == [round(math.sqrt(2), 6), 0.0]
    no_table2 = kfac_mixer.quirks_vs_seed_noise(quirks, None)
    assert no_table2["seed std (Table 2)"].isna().all()
    pd.testing.assert_series_equal(no_table2.iloc[:, 0], far.iloc[:, 0])


def test_seed_noise_pools_the_optimizers_with_two_seeds_or_more():
    runs = {("S/16", "SGD", 0): hist([1]), ("S/16", "SGD", 1): hist([3]),         # std sqrt(2)
            ("S/16", "Adam", 0): hist([2]), ("S/16", "Adam", 1): hist([2]),       # std 0
            ("S/16", "K-FAC", 0): hist([5])}                                      # one seed: left out
    assert kfac_mixer.seed_noise(runs, "S/16") == 1.0                             # sqrt((2 + 0) / 2)
    assert kfac_mixer.seed_noise({("S/16", "SGD", 0): hist([1])}, "S/16") == 0.0


def test_train_time_s_counts_each_run_once_and_skips_grids_that_did_not_run():
    shared = hist([10, 20], times=[5.0, 12.0])
    t2 = {("S/16", "SGD", 0): shared, ("S/16", "Adam", 0): hist([10], times=[7.5])}
    t4 = {("S/16", "(SGD, SGD)", 0): shared, ("S/16", "(SGD, K-FAC)", 0): train.History(epochs=[])}
    assert kfac_mixer.train_time_s(t2, None, t4, None) == 12.0 + 7.5
    assert kfac_mixer.train_time_s(None, None) == 0.0
