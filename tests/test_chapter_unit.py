"""The chapter as the unit of change: every notebook has a module declaring its items, profiles and cost; the
Makefile's dependencies of an executed chapter are the lib sources it imports (an edit to one chapter's module
re-executes that chapter only); nothing in the core lists the chapters."""
import subprocess
from pathlib import Path

import pytest

from lib import ROOT, book, chapters, deps, profiles

NOTEBOOKS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.py"))


def test_every_notebook_has_a_module_declaring_what_the_book_reads():
    assert list(chapters.index()) == NOTEBOOKS
    for chapter, module in chapters.every().items():
        assert set(module.PROFILES) == set(profiles.PROFILES) and set(module.COST) == set(profiles.PROFILES)
        assert len(module.ITEMS) == len(set(module.ITEMS)) > 0
        for profile in profiles.PROFILES:
            P = profiles.check(chapter, profile=profile, device="cpu")
            assert P.settings == module.PROFILES[profile] and P.paper == module.PROFILES["paper"]
            assert P.items == list(module.ITEMS)


def test_a_module_missing_a_declaration_is_named(tmp_path, monkeypatch):
    (tmp_path / "half.py").write_text('NOTEBOOK = "09_half"\nITEMS = ("fig1",)\n')
    monkeypatch.setattr(chapters, "HERE", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path.parent))
    assert chapters.index() == {"09_half": "half"}
    with pytest.raises((ValueError, ModuleNotFoundError)):
        chapters.module("09_half")
    with pytest.raises(ValueError, match="unknown chapter '01_kfac_mlp_mixer'; valid: 09_half"):
        chapters.module("01_kfac_mlp_mixer")


def test_costs_come_from_the_modules():
    text = book.costs()
    for chapter, module in chapters.every().items():
        assert f"{book.short(chapter)}" in text and module.COST["small"] in text


def test_a_chapter_depends_on_its_own_module_and_not_on_the_others():
    own = {"00_data_and_tools": "data_tools", "01_kfac_mlp_mixer": "kfac_mixer", "02_resmlp": "resmlp",
           "03_actcoolr": "actcoolr", "04_mi_learning_rate": "mi_lr", "05_swwdirvae": "swwdirvae"}
    for chapter in NOTEBOOKS:
        sources = {str(p) for p in deps.closure(ROOT / "book" / f"{chapter}.py")}
        chapter_modules = {s for s in sources if s.startswith("lib/chapters/") and not s.endswith("__init__.py")}
        assert chapter_modules == {f"lib/chapters/{own[chapter]}.py"}, chapter
        assert "lib/report.py" in sources and "lib/profiles.py" in sources
    assert "lib/optim/kfac.py" not in {str(p) for p in deps.closure(ROOT / "book" / "00_data_and_tools.py")}
    assert "lib/train.py" in {str(p) for p in deps.closure(ROOT / "book" / "02_resmlp.py")}


def test_imports_are_followed_through_packages_and_functions(tmp_path):
    (tmp_path / "lib" / "pkg").mkdir(parents=True)
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "pkg" / "__init__.py").write_text("from lib.pkg import inner\n")
    (tmp_path / "lib" / "pkg" / "inner.py").write_text("def f():\n    from lib import late\n")
    (tmp_path / "lib" / "late.py").write_text("X = 1\n")
    (tmp_path / "lib" / "unused.py").write_text("")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "01_x.py").write_text("from lib.pkg import inner\n")
    got = deps.closure(tmp_path / "book" / "01_x.py", tmp_path)
    assert [str(p) for p in got] == ["lib/__init__.py", "lib/late.py", "lib/pkg/__init__.py", "lib/pkg/inner.py"]
    assert deps.rules([Path("book/01_x.py")], tmp_path).startswith("book/01_x.ipynb: lib/__init__.py lib/late.py")


def test_make_reexecutes_only_the_chapter_whose_module_changed(tmp_path):
    """In a copy whose executed notebooks are newer than every source, ``make -n -W <file>`` (what make would do
    were the file just edited) re-executes only the chapters that import it."""
    import os
    import shutil
    copy = tmp_path / "book-copy"
    shutil.copytree(ROOT / "lib", copy / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "book").mkdir()
    for src in (ROOT / "book").glob("[0-9][0-9]_*.py"):
        shutil.copy(src, copy / "book")
    shutil.copytree(ROOT / "figures", copy / "figures", ignore=shutil.ignore_patterns("*.png", "*.csv"))
    shutil.copy(ROOT / "Makefile", copy)
    shutil.copy(ROOT / "requirements.txt", copy)
    old = (ROOT / ".venv" / ".installed").stat().st_mtime - 60          # every source older than the venv
    for f in copy.rglob("*"):
        os.utime(f, (old, old))
    (copy / ".venv").symlink_to(ROOT / ".venv")
    for c in NOTEBOOKS:
        (copy / "book" / f"{c}.ipynb").write_text("{}")                 # executed now: newer than its sources

    def executed(edited: str) -> set[str]:
        dry = subprocess.run(["make", "-n", "-W", edited, "PROFILE=small", *(f"book/{c}.ipynb" for c in NOTEBOOKS)],
                             cwd=copy, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
        return {line.split()[-1] for line in dry.stdout.splitlines() if "jupytext" in line}
    assert executed("lib/verdicts.py") == {f"book/{c}.py" for c in NOTEBOOKS}, "every chapter decides by it"
    assert executed("lib/chapters/resmlp.py") == {"book/02_resmlp.py"}
    assert executed("lib/optim/kfac.py") == {f"book/{c}.py" for c in NOTEBOOKS if not c.startswith("00")}
