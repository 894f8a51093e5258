"""Tinkering in Jupyter: a Jupyter server started from the venv serves a chapter's .py source as a notebook
(jupytext's contents manager, so edits in the notebook land in the .py), and a chapter executed outside
`make book` writes its outputs under build/, never into the committed figures/."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import papermill as pm
import pytest

from lib import ROOT

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not (VENV_BIN / "jupyter-server").exists(), reason="jupyter_server is not installed (make setup)")
def test_jupyter_serves_a_chapter_source_as_a_notebook(tmp_path):
    port, token = free_port(), "book-test"
    server = subprocess.Popen([str(VENV_BIN / "jupyter-server"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"]
                              + (["--allow-root"] if os.geteuid() == 0 else []),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "HOME": str(tmp_path)})
    try:
        url = f"http://127.0.0.1:{port}/api/contents/book/04_mi_learning_rate.py?type=notebook&token={token}"
        deadline, reply = time.monotonic() + 90, None
        while time.monotonic() < deadline and reply is None:
            try:
                reply = json.load(urllib.request.urlopen(url, timeout=10))
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                time.sleep(1)
        assert reply is not None, "the server did not answer within 90 s"
        assert reply["type"] == "notebook" and reply["format"] == "json"
        cells = reply["content"]["cells"]
        assert cells[0]["cell_type"] == "markdown" and cells[0]["source"].startswith("# 04 · Dynamic learning rate")
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells)
        assert reply["content"]["metadata"]["kernelspec"]["name"] == "reproduction-book"   # make lab registers it
    finally:
        server.terminate()
        server.wait(timeout=30)


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(folder)).encode() + f.read_bytes())
    return h.hexdigest()


def test_a_chapter_run_outside_make_book_leaves_the_committed_figures_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("BOOK_FIGURES_DIR", raising=False)
    monkeypatch.setenv("BOOK_RESULTS_DIR", str(tmp_path / "results"))
    before = tree_hash(ROOT / "figures")
    nb = tmp_path / "00.ipynb"
    subprocess.run([str(VENV_BIN / "jupytext"), "--to", "ipynb", "--set-kernel", "python3", "-o", str(nb),
                    str(ROOT / "book" / "00_data_and_tools.py")], check=True, capture_output=True)
    pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), parameters={"profile": "smoke", "only": ["datasets"]},
                        cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    assert tree_hash(ROOT / "figures") == before
    assert (ROOT / "build" / "figures" / "00_data_and_tools" / "claims.csv").exists()
