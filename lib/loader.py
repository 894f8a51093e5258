"""An in-memory loader: a whole split in one uint8 tensor on the device, augmented per batch.

No per-image Python and no worker processes: each batch is gathered with one index, flipped and
cropped in uint8 with tensor ops, then converted to float and normalised. The epoch's shuffle and
augmentation draw from a generator seeded by (seed, epoch), so epoch ``e`` is the same batches
whether a run got there directly or resumed from a checkpoint.

(``data.py`` holds the data sets; this module only serves them, which keeps each in one sitting.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2 as T

from lib.data import Dataset


@dataclass(frozen=True)
class Augment:
    """The batch transforms, in the order they are applied."""
    flip: bool = False            # random horizontal flip, p = 0.5
    crop_pad: int = 0             # zero-pad by this many pixels, then a random crop of the original size
    resize: int | None = None     # bilinear resize of the shorter side to this (e.g. 256) ...
    center_crop: int | None = None  # ... then a centre crop (e.g. 224), as the K-FAC paper upsamples
    randaugment: tuple[int, int] | None = None  # (ops, magnitude): torchvision's RandAugment, per image, in uint8
    normalize: bool = True        # (x/255 - mean) / std per channel


class Loader:
    """Batches ``(x, y)`` of one split: x float32 (B, C, H, W) normalised, y int64 (B,).

    Every image appears exactly once per epoch; the last batch is partial unless ``drop_last``.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, batch_size: int, mean, std,
                 augment: Augment = Augment(), shuffle: bool = True, drop_last: bool = False,
                 seed: int = 0, device: str | torch.device = "cpu"):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.device = torch.device(device)
        x = x[..., None] if x.ndim == 3 else x                        # (N, H, W, C)
        # one copy each, made by numpy (the data set's arrays are shared and read-only)
        self.x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1))).to(self.device)  # (N, C, H, W) uint8
        self.y = torch.from_numpy(np.array(y, dtype=np.int64)).to(self.device)
        mean, std = torch.tensor(mean), torch.tensor(std)
        if not augment.normalize:
            mean, std = torch.zeros_like(mean), torch.ones_like(std)
        # (x/255 - mean)/std as one multiply-add: x·scale + shift, per channel (1, C, 1, 1)
        self.scale = (1 / (255 * std)).view(1, -1, 1, 1).to(self.device)
        self.shift = (-mean / std).view(1, -1, 1, 1).to(self.device)
        self.batch_size, self.augment, self.shuffle, self.drop_last = batch_size, augment, shuffle, drop_last
        self.seed, self.epoch = seed, 0

    @classmethod
    def for_split(cls, ds: Dataset, split: str, **kw) -> "Loader":
        """A loader over ``ds``'s ``"train"`` or ``"test"`` split with its normalisation constants."""
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        return cls(x, y, mean=ds.spec.mean, std=ds.spec.std, **kw)

    def __len__(self) -> int:
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        self.epoch += 1
        n = len(self.y)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        for s in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[s:s + self.batch_size].to(self.device)
            yield self.transform(self.x[idx], g), self.y[idx]

    def transform(self, xb: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """uint8 (B, C, H, W) -> augmented, normalised float32 (B, C, H', W')."""
        a, B = self.augment, len(xb)
        if a.flip or a.crop_pad:
            mirror = torch.rand(B, generator=g) < 0.5 if a.flip else torch.zeros(B, dtype=torch.bool)
            offsets = torch.randint(0, 2 * a.crop_pad + 1, (B, 2), generator=g)
            xb = crop_and_flip(xb, a.crop_pad, offsets.to(xb.device), mirror.to(xb.device))
        if a.resize:
            xb = resize(xb, a.resize)
        if a.center_crop:
            xb = center_crop(xb, a.center_crop)
        if a.randaugment:   # draws from torch's global generator, which a checkpoint saves and restores
            ra = T.RandAugment(*a.randaugment)
            xb = torch.stack([ra(img) for img in xb])
        xb = xb.contiguous().float()                                   # NCHW; in uint8 the copy is 4× cheaper
        return xb.mul_(self.scale).add_(self.shift)


def crop_and_flip(xb: torch.Tensor, pad: int, offsets: torch.Tensor, mirror: torch.Tensor) -> torch.Tensor:
    """Zero-pad by ``pad``, crop the original size at per-image ``offsets`` (B, 2) in [0, 2·pad]
    (row, column), and mirror the images where ``mirror`` (B,) is true: one gather for all three."""
    B, C, H, W = xb.shape
    Hp, Wp = H + 2 * pad, W + 2 * pad
    padded = F.pad(xb, (pad, pad, pad, pad)).view(B, C, Hp * Wp)
    rows = offsets[:, 0:1] + torch.arange(H, device=xb.device)         # (B, H)
    cols = offsets[:, 1:2] + torch.arange(W, device=xb.device)         # (B, W)
    cols = torch.where(mirror[:, None], cols.flip(1), cols)
    flat = (rows[:, :, None] * Wp + cols[:, None, :]).view(B, 1, H * W).expand(B, C, H * W)
    return padded.gather(2, flat).view(B, C, H, W)


def resize(xb: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear (antialiased, as PIL) resize to ``size``×``size``; in uint8 channels-last on the CPU,
    torch's fast path, else in float."""
    if xb.device.type == "cpu" and xb.dtype == torch.uint8:
        xb = xb.contiguous(memory_format=torch.channels_last)
    else:
        xb = xb.float()
    return F.interpolate(xb, size=size, mode="bilinear", align_corners=False, antialias=True)


def center_crop(xb: torch.Tensor, size: int) -> torch.Tensor:
    H, W = xb.shape[-2:]
    top, left = (H - size) // 2, (W - size) // 2
    return xb[..., top:top + size, left:left + size]


def torchvision_loader(ds: Dataset, split: str, *, batch_size: int, augment: Augment,
                       num_workers: int = 2, seed: int = 0) -> torch.utils.data.DataLoader:
    """The usual torchvision pipeline with the same transforms (PIL images, per-image transforms,
    worker processes): the baseline ``benchmarks/loader.py`` and chapter 00 measure against."""
    from PIL import Image
    from torchvision import transforms as T

    size = ds.spec.image[0]
    steps = []
    if augment.flip:
        steps.append(T.RandomHorizontalFlip())
    if augment.crop_pad:
        steps.append(T.RandomCrop(size, padding=augment.crop_pad))
    if augment.resize:
        steps.append(T.Resize(augment.resize))
    if augment.center_crop:
        steps.append(T.CenterCrop(augment.center_crop))
    if augment.randaugment:
        steps.append(T.RandAugment(*augment.randaugment))
    steps.append(T.ToTensor())
    if augment.normalize:
        steps.append(T.Normalize(ds.spec.mean, ds.spec.std))
    tf = T.Compose(steps)
    x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(y)

        def __getitem__(self, i):
            return tf(Image.fromarray(x[i])), int(y[i])

    return torch.utils.data.DataLoader(Images(), batch_size=batch_size, shuffle=True, num_workers=num_workers,
                                       generator=torch.Generator().manual_seed(seed), persistent_workers=False)


def images_per_second(loader, *, batches: int, warmup: int = 1) -> float:
    """Images/s drawn from ``loader`` over ``batches`` batches after ``warmup`` (one epoch's iterator)."""
    import time
    it, n = iter(loader), 0
    for _ in range(warmup):
        next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        xb, _ = next(it)
        n += len(xb)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def versus_torchvision(ds: Dataset, *, augment: Augment, batch_size: int, batches: int,
                       device: str = "cpu", num_workers: int = 2) -> dict:
    """Images/s of our loader and of torchvision's DataLoader (same transforms, batch size and
    image count, measured one after the other in this process) and their ratio."""
    ours = Loader.for_split(ds, "train", batch_size=batch_size, augment=augment, device=device)
    base = torchvision_loader(ds, "train", batch_size=batch_size, augment=augment, num_workers=num_workers)
    r = {"ours_img_s": images_per_second(ours, batches=batches),
         "torchvision_img_s": images_per_second(base, batches=batches, warmup=max(1, num_workers))}
    return {**r, "ratio": r["ours_img_s"] / r["torchvision_img_s"]}
