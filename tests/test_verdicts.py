"""lib.verdicts: each decision's three outcomes, its interval against scipy, and the seed rule."""
import math

import numpy as np
import pytest
from scipy import stats

from lib import verdicts as V


def test_welch_interval_equals_scipy():
    a, b = [10.0, 11.0, 12.5, 10.2], [9.0, 9.5, 8.7]
    d, (lo, hi) = V.welch(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(np.mean(a) - np.mean(b))
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_difference_three_outcomes_and_seed_rule():
    assert V.difference([10, 10.1, 10.2], [5, 5.1, 5.2]).holds is True
    assert V.difference([5, 5.1, 5.2], [10, 10.1, 10.2]).holds is False
    und = V.difference([5, 9, 7], [6, 8, 7.5])
    assert und.holds is None and "contains" in und.reason
    few = V.difference([10, 10.1], [5, 5.1])          # a huge gap, but two seeds: not decided
    assert few.holds is None and few.reason.startswith("fewer than 3 seeds") and few.n == (2, 2)
    # a margin: the difference must exceed it
    assert V.difference([10, 10.1, 10.2], [9, 9.1, 9.2], margin=2).holds is False
    assert V.difference([10, 10.1, 10.2], [9, 9.1, 9.2], margin=0.5).holds is True


def test_difference_drops_nonfinite_values():
    d = V.difference([10, 10.1, math.nan, 10.2], [5, 5.1, 5.2])
    assert d.n == (3, 3) and d.holds is True


def test_ordering():
    g = {"K": [3, 3.1, 3.2], "S": [2, 2.1, 2.2], "A": [1, 1.1, 1.2]}
    assert V.ordering(g, ["K", "S", "A"]).holds is True
    assert V.ordering(g, ["K", "A", "S"]).holds is False
    g["S"] = [1, 3, 2]
    assert V.ordering(g, ["K", "S", "A"]).holds is None


def test_equivalent_is_not_absence_of_difference():
    assert V.equivalent([10, 10.1, 9.9, 10.0], [10.05, 9.95, 10.0, 10.1], margin=0.5).holds is True
    assert V.equivalent([10, 10.1, 9.9], [5, 5.1, 4.9], margin=0.5).holds is False
    # wide spread: no significant difference, yet not shown similar
    wide = V.equivalent([5, 15, 10], [6, 14, 9], margin=0.5)
    assert wide.holds is None and V.difference([5, 15, 10], [6, 14, 9]).holds is None
    with pytest.raises(ValueError):
        V.equivalent([1, 2, 3], [1, 2, 3], margin=0)


def test_ratio():
    a, b = [14.9, 15.2, 14.6], [5.0, 5.1, 4.9]
    assert V.ratio(a, b, band=(2, 6)).holds is True
    assert V.ratio(a, b, band=(4, 6)).holds is False
    assert V.ratio([10, 20, 30], [5, 9, 4], band=(3, 6)).holds is None
    # the paper's k = 10 numbers (14.89 / 5.06 = 2.94) as exact values
    r = V.ratio([14.89] * 3, [5.06] * 3, band=(2.5, math.inf))
    assert r.holds is True and r.interval == pytest.approx((14.89 / 5.06,) * 2)


def test_above():
    assert V.above([3, 3.1, 3.2], 2).holds is True
    assert V.above([1, 1.1, 1.2], 2).holds is False
    assert V.above([1, 3, 2.2], 2).holds is None


def test_trend():
    x = np.arange(10.0)
    assert V.trend(x, x + np.r_[0, 0.1, -0.1, 0, 0.2, 0, 0, 0.1, 0, 0]).holds is True
    assert V.trend(x, -x).holds is False
    assert V.trend(x, -x, sign=-1).holds is True
    assert V.trend(x, np.r_[1, 5, 2, 8, 3, 3, 9, 0, 4, 6]).holds is None
    assert V.trend(x[:3], x[:3]).holds is None


def test_vectorised_spearman_equals_scipy_with_ties():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, 30).astype(float), rng.normal(size=30)
    assert V._spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
    batch = rng.normal(size=(4, 30))
    assert V._spearman(batch, y[None, :]) == pytest.approx([stats.spearmanr(b, y).statistic for b in batch])
    assert V.trend(x, y).effect == pytest.approx(stats.spearmanr(x, y).statistic)


def test_proportion():
    assert V.proportion(96, 96, at_least=0.9).holds is True
    assert V.proportion(40, 96, at_least=0.9).holds is False
    assert V.proportion(9, 10, at_least=0.9).holds is None


def test_exact():
    assert V.exact(15.4e6, 15e6, rtol=0.05, why="rounded in the paper").holds is True
    assert V.exact(17e6, 15e6, rtol=0.05).holds is False


def test_combine_and_require():
    yes, no, und = V.above([3, 3, 3.1], 2), V.above([1, 1, 1.1], 2), V.above([1, 3, 2.2], 2)
    assert V.combine([yes, yes]).holds is True
    assert V.combine([yes, und, no], names=["a", "b", "c"]).holds is False
    c = V.combine([yes, und], names=["a", "b"])
    assert c.holds is None and c.reason.startswith("b:")
    failed = V.require(yes, [V.trained("SGD", 2.04, 1.95, min_drop=0.1), V.above_chance("SGD", 40, 10, margin=5)])
    assert failed.holds is None and "SGD trained" in failed.reason and "2.04 → 1.95" in failed.reason
    ok = V.require(no, [V.trained("SGD", 2.0, 1.0)])
    assert ok.holds is False and ok.preconditions[0].met
    assert not V.inside_range("I(H;Y)", 2.306, floor=0, ceiling=2.307, tol=0.01).met
    assert V.inside_range("I(H;Y)", 1.2, floor=0, ceiling=2.307, tol=0.01).met


def test_run_trained_and_all_trained():
    class H:
        def __init__(self, losses, acc):
            self.epochs = [dict(train_loss=l, test_acc=acc) for l in losses]
    good, flat, chance_level = H([2.3, 1.0], 60.0), H([2.04, 1.95], 40.0), H([2.3, 1.0], 12.0)
    assert V.run_trained("sgd", good, chance=10).met
    p = V.run_trained("sgd", flat, chance=10)
    assert not p.met and "2.04 → 1.95" in p.detail                   # fell 4%: did not train
    assert not V.run_trained("sgd", chance_level, chance=10, margin=5).met
    assert not V.run_trained("empty", H([], 0), chance=10).met
    every = V.all_trained({"a": good, "b": flat}, chance=10)
    assert not every.met and every.detail.startswith("b:")
    assert V.all_trained({"a": good}, chance=10).met and not V.all_trained({}, chance=10).met
    many = V.all_trained({f"r{i}": flat for i in range(5)}, chance=10)
    assert many.detail.count("2.04 → 1.95") == 3 and many.detail.endswith("and 2 more of 5")


def test_bonferroni_levels_are_labelled_exactly():
    d = V.ordering({"a": [3, 3.1, 2.9], "b": [2, 2.1, 1.9], "c": [1, 1.1, 0.9]}, ["a", "b", "c"])
    assert d.holds is True and "95%" in d.test
    assert "97.5%" in V.difference([3, 3.1, 2.9], [1, 1.1, 0.9], level=0.975).test
