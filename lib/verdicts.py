"""Decisions over per-seed values: the only way a verdict of the book is reached.

Every claim of every chapter is decided by one of the functions below, each returning a :class:`Decision`:
``holds`` True (the claim holds), False (our evidence contradicts it) or None (it cannot decide), the effect,
its interval, the number of values per group, the test's name and a one-line reason.

- :func:`difference` — "A beats B (by more than m)": Welch's t interval of mean(A) − mean(B).
- :func:`ordering` — "A > B > C": every adjacent pair by :func:`difference`, Bonferroni-corrected, combined.
- :func:`equivalent` — "A is similar to B (within m)": two one-sided tests (TOST) on Welch's statistics
  against the stated margin; absence of a significant difference is *not* similarity.
- :func:`ratio` — "A is 3–6× B": a percentile-bootstrap interval of mean(A) / mean(B) against a band.
- :func:`above` — "the mean of A exceeds a bound": the one-sample t interval.
- :func:`trend` — "y rises with x": Spearman's ρ with a permutation p-value and a bootstrap interval.
- :func:`proportion` — "at least q of the cases": the Clopper–Pearson interval of k / n.
- :func:`exact` — a count or exact value (parameters, FLOPs) within a tolerance stated with its reason.
- :func:`combine` — one claim over several cases (models, data sets): all hold → holds; any refuted →
  refuted; otherwise undecided.

A comparison is decided only with at least :data:`MIN_SEEDS` values per group. A claim whose contrast cannot
exist at this scale is made inconclusive by :func:`require` with the failed :class:`Precondition` and its
numbers; the helpers :func:`trained`, :func:`above_chance` and :func:`inside_range` compute the usual ones.

Zero spread (e.g. a paper's single printed number repeated as several "seeds") gives a zero-width interval,
so a rule can be applied to a paper's own numbers (tests/test_rules_*.py do, for every rule that has them).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats

MIN_SEEDS = 3
LEVEL = 0.95


@dataclass(frozen=True)
class Decision:
    """The outcome of one rule: ``holds`` (True / False / None), the effect and its interval, n per group."""
    holds: bool | None
    effect: float = math.nan
    interval: tuple[float, float] = (math.nan, math.nan)
    n: tuple[int, ...] = ()
    test: str = ""
    reason: str = ""
    preconditions: tuple["Precondition", ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.holds is not None and not isinstance(self.holds, bool):
            object.__setattr__(self, "holds", bool(self.holds))

    @property
    def verdict(self) -> str:
        return {True: "reproduced", False: "not reproduced", None: "inconclusive"}[self.holds]

    def interval_text(self, digits: int = 3) -> str:
        lo, hi = self.interval
        return "—" if math.isnan(lo) and math.isnan(hi) else f"[{lo:.{digits}g}, {hi:.{digits}g}]"


@dataclass(frozen=True)
class Precondition:
    """What must be true at this scale for a claim's contrast to exist; ``detail`` carries the numbers."""
    name: str
    met: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {'met' if self.met else 'FAILED'}" + (f" ({self.detail})" if self.detail else "")


def _pct(level: float) -> str:
    """A confidence level as a percentage without rounding it away (0.95 → "95%", a Bonferroni 0.975 → "97.5%")."""
    return f"{100 * level:.4g}%"


def _values(x) -> np.ndarray:
    """Finite values of ``x`` as float (a diverged run's NaN is dropped, by the caller's choice to pass it)."""
    v = np.asarray(list(np.atleast_1d(x)), dtype=float)
    return v[np.isfinite(v)]


def _too_few(n: tuple[int, ...], test: str, min_n: int) -> Decision | None:
    if min(n, default=0) < min_n:
        return Decision(None, n=n, test=test, reason=f"fewer than {min_n} seeds (n = {', '.join(map(str, n))})")
    return None


def welch(a, b, level: float = LEVEL) -> tuple[float, tuple[float, float]]:
    """mean(a) − mean(b) and its Welch t interval at ``level`` (zero spread: a zero-width interval)."""
    a, b = _values(a), _values(b)
    d = a.mean() - b.mean()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return d, (d, d)
    # Welch–Satterthwaite degrees of freedom
    df = se ** 4 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = stats.t.ppf(0.5 + level / 2, df)
    return d, (d - t * se, d + t * se)


def difference(a, b, *, margin: float = 0.0, level: float = LEVEL, min_n: int = MIN_SEEDS,
               names: tuple[str, str] = ("A", "B")) -> Decision:
    """"A exceeds B by more than ``margin``": holds when Welch's interval of mean(A) − mean(B) lies above
    ``margin``, refuted when it lies below, undecided when it contains it."""
    a, b = _values(a), _values(b)
    n, test = (len(a), len(b)), f"Welch t, {_pct(level)}"
    if (few := _too_few(n, test, min_n)) is not None:
        return few
    d, (lo, hi) = welch(a, b, level)
    holds = True if lo > margin else False if hi < margin else None
    what = f"{names[0]} − {names[1]} = {d:+.3g} [{lo:+.3g}, {hi:+.3g}]"
    reason = {True: f"{what} lies above {margin:g}", False: f"{what} lies below {margin:g}",
              None: f"{what} contains {margin:g}"}[holds]
    return Decision(holds, d, (lo, hi), n, test, reason)


def ordering(groups: dict[str, object], order: list[str], *, level: float = LEVEL, min_n: int = MIN_SEEDS) -> Decision:
    """"order[0] > order[1] > …": each adjacent pair by :func:`difference` at the Bonferroni-corrected level,
    combined (all above → holds; any pair reversed → refuted; otherwise undecided). The effect and interval
    are the smallest adjacent gap's."""
    k = len(order) - 1
    lvl = 1 - (1 - level) / k
    pairs = [difference(groups[order[i]], groups[order[i + 1]], level=lvl, min_n=min_n,
                        names=(order[i], order[i + 1])) for i in range(k)]
    out = combine(pairs)
    decided = [p for p in pairs if not math.isnan(p.effect)]
    smallest = min(decided, key=lambda p: p.effect) if decided else out
    return replace(out, effect=smallest.effect, interval=smallest.interval, test=f"Welch t pairwise, {_pct(level)} "
                   f"Bonferroni over {k}", n=tuple(len(_values(groups[g])) for g in order))


def equivalent(a, b, *, margin: float, level: float = LEVEL, min_n: int = MIN_SEEDS,
               names: tuple[str, str] = ("A", "B")) -> Decision:
    """"A is similar to B within ±``margin``" by two one-sided tests: holds when the (1 − 2α) Welch interval of
    the difference lies inside (−margin, margin); refuted when it lies wholly outside; otherwise undecided."""
    if not margin > 0:
        raise ValueError(f"equivalent: the margin must be stated and positive, got {margin!r}")
    a, b = _values(a), _values(b)
    n, test = (len(a), len(b)), f"TOST (Welch), α = {1 - level:.2g}, margin ±{margin:g}"
    if (few := _too_few(n, test, min_n)) is not None:
        return few
    d, (lo, hi) = welch(a, b, 1 - 2 * (1 - level))
    holds = True if -margin < lo and hi < margin else False if lo > margin or hi < -margin else None
    what = f"{names[0]} − {names[1]} = {d:+.3g} [{lo:+.3g}, {hi:+.3g}]"
    reason = {True: f"{what} lies within ±{margin:g}", False: f"{what} lies outside ±{margin:g}",
              None: f"{what} is not within ±{margin:g}, nor wholly outside"}[holds]
    return Decision(holds, d, (lo, hi), n, test, reason)


def ratio(a, b, *, band: tuple[float, float], level: float = LEVEL, min_n: int = MIN_SEEDS,
          n_resamples: int = 4999, seed: int = 0) -> Decision:
    """"mean(A) / mean(B) lies in ``band``" (``(lo, inf)`` for "at least lo×"): a percentile-bootstrap interval
    of the ratio of means; holds when it lies inside the band, refuted when it misses the band entirely."""
    a, b = _values(a), _values(b)
    n, test = (len(a), len(b)), f"bootstrap ratio of means, {_pct(level)}"
    if (few := _too_few(n, test, min_n)) is not None:
        return few
    r = a.mean() / b.mean()
    if a.std() == 0 and b.std() == 0:
        lo, hi = r, r
    else:
        res = stats.bootstrap((a, b), lambda x, y, axis=-1: x.mean(axis) / y.mean(axis), n_resamples=n_resamples,
                              confidence_level=level, method="percentile", rng=np.random.default_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    holds = True if band[0] <= lo and hi <= band[1] else False if hi < band[0] or lo > band[1] else None
    where = {True: "inside", False: "outside", None: "partly outside"}[holds]
    return Decision(holds, r, (lo, hi), n, test, f"ratio {r:.3g} [{lo:.3g}, {hi:.3g}] {where} [{band[0]:g}, {band[1]:g}]")


def above(a, bound: float, *, level: float = LEVEL, min_n: int = MIN_SEEDS, name: str = "mean") -> Decision:
    """"The mean of A exceeds ``bound``": the one-sample t interval lies above it (holds), below it (refuted)."""
    a = _values(a)
    n, test = (len(a),), f"one-sample t, {_pct(level)}"
    if (few := _too_few(n, test, min_n)) is not None:
        return few
    m, se = a.mean(), a.std(ddof=1) / math.sqrt(len(a))
    lo, hi = (m, m) if se == 0 else stats.t.interval(level, len(a) - 1, loc=m, scale=se)
    holds = True if lo > bound else False if hi < bound else None
    where = {True: "above", False: "below", None: "contains"}[holds]
    return Decision(holds, m - bound, (lo - bound, hi - bound), n, test,
                    f"{name} {m:.3g} [{lo:.3g}, {hi:.3g}] {where} {bound:g}")


def _spearman(u, v, axis=-1):
    """Spearman's ρ along ``axis``, vectorised (Pearson's r of the ranks; NaN where a resample is constant)."""
    ru, rv = stats.rankdata(u, axis=axis), stats.rankdata(v, axis=axis)
    ru, rv = ru - ru.mean(axis=axis, keepdims=True), rv - rv.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ru * rv).sum(axis=axis) / np.sqrt((ru ** 2).sum(axis=axis) * (rv ** 2).sum(axis=axis))


def trend(x, y, *, sign: int = +1, level: float = LEVEL, min_n: int = 5, n_resamples: int = 4999,
          seed: int = 0) -> Decision:
    """"y rises (``sign`` +1) / falls (−1) with x": Spearman's ρ, a one-sided permutation p-value and a
    bootstrap interval of ρ (pairs resampled). Holds when p < 1 − level in the claimed direction, refuted when
    p < 1 − level in the opposite one."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n, test = (len(x),), f"Spearman ρ, permutation p, {_pct(level)}"
    if len(x) < min_n:
        return Decision(None, n=n, test=test, reason=f"fewer than {min_n} points (n = {len(x)})")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return Decision(None, n=n, test=test, reason="x or y does not vary: no rank correlation")
    rng = np.random.default_rng(seed)
    kw = dict(permutation_type="pairings", n_resamples=n_resamples, vectorized=True, rng=rng)
    perm = stats.permutation_test((x, y), _spearman, alternative="greater" if sign > 0 else "less", **kw)
    opposite = stats.permutation_test((x, y), _spearman, alternative="less" if sign > 0 else "greater", **kw)
    r = float(perm.statistic)
    try:
        boot = stats.bootstrap((x, y), _spearman, paired=True, vectorized=True, n_resamples=999,
                               confidence_level=level, method="percentile", rng=rng)
        lo, hi = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    except ValueError:
        lo, hi = math.nan, math.nan
    alpha = 1 - level
    holds = True if perm.pvalue < alpha else False if opposite.pvalue < alpha else None
    word = "rises" if sign > 0 else "falls"
    reason = (f"ρ = {r:+.2f} [{lo:+.2f}, {hi:+.2f}], p = {perm.pvalue:.3g} for '{word}'"
              + ("" if holds is not False else f", p = {opposite.pvalue:.3g} for the opposite"))
    return Decision(holds, r, (lo, hi), n, test, reason)


def proportion(k: int, n: int, *, at_least: float, level: float = LEVEL) -> Decision:
    """"At least ``at_least`` of the cases": the Clopper–Pearson interval of k / n lies at or above it
    (holds) or below it (refuted)."""
    if n == 0:
        return Decision(None, n=(0,), test="Clopper–Pearson", reason="no cases")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    holds = True if ci.low >= at_least else False if ci.high < at_least else None
    where = {True: "at or above", False: "below", None: "contains"}[holds]
    return Decision(holds, k / n, (ci.low, ci.high), (n,), f"Clopper–Pearson, {_pct(level)}",
                    f"{k}/{n} = {k / n:.1%} [{ci.low:.1%}, {ci.high:.1%}] {where} {at_least:.0%}")


def exact(value: float, target: float, *, rtol: float = 0.0, atol: float = 0.0, why: str = "") -> Decision:
    """A count or exact value: holds when |value − target| ≤ atol + rtol·|target|; ``why`` states the reason
    for the tolerance (e.g. "the FLOP counter skips element-wise operations")."""
    if rtol == atol == 0 and not why:
        why = "exact"
    tol = atol + rtol * abs(target)
    holds = bool(abs(value - target) <= tol)
    return Decision(holds, value - target, (target - tol, target + tol), (1,),
                    f"tolerance ±{tol:.3g}" + (f" ({why})" if why else ""),
                    f"{value:.6g} vs {target:.6g}: {'within' if holds else 'outside'} ±{tol:.3g}")


def combine(decisions, *, names=None) -> Decision:
    """One claim over several cases: every case holds → holds; any refuted → refuted (naming it); otherwise
    undecided (naming the undecided cases). The effect and interval are the first deciding case's."""
    decisions = list(decisions)
    names = list(names) if names is not None else [str(i) for i in range(len(decisions))]
    if not decisions:
        return Decision(None, test="combined", reason="no cases")
    label = lambda nm, d: f"{nm}: {d.reason}"
    if all(d.holds is True for d in decisions):
        holds, shown = True, list(zip(names, decisions))
    elif any(d.holds is False for d in decisions):
        holds, shown = False, [(nm, d) for nm, d in zip(names, decisions) if d.holds is False]
    else:
        holds, shown = None, [(nm, d) for nm, d in zip(names, decisions) if d.holds is None]
    first = shown[0][1]
    ns = tuple(x for d in decisions for x in d.n)
    return Decision(holds, first.effect, first.interval, ns, "; ".join(dict.fromkeys(d.test for d in decisions)),
                    "; ".join(label(nm, d) for nm, d in shown),
                    tuple(p for d in decisions for p in d.preconditions))


def require(decision: Decision, preconditions) -> Decision:
    """The decision, made inconclusive if any precondition failed (the failed ones and their numbers become
    the reason). The preconditions are kept on the decision either way."""
    pre = tuple(preconditions)
    failed = [p for p in pre if not p.met]
    if failed:
        return replace(decision, holds=None, preconditions=pre,
                       reason="precondition failed: " + "; ".join(f"{p.name} ({p.detail})" for p in failed))
    return replace(decision, preconditions=pre)


# --- the usual preconditions ---------------------------------------------------------------------------

def trained(name: str, first_loss: float, last_loss: float, *, min_drop: float = 0.1) -> Precondition:
    """The run trained: its loss fell by at least ``min_drop`` (a fraction of the first value)."""
    drop = (first_loss - last_loss) / abs(first_loss) if first_loss else math.nan
    met = bool(math.isfinite(drop) and drop >= min_drop)
    return Precondition(f"{name} trained", met, f"loss {first_loss:.3g} → {last_loss:.3g}, "
                        f"{drop:+.0%} (needs ≥ {min_drop:.0%} drop)" if math.isfinite(drop) else "no finite loss")


def run_trained(name: str, history, *, chance: float, min_drop: float = 0.1, margin: float = 5.0,
                loss: str = "train_loss", acc: str = "test_acc") -> Precondition:
    """A run (a :class:`lib.train.History`, or anything with ``.epochs``, a list of per-epoch dicts) trained:
    its ``loss`` fell by at least ``min_drop`` from the first epoch to the last (:func:`trained`) and its last
    ``acc`` beats ``chance`` by at least ``margin`` (:func:`above_chance`; percent, like the histories)."""
    e = history.epochs
    if not e:
        return Precondition(f"{name} trained", False, "no epochs")
    parts = [trained(name, e[0].get(loss, math.nan), e[-1].get(loss, math.nan), min_drop=min_drop),
             above_chance(name, e[-1].get(acc, math.nan), chance, margin=margin)]
    return Precondition(f"{name} trained", all(p.met for p in parts), "; ".join(p.detail for p in parts))


def all_trained(runs: dict, *, chance: float, **kw) -> Precondition:
    """Every run of ``runs`` ({label: history}) trained (:func:`run_trained`); the detail names those that did
    not, with their numbers, or says how many did."""
    checks = {str(k): run_trained(str(k), h, chance=chance, **kw) for k, h in runs.items()}
    failed = {k: p for k, p in checks.items() if not p.met}
    shown = [f"{k}: {p.detail}" for k, p in list(failed.items())[:3]]
    more = f"; and {len(failed) - 3} more of {len(checks)}" if len(failed) > 3 else ""
    detail = "; ".join(shown) + more if failed else f"all {len(checks)} runs"
    return Precondition("every compared run trained", not failed and bool(checks), detail)


def above_chance(name: str, accuracy: float, chance: float, *, margin: float) -> Precondition:
    """The run learned something: its accuracy beats chance by at least ``margin`` (same units)."""
    met = bool(math.isfinite(accuracy) and accuracy >= chance + margin)
    return Precondition(f"{name} above chance", met, f"accuracy {accuracy:.3g} vs chance {chance:g} + {margin:g}")


def inside_range(name: str, value: float, *, floor: float = -math.inf, ceiling: float = math.inf,
                 tol: float = 0.0) -> Precondition:
    """An estimate is not at its estimator's floor or ceiling (within ``tol``)."""
    met = bool(math.isfinite(value) and floor + tol < value < ceiling - tol)
    return Precondition(f"{name} off the estimator's bounds", met,
                        f"{value:.4g} vs floor {floor:g}, ceiling {ceiling:g} (±{tol:g})")


QUIET_LOAD = 1.0        # 1-minute load average above this before timing: the machine was not idle


def machine_quiet(load: float | None = None, cores: int | None = None) -> Precondition:
    """A CPU timing's precondition: the machine was otherwise idle before timing (1-minute load average ≤
    :data:`QUIET_LOAD`); timings on a loaded machine measure the load."""
    load = os.getloadavg()[0] if load is None else load
    cores = os.cpu_count() if cores is None else cores
    return check("machine idle while timing", load <= QUIET_LOAD, f"1-min load {load:.2f} on {cores} cores "
                 f"(needs ≤ {QUIET_LOAD:g})")


def check(name: str, met: bool, detail: str = "") -> Precondition:
    """Any other computed precondition (``met`` must come from the numbers; ``detail`` shows them)."""
    return Precondition(name, bool(met), detail)
