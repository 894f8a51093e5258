"""The run store: a run's full config -> its result on disk, reused when asked for again.

A run lives in ``results/<kind>/<key>/`` where ``key`` is joblib's hash of the config:
``config.json`` (what it is), ``checkpoint.pt`` while it trains (``train.fit`` resumes from it after
a kill), and ``result.json`` once it has finished, diverged or not (written atomically, then the
checkpoint is dropped). Two chapters asking for the same config share one run. While a process trains a
run it holds ``lock`` (its host and pid, created exclusively): another process asking for the same config
waits for the result instead of training it twice (a lock left by a dead process is taken over).

joblib.Memory caches finished calls but has no notion of a half-finished one to resume, and keys
on function source rather than on an experiment's config; so we use joblib's hash and keep the rest
to these few lines.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Callable

import joblib

from lib import ROOT

RESULTS = Path(os.environ.get("BOOK_RESULTS_DIR", ROOT / "results"))


def key(config: dict) -> str:
    """A stable hash of the config (key order does not matter)."""
    return joblib.hash(json.loads(json.dumps(config, sort_keys=True, default=str)))


def run_dir(config: dict, root: Path | None = None) -> Path:
    if "kind" not in config:
        raise ValueError("a run config needs a 'kind' (e.g. 'mixer-cifar10'), which names its folder")
    return Path(root or RESULTS) / str(config["kind"]) / key(config)


def finished(config: dict, root: Path | None = None) -> dict | None:
    """The stored result of this config, or None if it has not finished."""
    path = run_dir(config, root) / "result.json"
    return json.loads(path.read_text()) if path.exists() else None


def run(config: dict, job: Callable[[dict, Path], dict], *, root: Path | None = None, poll_s: float = 5.0) -> dict:
    """The result of ``job(config, checkpoint_path)``, computed once per config and stored.

    ``job`` must be a deterministic function of the config; it resumes from ``checkpoint_path``
    when a killed attempt left one there. Its result must be JSON-serialisable.
    """
    d, waiting = run_dir(config, root), False
    while True:
        done = finished(config, root)
        if done is not None:
            return done["result"]
        d.mkdir(parents=True, exist_ok=True)
        if _acquire(d / "lock"):
            break
        if not waiting:                         # another live process trains it: wait for its result
            print(f"waiting for {d} (trained by {_holder(d / 'lock')}; a lock left by a dead process on another "
                  "host must be deleted by hand)", flush=True)
            waiting = True
        time.sleep(poll_s)
    try:
        done = finished(config, root)           # it may have finished between the check and the lock
        if done is not None:
            return done["result"]
        (d / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True, default=str))
        result = job(config, d / "checkpoint.pt")
        tmp = d / f"result.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"config": config, "result": result}, indent=1, default=str))
        os.replace(tmp, d / "result.json")
        (d / "checkpoint.pt").unlink(missing_ok=True)
        return result
    finally:
        (d / "lock").unlink(missing_ok=True)


def _acquire(lock: Path) -> bool:
    """Create ``lock`` exclusively with our host and pid; take over a lock whose process is gone."""
    me = f"{socket.gethostname()} {os.getpid()}"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            host, pid = lock.read_text().split()
        except (OSError, ValueError):
            return False                        # being written right now
        if host == socket.gethostname() and not _alive(int(pid)):
            lock.unlink(missing_ok=True)        # stale: its process died (a kill mid-run); the checkpoint resumes
            return _acquire(lock)
        return False
    with os.fdopen(fd, "w") as f:
        f.write(me)
    return True


def _holder(lock: Path) -> str:
    try:
        return lock.read_text()
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(config: dict, root: Path | None = None) -> str:
    """``"done"``, ``"partial"`` (a checkpoint waits to be resumed) or ``"not run"``."""
    d = run_dir(config, root)
    if (d / "result.json").exists():
        return "done"
    if (d / "lock").exists():
        return "running"
    return "partial" if (d / "checkpoint.pt").exists() else "not run"
