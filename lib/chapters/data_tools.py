"""Chapter 00 (data and tools): the rules its two checks are decided by.

- Pixel statistics: the constants the loader normalises with are the published ones for the lossless data;
  our per-channel mean and std must match them within a stated tolerance.
- Loader speed: the goal set for ``lib.loader.Loader`` is at least 10× torchvision's ``DataLoader`` (same
  transforms, batch size and images), decided on repeated, interleaved measurements in one process, and only
  when the machine was otherwise idle (CPU timings on a loaded machine measure the load).
"""
from __future__ import annotations

import math

from lib import verdicts

NOTEBOOK = "00_data_and_tools"
ITEMS = ("datasets", "loader")
# per profile the settings it runs with
PROFILES = {
    # loader benchmark: batches timed per loader, interleaved repeats, batch size, the upsampled (32->256->224) batch size
    "paper": dict(bench_batches=40, repeats=5, batch_size=512, upsample_batch_size=64, grid=8),
    "small": dict(bench_batches=40, repeats=5, batch_size=512, upsample_batch_size=64, grid=8),
    "smoke": dict(bench_batches=2, repeats=3, batch_size=64, upsample_batch_size=8, grid=4),
}
# what executing the whole chapter costs: smoke and small measured on 2 CPU cores; paper estimated for one A100
# in bf16 from the runs, epochs and images (no GPU was available to measure it)
COST = {"smoke": "~20 s",
        "small": "~1 min",
        "paper": "minutes (the loader benchmark only)"}

STAT_TOL = 0.005        # published constants are given to 4 digits; CIFAR-10 here is a JPEG copy (smooths: std −0.002)
SPEEDUP = 10.0          # the loader's goal


def rule_pixel_statistics(gap: float) -> verdicts.Decision:
    """Largest |Δ| of the per-channel mean and std against the normalisation constants ≤ 0.005 (the constants'
    rounding and the JPEG copy's smoothing, ~0.002, both fit inside)."""
    return verdicts.exact(gap, 0.0, atol=STAT_TOL, why="4-digit constants; JPEG smoothing of the CIFAR-10 copy")


def rule_loader_speed(ours_img_s, torchvision_img_s, quiet: verdicts.Precondition) -> verdicts.Decision:
    """ours / torchvision ≥ 10: the bootstrap interval of the ratio of mean images/s over ≥ 3 interleaved
    repeats lies above 10 (holds), below it (refuted), or straddles it; inconclusive if the machine was busy."""
    return verdicts.require(verdicts.ratio(ours_img_s, torchvision_img_s, band=(SPEEDUP, math.inf)), [quiet])
