"""`make reproduce-*` as a user meets it in a terminal: it prints the item's claims and verdicts, says "not run"
(exit status 1) when the item could not run, and Ctrl-C stops it (papermill under `timeout --foreground`)."""
import os
import pty
import select
import signal
import subprocess
import time

import pytest

from lib import ROOT

pytestmark = pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="needs `make setup`")


def make(*args, env=None, timeout=600):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_reproduce_prints_the_items_claims(tmp_path):
    out = make("reproduce-data-datasets", "PROFILE=smoke", env={"BOOK_RESULTS_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "datasets · " in out.stdout and "smoke (not a result)" in out.stdout


def test_reproduce_of_an_item_that_cannot_run_says_not_run_and_fails(tmp_path):
    (tmp_path / "no-data").mkdir()
    env = {"BOOK_DATA_DIR": str(tmp_path / "no-data"), "DATA_MIRROR": "", "BOOK_RESULTS_DIR": str(tmp_path)}
    out = make("reproduce-data-datasets", "PROFILE=smoke", env=env)
    assert out.returncode != 0
    assert ": not run — " in out.stdout and "make data" in out.stdout


def test_ctrl_c_stops_reproduce(tmp_path):
    """In a pseudo-terminal, as a user runs it: Ctrl-C during a chapter ends make within seconds."""
    master, slave = pty.openpty()
    env = {**os.environ, "BOOK_RESULTS_DIR": str(tmp_path)}
    p = subprocess.Popen(["make", "--no-print-directory", "reproduce-mi-fig3", "PROFILE=smoke"], cwd=ROOT,
                         stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, t0 = b"", time.monotonic()
    try:
        while b"Executing notebook" not in seen and time.monotonic() - t0 < 300:
            if select.select([master], [], [], 1)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        assert b"Executing notebook" in seen, seen[-2000:]
        time.sleep(3)
        os.killpg(p.pid, signal.SIGINT)           # what the terminal sends the foreground group on Ctrl-C
        t1 = time.monotonic()
        p.wait(timeout=60)
        assert p.returncode != 0 and time.monotonic() - t1 < 60
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        os.close(master)
