"""One way to time a call: seconds per call after a warm-up, with the GPU synchronised."""
from __future__ import annotations

import time
from typing import Callable

import torch


def seconds_per_call(fn: Callable[[], object], n: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n
