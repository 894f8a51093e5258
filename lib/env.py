"""The device a run uses, the workers it may use, and the provenance every executed chapter records."""
from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import datetime, timezone

import torch

from lib import ROOT

EXECUTORS = ("local", "slurm", "submitit-local")     # lib.parallel's engines


def workers(jobs: int | None = None, executor: str | None = None) -> tuple[int, str]:
    """(jobs, executor) for ``lib.parallel``, from the arguments or the environment (``BOOK_JOBS``,
    ``BOOK_EXECUTOR``: ``make ... JOBS=2 EXECUTOR=slurm``), checked before any compute."""
    raw = os.environ.get("BOOK_JOBS", "1") if jobs is None else jobs
    try:
        jobs = int(raw)
    except ValueError:
        jobs = 0
    executor = executor or os.environ.get("BOOK_EXECUTOR") or "local"
    if jobs < 1:
        raise ValueError(f"JOBS must be a positive integer, got {raw!r}")
    if executor not in EXECUTORS:
        raise ValueError(f"unknown EXECUTOR {executor!r}; valid: {', '.join(EXECUTORS)}")
    return jobs, executor


# The three fast paths of a GPU run, each a setting so that they can be exercised on any device (``make
# test-gpu-paths`` runs every chapter at the smoke profile on the CPU with all three on). Unset, a path is on
# where it pays (bf16 autocast and channels_last on CUDA) and off elsewhere (fp32 on the CPU keeps runs exactly
# repeatable); torch.compile is off unless asked for. BOOK_FAST=1 switches all three on.
FAST_PATHS = {"amp": "BOOK_AMP", "channels_last": "BOOK_CHANNELS_LAST", "compile": "BOOK_COMPILE"}


def fast_paths(device: str = "cpu") -> dict:
    """{"amp": "bf16" | None, "channels_last": bool, "compile": bool} for ``device``, from ``BOOK_AMP`` (bf16 | off),
    ``BOOK_CHANNELS_LAST`` and ``BOOK_COMPILE`` (1 | 0), or ``BOOK_FAST=1`` for all three; checked before any
    compute."""
    cuda = torch.device(device).type == "cuda"
    fast = _flag("BOOK_FAST", False)
    amp = os.environ.get(FAST_PATHS["amp"], "bf16" if fast or cuda else "off")
    if amp not in ("bf16", "off"):
        raise ValueError(f"{FAST_PATHS['amp']}={amp!r}: use 'bf16' or 'off'")
    return {"amp": None if amp == "off" else amp, "channels_last": _flag(FAST_PATHS["channels_last"], fast or cuda),
            "compile": _flag(FAST_PATHS["compile"], fast)}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("0", "1"):
        raise ValueError(f"{name}={raw!r}: use 1 (on) or 0 (off)")
    return raw == "1"


def default_device() -> str:
    """``"cuda"`` when a GPU is there, else ``"cpu"``; a chapter's ``device`` parameter overrides it."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def check_device(device: str | None) -> str:
    device = device or default_device()
    try:
        dev = torch.device(device)
    except RuntimeError as e:
        raise ValueError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but no CUDA GPU is available here; use 'cpu'")
    return device


def device_name(device: str) -> str:
    if torch.device(device).type == "cuda":
        return torch.cuda.get_device_name(torch.device(device))
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"CPU: {cpu} ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def git_commit() -> str:
    """The commit the book ran from, with ``+dirty`` when its sources (``lib/``, ``book/*.py``) had uncommitted
    changes (executed notebooks and figures are outputs: a chapter executing after another is not dirty)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "lib", "book/*.py"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


class Provenance(dict):
    """What a chapter ran with: commit, versions, device, profile, seeds; ``finish()`` adds wall time."""

    def __init__(self, *, chapter: str, profile: str, seeds, device: str):
        import torchvision
        self._t0 = time.perf_counter()
        super().__init__(chapter=chapter, commit=git_commit(), started=datetime.now(timezone.utc).isoformat(
            timespec="seconds"), python=platform.python_version(), torch=torch.__version__,
            torchvision=torchvision.__version__, device=device, device_name=device_name(device),
            fast_paths=fast_paths(device), profile=profile, seeds=list(seeds))

    def finish(self) -> "Provenance":
        """Wall time, and the run store's use: runs reused / stale (with the commits that made them) / trained."""
        from lib import runs
        self["wall_time_s"] = round(time.perf_counter() - self._t0, 1)
        self["runs"] = runs.summary()
        self["stale_runs"] = [f"{k} (made by {c})" for k, c in runs.SESSION["stale"]]
        self["code_hash"] = runs.code_hash()
        return self

    def __str__(self) -> str:
        return "\n".join(f"{k:>12}: {v}" for k, v in self.items())
