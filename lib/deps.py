"""Which ``lib`` sources an executed chapter depends on: the modules its ``book/NN_*.py`` imports, directly or
through other ``lib`` modules (every import statement counts, a function's local ones too, and a package's
``__init__`` whenever one of its modules is imported). ``python -m lib.deps book/*.py`` writes the Makefile
rules (``build/deps.mk``), so an edit to ``lib/chapters/resmlp.py`` re-executes chapter 02 only, while an edit
to ``lib/train.py`` re-executes every chapter that trains. Standard library only: make runs it before the
venv exists.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from lib import ROOT


def source(module: str, root: Path = ROOT) -> Path | None:
    """``lib.models.mixer`` -> ``lib/models/mixer.py`` (or a package's ``__init__.py``); None if not a module."""
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def imported(path: Path, root: Path = ROOT) -> set[str]:
    """The ``lib`` modules a file imports (``from lib import data`` names the module ``lib.data``), with the
    packages they live in."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "lib":
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in found if source(m, root)}


def closure(path: Path, root: Path = ROOT) -> list[Path]:
    """Every ``lib`` source ``path`` depends on, transitively, sorted."""
    seen, todo = set(), list(imported(path, root))
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(imported(source(m, root), root) - seen)
    return sorted(source(m, root).relative_to(root) for m in seen)


def rules(chapters: list[Path], root: Path = ROOT) -> str:
    """One Makefile rule per chapter: ``book/NN_x.ipynb: <its lib sources>``."""
    return "\n".join(f"{c.with_suffix('.ipynb').relative_to(root)}: {' '.join(map(str, closure(c, root)))}"
                     for c in (root / p for p in chapters)) + "\n"


if __name__ == "__main__":
    sys.stdout.write(rules([Path(p) for p in sys.argv[1:]]))
