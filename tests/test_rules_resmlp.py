"""Chapter 02's rules: each gives holds / refutes / inconclusive as stated (fewer than 3 seeds and a failed
precondition included), and each holds on the paper's own printed numbers (one value repeated as 3 "seeds")."""
import numpy as np
import pytest

from lib import train, verdicts
from lib.chapters import resmlp

OK = [verdicts.check("ok", True)]
FAILED = [verdicts.check("SGD rate tuned at this scale", False, "no sweep")]
T3 = {r[1]: r[6] for r in resmlp.PAPER_T3}        # Table 3's ImageNet top-1 per row


def paper(x: float) -> list[float]:
    return [x] * 3


def hist(losses, accs) -> train.History:
    return train.History(epochs=[{"train_loss": l, "test_acc": a} for l, a in zip(losses, accs)])


# ---- counts (Tables 1 and 3) ----

def test_table1_complexity_holds_on_the_papers_rows_and_ours():
    params = {k: v["params"] for k, v in resmlp.PAPER_T1.items()}
    flops = {k: v["flops"] for k, v in resmlp.PAPER_T1.items()}
    assert resmlp.rule_table1_complexity(params, flops).holds is True                        # the paper's own
    assert resmlp.rule_table1_complexity({"S12": 15.35, "S24": 30.02}, {"S12": 3.01, "S24": 5.961}).holds is True
    bad = resmlp.rule_table1_complexity({"S12": 15.35, "S24": 31.2}, {"S12": 3.01, "S24": 5.961})
    assert bad.holds is False and "S24" in bad.reason


def test_table3_counts_hold_on_the_paper_and_name_the_tolerance():
    p = {r[1]: r[4] for r in resmlp.PAPER_T3}
    f = {r[1]: r[5] for r in resmlp.PAPER_T3}
    assert resmlp.rule_params(p, p).holds is True and resmlp.rule_flops(f, f).holds is True
    assert resmlp.rule_params({**p, "S12": 15.46}, p).holds is False                         # 0.06M off a 0.1 decimal
    mlp = {**f, "linear → MLP": 4.249}                                                   # ours: 0.051 low
    assert resmlp.rule_flops(mlp, f).holds is True                                            # ±0.05 + 1% of 4.3 = 0.093
    assert resmlp.rule_flops({**f, "linear → MLP": 4.15}, f).holds is False
    assert "element-wise" in resmlp.rule_flops(f, f).test


# ---- throughput (Table 1) ----

def test_throughput_ratio_three_outcomes_and_the_papers_v100():
    quiet, busy = verdicts.machine_quiet(0.2, 2), verdicts.machine_quiet(1.9, 2)
    assert resmlp.rule_throughput_ratio(paper(1415.1), paper(715.4), quiet).holds is True      # 1.98×
    assert resmlp.rule_throughput_ratio([30.4, 30.6, 30.5], [15.2, 15.3, 15.4], quiet).holds is True
    assert resmlp.rule_throughput_ratio([30.4, 30.6, 30.5], [10.0, 10.1, 9.9], quiet).holds is False   # 3×
    assert resmlp.rule_throughput_ratio([20.0, 40.0, 30.0], [15.2, 15.3, 15.4], quiet).holds is None   # straddles 2.5
    assert resmlp.rule_throughput_ratio(paper(1415.1), paper(715.4), busy).holds is None
    assert resmlp.rule_throughput_ratio([30.5], [15.3], quiet).reason.startswith("fewer than 3")


# ---- Table 3's ablations ----

def test_ablation_gains_hold_on_the_papers_rows():
    base = paper(T3["S12"])
    for variant in ("Aff → LayerNorm", "average → Class-MLP", "S12 patch 16 → 14", "S12 patch 16 → 8"):
        assert resmlp.rule_ablation_helps(paper(T3[variant]), base, OK).holds is True, variant


def test_ablation_gain_three_outcomes():
    assert resmlp.rule_ablation_helps([50.1, 50.6, 50.9], [42.4, 42.6, 42.8], OK).holds is True
    assert resmlp.rule_ablation_helps([41.0, 41.3, 40.8], [42.4, 42.6, 42.8], OK).holds is False
    assert resmlp.rule_ablation_helps([43.0, 42.0, 44.0], [42.4, 42.6, 42.8], OK).holds is None
    assert resmlp.rule_ablation_helps([50.1, 50.6], [42.4, 42.8], OK).reason.startswith("fewer than 3")
    failed = resmlp.rule_ablation_helps([50.1, 50.6, 50.9], [42.4, 42.6, 42.8], FAILED)
    assert failed.holds is None and "no sweep" in failed.reason


def paper_acc() -> dict:
    """Our ablation labels with the paper's S12 rows (patch ×2 has no paper row: S12/14 stands in)."""
    rows = {"linear (baseline)": "S12", "patch ×2 (larger)": "S12 patch 16 → 14"}
    return {k: paper(T3[rows.get(k, k)]) for k in resmlp.ABLATIONS}


def test_none_lowest_holds_on_the_paper_and_three_outcomes():
    assert resmlp.rule_none_lowest(paper_acc(), OK).holds is True
    ours = {k: [40.0 + i, 41.0 + i, 40.5 + i] for i, k in enumerate(resmlp.ABLATIONS)}
    ours["linear → none"] = [31.0, 30.4, 31.8]
    assert resmlp.rule_none_lowest(ours, OK).holds is True
    assert resmlp.rule_none_lowest({**ours, "linear → none": [60.0, 60.5, 61.0]}, OK).holds is False
    assert resmlp.rule_none_lowest({**ours, "linear → none": [38.0, 41.0, 44.0]}, OK).holds is None   # ties the lowest
    assert resmlp.rule_none_lowest({k: v[:2] for k, v in ours.items()}, OK).reason.count("fewer than 3") >= 1


def test_conv3x3_best_holds_on_the_paper_and_three_outcomes():
    assert resmlp.rule_conv3x3_best(paper_acc(), OK).holds is True              # 77.3 > 77.0, 76.6, 76.3 (MLP ties)
    ours = {"linear (baseline)": [42.4, 42.6, 42.8], "linear → conv 3×3 depth-wise": [34.0, 33.5, 34.4],
            "linear → conv 3×3 depth-separable": [34.4, 34.9, 34.0], "linear → conv 3×3": [45.0, 45.5, 44.8]}
    assert resmlp.rule_conv3x3_best(ours, OK).holds is True
    assert resmlp.rule_conv3x3_best({**ours, "linear → conv 3×3": [36.9, 36.5, 37.2]}, OK).holds is False   # below linear
    assert resmlp.rule_conv3x3_best({**ours, "linear → conv 3×3": [40.0, 43.0, 46.0]}, OK).holds is None
    assert resmlp.rule_conv3x3_best(ours, FAILED).holds is None


def test_depthwise_like_linear_holds_on_the_paper_and_three_outcomes():
    assert resmlp.rule_depthwise_like_linear(paper(76.3), paper(76.6), OK).holds is True     # −0.3 within ±0.6
    assert resmlp.rule_depthwise_like_linear([42.5, 42.6, 42.7], [42.4, 42.6, 42.8], OK).holds is True
    assert resmlp.rule_depthwise_like_linear([34.0, 33.5, 34.4], [42.4, 42.6, 42.8], OK).holds is False   # −8.6
    assert resmlp.rule_depthwise_like_linear([41.0, 43.0, 45.0], [42.4, 42.6, 42.8], OK).holds is None
    assert resmlp.rule_depthwise_like_linear([42.5, 42.6], [42.4, 42.8], OK).reason.startswith("fewer than 3")
    assert resmlp.rule_depthwise_like_linear(paper(76.3 - 0.9), paper(76.6), OK).holds is False  # the paper's "significant"


# ---- the training block ----

def test_modern_beats_old_fashioned_on_the_paper_and_three_outcomes():
    assert resmlp.rule_modern_beats_old(paper(76.6), paper(69.2), OK).holds is True
    assert resmlp.rule_modern_beats_old([42.4, 42.6, 42.8], [23.0, 22.5, 23.4], OK).holds is True
    assert resmlp.rule_modern_beats_old([22.4, 22.6, 22.8], [30.0, 30.5, 30.4], OK).holds is False
    assert resmlp.rule_modern_beats_old([40.0, 44.0, 48.0], [43.0, 44.0, 45.0], OK).holds is None
    untuned = resmlp.rule_modern_beats_old([42.4, 42.6, 42.8], [23.0, 22.5, 23.4], [resmlp.sgd_tuned(0.025)])
    assert untuned.holds is None and "0.025" in untuned.reason


def test_distillation_helps_on_the_paper_and_three_outcomes():
    assert resmlp.rule_distillation_helps(paper(77.8), paper(76.6), OK).holds is True
    assert resmlp.rule_distillation_helps([44.0, 44.3, 44.1], [42.4, 42.6, 42.8], OK).holds is True
    assert resmlp.rule_distillation_helps([40.0, 40.3, 40.1], [42.4, 42.6, 42.8], OK).holds is False
    assert resmlp.rule_distillation_helps([43.2, 42.8, 43.7], [42.4, 42.6, 42.8], OK).holds is None
    weak = resmlp.rule_distillation_helps([44.0, 44.3, 44.1], [42.4, 42.6, 42.8], [resmlp.teacher_better(40.0, [42.4, 42.8])])
    assert weak.holds is None and "teacher 40.00" in weak.reason


# ---- Figures 2 and 3 ----

def test_early_layers_local_three_outcomes():
    uniform = 9 / 64
    assert resmlp.rule_early_layers_local([0.62, 0.58, 0.66], uniform, OK).holds is True     # ≈ 4.4× uniform
    assert resmlp.rule_early_layers_local([0.154, 0.143, 0.150], uniform, OK).holds is False  # ≈ 1.06×: ours
    assert resmlp.rule_early_layers_local([0.15, 0.60, 0.30], uniform, OK).holds is None
    assert resmlp.rule_early_layers_local([0.62, 0.58], uniform, OK).reason.startswith("fewer than 3")
    stuck = resmlp.rule_early_layers_local([0.62, 0.58, 0.66], uniform, [resmlp.a_learned([0.3, 0.4, 0.2])])
    assert stuck.holds is None and "0.20" in stuck.reason
    assert resmlp.rule_early_layers_local(paper(1.0), uniform, OK).holds is True              # a 3×3 convolution


def test_a_sparser_three_outcomes():
    rng = np.random.default_rng(0)
    b = 0.10 + 0.01 * rng.random((3, 6))
    c = 0.10 + 0.01 * rng.random((3, 6))
    assert resmlp.rule_a_sparser(b + 0.1, b, c, OK).holds is True
    assert resmlp.rule_a_sparser(b - 0.03, b, c, OK).holds is False                           # ours: A 0.107 < B 0.136
    mixed = np.vstack([b[0] + 0.1, b[1] - 0.05, b[2] + 0.02])
    assert resmlp.rule_a_sparser(mixed, b, c, OK).holds is None
    assert resmlp.rule_a_sparser(b[:2] + 0.1, b[:2], c[:2], OK).reason.startswith("fewer than 3")
    assert resmlp.rule_a_sparser(b + 0.1, b, c, [resmlp.a_learned([0.5])]).holds is None


# ---- preconditions ----

def test_sgd_tuned_needs_a_sweep_with_the_rate_inside_it():
    assert not resmlp.sgd_tuned(0.025).met and "no SGD learning-rate sweep" in resmlp.sgd_tuned(0.025).detail
    sweep = {0.01: [20.0, 21.0], 0.025: [30.0, 31.0], 0.1: [25.0, 26.0]}
    assert resmlp.sgd_tuned(0.025, sweep).met
    assert not resmlp.sgd_tuned(0.01, sweep).met                                              # not the best
    assert not resmlp.sgd_tuned(0.1, {0.01: [20.0], 0.1: [30.0]}).met                         # best at the edge


def test_seeds_distinct_catches_a_run_reused_for_two_seeds():
    a, b = hist([2.0, 1.5], [30.0, 40.0]), hist([2.0, 1.4], [31.0, 41.0])
    assert resmlp.seeds_distinct({"linear": [a, b]}).met
    p = resmlp.seeds_distinct({"linear": [a, b], "conv 3×3": [a, hist([2.0, 1.5], [30.0, 40.0])]})
    assert not p.met and "conv 3×3" in p.detail and "linear" not in p.detail


def test_runs_trained_uses_cifar10_chance():
    assert resmlp.runs_trained({"ok": hist([2.2, 1.4], [20.0, 42.0])}).met
    p = resmlp.runs_trained({"sgd": hist([2.05, 2.0], [20.0, 23.0])})                         # loss −2%
    assert not p.met and "sgd" in p.detail


def test_teacher_better_and_a_learned():
    assert resmlp.teacher_better(66.05, [42.4, 42.8]).met and not resmlp.teacher_better(40.0, [42.4, 42.8]).met
    assert resmlp.a_learned([1.2, 3.0]).met and not resmlp.a_learned([1.2, 0.9]).met
    assert not resmlp.a_learned([]).met


@pytest.mark.parametrize("name", ["CHANCE", "DEPTHWISE_MARGIN", "LOCAL_RATIO", "A_MOVED", "FLOPS_RTOL"])
def test_margins_are_stated_and_positive(name):
    assert getattr(resmlp, name) > 0
