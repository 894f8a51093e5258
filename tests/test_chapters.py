"""Every chapter in book/ executes at the smoke profile through jupytext + papermill, into a tmp folder
(never over the committed notebooks, figures or run store), and bad parameters fail at once."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.py"))


def to_notebook(src: Path, out: Path) -> Path:
    jupytext = Path(sys.executable).parent / "jupytext"
    subprocess.run([str(jupytext), "--to", "ipynb", "--set-kernel", "python3", "-o", str(out), str(src)],
                   check=True, capture_output=True)
    return out


@pytest.fixture
def book_env(tmp_path, monkeypatch):
    """The kernel inherits these: figures and runs go to tmp."""
    monkeypatch.setenv("BOOK_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("BOOK_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path


@pytest.mark.parametrize("src", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_at_smoke_profile(src, book_env):
    nb = to_notebook(src, book_env / f"{src.stem}.ipynb")
    pm.execute_notebook(str(nb), str(book_env / "out.ipynb"), parameters={"profile": "smoke"},
                        cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    claims = book_env / "figures" / src.stem / "claims.csv"
    assert claims.exists(), "every chapter ends by saving its claims"
    assert (book_env / "figures" / src.stem / "provenance.json").exists()
    assert not (ROOT / "book" / "out.ipynb").exists()


@pytest.mark.parametrize("src", CHAPTERS[:1], ids=[c.stem for c in CHAPTERS[:1]])
def test_bad_parameter_fails_before_compute(src, book_env):
    nb = to_notebook(src, book_env / f"{src.stem}.ipynb")
    with pytest.raises(pm.PapermillExecutionError, match="unknown profile 'huge'"):
        pm.execute_notebook(str(nb), str(book_env / "out.ipynb"), parameters={"profile": "huge"},
                            cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    assert not (book_env / "figures").exists()


@pytest.mark.parametrize("src", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_without_any_data_says_not_run(src, book_env, monkeypatch):
    """No data folder and no DATA_MIRROR: every chapter still executes at smoke, and the items that need a data
    set say "not run" with the fix instead of crashing (or vanishing from the claims)."""
    monkeypatch.setenv("BOOK_DATA_DIR", str(book_env / "no-data"))
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    (book_env / "no-data").mkdir()
    nb = to_notebook(src, book_env / f"{src.stem}.ipynb")
    pm.execute_notebook(str(nb), str(book_env / "out.ipynb"), parameters={"profile": "smoke"},
                        cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    claims = pd.read_csv(book_env / "figures" / src.stem / "claims.csv", keep_default_na=False)
    not_run = claims[claims.verdict == "not run"]
    assert len(not_run) and not_run.reason.str.contains("make data|not in data", regex=True).any()
    assert set(claims.verdict) <= {"not run", "smoke (not a result)"}
