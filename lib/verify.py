"""Re-train committed runs and compare them with their records: ``python -m lib.verify`` (``make verify``).

A record says which device made it (``identity.device``). Re-trained on the same device and the same code, a
run must give the same numbers exactly (the book's runs are seeded and deterministic on a CPU); on another
device (another CPU model, or threads) the float arithmetic differs and the numbers drift — this measures by
how much, per record, against :data:`TOLERANCE` (points of test accuracy at the end of the run; chapter 04's
fixed-rate MNIST runs moved 92.33 → 92.22 between an Intel and an AMD CPU). Runs that need another run's kept
weights (``distill``, ``init_from``) are skipped: weights are not committed.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from lib import env, runs, train

TOLERANCE = 1.0          # points of end test accuracy across machines
FIELDS = ("train_loss", "test_loss", "test_acc", "lr")


def records(root: Path | None = None, kinds=None) -> list[dict]:
    """Every committed record that can be re-trained alone, cheapest first (epochs × training images)."""
    out = []
    for path in sorted(Path(root or runs.RESULTS).glob("*/*/result.json")):
        rec = runs.read(path)
        c = rec["config"]
        if c.get("distill") or c.get("init_from") or (kinds and c["kind"] not in kinds):
            continue
        out.append({**rec, "path": path, "cost": c.get("epochs", 1) * (c.get("n_train") or 60_000)})
    return sorted(out, key=lambda r: r["cost"])


def compare(old: dict, new: dict) -> dict:
    """Largest |Δ| of each per-epoch number between two results, and the end test accuracies."""
    diffs = {}
    for f in FIELDS:
        a = np.array([e.get(f, np.nan) for e in old["epochs"]], float)
        b = np.array([e.get(f, np.nan) for e in new["epochs"]], float)
        diffs[f"max |Δ {f}|"] = float(np.nanmax(np.abs(a - b))) if len(a) == len(b) and len(a) else np.inf
    return {**diffs, "end acc (record)": train.History(old["epochs"]).last(),
            "end acc (now)": train.History(new["epochs"]).last()}


def verify(limit: int = 3, kinds=None, device: str = "cpu", root: Path | None = None) -> pd.DataFrame:
    """Re-train the ``limit`` cheapest records into a temporary store and compare each with its record."""
    from lib import experiment
    rows, here = [], env.device_name(device)
    saved = runs.RESULTS
    try:
        with tempfile.TemporaryDirectory() as tmp:
            runs.RESULTS = Path(tmp)
            for rec in records(root or saved, kinds)[:limit]:
                h = experiment.run_classifier(rec["config"], device=device, progress=False)
                then = rec.get("identity", {}).get("device", "unknown")
                d = compare(rec["result"], h.to_dict())
                same = then == here and rec.get("identity", {}).get("code_hash") == runs.code_hash()
                exact = all(v == 0 for k, v in d.items() if k.startswith("max"))
                drift = abs(d["end acc (record)"] - d["end acc (now)"])
                verdict = ("identical" if exact else "DIFFERS on the same device and code" if same else
                           f"within ±{TOLERANCE:g}" if drift <= TOLERANCE else f"drift beyond ±{TOLERANCE:g}")
                rows.append({"run": str(rec["path"].parent.relative_to(Path(root or saved).parent)), "recorded on": then,
                             "now on": here, "same device and code": same, **d, "verdict": verdict})
    finally:
        runs.RESULTS = saved
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=3, help="how many records, cheapest first (default 3)")
    ap.add_argument("--kind", action="append", help="only records of this kind (repeatable)")
    a = ap.parse_args(argv)
    df = verify(a.limit, a.kind)
    if not len(df):
        print(f"no committed records to verify in {runs.RESULTS}")
        return 0
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(df.to_string(index=False))
    return 1 if df.verdict.str.startswith(("DIFFERS", "drift")).any() else 0


if __name__ == "__main__":
    sys.exit(main())
