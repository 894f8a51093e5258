"""The profiles a chapter runs at, and the check of its parameters (each chapter's settings per profile are
its module's ``PROFILES``, in ``lib/chapters/``).

- ``paper``: the paper's exact models, data, epochs and hyperparameters (a CUDA GPU; hours to days).
- ``small``: the same experiments scaled to about an hour of training per chapter on 2 CPU cores.
- ``smoke``: the same code paths, a few steps each (tests and CI).

The default is ``paper`` with CUDA, otherwise ``small``. Every bad value fails here, before any
compute, naming the valid ones.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from lib import chapters, env

PROFILES = ("paper", "small", "smoke")


@dataclass
class Params:
    """A chapter's checked parameters (the papermill ``parameters`` cell, validated)."""
    chapter: str
    profile: str
    items: list[str]
    seeds: list[int]
    device: str
    max_steps: int | None
    settings: dict = field(default_factory=dict)      # this profile's settings
    paper: dict = field(default_factory=dict)         # the paper profile's (what the settings table compares)
    all_items: tuple[str, ...] = ()

    def wants(self, item: str) -> bool:
        if item not in self.all_items:
            raise ValueError(f"{self.chapter} has no item {item!r}; its items: {self.all_items}")
        return item in self.items


def resolve(profile: str | None) -> str:
    """``None`` or ``"auto"`` -> ``paper`` with CUDA, else ``small``; anything else must be a profile."""
    if profile in (None, "", "auto"):
        return "paper" if env.default_device() == "cuda" else "small"
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)} (or None for the default)")
    return profile


def check(chapter: str, *, profile: str | None = None, only=None, seeds=None, device: str | None = None,
          max_steps: int | None = None) -> Params:
    """Validate a chapter's parameters; raise ``ValueError`` listing the valid values."""
    module = chapters.module(chapter)
    profile, spec = resolve(profile), module.PROFILES
    items = list(module.ITEMS) if only in (None, [], "") else [only] if isinstance(only, str) else list(only)
    unknown = [i for i in items if i not in module.ITEMS]
    if unknown:
        raise ValueError(f"unknown item(s) {unknown} for {chapter}; valid: {', '.join(module.ITEMS)}")
    seeds = spec[profile].get("seeds", [0]) if seeds is None else [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be None or a positive integer, got {max_steps!r}")
    env.workers()                       # JOBS / EXECUTOR from the environment, checked before any compute
    device = env.check_device(device)
    if profile == "paper" and device == "cpu" and max_steps is None and os.environ.get("ALLOW_CPU_PAPER") != "1":
        raise ValueError("the paper profile on a CPU is days to weeks of compute: set ALLOW_CPU_PAPER=1 to confirm "
                         "(make ... ALLOW_CPU_PAPER=1), use profile 'small', or cap each run with max_steps")
    return Params(chapter=chapter, profile=profile, items=items, seeds=seeds, device=device,
                  max_steps=max_steps, settings=dict(spec[profile]), paper=dict(spec["paper"]),
                  all_items=tuple(module.ITEMS))
