"""The index page of the rendered book: ``python -m lib.html build/html 00_x.html 01_y.html ...``."""
from __future__ import annotations

import html
import sys
from pathlib import Path


def write_index(out: Path, pages: list[str]) -> Path:
    """``out/index.html`` linking each rendered chapter, in chapter order, titled by its file name."""
    items = "\n".join(f'<li><a href="{html.escape(p)}">{html.escape(Path(p).stem.replace("_", " "))}</a></li>'
                      for p in sorted(pages))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>The reproduction book</title></head>"
            f"<body><h1>The reproduction book</h1><ol>\n{items}\n</ol></body></html>\n")
    (out / "index.html").write_text(page)
    return out / "index.html"


if __name__ == "__main__":
    print(write_index(Path(sys.argv[1]), sys.argv[2:]))
