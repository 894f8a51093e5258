"""lib.runs + train checkpoints: reuse of finished runs, and a killed run resumes to the same result."""
import subprocess
import sys
from pathlib import Path

import tiny_run
from lib import runs

HERE = Path(__file__).parent


def test_key_ignores_order_and_sees_values():
    assert runs.key({"kind": "a", "lr": 0.1, "seed": 0}) == runs.key({"seed": 0, "lr": 0.1, "kind": "a"})
    assert runs.key({"kind": "a", "lr": 0.1}) != runs.key({"kind": "a", "lr": 0.2})


def test_finished_run_is_reused_not_recomputed():
    calls = []

    def job(config, ckpt):
        calls.append(config)
        return {"acc": config["lr"] * 2}

    cfg = {"kind": "toy", "lr": 0.5}
    assert runs.status(cfg) == "not run"
    assert runs.run(cfg, job) == {"acc": 1.0}
    assert runs.run(dict(cfg), job) == {"acc": 1.0}
    assert len(calls) == 1 and runs.status(cfg) == "done"
    assert runs.finished(cfg)["config"] == cfg


def test_killed_run_resumes_and_equals_the_uninterrupted_one(tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    killed = subprocess.run([sys.executable, str(HERE / "tiny_run.py"), str(ckpt), "3"], capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]       # SIGKILL during epoch 3
    import torch
    saved = torch.load(ckpt, weights_only=False)["history"]["epochs"]
    assert [e["epoch"] for e in saved] == [0, 1, 2]                     # epochs 0-2 kept, 3 lost

    resumed = tiny_run.run(checkpoint=ckpt)
    straight = tiny_run.run()
    # epochs 0-2 came from the checkpoint (their wall times are the killed process's), not a rerun
    assert [e["time_s"] for e in resumed.epochs[:3]] == [e["time_s"] for e in saved]
    strip = lambda h: [{k: v for k, v in e.items() if k != "time_s"} for e in h.epochs]
    assert strip(resumed) == strip(straight)


def test_diverged_run_is_stored_as_finished():
    cfg = {"kind": "toy", "lr": 1e6}
    result = runs.run(cfg, lambda c, ckpt: tiny_run.run(checkpoint=ckpt, lr=c["lr"], epochs=20).to_dict())
    assert result["diverged"] is True
    assert runs.status(cfg) == "done" and not (runs.run_dir(cfg) / "checkpoint.pt").exists()


def test_records_carry_code_identity(private_dirs):
    cfg = {"kind": "toy", "lr": 0.1}
    runs.run(cfg, lambda c, p: {"acc": 1.0})
    ident = runs.finished(cfg)["identity"]
    assert ident["code_hash"] == runs.code_hash() and len(ident["code_hash"]) == 12
    assert {"commit", "clean", "torch", "numpy", "device", "threads"} <= set(ident)
    assert ident["device"].startswith("CPU") and isinstance(ident["threads"], int)


def test_editing_an_optimizer_marks_its_runs_stale(private_dirs, monkeypatch):
    import shutil

    from lib import book
    src = private_dirs / "src"
    shutil.copytree(runs.ROOT / "lib", src / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runs, "SOURCES", src)
    cfg, calls = {"kind": "toy", "lr": 0.1}, []
    job = lambda c, p: calls.append(1) or {"acc": len(calls)}
    runs.run(cfg, job)
    assert runs.status(cfg) == "done"
    (src / "lib" / "report.py").write_text("# a report edit does not change numbers\n")
    assert runs.status(cfg) == "done"
    with open(src / "lib" / "optim" / "kfac.py", "a") as f:
        f.write("\n# an edit\n")
    assert runs.status(cfg) == "stale"
    store = book._store()
    assert store.status.tolist() == ["stale"] and "made by" in store.folder[0]
    monkeypatch.setattr(runs, "SESSION", {"reused": 0, "stale": [], "trained": 0})
    assert runs.run(cfg, job) == {"acc": 1} and len(calls) == 1           # reused by default, counted stale
    assert runs.summary().startswith("1 runs reused, 1 stale (made by ")
    monkeypatch.setenv("BOOK_STALE", "rerun")
    assert runs.run(cfg, job) == {"acc": 2} and runs.status(cfg) == "done"  # STALE=rerun retrains it


def test_corrupt_record_is_named_with_its_fix(private_dirs):
    import pytest

    from lib import book
    cfg = {"kind": "toy", "lr": 0.3}
    runs.run(cfg, lambda c, p: {"acc": 1.0})
    path = runs.run_dir(cfg) / "result.json"
    path.write_text(path.read_text()[:40])
    with pytest.raises(runs.RecordError, match=rf"{path.name} is corrupt .*remove the folder {runs.run_dir(cfg)}"):
        runs.finished(cfg)
    assert runs.status(cfg) == "corrupt" and book._store().status.tolist() == ["corrupt"]
    path.write_text('{"config": {}}')
    with pytest.raises(runs.RecordError, match=r"incomplete \(no result\)"):
        runs.run(cfg, lambda c, p: {"acc": 1.0})


def test_verify_retrains_a_record_and_finds_it_identical(private_dirs, monkeypatch):
    import numpy as np

    from conftest import tiny_arrays
    from lib import data, experiment, verify
    monkeypatch.setattr(data, "DATA_DIR", private_dirs / "data")
    (private_dirs / "data").mkdir()
    np.savez(private_dirs / "data" / "tiny.npz", **tiny_arrays())
    cfg = {"kind": "toy-verify", "data": "tiny", "n_train": None, "n_test": None, "augment": {}, "model": "convnet",
           "model_kwargs": {"widths": [4], "convs": 1}, "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9},
           "schedule": None, "epochs": 2, "batch": 16, "seed": 0, "profile": "smoke", "max_steps": None}
    experiment.run_classifier(cfg, progress=False)
    df = verify.verify(limit=1)
    assert len(df) == 1 and df.verdict[0] == "identical" and df["same device and code"][0]
    # a record from another machine is compared against the stated tolerance instead
    path = runs.run_dir(cfg) / "result.json"
    rec = runs.read(path)
    rec["identity"]["device"] = "CPU: another one"
    rec["result"]["epochs"][-1]["test_acc"] += 0.5
    import json
    path.write_text(json.dumps(rec))
    assert verify.verify(limit=1).verdict[0] == f"within ±{verify.TOLERANCE:g}"
