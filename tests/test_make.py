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
    assert ": not run: " in out.stdout and "make data" in out.stdout


def test_ctrl_c_stops_reproduce(tmp_path):
    """In a pseudo-terminal, as a user runs it: Ctrl-C during a chapter ends make within seconds."""
    master, slave = pty.openpty()
    env = {**os.environ, "BOOK_RESULTS_DIR": str(tmp_path)}
    p = subprocess.Popen(["make", "--no-print-directory", "reproduce-mi-fig3", "PROFILE=smoke"], cwd=ROOT,
                         stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, t0 = b"", time.monotonic()
    try:
        while b"executing 04_mi_learning_rate" not in seen and time.monotonic() - t0 < 300:
            if select.select([master], [], [], 1)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        assert b"executing 04_mi_learning_rate" in seen, seen[-2000:]
        time.sleep(8)                              # into the kernel's run
        os.killpg(p.pid, signal.SIGINT)           # what the terminal sends the foreground group on Ctrl-C
        t1 = time.monotonic()
        p.wait(timeout=60)
        assert p.returncode != 0 and time.monotonic() - t1 < 60
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        os.close(master)


@pytest.mark.parametrize("args, message", [
    (["PROFILE=huge"], "PROFILE=huge: use paper, small or smoke"),
    (["JOBS=two"], "JOBS=two: a positive integer"),
    (["EXECUTOR=kubernetes"], "EXECUTOR=kubernetes: use local, slurm or submitit-local"),
    (["CHECKPOINT=/no/such/file.npz"], "CHECKPOINT=/no/such/file.npz: no such file"),
])
def test_bad_make_parameters_fail_before_any_kernel(args, message):
    t0 = time.perf_counter()
    out = make("reproduce-data-datasets", *args)
    assert out.returncode == 2 and message in out.stderr and time.perf_counter() - t0 < 30


def test_an_unknown_item_is_named_with_the_valid_ones_before_any_kernel():
    out = make("reproduce-data-tabel2", "PROFILE=smoke")
    assert out.returncode == 2 and "no item 'tabel2'; its items: datasets, loader" in out.stdout
    assert "Executing" not in out.stderr


def test_a_failing_chapter_ends_with_its_error_not_papermill_s_traceback(tmp_path):
    """A paper-profile run on a CPU without the confirmation fails in the chapter's first cell: the terminal
    shows the message and where the whole traceback is, not pages of papermill's traceback."""
    env = {"BOOK_RESULTS_DIR": str(tmp_path), "ALLOW_CPU_PAPER": ""}
    if __import__("torch").cuda.is_available():
        pytest.skip("a CUDA machine runs the paper profile without confirmation")
    out = make("reproduce-data-datasets", "PROFILE=paper", env=env)
    assert out.returncode != 0
    assert "FAILED: 00_data_and_tools-datasets.ipynb — cell" in out.stdout and "ALLOW_CPU_PAPER=1" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr and "the whole traceback: build/reproduce/" in out.stdout
