"""The ``paper`` / ``small`` / ``smoke`` settings of each chapter, and the check of its parameters.

- ``paper``: the paper's exact models, data, epochs and hyperparameters (a CUDA GPU; hours to days).
- ``small``: the same experiments scaled so a chapter finishes in about 45 minutes on 2 CPU cores.
- ``smoke``: the same code paths, a few steps each (tests and CI).

The default is ``paper`` with CUDA, otherwise ``small``. Every bad value fails here, before any
compute, naming the valid ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lib import env

PROFILES = ("paper", "small", "smoke")

# chapter -> its items in the paper's order, and per profile the settings it runs with.
CHAPTERS: dict[str, dict] = {
    "00_data_and_tools": {
        "items": ("datasets", "loader"),
        # loader benchmark: batches timed per loader, batch size, and the upsampled (32->256->224) batch size
        "paper": dict(bench_batches=40, batch_size=512, upsample_batch_size=64, grid=8),
        "small": dict(bench_batches=40, batch_size=512, upsample_batch_size=64, grid=8),
        "smoke": dict(bench_batches=2, batch_size=64, upsample_batch_size=8, grid=4),
    },
}


@dataclass
class Params:
    """A chapter's checked parameters (the papermill ``parameters`` cell, validated)."""
    chapter: str
    profile: str
    items: list[str]
    seeds: list[int]
    device: str
    max_steps: int | None
    settings: dict = field(default_factory=dict)

    def wants(self, item: str) -> bool:
        if item not in CHAPTERS[self.chapter]["items"]:
            raise ValueError(f"{self.chapter} has no item {item!r}; its items: {CHAPTERS[self.chapter]['items']}")
        return item in self.items


def resolve(profile: str | None) -> str:
    """``None`` or ``"auto"`` -> ``paper`` with CUDA, else ``small``; anything else must be a profile."""
    if profile in (None, "", "auto"):
        return "paper" if env.default_device() == "cuda" else "small"
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)} (or None for the default)")
    return profile


def check(chapter: str, *, profile: str | None = None, only=None, seeds=(0,), device: str | None = None,
          max_steps: int | None = None) -> Params:
    """Validate a chapter's parameters; raise ``ValueError`` listing the valid values."""
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {', '.join(CHAPTERS)}")
    profile, spec = resolve(profile), CHAPTERS[chapter]
    items = list(spec["items"]) if only in (None, [], "") else [only] if isinstance(only, str) else list(only)
    unknown = [i for i in items if i not in spec["items"]]
    if unknown:
        raise ValueError(f"unknown item(s) {unknown} for {chapter}; valid: {', '.join(spec['items'])}")
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be None or a positive integer, got {max_steps!r}")
    return Params(chapter=chapter, profile=profile, items=items, seeds=seeds, device=env.check_device(device),
                  max_steps=max_steps, settings=dict(spec[profile]))
