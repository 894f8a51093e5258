"""Model complexity as the ResMLP paper's Table 1 reports it: parameters, FLOPs, throughput, peak memory.

FLOPs are counted by torch's FlopCounterMode, which counts a multiply-add as 2 FLOPs; the papers
(ResMLP, Mixer, DeiT) count it as one, so :func:`flops` returns FlopCounterMode's count / 2 (MACs).
"""
from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode


def params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def flops(model: torch.nn.Module, image_size: int = 224, in_chans: int = 3) -> float:
    """Multiply-adds of one forward pass on one image (the papers' "FLOPs")."""
    model.eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, in_chans, image_size, image_size, device=next(model.parameters()).device))
    return counter.get_total_flops() / 2


@torch.no_grad()
def throughput(model: torch.nn.Module, *, image_size: int = 224, batch: int = 32, device: str = "cpu",
               warmup: int = 3, iters: int = 10) -> dict:
    """Inference images/s at ``batch`` after ``warmup`` batches, and peak memory (MB) on CUDA."""
    model = model.eval().to(device)
    x = torch.randn(batch, 3, image_size, image_size, device=device)
    cuda = torch.device(device).type == "cuda"
    for _ in range(warmup):
        model(x)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(iters):
        model(x)
    if cuda:
        torch.cuda.synchronize()
    return {"images_per_s": batch * iters / (time.perf_counter() - t0),
            "peak_memory_mb": torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else float("nan")}
