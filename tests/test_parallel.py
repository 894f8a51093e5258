"""Runs across processes: JOBS=2 workers and submitit's local executor (the SLURM code path) train an item's
independent runs into the store and give what a serial run gives; two processes never train one config."""
import math
import threading

import pytest

from conftest import real_data
from lib import env, experiment, runs


def _configs():
    return {seed: {"kind": "keras_cnn-mnist", "data": "mnist", "n_train": 200, "n_test": 100, "model": "keras_cnn",
                   "model_kwargs": {"in_chans": 1, "image_size": 28}, "optimizer": {"name": "sgd", "lr": 0.05},
                   "schedule": None, "epochs": 2, "batch": 50, "seed": seed, "profile": "test", "max_steps": None}
            for seed in (0, 1, 2)}


def _strip(h):
    return [{k: v for k, v in e.items() if k != "time_s"} for e in h.epochs]


def _in_store(tmp_path, monkeypatch, name: str):
    monkeypatch.setenv("BOOK_RESULTS_DIR", str(tmp_path / name))      # what worker processes read
    monkeypatch.setattr(runs, "RESULTS", tmp_path / name)


def test_jobs_and_submitit_local_give_the_serial_results(tmp_path, monkeypatch):
    real_data("mnist")
    results = {}
    for mode, jobs, executor in (("serial", 1, "local"), ("jobs2", 2, "local"), ("submitit", 2, "submitit-local")):
        _in_store(tmp_path, monkeypatch, mode)
        monkeypatch.setattr(runs, "SESSION", {"reused": 0, "stale": [], "trained": 0})
        results[mode] = experiment.run_many(_configs(), jobs=jobs, executor=executor, label=mode)
        assert all(runs.status(c) == "done" for c in _configs().values())
        assert runs.summary() == "0 runs reused, 0 stale, 3 trained", mode      # workers' runs count as trained
    for mode in ("jobs2", "submitit"):
        for seed in (0, 1, 2):
            a, b = _strip(results["serial"][seed]), _strip(results[mode][seed])
            assert [e["steps"] for e in a] == [e["steps"] for e in b]
            for ea, eb in zip(a, b):     # one thread per worker vs two: float sums in another order at most
                assert ea["test_acc"] == pytest.approx(eb["test_acc"], abs=1.0)
                assert math.isclose(ea["train_loss"], eb["train_loss"], rel_tol=1e-4), (mode, seed)
    assert (tmp_path / "submitit" / "_submitit").is_dir()       # it went through submitit


def test_a_locked_run_is_waited_for_not_trained_twice(tmp_path, monkeypatch):
    _in_store(tmp_path, monkeypatch, "lock")
    calls, cfg = [], {"kind": "toy", "x": 1}
    gate = threading.Event()

    def slow(config, ckpt):
        calls.append(1)
        gate.wait(5)
        return {"v": 42}

    first = threading.Thread(target=lambda: runs.run(cfg, slow))
    first.start()
    while runs.status(cfg) != "running":
        pass
    got = {}
    second = threading.Thread(target=lambda: got.update(runs.run(cfg, slow, poll_s=0.05)))
    second.start()
    gate.set()
    first.join(), second.join()
    assert got == {"v": 42} and len(calls) == 1 and runs.status(cfg) == "done"


def test_a_stale_lock_is_taken_over(tmp_path, monkeypatch):
    _in_store(tmp_path, monkeypatch, "stale")
    cfg = {"kind": "toy", "x": 2}
    d = runs.run_dir(cfg)
    d.mkdir(parents=True)
    import socket
    (d / "lock").write_text(f"{socket.gethostname()} 999999999")      # no such process
    assert runs.run(cfg, lambda c, p: {"v": 1}, poll_s=0.01) == {"v": 1}


def test_bad_jobs_or_executor_fail_before_any_run():
    with pytest.raises(ValueError, match="JOBS"):
        env.workers(0, None)
    with pytest.raises(ValueError, match="EXECUTOR"):
        env.workers(2, "kubernetes")


def test_a_bad_jobs_setting_fails_when_the_chapter_checks_its_parameters(monkeypatch):
    from lib import profiles
    monkeypatch.setenv("BOOK_JOBS", "two")
    with pytest.raises(ValueError, match="JOBS must be a positive integer"):
        profiles.check("05_swwdirvae", profile="smoke")
