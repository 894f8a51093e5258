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
from lib.models.mixer import CONFIGS as MIXER

PROFILES = ("paper", "small", "smoke")

_S = dict(dim=64, depth=4, token_hidden=32, channel_hidden=256)
_B = dict(dim=96, depth=6, token_hidden=48, channel_hidden=384)
_T = dict(dim=16, depth=1, token_hidden=8, channel_hidden=32)

# chapter -> its items in the paper's order, and per profile the settings it runs with.
CHAPTERS: dict[str, dict] = {
    "00_data_and_tools": {
        "items": ("datasets", "loader"),
        # loader benchmark: batches timed per loader, batch size, and the upsampled (32->256->224) batch size
        "paper": dict(bench_batches=40, batch_size=512, upsample_batch_size=64, grid=8),
        "small": dict(bench_batches=40, batch_size=512, upsample_batch_size=64, grid=8),
        "smoke": dict(bench_batches=2, batch_size=64, upsample_batch_size=8, grid=4),
    },
    "01_kfac_mlp_mixer": {
        "items": ("table2", "fig2", "fig3", "table3", "fig4", "table4", "quirks"),
        # models: the paper's names -> Mixer sizes; upsample: the "224" input pipeline; kfac: update intervals
        "paper": dict(models={m: MIXER[m] for m in ("S/4", "B/4", "S/16", "B/16")},
                      upsample=dict(resize=256, center_crop=224), n_train=None, n_test=None, epochs=100, batch=64,
                      seeds=[0], c100_n_train=None, c100_epochs=100, kfac=dict(stats_every=10, inv_every=100)),
        # widths and depths scaled by 1/8 and 1/2 (S: C=64, 4 blocks; B: C=96, 6 blocks: B/S ratios kept);
        # upsampling 32->64->56 with patch 4 keeps the paper's 196 tokens and 2.3 original pixels per patch
        "small": dict(models={"S/4": dict(image_size=32, patch=4, **_S), "B/4": dict(image_size=32, patch=4, **_B),
                              "S/16": dict(image_size=56, patch=4, **_S), "B/16": dict(image_size=56, patch=4, **_B)},
                      upsample=dict(resize=64, center_crop=56), n_train=2500, n_test=1000, epochs=6, batch=64,
                      seeds=[0, 1], c100_n_train=5000, c100_epochs=4, kfac=dict(stats_every=2, inv_every=20)),
        "smoke": dict(models={"S/4": dict(image_size=32, patch=8, **_T), "B/4": dict(image_size=32, patch=8, **_T),
                              "S/16": dict(image_size=56, patch=8, **_T), "B/16": dict(image_size=56, patch=8, **_T)},
                      upsample=dict(resize=64, center_crop=56), n_train=100, n_test=100, epochs=2, batch=50,
                      seeds=[0], c100_n_train=200, c100_epochs=1, kfac=dict(stats_every=1, inv_every=2)),
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


def check(chapter: str, *, profile: str | None = None, only=None, seeds=None, device: str | None = None,
          max_steps: int | None = None) -> Params:
    """Validate a chapter's parameters; raise ``ValueError`` listing the valid values."""
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {', '.join(CHAPTERS)}")
    profile, spec = resolve(profile), CHAPTERS[chapter]
    items = list(spec["items"]) if only in (None, [], "") else [only] if isinstance(only, str) else list(only)
    unknown = [i for i in items if i not in spec["items"]]
    if unknown:
        raise ValueError(f"unknown item(s) {unknown} for {chapter}; valid: {', '.join(spec['items'])}")
    seeds = spec[profile].get("seeds", [0]) if seeds is None else [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be None or a positive integer, got {max_steps!r}")
    return Params(chapter=chapter, profile=profile, items=items, seeds=seeds, device=env.check_device(device),
                  max_steps=max_steps, settings=dict(spec[profile]))
