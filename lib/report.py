"""Paper-vs-ours tables, computed verdicts, and saving every figure and table under figures/<chapter>/.

A verdict is never typed: a chapter states a rule, computes whether our numbers satisfy it, and
:class:`Claims` turns that boolean (or its absence) into one of :data:`VERDICTS`.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lib import ROOT

FIGURES = Path(os.environ.get("BOOK_FIGURES_DIR", ROOT / "figures"))
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run")


def out_dir(chapter: str) -> Path:
    d = FIGURES / chapter
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_figure(fig, chapter: str, name: str) -> Path:
    """Save a matplotlib figure as ``figures/<chapter>/<name>.png`` and return the path."""
    path = out_dir(chapter) / f"{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def save_table(df: pd.DataFrame, chapter: str, name: str) -> Path:
    path = out_dir(chapter) / f"{name}.csv"
    df.to_csv(path, index=False)
    return path


def save_provenance(prov: dict, chapter: str) -> Path:
    path = out_dir(chapter) / "provenance.json"
    path.write_text(json.dumps(prov, indent=1, default=str))
    return path


def mean_std(values, digits: int = 2) -> str:
    """``"m ± s"`` over seeds (sample std), just ``"m"`` for one value, ``"—"`` for none."""
    v = np.asarray([x for x in np.atleast_1d(values) if x is not None and math.isfinite(x)], float)
    if len(v) == 0:
        return "—"
    return f"{v.mean():.{digits}f}" if len(v) == 1 else f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def paper_vs_ours(rows: list[dict], *, profile: str) -> pd.DataFrame:
    """One row per quantity: ``paper`` beside ``ours`` (mean ± std over ``ours``' seeds), profile named.

    Each row dict has ``quantity``, ``paper`` (a number or text) and ``ours`` (a list over seeds).
    """
    out = []
    for r in rows:
        ours = list(np.atleast_1d(r["ours"])) if r.get("ours") is not None else []
        out.append({**{k: v for k, v in r.items() if k not in ("ours", "paper")},
                    "paper": r.get("paper", "—"), f"ours ({profile})": mean_std(ours, r.get("digits", 2)),
                    "seeds": len(ours)})
    return pd.DataFrame(out)


def separated(a, b, *, margin: float = 0.0) -> bool | None:
    """Is ``a`` above ``b``? True / False when the means differ by more than ``margin`` plus two
    standard errors of the difference (seeds as samples), None (inconclusive) otherwise."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    se = math.sqrt(sum(x.var(ddof=1) / len(x) if len(x) > 1 else 0.0 for x in (a, b)))
    diff = a.mean() - b.mean()
    return True if diff > margin + 2 * se else False if -diff > margin + 2 * se else None


def all_hold(decisions) -> bool | None:
    """Combine per-case decisions (True / False / None) of one claim: all True -> True; any False ->
    False; otherwise None (inconclusive)."""
    decisions = list(decisions)
    return True if all(d is True for d in decisions) else False if any(d is False for d in decisions) else None


def begin(chapter: str, **params):
    """A chapter's opening: its parameters checked (``profiles.check``), its provenance printed, and an
    empty claim list. Returns ``(P, prov, claims)``."""
    from lib import env, profiles
    P = profiles.check(chapter, **params)
    prov = env.Provenance(chapter=P.chapter, profile=P.profile, seeds=P.seeds, device=P.device)
    print(prov)
    return P, prov, Claims(P.chapter, P.profile)


def settings_table(P) -> pd.DataFrame:
    """The settings this profile runs with beside the paper profile's, one row per setting."""
    from lib import profiles
    return pd.DataFrame({"paper profile": profiles.CHAPTERS[P.chapter]["paper"], f"ours ({P.profile})": P.settings}).astype(str)


class Claims:
    """The claims a chapter decides, each with its rule, evidence and computed verdict."""

    def __init__(self, chapter: str, profile: str):
        self.chapter, self.profile, self.rows = chapter, profile, []

    def add(self, item: str, claim: str, *, rule: str, evidence: str, holds: bool | None = None,
            not_run: str | None = None) -> str:
        """Record a claim. ``holds`` is the rule evaluated on our numbers (None: inconclusive);
        ``not_run`` gives the reason an item could not run here. Returns the verdict."""
        if not_run is not None:
            verdict = "not run"
        elif holds is None:
            verdict = "inconclusive"
        elif isinstance(holds, (bool, np.bool_)):
            verdict = "reproduced" if holds else "not reproduced"
        else:
            raise TypeError(f"holds must be a bool or None (computed from the numbers), got {holds!r}")
        self.rows.append({"chapter": self.chapter, "item": item, "claim": claim, "rule": rule,
                          "evidence": not_run if not_run is not None else evidence,
                          "profile": self.profile, "verdict": verdict})
        return verdict

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["chapter", "item", "claim", "rule", "evidence", "profile", "verdict"])

    def save(self) -> Path:
        return save_table(self.frame(), self.chapter, "claims")
