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
