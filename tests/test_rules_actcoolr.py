"""Chapter 03's rules: each gives holds / refutes / inconclusive on synthetic numbers, fails over to inconclusive
with fewer than 3 seeds or a failed precondition, and holds on the supplement's own numbers where it prints them
(Table 2's errors; Section C's Fashion-MNIST σ, about 3 → 0.3)."""
import math

import numpy as np
import pandas as pd

from lib import verdicts
from lib.chapters import actcoolr
from lib.train import History

FAILED = verdicts.check("a precondition", False, "its numbers")


def history(temps: dict | None = None, *, epochs: int = 6, lr=None, train_acc: float = 60.0, test_acc: float = 50.0,
            steps_per_epoch: int = 32) -> History:
    """A fake run: loss falls 2.3 → 1.3, per-layer temperatures ``temps`` ({layer: per-epoch values})."""
    temps = temps or {"stem_relu": [1.0] * epochs}
    rows = []
    for e in range(epochs):
        t = {f"T:{k}": v[e] for k, v in temps.items()}
        rows.append({"epoch": e, "steps": (e + 1) * steps_per_epoch, "lr": 0.1 if lr is None else lr[e],
                     "train_loss": 2.3 - e / max(epochs - 1, 1), "train_acc": train_acc, "test_acc": test_acc,
                     **t, "T_mean": float(np.mean(list(t.values())))})
    return History(epochs=rows)


# --- Figures 1-2: cooling, depth, no shortcut --------------------------------------------------------------

def test_cools_rule():
    falling, rising = (np.arange(6), [4, 3, 2, 1, 0.5, 0.1]), (np.arange(6), [0.1, 0.5, 1, 2, 3, 4])
    assert actcoolr.rule_cools({"a": falling}).holds is True              # (verdicts.trend is slow: few calls here)
    assert actcoolr.rule_cools({"b": rising}).holds is False
    assert actcoolr.rule_cools({"a": falling, "c": (np.arange(4), [4, 3, 2, 1])}).holds is None     # c: 4 epochs only
    assert actcoolr.rule_cools({"a": falling}, [FAILED]).holds is None


def test_t_curve_pools_the_seeds():
    hs = [history({"stem_relu": [3, 2, 1, 0.5, 0.2, 0.1]}), history({"stem_relu": [3.1, 2.1, 1.1, 0.6, 0.3, 0.1]})]
    x, y = actcoolr.t_curve(hs)
    assert list(x) == [0, 1, 2, 3, 4, 5] * 2 and y[6] == 3.1 and y[-1] == 0.1


def test_stage_of_a_resnet20_relu():
    assert [actcoolr.stage(n, 20) for n in ("stem_relu", "blocks.2.relu2", "blocks.3.relu1", "blocks.8.relu2")] == [0, 0, 1, 2]


def resnet20_temps(within: str, band: float = 1.0) -> dict:
    """Per-layer constant temperatures of ResNet-20's 19 ReLUs: a base per stage (``band`` apart, as more
    filters raise it) plus a within-stage course ``within`` ('rise', 'fall', 'flat')."""
    names = ["stem_relu"] + [f"blocks.{b}.relu{i}" for b in range(9) for i in (1, 2)]
    out = {}
    for n in names:
        s, pos = actcoolr.stage(n, 20), (0 if n == "stem_relu" else 1 + 2 * (int(n.split(".")[1]) % 3) + int(n[-1]) - 1)
        step = {"rise": 0.1, "fall": -0.1, "flat": 0.0}[within] * pos
        out[n] = [band * s + step] * 6
    return out


def test_deeper_hotter_is_decided_within_stages():
    prof = lambda within: {"ResNet": actcoolr.layer_profile([history(resnet20_temps(within))], depth=20)}
    stage2 = lambda within: {"ResNet": prof(within)["ResNet"].query("stage == 2")}
    assert actcoolr.rule_deeper_hotter(prof("rise")).holds is True
    assert actcoolr.rule_deeper_hotter(stage2("fall")).holds is False
    # three bands of width and nothing within them: the overall rank correlation is high, the rule not fooled
    flat = prof("flat")["ResNet"]
    assert verdicts.trend(flat["layer"], flat["T"]).holds is True and actcoolr.rule_deeper_hotter(prof("flat")).holds is None
    assert actcoolr.rule_deeper_hotter(stage2("rise"), [FAILED]).holds is None


def test_deeper_hotter_needs_five_layers_per_stage():
    temps = {"stem_relu": [1] * 6, "blocks.0.relu1": [2] * 6, "blocks.0.relu2": [3] * 6}   # ResNet-8: n = 1
    assert actcoolr.rule_deeper_hotter({"ResNet-8": actcoolr.layer_profile([history(temps)], depth=8)}).holds is None


def test_no_shortcut_rule():
    hot, cool = [1.20, 1.25, 1.22], [1.00, 0.98, 1.01]
    wide, narrow = [10.0, 11.0, 10.5], [5.0, 5.5, 6.0]
    assert actcoolr.rule_no_shortcut(hot, cool, wide, narrow).holds is True
    assert actcoolr.rule_no_shortcut(cool, hot, wide, narrow).holds is False
    assert actcoolr.rule_no_shortcut(hot[:1], cool[:1], wide[:1], narrow[:1]).reason.count("fewer than 3 seeds") == 2
    assert actcoolr.rule_no_shortcut(hot, cool, wide, narrow, [FAILED]).holds is None


def test_generalisation_gap_and_mean_t():
    hs = [history(train_acc=70.0, test_acc=55.0), history(train_acc=60.0, test_acc=58.0)]
    assert actcoolr.generalisation_gap(hs) == [15.0, 2.0] and actcoolr.mean_t(hs) == [1.0, 1.0]


# --- Table 1 / Figures 3-4: the fit and σ -------------------------------------------------------------------

def test_erf_fits_rule():
    assert actcoolr.rule_erf_fits({"e0": 0.033, "e2": 0.020, "e6": 0.016}).holds is True     # the committed small fits
    assert actcoolr.rule_erf_fits({"e0": 0.033, "e2": 0.2}).holds is False
    assert actcoolr.rule_erf_fits({"e0": 0.033, "e2": math.nan}).holds is None                 # curve_fit found no fit
    assert actcoolr.rule_erf_fits({"e0": 0.033}, [FAILED]).holds is None


def test_sigma_constant_rule():
    first, same, half = [1.40, 1.50, 1.60], [1.50, 1.70, 1.60], [0.30, 0.32, 0.31]
    assert actcoolr.rule_sigma_constant({"cifar10": (first, same)}).holds is True
    assert actcoolr.rule_sigma_constant({"cifar10": (first, half)}).holds is False
    assert actcoolr.rule_sigma_constant({"cifar10": ([1.0, 1.0, 1.0], [1.5, 2.5, 2.0])}).holds is None   # straddles 2×
    assert actcoolr.rule_sigma_constant({"cifar10": (first[:1], same[:1])}).reason.endswith("fewer than 3 seeds (n = 1, 1)")
    assert actcoolr.rule_sigma_constant({"a": (first, same), "b": (first, half)}).holds is False
    assert actcoolr.rule_sigma_constant({"cifar10": (first, same)}, [FAILED]).holds is None


def test_sigma_falls_rule_holds_on_the_papers_fashion_mnist_sigma():
    assert actcoolr.rule_sigma_falls([3.0] * 3, [0.3] * 3).holds is True      # Section C: "starting at about 3, ... 0.3"
    # so "constant" is not claimed there
    assert actcoolr.rule_sigma_constant({"fashion_mnist": ([3.0] * 3, [0.3] * 3)}).holds is False
    assert actcoolr.rule_sigma_falls([1.35, 1.30, 1.40], [1.34, 1.30, 1.38]).holds is False       # our 6-epoch σ
    assert actcoolr.rule_sigma_falls([3.0], [0.3]).holds is None
    assert actcoolr.rule_sigma_falls([3.0] * 3, [0.3] * 3, [FAILED]).holds is None


def test_sigma_ends_takes_first_and_last_identifiable_points():
    fits = pd.DataFrame({"data": ["cifar10"] * 3, "epoch": [0, 1, 3], "identifiable": [False, True, True],
                         "sigma": [math.nan, 1.48, 1.70]})
    assert actcoolr.sigma_ends(fits, "cifar10") == ([1.48], [1.70]) and actcoolr.sigma_ends(fits, "fashion_mnist") == ([], [])


def test_horizon_precondition_from_the_profiles():
    spec = actcoolr.PROFILES
    for name in ("fashion_mnist", "cifar10"):
        paper = actcoolr.analysis_steps(spec["paper"], name)
        assert actcoolr.covers_horizon(name, paper, paper).met
        small = actcoolr.covers_horizon(name, actcoolr.analysis_steps(spec["small"], name), paper)
        assert not small.met and "needs ≥ 50%" in small.detail
    assert actcoolr.analysis_steps(spec["small"], "fashion_mnist") == 6 * 94          # 6 epochs of ⌈6000 / 64⌉ steps


# --- Figure 5 ----------------------------------------------------------------------------------------------

def fig5(acc_shift: float = 0.0, lr_shift: float = 0.0, seeds: int = 3):
    rng = np.random.default_rng(0)
    acc = {lr: list(50 + rng.normal(0, 0.2, seeds) + (acc_shift if lr == 1e-5 else 0)) for lr in actcoolr.FIG5_LRS}
    log_lr = {lr: list(-1 + rng.normal(0, 0.02, seeds) + (lr_shift if lr == 1e-5 else 0)) for lr in actcoolr.FIG5_LRS}
    acc[1.0], log_lr[1.0] = [10.0] * seeds, [2.0] * seeds         # the excluded rate may do anything
    return acc, log_lr


def test_fig5_similar_rule():
    assert actcoolr.rule_fig5_similar(*fig5()).holds is True
    assert actcoolr.rule_fig5_similar(*fig5(acc_shift=-5.0)).holds is False
    assert actcoolr.rule_fig5_similar(*fig5(lr_shift=1.0)).holds is False                 # a 10× different late rate
    assert actcoolr.rule_fig5_similar(*fig5(seeds=1)).reason.count("fewer than 3 seeds") == 8
    assert actcoolr.rule_fig5_similar(*fig5(), [actcoolr.scheduler_settled(40, 10)]).holds is None


def test_scheduler_settled_and_late_rate():
    assert actcoolr.scheduler_settled(96, 10).met and not actcoolr.scheduler_settled(40, 10).met
    h = history(lr=[1e-5, 1e-3, 0.05, 0.1, 0.1, 0.1])
    assert actcoolr.late_log_lr(h) == -1.0 and actcoolr.steps_before_late(h) == 96


def test_fig5_high_rate_rule():
    better, ref = [52.0, 53.0, 52.5], [48.0, 48.5, 49.0]
    assert actcoolr.rule_fig5_high_rate(better, ref).holds is True
    assert actcoolr.rule_fig5_high_rate([10.0, 10.1, 9.9], ref).holds is False
    assert actcoolr.rule_fig5_high_rate(better[:1], ref[:1]).holds is None
    dead = verdicts.all_trained({"from 1": history(test_acc=10.0)}, chance=actcoolr.CHANCE)
    assert not dead.met and actcoolr.rule_fig5_high_rate(better, ref, [dead]).holds is None


# --- Table 2 -----------------------------------------------------------------------------------------------

def paper_t2(epochs: int) -> dict:
    return {net: ([actcoolr.PAPER_T2[epochs, net, "ActCooLR"][1]] * 3, [actcoolr.PAPER_T2[epochs, net, "1-cycle"][1]] * 3)
            for net in ("ResNet-18", "PyramidNet-110")}


def test_table2_rule_holds_on_the_papers_errors():
    assert actcoolr.rule_table2(paper_t2(25)).holds is True
    assert actcoolr.rule_table2(paper_t2(50)).holds is True         # PyramidNet-110 at 50 epochs: 6.17 vs 5.04, the widest


def test_table2_rule_outcomes():
    ours = {"PyramidNet-110": ([49.5, 50.0, 49.75], [64.0, 64.6, 64.3])}       # the committed small errors, as 3 seeds
    assert actcoolr.rule_table2(ours).holds is False
    assert actcoolr.rule_table2({"ResNet-18": ([58.0, 62.0, 55.0], [57.0, 60.0, 61.0])}).holds is None    # too noisy
    assert actcoolr.rule_table2({"ResNet-18": ([58.35], [61.65])}).reason.endswith("fewer than 3 seeds (n = 1, 1)")
    untuned = actcoolr.tuned_here("1-cycle's λ_max", 6, 25, 4000)
    assert not untuned.met and "4,000 images" in untuned.detail and actcoolr.tuned_here("x", 25, 25, None).met
    assert actcoolr.rule_table2(paper_t2(25), [untuned]).holds is None


# --- Section D ---------------------------------------------------------------------------------------------

def test_section_d_rule():
    assert actcoolr.rule_section_d([0.03, 0.04, 0.05]).holds is True
    assert actcoolr.rule_section_d([0.15, 0.17, 0.16]).holds is False
    assert actcoolr.rule_section_d([0.03]).reason.endswith("fewer than 3 seeds (n = 1)")
    assert actcoolr.rule_section_d([0.03, 0.04, 0.05], [FAILED]).holds is None


def test_late_target_gap_reads_the_trajectory_not_its_mean():
    """The committed small run: last-half per-epoch gaps 0.018 → 0.115 → 0.166 (their mean about 0.1)."""
    fd = pd.DataFrame({"epoch": range(6), "P measured": [0.9, 0.9, 0.9, 0.818, 0.685, 0.534],
                       "P target": [0.8, 0.8, 0.8, 0.8, 0.8, 0.7]})
    assert math.isclose(actcoolr.late_target_gap(fd), 0.166, abs_tol=1e-9)
    assert actcoolr.rule_section_d([actcoolr.late_target_gap(fd)] * 3).holds is False


def test_section_d_frame_uses_the_consistent_conversion():
    h = history({"stem_relu": [1.0] * 6, "blocks.0.relu1": [1.0] * 6})
    fd = actcoolr.section_d_frame(h)
    assert np.allclose(fd["P measured"], 0.5) and math.isclose(fd["P target"].iloc[0], 1 - 2 ** (-3.03 * (1 - 0.5 / 6)))
