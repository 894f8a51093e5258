"""Paper-vs-ours tables, computed verdicts, and saving every figure and table under figures/<chapter>/.

A verdict is never typed: a chapter's rule (a function in ``lib/chapters/<chapter>.py``) returns a
:class:`lib.verdicts.Decision` computed from per-seed numbers, and :class:`Claims` records it with its effect,
interval, n, test, preconditions and reason as one of :data:`VERDICTS`. At the smoke profile no verdict is
given ("smoke (not a result)").
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lib import ROOT
from lib.verdicts import Decision

# the book's published outputs (committed; what the report and `make list` read): only `make book` writes here
PUBLISHED = ROOT / "figures"
# where an executing chapter writes its figures, tables and claims: build/figures/ unless BOOK_FIGURES_DIR says
# otherwise (`make book` sets it to figures/; `make reproduce-*` to build/reproduce/figures/) — a chapter run from
# Jupyter or by papermill outside `make book` never overwrites the committed figures
FIGURES = Path(os.environ.get("BOOK_FIGURES_DIR", ROOT / "build" / "figures"))
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run", "smoke (not a result)")
SMOKE = VERDICTS[-1]
COLUMNS = ["chapter", "item", "claim", "rule", "paper", "ours", "n", "effect", "interval", "test", "preconditions",
           "reason", "evidence", "profile", "verdict"]


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


def own_repository(cwd: Path | None = None) -> None:
    """Refuse to run a chapter with another checkout's ``lib`` (a venv shared between clones imports the one
    that ran ``make setup``, and would write into its results/ and figures/)."""
    cwd = (cwd or Path.cwd()).resolve()
    here = next((p for p in (cwd, *cwd.parents) if (p / "lib" / "__init__.py").exists() and (p / "book").is_dir()), None)
    if here is not None and here != ROOT:
        raise RuntimeError(f"this chapter runs in {here}, but `lib` is imported from {ROOT}: run it through this "
                           f"checkout's Makefile (it sets PYTHONPATH={here}) or set PYTHONPATH={here}")


def begin(chapter: str, **params):
    """A chapter's opening: its parameters checked (``profiles.check``), its provenance printed, and an
    empty claim list. Returns ``(P, prov, claims)``."""
    from lib import env, profiles
    own_repository()
    P = profiles.check(chapter, **params)
    prov = env.Provenance(chapter=P.chapter, profile=P.profile, seeds=P.seeds, device=P.device)
    print(prov)
    print(f"{'outputs':>12}: {FIGURES / P.chapter}" + ("" if FIGURES.resolve() == PUBLISHED.resolve() else
                                                       " (make book publishes to figures/)"))
    return P, prov, Claims(P.chapter, P.profile, items=P.items)


def finish(P, prov, claims: "Claims", columns=("item", "claim", "paper", "ours", "n", "interval", "preconditions",
                                               "verdict", "reason")) -> None:
    """A chapter's closing cell: its claims saved (``claims.csv``) and shown, its provenance finished, saved
    beside them and printed."""
    claims.save()
    with pd.option_context("display.max_colwidth", 200):
        from IPython.display import display
        display(claims.frame()[list(columns)])
    save_provenance(prov.finish(), P.chapter)
    print(prov)


def settings_table(P) -> pd.DataFrame:
    """The settings this profile runs with beside the paper profile's, one row per setting."""
    return pd.DataFrame({"paper profile": P.paper, f"ours ({P.profile})": P.settings}).astype(str)


class Claims:
    """The claims a chapter decides, each with its rule, the paper's and our numbers, and a computed
    :class:`~lib.verdicts.Decision` (columns: :data:`COLUMNS`)."""

    def __init__(self, chapter: str, profile: str, items=None):
        self.chapter, self.profile, self.rows = chapter, profile, []
        self.items = None if items is None else list(items)   # the items this execution ran (None: every one)

    def add(self, item: str, claim: str, decision: Decision | None = None, *, rule: str, paper: str = "",
            ours: str = "", evidence: str = "", not_run: str | None = None) -> str:
        """Record a claim decided by ``decision`` (from a rule function), or not run for the reason
        ``not_run``. ``paper`` / ``ours``: the numbers the claim rests on (ours as mean ± std over seeds).
        Returns the verdict; at the smoke profile it is :data:`SMOKE` whatever the decision."""
        if not_run is not None:
            verdict, reason = "not run", not_run
        elif not isinstance(decision, Decision):
            raise TypeError(f"claim {claim!r}: a verdict comes from a lib.verdicts.Decision, got {decision!r}")
        else:
            verdict, reason = (SMOKE if self.profile == "smoke" else decision.verdict), decision.reason
        d = decision if not_run is None else Decision(None)
        failed = [p for p in d.preconditions if not p.met]
        listed = lambda ps: "; ".join(f"{p.name} ({p.detail})" if p.detail else p.name for p in ps)
        self.rows.append({
            "chapter": self.chapter, "item": item, "claim": claim, "rule": rule, "paper": paper, "ours": ours,
            "n": "/".join(map(str, d.n)), "effect": "" if math.isnan(d.effect) else f"{d.effect:.4g}",
            "interval": "" if not_run is not None else d.interval_text(), "test": d.test,
            "preconditions": f"failed: {listed(failed)}" if failed else f"met: {listed(d.preconditions)}"
            if d.preconditions else "",
            "reason": reason, "evidence": evidence, "profile": self.profile, "verdict": verdict})
        return verdict

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)

    def save(self) -> Path:
        """``claims.csv``; when this execution ran only some items (``only=``), the saved claims of the other
        items at the same profile are kept (running fig1 after fig3 keeps fig3's; another profile's are dropped)."""
        frame, path = self.frame(), FIGURES / self.chapter / "claims.csv"
        if self.items is not None and path.exists():
            kept = pd.read_csv(path, keep_default_na=False, dtype=str)
            kept = kept[~kept["item"].isin(self.items) & (kept.get("profile") == self.profile)]   # same profile only
            frame = pd.concat([kept, frame.astype(str)], ignore_index=True) if len(kept) else frame
        return save_table(frame, self.chapter, "claims")
