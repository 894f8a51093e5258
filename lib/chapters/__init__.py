"""The book's chapters. A chapter is ``book/NN_<name>.py`` (prose, calls, figures), one module here (the heavy
code) and its tests. The module declares what the rest of the book reads about it:

- ``NOTEBOOK``: the notebook's stem, ``"01_kfac_mlp_mixer"``;
- ``ITEMS``: its items (tables, figures, checks) in the paper's order;
- ``PROFILES``: ``{"paper": {...}, "small": {...}, "smoke": {...}}``, the settings each profile runs with
  (``lib.profiles.check`` validates a chapter's parameters against them);
- ``COST``: ``{"smoke": ..., "small": ..., "paper": ...}``, what executing the whole chapter costs at each
  profile (``make help``, ``make list`` and the README read it here);
- its paper numbers, run configs and ``rule_*`` functions.

A new chapter is a new module here with those four names and a ``book/NN_<name>.py`` that calls
``report.begin(NOTEBOOK, ...)``: nothing else in ``lib/`` lists the chapters.
"""
from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
DECLARES = ("NOTEBOOK", "ITEMS", "PROFILES", "COST")


def index() -> dict[str, str]:
    """Notebook stem -> module name, in notebook order, read from each module's ``NOTEBOOK = "..."`` without
    importing it (``make`` asks this on every call); the sources are read once per process."""
    return dict(_scan(HERE))


@functools.lru_cache
def _scan(here: Path) -> tuple[tuple[str, str], ...]:
    found = {}
    for path in sorted(here.glob("[a-z]*.py")):
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["NOTEBOOK"]
                    and isinstance(node.value, ast.Constant)):
                found[node.value.value] = path.stem
    return tuple(sorted(found.items()))


def module(chapter: str) -> ModuleType:
    """The module of notebook ``chapter`` (``"01_kfac_mlp_mixer"`` -> ``lib.chapters.kfac_mixer``), checked to
    declare :data:`DECLARES`."""
    names = index()
    if chapter not in names:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {', '.join(names)} (a chapter's module in "
                         f"lib/chapters/ declares NOTEBOOK = {chapter!r})")
    mod = importlib.import_module(f"lib.chapters.{names[chapter]}")
    missing = [n for n in DECLARES if not hasattr(mod, n)]
    if missing:
        raise ValueError(f"{mod.__file__} declares NOTEBOOK = {chapter!r} but not {', '.join(missing)} "
                         f"(see lib/chapters/__init__.py)")
    return mod


def items(chapter: str) -> tuple[str, ...]:
    return tuple(module(chapter).ITEMS)


def every() -> dict[str, ModuleType]:
    """Every chapter's module, in notebook order."""
    return {chapter: module(chapter) for chapter in index()}
