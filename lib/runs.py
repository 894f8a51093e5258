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

**Records and code identity.** ``config.json`` and ``result.json`` are committed (the book's evidence;
checkpoints and kept weights are not). Each result carries :func:`identity`: the commit, whether the sources
were clean, torch/numpy versions, the device and threads, and :func:`code_hash` — a hash of the ``lib``
sources that can change a run's numbers (:data:`CODE`). A record whose hash differs from today's sources is
**stale**: it is reused (its numbers are what that code produced) but counted in :data:`SESSION`, printed by
the chapter and listed by ``make list``; with ``BOOK_STALE=rerun`` (``make book STALE=rerun``) stale runs are
retrained instead. A record that cannot be read raises :class:`RecordError` naming the file and the fix.
``BOOK_RECORDS_ONLY=1`` forbids training: a run without a record raises (re-rendering from the records).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Callable

import joblib

from lib import ROOT

RESULTS = Path(os.environ.get("BOOK_RESULTS_DIR", ROOT / "results"))
SOURCES = ROOT                  # whose lib/ the code hash reads (tests point it at a copy)
# the lib sources a run's numbers depend on (report, plots, html, book, chapters' prose do not change them;
# a chapter module's settings reach a run through its config, which is the key)
CODE = ("models", "optim", "measure", "train.py", "loader.py", "data.py", "experiment.py", "deit.py")
FIELDS = ("config", "result", "identity")
# this process's use of the store: runs reused, stale ones among them (key, commit), runs trained
SESSION = {"reused": 0, "stale": [], "trained": 0}


class RecordError(RuntimeError):
    """A run record that cannot be read (invalid JSON, missing fields)."""


def code_hash(root: Path | None = None) -> str:
    """sha256 (first 12 hex digits) of the :data:`CODE` sources under ``root/lib`` (default: this checkout),
    each file's path and bytes."""
    root, h = root or SOURCES, hashlib.sha256()
    for name in CODE:
        p = root / "lib" / name
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def identity(device: str = "cpu") -> dict:
    """What made a run: commit, clean sources or not, versions, device, threads, :func:`code_hash`."""
    import numpy as np
    import torch

    from lib import env
    commit = env.git_commit()
    return {"commit": commit.removesuffix("+dirty"), "clean": not commit.endswith("+dirty"), "code_hash": code_hash(),
            "torch": torch.__version__, "numpy": np.__version__, "device": env.device_name(device),
            "threads": torch.get_num_threads()}


def is_stale(record: dict) -> bool:
    """Made by other code than today's (a record from before identities were kept counts as stale)."""
    return record.get("identity", {}).get("code_hash") != code_hash()


def read(path: Path) -> dict:
    """A ``result.json``, validated: raises :class:`RecordError` naming the file and the fix."""
    fix = f"remove the folder {path.parent} to retrain that run (or restore the file with `git checkout -- {path}`)"
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RecordError(f"{path} is corrupt (invalid JSON: {e}); {fix}") from None
    missing = [k for k in FIELDS[:2] if not isinstance(record, dict) or k not in record]
    if missing:
        raise RecordError(f"{path} is incomplete (no {', '.join(missing)}); {fix}")
    return record


def key(config: dict) -> str:
    """A stable hash of the config (key order does not matter)."""
    return joblib.hash(json.loads(json.dumps(config, sort_keys=True, default=str)))


def run_dir(config: dict, root: Path | None = None) -> Path:
    if "kind" not in config:
        raise ValueError("a run config needs a 'kind' (e.g. 'mixer-cifar10'), which names its folder")
    return Path(root or RESULTS) / str(config["kind"]) / key(config)


def finished(config: dict, root: Path | None = None) -> dict | None:
    """The stored record of this config (validated), or None if it has not finished — or if it is stale
    and ``BOOK_STALE=rerun`` asks for stale runs to be retrained."""
    path = run_dir(config, root) / "result.json"
    if not path.exists():
        return None
    record = read(path)
    return None if rerun_stale() and is_stale(record) else record


def rerun_stale() -> bool:
    stale = os.environ.get("BOOK_STALE", "reuse")
    if stale not in ("reuse", "rerun"):
        raise ValueError(f"BOOK_STALE={stale!r}: use 'reuse' (the default) or 'rerun' (make book STALE=rerun)")
    return stale == "rerun"


def _reused(record: dict) -> dict:
    SESSION["reused"] += 1
    if is_stale(record):
        SESSION["stale"].append((key(record["config"]), record.get("identity", {}).get("commit", "before identities")))
    return record["result"]


def run(config: dict, job: Callable[[dict, Path], dict], *, root: Path | None = None, poll_s: float = 5.0,
        device: str = "cpu") -> dict:
    """The result of ``job(config, checkpoint_path)``, computed once per config and stored with the
    :func:`identity` of the code and ``device`` that made it.

    ``job`` must be a deterministic function of the config; it resumes from ``checkpoint_path``
    when a killed attempt left one there. Its result must be JSON-serialisable.
    """
    d, waiting = run_dir(config, root), False
    while True:
        done = finished(config, root)
        if done is not None:
            return _reused(done)
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
            return _reused(done)
        if os.environ.get("BOOK_RECORDS_ONLY") == "1":
            raise RecordError(f"no record of {d} and BOOK_RECORDS_ONLY=1 forbids training it (unset it to train)")
        (d / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True, default=str))
        result = job(config, d / "checkpoint.pt")
        SESSION["trained"] += 1
        tmp = d / f"result.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"config": config, "result": result, "identity": identity(device)}, indent=1,
                                  default=str))
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
    """``"done"``, ``"stale"`` (done by other code), ``"corrupt"`` (an unreadable record), ``"running"``,
    ``"partial"`` (a checkpoint waits to be resumed) or ``"not run"``."""
    d = run_dir(config, root)
    if (d / "result.json").exists():
        try:
            return "stale" if is_stale(read(d / "result.json")) else "done"
        except RecordError:
            return "corrupt"
    if (d / "lock").exists():
        return "running"
    return "partial" if (d / "checkpoint.pt").exists() else "not run"


def summary() -> str:
    """This process's use of the store, for a chapter's header and provenance."""
    stale = SESSION["stale"]
    made_by = sorted({c for _, c in stale})
    return (f"{SESSION['reused']} runs reused, {len(stale)} stale" + (f" (made by {', '.join(made_by)})" if stale else "")
            + f", {SESSION['trained']} trained")
