"""Pieces shared by several models (MLP-Mixer, ResMLP, SAM's and APT's extra passes): one implementation of each."""
from __future__ import annotations

import contextlib

import torch
from torch import nn


class PatchEmbed(nn.Module):
    """Non-overlapping P×P patches, each projected linearly to ``dim``: (B, C, H, W) -> (B, S, dim),
    S = HW/P² (a conv with kernel = stride = P, as in the Mixer and ResMLP papers)."""

    def __init__(self, *, image_size: int, patch: int, dim: int, in_chans: int = 3):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"image size {image_size} is not a multiple of the patch size {patch}")
        self.tokens = (image_size // patch) ** 2
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)       # (B, S, dim)


class Mlp(nn.Module):
    """Linear -> GELU -> Linear along the last axis: the two-layer MLP of Mixer Eqs. (1)-(2)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


@contextlib.contextmanager
def frozen_batchnorm_stats(model: nn.Module):
    """BatchNorm layers keep normalising with batch statistics in training mode but do not update their
    running statistics (momentum 0) — for a second forward pass over the same batch (SAM, APT)."""
    saved = [(m, m.momentum) for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m, _ in saved:
        m.momentum = 0.0
    try:
        yield model
    finally:
        for m, momentum in saved:
            m.momentum = momentum
