"""The committed run records re-render a chapter without training, and its claims equal the committed ones."""
import json

import pandas as pd
import papermill as pm
from test_chapters import to_notebook

from lib import ROOT

CHAPTER = "04_mi_learning_rate"
COMPARED = ["item", "claim", "paper", "ours", "n", "effect", "interval", "preconditions", "verdict"]


def test_chapter_renders_from_its_committed_records_alone(tmp_path, monkeypatch):
    committed = ROOT / "figures" / CHAPTER
    prov = json.loads((committed / "provenance.json").read_text())
    assert prov["profile"] == "small" and "runs" in prov, "the committed chapter was executed with records"
    assert any((ROOT / "results").glob("*/*/result.json")), "the run records are committed under results/"
    monkeypatch.setenv("BOOK_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("BOOK_RECORDS_ONLY", "1")          # a run without a record raises instead of training
    nb = to_notebook(ROOT / "book" / f"{CHAPTER}.py", tmp_path / f"{CHAPTER}.ipynb")
    pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), parameters={"profile": "small"},
                        cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    now = pd.read_csv(tmp_path / "figures" / CHAPTER / "claims.csv", keep_default_na=False, dtype=str)
    then = pd.read_csv(committed / "claims.csv", keep_default_na=False, dtype=str)
    pd.testing.assert_frame_equal(now[COMPARED], then[COMPARED])
    rerun = json.loads((tmp_path / "figures" / CHAPTER / "provenance.json").read_text())
    assert rerun["runs"].endswith(", 0 trained") and not rerun["runs"].startswith("0 runs reused")
