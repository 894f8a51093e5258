"""Chapter 04's helpers (lib/chapters/mi_lr.py) on hand-made histories: the per-seed end accuracies and epochs
to a target, the configs of Figures 3-4's runs, their figure, their claims and their results table."""
import numpy as np
import pytest

from lib import profiles, report
from lib.chapters import mi_lr
from lib.train import History

SEEDS = (0, 1, 2)


def hist(accs, lrs=None, ixy=2.0) -> History:
    """A 3-epoch history: test accuracies ``accs``, rates ``lrs`` (default 0.01), a falling loss, IHYLL rising."""
    n = len(accs)
    lrs = lrs or [0.01] * n
    return History(epochs=[dict(epoch=i, lr=lrs[i], train_loss=float(np.linspace(2.3, 0.3, n)[i]), test_acc=accs[i],
                                IHYLL=float(np.linspace(0.5, 2.0, n)[i]), IXY=ixy) for i in range(n)])


def four_runs() -> dict:
    """{(label, seed): History}: the fixed rates end at ~97 / 97.5 / 98 (fixed 0.1 best: at the sweep's edge);
    warm-up (mean rate 0.0055) at ~97; policy 1 (mean rate 0.0303, peak 0.06, ending at half of it) at ~97.5;
    policy 2 (mean rate 0.047, ending at its peak) reaches 97.5 at epoch 1 and ends at
    ~98.5."""
    runs = {}
    for i, s in enumerate(SEEDS):
        d = 0.1 * (i - 1)                                    # seed spread: -0.1, 0, +0.1
        runs["fixed", s] = hist([50, 90, 97 + d])
        runs["fixed 0.03", s] = hist([50, 92, 97.5 + d], lrs=[0.03] * 3)
        runs["fixed 0.1", s] = hist([50, 93, 98 + d], lrs=[0.1] * 3)
        runs["warm-up", s] = hist([50, 89, 97 + d], lrs=[0.001, 0.0055, 0.01])
        runs["policy 1", s] = hist([50, 91, 97.5 + d], lrs=[0.001, 0.06, 0.03])
        runs["policy 2", s] = hist([50, 97.5, 98.5 + d], lrs=[0.001, 0.05, 0.09])
    return runs


def test_end_accuracies_per_seed():
    runs = {("fixed", 0): hist([50, 90, 97]), ("fixed", 1): hist([50, 91, 96]), ("policy 2", 0): hist([60, 70, 80])}
    assert mi_lr.ends_by_seed(runs, "fixed") == {0: 97, 1: 96}
    assert mi_lr.accs(runs, "fixed") == [97, 96] and mi_lr.accs(runs, "policy 2") == [80]


def test_epochs_to_a_per_seed_target_is_censored_at_the_runs_length():
    runs = {("policy 2", 0): hist([50, 97.5, 98]), ("policy 2", 1): hist([50, 90, 96])}
    assert mi_lr.epochs_to(runs, "policy 2", {0: 97.0, 1: 97.0}) == [1.0, 3.0]     # seed 1 never: 3 epochs
    assert mi_lr.epochs_to(runs, "policy 2", {0: 50.0, 1: 96.0}) == [0.0, 2.0]


def test_four_configs_are_the_papers_runs_and_the_sweep_with_the_dynamic_runs_length():
    P = profiles.check("04_mi_learning_rate", profile="paper", seeds=[0, 1], device="cpu")
    configs = mi_lr.four_configs(P, "cifar10", P.seeds)
    labels = ["fixed", "fixed 0.03", "fixed 0.1", "warm-up", "policy 1", "policy 2"]
    assert list(configs) == [(lab, s) for lab in labels for s in (0, 1)]
    epochs = {lab: configs[lab, 0]["epochs"] for lab in labels}
    assert epochs == {"fixed": 200, "fixed 0.03": 200, "fixed 0.1": 200, "warm-up": 200, "policy 1": 50, "policy 2": 50}
    assert [configs[lab, 1]["optimizer"]["lr"] for lab in labels] == [0.01, 0.03, 0.1, 0.01, 0.01, 0.01]
    assert configs["policy 2", 1]["schedule"]["policy"]["gamma1"] == 0.01 and configs["policy 2", 1]["seed"] == 1
    mnist = mi_lr.four_configs(P, "mnist", [0])                 # no dynamic_epochs: every run the same length
    assert {c["epochs"] for c in mnist.values()} == {50}


def test_four_runs_figure_has_a_row_per_run_and_the_tiled_ixy_in_its_title():
    P = profiles.check("04_mi_learning_rate", profile="small", seeds=list(SEEDS), device="cpu")
    fig = mi_lr.four_runs_figure(P, "mnist", four_runs(), "fig3")
    assert len(fig.axes) == 6 * 4                               # 6 run labels x 4 panels
    assert fig._suptitle.get_text() == "fig3: mnist (small profile; IXY tiled = 2.00 nats)"


def test_four_runs_claims_decide_each_comparison_and_its_preconditions():
    claims = report.Claims("04_mi_learning_rate", "small")
    mi_lr.four_runs_claims(claims, "mnist", four_runs(), "fig3", ceiling=2.01)     # IXY 2.0: at the ceiling
    rows = claims.frame().set_index("claim")
    assert list(rows.index) == [
        "mnist: policy 1 ends at least as high as the fixed rate matched to its mean rate (fixed 0.03)",
        "mnist: policy 2 ends at least as high as the fixed rate matched to its mean rate (fixed 0.03)",
        "mnist: policy 2 ends at least as high as the paper's fixed 0.01",
        "mnist: policy 2 reaches the end accuracy of the paper's fixed 0.01 sooner than it does",
        "mnist: policy 2 ends at least as high as the best swept fixed rate (fixed 0.1)",
        "mnist: policy 2 reaches the end accuracy of the best swept fixed rate (fixed 0.1) sooner than it does",
        "mnist: policy 2 (value and change) beats policy 1 (change only)",
        "mnist: policy 1's rate rises from LR_min and then cools down",
        "mnist: policy 2's rate rises from LR_min and then cools down",
        "mnist: warm-up is effective (ends at least as high as the fixed 0.01 it warms up to)"]
    assert rows["ours"].to_list()[:3] == [
        "policy 1 97.50 ± 0.10 vs fixed 0.03 97.50 ± 0.10", "policy 2 98.50 ± 0.10 vs fixed 0.03 97.50 ± 0.10",
        "policy 2 98.50 ± 0.10 vs fixed 97.00 ± 0.10"]
    # policy 1 (0.0303) and policy 2 (0.047) are within 2x of fixed 0.03 and of each other: those comparisons are
    # decided; policy 2 vs fixed 0.01 is not rate-matched; fixed 0.1 is the sweep's edge; policy 1 ends at half
    # its peak (cools), policy 2 at its peak with IXY at the ceiling, at the end of the run (undecided)
    assert rows["verdict"].to_list() == ["reproduced"] * 2 + ["inconclusive"] * 4 + ["reproduced"] * 2 + [
        "inconclusive", "reproduced"]
    reason = rows["reason"].to_list()
    assert "rate-matched" in reason[2] and "inside the sweep" in reason[4]
    assert "peaked before" in reason[8] and "can fall" in reason[8]
    assert rows.loc["mnist: policy 1's rate rises from LR_min and then cools down", "ours"] == \
        "peak 0.0600 ± 0.0000, end 0.0300 ± 0.0000"


def test_the_rate_matched_control_is_the_nearest_swept_rate_in_log_space():
    runs = four_runs()
    assert mi_lr.matched_fixed(runs, "policy 1") == "fixed 0.03"
    far = {**runs, **{("policy 2", s): hist([50, 90, 98], lrs=[0.08, 0.09, 0.1]) for s in SEEDS}}
    assert mi_lr.matched_fixed(far, "policy 2") == "fixed 0.1"                   # 0.09: log-nearest 0.1
    assert mi_lr.peak_and_end(runs, "policy 2") == ([0.09] * 3, [0.09] * 3)


def test_mi_cost_shares_are_per_run_means_of_per_epoch_shares():
    h = History(epochs=[dict(epoch=0, time_s=10.0, mi_time_s=1.0), dict(epoch=1, time_s=30.0, mi_time_s=4.0)])
    assert mi_lr.mi_cost_shares({("fixed", 0): h}) == pytest.approx([(0.1 + 0.2) / 2])


def test_jitter_spread_repeats_ixy_and_the_ceiling_over_jitter_seeds():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    x = (rng.random((200, 16)) < 0.5).astype(float)          # binary pixels: max-norm distances tie at 1.0
    t = mi_lr.jitter_spread(x, y, tile=2, seeds=(0, 1, 2))
    assert list(t.columns) == ["jitter seed", "IXY tiled", "KSG ceiling"] and len(t) == 3
    assert t["IXY tiled"].nunique() > 1                      # the ties are broken differently by each draw
    assert (t["IXY tiled"] <= t["KSG ceiling"] + 0.05).all()


def test_four_runs_items_saves_the_results_table_and_figure():
    P = profiles.check("04_mi_learning_rate", profile="small", seeds=list(SEEDS), device="cpu")
    claims = report.Claims(P.chapter, P.profile)
    table = mi_lr.four_runs_items(P, claims, "mnist", four_runs(), "fig3")
    assert list(table["run"]) == ["fixed", "warm-up", "policy 1", "policy 2", "fixed 0.03", "fixed 0.1"]
    reach = dict(zip(table["run"], table["ours: epoch reaching the fixed run's end acc"]))
    assert reach["policy 2"] == "1, 1, 1" and reach["fixed"] == "2, 2, 2"
    assert table.loc[table["run"] == "policy 2", "ours mean lr"].item() == 0.047
    assert (report.FIGURES / P.chapter / "fig3.csv").exists() and (report.FIGURES / P.chapter / "fig3.png").exists()
    assert len(claims.rows) == 10
