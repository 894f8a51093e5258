"""lib.verdicts: each decision's three outcomes, its interval against scipy, and the seed rule."""
import math

import numpy as np
import pytest
from scipy import stats

from lib import verdicts


def test_welch_interval_equals_scipy():
    a, b = [10.0, 11.0, 12.5, 10.2], [9.0, 9.5, 8.7]
    d, (lo, hi) = verdicts.welch(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(np.mean(a) - np.mean(b))
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_difference_three_outcomes_and_seed_rule():
    assert verdicts.difference([10, 10.1, 10.2], [5, 5.1, 5.2]).holds is True
    assert verdicts.difference([5, 5.1, 5.2], [10, 10.1, 10.2]).holds is False
    und = verdicts.difference([5, 9, 7], [6, 8, 7.5])
    assert und.holds is None and "contains" in und.reason
    few = verdicts.difference([10, 10.1], [5, 5.1])          # a huge gap, but two seeds: not decided
    assert few.holds is None and few.reason.startswith("fewer than 3 seeds") and few.n == (2, 2)
    # a margin: the difference must exceed it
    assert verdicts.difference([10, 10.1, 10.2], [9, 9.1, 9.2], margin=2).holds is False
    assert verdicts.difference([10, 10.1, 10.2], [9, 9.1, 9.2], margin=0.5).holds is True


def test_difference_drops_nonfinite_values():
    d = verdicts.difference([10, 10.1, math.nan, 10.2], [5, 5.1, 5.2])
    assert d.n == (3, 3) and d.holds is True


def test_ordering():
    g = {"K": [3, 3.1, 3.2], "S": [2, 2.1, 2.2], "A": [1, 1.1, 1.2]}
    assert verdicts.ordering(g, ["K", "S", "A"]).holds is True
    assert verdicts.ordering(g, ["K", "A", "S"]).holds is False
    g["S"] = [1, 3, 2]
    assert verdicts.ordering(g, ["K", "S", "A"]).holds is None


def test_equivalent_is_not_absence_of_difference():
    assert verdicts.equivalent([10, 10.1, 9.9, 10.0], [10.05, 9.95, 10.0, 10.1], margin=0.5).holds is True
    assert verdicts.equivalent([10, 10.1, 9.9], [5, 5.1, 4.9], margin=0.5).holds is False
    # wide spread: no significant difference, yet not shown similar
    wide = verdicts.equivalent([5, 15, 10], [6, 14, 9], margin=0.5)
    assert wide.holds is None and verdicts.difference([5, 15, 10], [6, 14, 9]).holds is None
    with pytest.raises(ValueError):
        verdicts.equivalent([1, 2, 3], [1, 2, 3], margin=0)


def test_ratio():
    a, b = [14.9, 15.2, 14.6], [5.0, 5.1, 4.9]
    assert verdicts.ratio(a, b, band=(2, 6)).holds is True
    assert verdicts.ratio(a, b, band=(4, 6)).holds is False
    assert verdicts.ratio([10, 20, 30], [5, 9, 4], band=(3, 6)).holds is None
    # the paper's k = 10 numbers (14.89 / 5.06 = 2.94) as exact values
    r = verdicts.ratio([14.89] * 3, [5.06] * 3, band=(2.5, math.inf))
    assert r.holds is True and r.interval == pytest.approx((14.89 / 5.06,) * 2)


def test_above():
    assert verdicts.above([3, 3.1, 3.2], 2).holds is True
    assert verdicts.above([1, 1.1, 1.2], 2).holds is False
    assert verdicts.above([1, 3, 2.2], 2).holds is None


def test_trend():
    x = np.arange(10.0)
    assert verdicts.trend(x, x + np.r_[0, 0.1, -0.1, 0, 0.2, 0, 0, 0.1, 0, 0]).holds is True
    assert verdicts.trend(x, -x).holds is False
    assert verdicts.trend(x, -x, sign=-1).holds is True
    assert verdicts.trend(x, np.r_[1, 5, 2, 8, 3, 3, 9, 0, 4, 6]).holds is None
    assert verdicts.trend(x[:3], x[:3]).holds is None


def test_vectorised_spearman_equals_scipy_with_ties():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, 30).astype(float), rng.normal(size=30)
    assert verdicts._spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)
    batch = rng.normal(size=(4, 30))
    assert verdicts._spearman(batch, y[None, :]) == pytest.approx([stats.spearmanr(b, y).statistic for b in batch])
    assert verdicts.trend(x, y).effect == pytest.approx(stats.spearmanr(x, y).statistic)


def test_proportion():
    assert verdicts.proportion(96, 96, at_least=0.9).holds is True
    assert verdicts.proportion(40, 96, at_least=0.9).holds is False
    assert verdicts.proportion(9, 10, at_least=0.9).holds is None


def test_exact():
    assert verdicts.exact(15.4e6, 15e6, rtol=0.05, why="rounded in the paper").holds is True
    assert verdicts.exact(17e6, 15e6, rtol=0.05).holds is False


def test_combine_and_require():
    yes, no, und = verdicts.above([3, 3, 3.1], 2), verdicts.above([1, 1, 1.1], 2), verdicts.above([1, 3, 2.2], 2)
    assert verdicts.combine([yes, yes]).holds is True
    assert verdicts.combine([yes, und, no], names=["a", "b", "c"]).holds is False
    c = verdicts.combine([yes, und], names=["a", "b"])
    assert c.holds is None and c.reason.startswith("b:")
    failed = verdicts.require(yes, [verdicts.trained("SGD", 2.04, 1.95, min_drop=0.1),
                                    verdicts.above_chance("SGD", 40, 10, margin=5)])
    assert failed.holds is None and "SGD trained" in failed.reason and "2.04 → 1.95" in failed.reason
    ok = verdicts.require(no, [verdicts.trained("SGD", 2.0, 1.0)])
    assert ok.holds is False and ok.preconditions[0].met
    assert not verdicts.inside_range("I(H;Y)", 2.306, floor=0, ceiling=2.307, tol=0.01).met
    assert verdicts.inside_range("I(H;Y)", 1.2, floor=0, ceiling=2.307, tol=0.01).met


def test_run_trained_and_all_trained():
    class H:
        def __init__(self, losses, acc):
            self.epochs = [dict(train_loss=l, test_acc=acc) for l in losses]
    good, flat, chance_level = H([2.3, 1.0], 60.0), H([2.04, 1.95], 40.0), H([2.3, 1.0], 12.0)
    assert verdicts.run_trained("sgd", good, chance=10).met
    p = verdicts.run_trained("sgd", flat, chance=10)
    assert not p.met and "2.04 → 1.95" in p.detail                   # fell 4%: did not train
    assert not verdicts.run_trained("sgd", chance_level, chance=10, margin=5).met
    assert not verdicts.run_trained("empty", H([], 0), chance=10).met
    every = verdicts.all_trained({"a": good, "b": flat}, chance=10)
    assert not every.met and every.detail.startswith("b:")
    assert verdicts.all_trained({"a": good}, chance=10).met and not verdicts.all_trained({}, chance=10).met
    many = verdicts.all_trained({f"r{i}": flat for i in range(5)}, chance=10)
    assert many.detail.count("2.04 → 1.95") == 3 and many.detail.endswith("and 2 more of 5")


def test_bonferroni_levels_are_labelled_exactly():
    d = verdicts.ordering({"a": [3, 3.1, 2.9], "b": [2, 2.1, 1.9], "c": [1, 1.1, 0.9]}, ["a", "b", "c"])
    assert d.holds is True and "95%" in d.test
    assert "97.5%" in verdicts.difference([3, 3.1, 2.9], [1, 1.1, 0.9], level=0.975).test
