"""Chapter 04's rules: each outcome (holds / refuted / inconclusive), its preconditions, and — where the paper
prints the numbers a claim rests on — the rule applied to the paper's own numbers holds."""
import numpy as np
import pytest
from scipy.special import digamma

from lib import verdicts
from lib.chapters import mi_lr
from lib.measure import mi
from lib.train import History

CAP = mi_lr.ksg_ceiling(np.repeat(np.arange(10), 100))
three = lambda x: [x, x, x]                 # a paper's single printed number as three zero-spread "seeds"


def hist(accs, lrs=None, losses=None, ihyll=None) -> History:
    n = len(accs)
    lrs, losses = lrs or [0.01] * n, losses or list(np.linspace(2.3, 0.3, n))
    ihyll = ihyll or list(np.linspace(0.5, 2.0, n))
    return History(epochs=[dict(epoch=i, lr=lrs[i], train_loss=losses[i], test_acc=accs[i], IHYLL=ihyll[i])
                           for i in range(n)])


def test_ksg_ceiling_is_the_discrete_entropy_estimate_and_bounds_real_layers():
    """KSG's estimate for a perfect layer ≈ ψ(N) − ⟨ψ(N_c)⟩ (2.307 nats for 1000 balanced labels), and a noisy
    softmax-like layer that separates the classes less well reads below it."""
    y = np.repeat(np.arange(10), 100)
    assert CAP == pytest.approx(digamma(1000) - digamma(100), abs=0.01)
    rng = np.random.default_rng(0)
    noisy = mi.one_hot(y, 10) + rng.normal(0, 0.3, (1000, 10))
    assert mi.ksg(noisy, mi.one_hot(y, 10)) < CAP - mi_lr.CEILING_TOL


def test_plateau_rule():
    assert mi_lr.rule_plateau([1.50, 1.52, 1.51], [1.55, 1.56, 1.54], ceiling=CAP).holds is True
    assert mi_lr.rule_plateau([1.0, 1.02, 1.01], [1.5, 1.52, 1.51], ceiling=CAP).holds is False
    assert mi_lr.rule_plateau([1.0, 1.4, 1.2], [1.2, 1.6, 1.4], ceiling=CAP).holds is None
    floor = mi_lr.rule_plateau([0.05, 0.04, 0.06], [0.01, 0.012, 0.011], ceiling=CAP)       # CIFAR-10's estimate → 0
    assert floor.holds is None and "floor" in floor.reason


def test_ends_as_high_rule_and_the_papers_numbers():
    for data in ("mnist", "cifar10"):
        paper = mi_lr.PAPER[data]
        assert mi_lr.rule_ends_as_high(three(paper["policy 2"][0]), three(paper["fixed"][0]), data=data).holds is True
    mnist = mi_lr.PAPER["mnist"]                 # warm-up "effective for MNIST": 98.95 vs fixed 98.94
    assert mi_lr.rule_ends_as_high(three(mnist["warm-up"][0]), three(mnist["fixed"][0]), data="mnist").holds is True
    for pol in ("policy 1", "policy 2"):         # each policy vs the paper's fixed run (it has no rate-matched one)
        assert mi_lr.rule_ends_as_high(three(mnist[pol][0]), three(mnist["fixed"][0]), data="mnist").holds is True
    assert mi_lr.rule_ends_as_high([97.0, 97.1, 96.9], [98.9, 99.0, 98.8], data="mnist").holds is False
    assert mi_lr.rule_ends_as_high([98.0, 99.0, 98.5], [98.9, 99.0, 98.8], data="mnist").holds is None
    assert mi_lr.rule_ends_as_high([99.0, 99.1], [98.9, 99.0], data="mnist").reason.startswith("fewer than 3")


def test_sooner_rule_and_the_papers_numbers():
    # the paper's text: fixed first reaches its end accuracy at epoch 24 (MNIST) / 79 (CIFAR-10); policy 2 at 11 / 15
    assert mi_lr.rule_sooner(three(11), three(24)).holds is True
    assert mi_lr.rule_sooner(three(15), three(79)).holds is True
    assert mi_lr.rule_sooner([9, 10, 11], [5, 6, 5]).holds is False
    assert mi_lr.rule_sooner([5, 11, 8], [6, 9, 7]).holds is None


def test_beats_rule_and_the_papers_numbers():
    for data in ("mnist", "cifar10"):           # policy 2 over policy 1
        paper = mi_lr.PAPER[data]
        assert mi_lr.rule_beats(three(paper["policy 2"][0]), three(paper["policy 1"][0])).holds is True
    fig5 = mi_lr.PAPER_FIG5                          # Figure 5: policy 2 over fixed after the batch-size change
    assert mi_lr.rule_beats(three(fig5["policy 2, BS 100 → 500"][0]), three(fig5["fixed, BS 100 → 500"][0])).holds is True
    assert mi_lr.rule_beats([98.0, 98.1, 97.9], [99.0, 99.1, 98.9]).holds is False
    assert mi_lr.rule_beats([98.0, 99.0, 98.5], [98.4, 98.6, 98.5]).holds is None


def test_layerwise_rule_and_the_papers_numbers():
    ok = {"conv1": [0.5, 0.6], "dense2": [1.9, 2.0]}
    paper_fixed = mi_lr.PAPER["mnist"]["fixed"][0]
    assert mi_lr.rule_layerwise(three(mi_lr.PAPER_FIG6[0]), three(paper_fixed), layer_mi=ok, ceiling=CAP).holds
    assert mi_lr.rule_layerwise([97.0, 97.1, 96.9], [98.9, 99.0, 98.8], layer_mi=ok, ceiling=CAP).holds is False
    assert mi_lr.rule_layerwise([98.0, 99.0, 98.5], [98.9, 99.0, 98.8], layer_mi=ok, ceiling=CAP).holds is None
    floor = mi_lr.rule_layerwise(three(99.0), three(98.9), layer_mi={**ok, "conv1": [-0.0, 0.0, 0.001]}, ceiling=CAP)
    assert floor.holds is None and "conv1" in floor.reason          # Figure 6's conv1 reads −0.0 throughout
    # dense1 falls 1.53 → 0.018: a mean of 0.4 nats, but most readings at the floor
    half = mi_lr.rule_layerwise(three(99.0), three(98.9), layer_mi={"dense1": [1.53, 0.9, 0.02, 0.02, 0.01, 0.018]},
                            ceiling=CAP)
    assert half.holds is None and "dense1" in half.reason


def test_ihyll_rules():
    assert mi_lr.rule_ihyll_rises([0.5, 0.6, 0.4], [2.0, 2.1, 1.9], ceiling=CAP).holds is True
    assert mi_lr.rule_ihyll_rises([2.0, 2.1, 1.9], [0.5, 0.6, 0.4], ceiling=CAP).holds is False
    assert mi_lr.rule_ihyll_rises([1.0, 1.2, 1.1], [1.5, 0.9, 1.0], ceiling=CAP).holds is None
    assert mi_lr.rule_ihyll_rises(three(CAP), three(CAP), ceiling=CAP).holds is None           # born at the ceiling
    assert mi_lr.rule_acc_follows_ihyll([0.9, 0.8, 0.95], at_ceiling=0.1).holds is True
    assert mi_lr.rule_acc_follows_ihyll([-0.9, -0.8, -0.95], at_ceiling=0.1).holds is False
    assert mi_lr.rule_acc_follows_ihyll([0.9, -0.8, 0.2], at_ceiling=0.1).holds is None
    assert mi_lr.rule_acc_follows_ihyll([0.9, 0.8, 0.95], at_ceiling=0.7).holds is None


def test_soft_bound_is_untestable_when_ixy_sits_at_the_ceiling():
    assert mi_lr.rule_soft_bound(100, 100, ixy=1.8, ceiling=CAP).holds is True          # [96.4%, 100%]
    assert mi_lr.rule_soft_bound(30, 100, ixy=1.8, ceiling=CAP).holds is False
    assert mi_lr.rule_soft_bound(97, 100, ixy=1.8, ceiling=CAP).holds is None
    by_construction = mi_lr.rule_soft_bound(100, 100, ixy=2.304, ceiling=CAP)    # the tiled IXY of the small profile
    assert by_construction.holds is None and "ceiling" in by_construction.reason


def test_rate_rises_rule():
    kw = dict(ixy=1.8, ceiling=CAP)
    assert mi_lr.rule_rate_rises([0.01] * 3, [0.05, 0.06, 0.04], **kw).holds is True
    assert mi_lr.rule_rate_rises([0.01] * 3, [0.002, 0.003, 0.001], **kw).holds is False
    assert mi_lr.rule_rate_rises([0.01] * 3, [0.02, 0.005, 0.012], **kw).holds is None
    forced = mi_lr.rule_rate_rises([0.01] * 3, [0.05, 0.06, 0.04], ixy=2.304, ceiling=CAP)   # IXY at the ceiling
    assert forced.holds is None and "can fall" in forced.reason


def test_tuned_baseline_at_the_sweeps_edge_guards_only_a_favourable_verdict():
    edge = [verdicts.check("the best swept rate is inside the sweep", False, "best fixed 0.1 of 0.01, 0.03, 0.1")]
    loses = mi_lr.rule_ends_as_high([45.5, 45.7, 45.6], [49.8, 49.5, 50.1], data="cifar10", if_not_refuted=edge)
    assert loses.holds is False                      # losing to an under-tuned baseline refutes all the more
    wins = mi_lr.rule_ends_as_high([50.5, 50.7, 50.6], [49.8, 49.5, 50.1], data="cifar10", if_not_refuted=edge)
    assert wins.holds is None and "inside the sweep" in wins.reason


def test_a_policy_still_climbing_at_its_end_is_not_refuted_by_losing_but_may_hold():
    """``if_refuted`` (the policy's rate peaked before the run's last 20%) guards only an unfavourable verdict,
    and :func:`mi_lr.peaked_early` fails for a rate still at its peak at the end."""
    climbing = {("policy 2", s): hist([30, 40, 45, 46], lrs=[0.001, 0.02, 0.05, 0.07]) for s in range(3)}
    cooled = {("policy 2", s): hist([30, 40, 45, 46], lrs=[0.001, 0.07, 0.05, 0.03]) for s in range(3)}
    assert not mi_lr.peaked_early(climbing, "policy 2").met and mi_lr.peaked_early(cooled, "policy 2").met
    guard = [mi_lr.peaked_early(climbing, "policy 2")]
    loses = mi_lr.rule_ends_as_high([45.5, 45.7, 45.6], [49.8, 49.5, 50.1], data="cifar10", if_refuted=guard)
    assert loses.holds is None and "peaked before the last 20%" in loses.reason
    wins = mi_lr.rule_ends_as_high([50.5, 50.7, 50.6], [49.8, 49.5, 50.1], data="cifar10", if_refuted=guard)
    assert wins.holds is True                        # already as high: it needs no more epochs
    done = [mi_lr.peaked_early(cooled, "policy 2")]
    assert mi_lr.rule_ends_as_high([45.5, 45.7, 45.6], [49.8, 49.5, 50.1], data="cifar10", if_refuted=done).holds is False


def test_preconditions_from_histories():
    good = {("policy 2", s): hist([50, 90, 98], lrs=[0.001, 0.05, 0.09]) for s in range(3)}
    runs = {**good, **{("fixed", s): hist([50, 90, 97]) for s in range(3)},
            **{("fixed 0.1", s): hist([50, 92, 98.5], lrs=[0.1] * 3) for s in range(3)}}
    assert mi_lr.trained(runs, ("policy 2", "fixed")).met
    flat = {**runs, ("fixed", 0): hist([11, 11.5, 12], losses=[2.04, 2.0, 1.95])}
    p = mi_lr.trained(flat, ("policy 2", "fixed"))
    assert not p.met and "fixed s0" in p.detail
    matched = mi_lr.rate_matched(runs, "policy 2", "fixed")     # mean rate 0.047 vs 0.01: not rate-matched
    assert not matched.met and "0.047" in matched.detail
    assert not mi_lr.rate_matched(runs, "policy 2", "fixed 0.1").met   # 0.047 vs 0.1: 2.13×, outside 2×
    assert mi_lr.sweep_brackets(runs, "policy 2").met           # swept 0.01 … 0.1
    assert mi_lr.tuned_fixed(runs) == "fixed 0.1" and not mi_lr.tuned_inside(runs).met   # best at the sweep's edge
    assert not mi_lr.plateaued(runs, "fixed 0.1").met           # reaches its own end only at its last epoch
    flat_top = {**runs, **{("fixed", s): hist([50, 97, 97]) for s in range(3)}}
    assert mi_lr.plateaued(flat_top, "fixed").met
    assert mi_lr.epochs_to(runs, "policy 2", {s: 97.0 for s in range(3)}) == [2.0, 2.0, 2.0]
    assert mi_lr.epochs_to(runs, "fixed", {s: 99.0 for s in range(3)}) == [3.0, 3.0, 3.0]   # never: censored at its length


def test_cool_down_rule():
    """The paper prints no rate values (plots only), so the rule is tested on synthetic paths: a rate ending at
    a third of its peak cools, one ending at its peak does not, a mixed one is undecided; a guard of the
    unfavourable side (run too short, rate unable to fall) leaves a seen cool-down decided."""
    peak = [0.06, 0.05, 0.055]
    assert mi_lr.rule_cools(peak, [0.02, 0.015, 0.02]).holds is True
    assert mi_lr.rule_cools(peak, [0.06, 0.049, 0.055]).holds is False
    assert mi_lr.rule_cools(peak, [0.01, 0.05, 0.05]).holds is None
    short = [verdicts.check("the rate can fall", False)]
    assert mi_lr.rule_cools(peak, [0.02, 0.015, 0.02], if_not_holds=short).holds is True
    stuck = mi_lr.rule_cools(peak, [0.06, 0.049, 0.055], if_not_holds=short)
    assert stuck.holds is None and "can fall" in stuck.reason
    flat = mi_lr.rule_cools(peak, [0.02, 0.015, 0.02], preconditions=[verdicts.check("the rate rose", False)])
    assert flat.holds is None and "rose" in flat.reason


def test_rose_and_peaked_early_from_histories():
    rising = {("policy 2", s): hist([50, 90, 97, 98, 98.5], lrs=[0.001, 0.01, 0.03, 0.05, 0.07]) for s in range(3)}
    cooled = {("policy 1", s): hist([50, 90, 97, 98, 98.5], lrs=[0.001, 0.05, 0.04, 0.02, 0.01]) for s in range(3)}
    flat = {("policy 1", s): hist([50, 90, 97], lrs=[0.001, 0.0015, 0.001]) for s in range(3)}
    assert mi_lr.rose(rising, "policy 2", 0.001).met and not mi_lr.rose(flat, "policy 1", 0.001).met
    late = mi_lr.peaked_early(rising, "policy 2")
    assert not late.met and "100%" in late.detail                        # still at its peak at the last epoch
    assert mi_lr.peaked_early(cooled, "policy 1").met                     # peak at epoch 1 of 0-4: 25%


def test_rise_caused_rule_compares_with_the_counterfactual():
    before = np.array([0.01] * 3)
    assert mi_lr.rule_rise_caused([0.05, 0.06, 0.055] - before, [0.02, 0.025, 0.022] - before).holds is True
    assert mi_lr.rule_rise_caused([0.05, 0.06, 0.055] - before, [0.05, 0.062, 0.054] - before).holds is None
    assert mi_lr.rule_rise_caused([0.02, 0.025, 0.022] - before, [0.05, 0.06, 0.055] - before).holds is False



def test_across_runs_rule():
    ihyll = [1.2, 1.5, 1.8, 2.0, 2.1, 2.2]
    assert mi_lr.rule_acc_follows_ihyll_across(ihyll, [90, 92, 94, 95, 96, 97], at_ceiling=0.0).holds is True
    assert mi_lr.rule_acc_follows_ihyll_across(ihyll, [97, 96, 95, 94, 92, 90], at_ceiling=0.0).holds is False
    assert mi_lr.rule_acc_follows_ihyll_across(ihyll, [94, 97, 90, 96, 92, 95], at_ceiling=0.0).holds is None
    capped = mi_lr.rule_acc_follows_ihyll_across(ihyll, [90, 92, 94, 95, 96, 97], at_ceiling=0.8)
    assert capped.holds is None and "ceiling" in capped.reason


def test_probe_ceiling_is_the_mean_of_the_jitter_draws_with_a_tolerance_from_their_spread():
    labels = np.repeat(np.arange(10), 100)
    draws = [mi_lr.ksg_ceiling(labels, seed=s) for s in mi_lr.JITTER_SEEDS]
    cap = mi_lr.probe_ceiling(None, 1000)
    assert cap == pytest.approx(np.mean(draws)) and cap.tol == pytest.approx(max(0.02, 2 * np.std(draws, ddof=1)))
    assert mi_lr.tol_of(2.3) == mi_lr.CEILING_TOL                                # a plain number: the fixed tolerance
    wide = mi_lr.Ceiling(2.3, 0.05)
    assert f"{wide:.2f}" == "2.30" and mi_lr.near_ceiling([2.26, 2.24], wide).tolist() == [True, False]
    assert mi_lr.rule_soft_bound(100, 100, ixy=2.27, ceiling=2.3).holds is True   # 0.03 below a plain ceiling: off it
    assert mi_lr.rule_soft_bound(100, 100, ixy=2.27, ceiling=wide).holds is None  # within a jitter-wide one: at it
    assert not mi_lr.off_ceiling("IXY", [2.27], wide).met and mi_lr.off_ceiling("IXY", [2.27], 2.3).met
