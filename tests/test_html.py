"""The rendered book in a real browser: headless Chromium opens the index, the report and a chapter, and the
pages show their tables and images. Skipped (with the reason) where Chromium is not installed; CI installs it."""
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from lib import ROOT, book, html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)")
CHAPTERS = ["00_data_and_tools", "04_mi_learning_rate"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def _chromium(tmp_path, *args) -> str:
    out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The committed chapter 00 rendered by nbconvert (as `make html` does), the report and the index."""
    out = tmp_path_factory.mktemp("html")
    nbs = [ROOT / "book" / f"{c}.ipynb" for c in CHAPTERS]
    subprocess.run([str(Path(sys.executable).parent / "jupyter"), "nbconvert", "--to", "html", "--output-dir", str(out),
                    *map(str, nbs)], check=True, capture_output=True)
    html.write_report(out, ROOT / "figures")
    html.write_index(out, [f"{c}.html" for c in CHAPTERS])
    return out


def test_index_renders_non_blank_with_its_links(site, tmp_path):
    shot = tmp_path / "index.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,700", (site / "index.html").as_uri())
    img = np.asarray(Image.open(shot).convert("L"), float)
    assert img.std() > 5 and (img < 128).mean() > 0.002, "the page is blank"
    dom = _chromium(tmp_path, "--dump-dom", (site / "index.html").as_uri())
    assert 'href="report.html"' in dom and 'href="00_data_and_tools.html"' in dom and "00 · Data" in dom


def test_report_page_has_a_row_per_claim_linking_to_existing_sections(site, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", (site / "report.html").as_uri())
    body = dom[dom.index("<tbody>"):dom.index("</tbody>")]
    assert body.count("<tr>") == len(book.claims(ROOT / "figures")) > 0
    assert "harmful-link" not in body, "a section link the markdown sanitizer dropped"
    for name in CHAPTERS[1:]:
        chapter = (site / f"{name}.html").read_text()
        links = re.findall(rf'href="\./{name}.html#([^"]+)"', body)
        assert links and all(f'id="{unquote(a)}"' in chapter or f'id="{a}"' in chapter for a in links), \
            f"a section link of {name} that goes nowhere"


def test_chapter_page_shows_its_figures_and_tables(site, tmp_path):
    page = site / "00_data_and_tools.html"
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', dom)) >= 2     # embedded: readable offline
    assert "<table" in dom
    shot = tmp_path / "chapter.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    img = np.asarray(Image.open(shot).convert("RGB"), float)
    assert img.std() > 20 and len(np.unique(img.reshape(-1, 3)[::50], axis=0)) > 50   # text and figures, not a blank page
