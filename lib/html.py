"""The rendered book's index and report pages: ``python -m lib.html build/html 00_x.html 01_y.html ...``.

nbconvert renders each executed chapter (figures embedded as data URIs, so the pages read offline); this
adds ``report.html`` (the reproduction report's table, links to the chapters' sections) and
``index.html`` (the report and the chapters in chapter order, each titled by its notebook's first heading).
"""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import mistune

from lib import ROOT, book

STYLE = ("<style>body{font-family:sans-serif;max-width:80em;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:0.3em;vertical-align:top}"
         "</style>")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>{STYLE}</head>"
            f"<body>{body}</body></html>\n")


def title(chapter: str) -> str:
    """The executed notebook's first markdown heading (``# 05 · β-SWWDirVAE …``), else its file name."""
    nb = ROOT / "book" / f"{chapter}.ipynb"
    if nb.exists():
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                first = "".join(cell["source"]).strip().splitlines()[0]
                if first.startswith("# "):
                    return first[2:].strip()
    return chapter.replace("_", " ")


def write_report(out: Path, figures: Path | None = None) -> Path:
    df = book.claims(figures)
    body = (f"<h1>Reproduction report</h1><p>{len(df)} claims; {html.escape(book.headline(df))}. "
            "Generated from <code>figures/&lt;chapter&gt;/claims.csv</code>; each verdict is computed in its "
            "chapter.</p>" + mistune.create_markdown(plugins=["table"])(book.claims_table(df, link_to="html")))
    (out / "report.html").write_text(_page("Reproduction report", body))
    return out / "report.html"


def write_index(out: Path, pages: list[str]) -> Path:
    """``out/index.html``: the report, then each rendered chapter in chapter order."""
    items = "\n".join(f'<li><a href="{html.escape(p)}">{html.escape(title(Path(p).stem))}</a></li>' for p in sorted(pages))
    body = (f"<h1>The reproduction book</h1><p><a href='report.html'>Reproduction report</a> — every claim "
            f"and its verdict</p><ol start='0'>\n{items}\n</ol>")
    (out / "index.html").write_text(_page("The reproduction book", body))
    return out / "index.html"


if __name__ == "__main__":
    out = Path(sys.argv[1])
    print(write_report(out), write_index(out, sys.argv[2:]))
