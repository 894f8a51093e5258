"""Residual networks for 32×32 inputs, as chapter 03 (ActCooLR) trains them.

- ``resnet_cifar(32)``: He et al. 2016, Sec. 4.2 — a 3×3 conv to 16 channels, three stages of n basic
  blocks (16, 32, 64 channels; depth 6n+2), global average pooling, a linear head; shortcuts "option A"
  (identity, stride-2 subsampling and zero-padded channels), so ResNet-32 has 0.46M parameters.
  Variants of the supplement's Figure 1: ``shortcut=False`` (the same net without shortcuts);
  ``fixup=True`` (Zhang et al. 2019: no BatchNorm; scalar biases before each conv and activation and a
  scalar multiplier per branch; the branch's last conv and the head start at 0, its first conv scaled by
  L^(−1/2) for L branches of 2 layers); ``alpha=48`` (PyramidNet-style widths growing by α/N per block
  instead of doubling per stage).
- ``pyramidnet(110, alpha=48)``: Han et al. 2017 — additive widening, their block
  BN–conv–BN–ReLU–conv–BN with zero-padded identity shortcuts (average-pooled when strided); widths
  16 + ⌊αk/N⌋, which gives their 1.7M parameters at α = 48 (rounding gives 1.77M; at α = 84 / 270 we
  count 3.86M / 28.5M where their table prints 3.8M / 28.3M — a gap we have not traced).
- ``resnet18_cifar``: torchvision's ResNet-18 with the usual CIFAR stem (3×3 stride-1 conv, no max-pool).
- ``vgg16_cifar``: torchvision's VGG-16 configuration with BatchNorm and a 512 → classes head.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from lib.models import MODELS


def _pad_shortcut(x: torch.Tensor, out_ch: int, stride: int, pool: bool = False) -> torch.Tensor:
    if stride > 1:
        x = F.avg_pool2d(x, stride) if pool else x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, 0, out_ch - x.shape[1])) if out_ch > x.shape[1] else x


class BasicBlock(nn.Module):
    """conv–BN–ReLU–conv–BN (+ shortcut) –ReLU; with ``fixup`` the BatchNorms become FixUp's scalars."""

    def __init__(self, cin: int, cout: int, stride: int, *, shortcut: bool = True, fixup: bool = False):
        super().__init__()
        self.cout, self.stride, self.shortcut, self.fixup = cout, stride, shortcut, fixup
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()
        if fixup:
            self.biases = nn.Parameter(torch.zeros(4))            # before conv1, relu1, conv2, the output
            self.scale = nn.Parameter(torch.ones(1))
        else:
            self.bn1, self.bn2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fixup:
            b = self.biases
            out = self.relu1(self.conv1(x + b[0]) + b[1])
            out = self.conv2(out + b[2]) * self.scale + b[3]
        else:
            out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        if self.shortcut:
            out = out + _pad_shortcut(x, self.cout, self.stride)
        return self.relu2(out)


class PyramidBlock(nn.Module):
    """Han et al.'s basic block: BN–conv–BN–ReLU–conv–BN, zero-padded (pooled) identity shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.cout, self.stride = cout, stride
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.relu = nn.BatchNorm2d(cout), nn.ReLU()
        self.conv2, self.bn3 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.relu(self.bn2(self.conv1(self.bn1(x))))))
        return out + _pad_shortcut(x, self.cout, self.stride, pool=True)


@MODELS.register("resnet_cifar")
class CifarResNet(nn.Module):
    def __init__(self, *, depth: int = 32, num_classes: int = 10, shortcut: bool = True, fixup: bool = False,
                 alpha: float | None = None, block: str = "basic"):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"depth must be 6n + 2 (20, 32, 56, 110, ...), got {depth}")
        if block not in ("basic", "pyramid") or (block == "pyramid" and (fixup or not shortcut)):
            raise ValueError("block must be 'basic' or 'pyramid' (the latter without fixup, with shortcuts)")
        n = (depth - 2) // 6
        widths = [16 * 2 ** (i // n) for i in range(3 * n)] if alpha is None else \
            [16 + int(alpha * (i + 1) / (3 * n)) for i in range(3 * n)]
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.stem_bn = nn.Identity() if fixup or block == "pyramid" else nn.BatchNorm2d(16)
        self.stem_relu = nn.Identity() if block == "pyramid" else nn.ReLU()
        blocks, c = [], 16
        for i, w in enumerate(widths):
            stride = 2 if i in (n, 2 * n) else 1
            blocks.append(PyramidBlock(c, w, stride) if block == "pyramid" else
                          BasicBlock(c, w, stride, shortcut=shortcut, fixup=fixup))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.final = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU()) if block == "pyramid" else nn.Identity()
        self.head = nn.Linear(c, num_classes)
        if fixup:
            self._fixup_init(len(blocks))

    def _fixup_init(self, branches: int) -> None:
        for b in self.blocks:
            nn.init.kaiming_normal_(b.conv1.weight, nonlinearity="relu")
            b.conv1.weight.data.mul_(branches ** -0.5)               # L^(−1/(2m−2)), m = 2
            nn.init.zeros_(b.conv2.weight)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.final(self.blocks(self.stem_relu(self.stem_bn(self.stem(x)))))
        return self.head(x.mean(dim=(2, 3)))


def resnet_cifar(depth: int = 32, **kw) -> CifarResNet:
    return CifarResNet(depth=depth, **kw)


@MODELS.register("pyramidnet")
def pyramidnet(depth: int = 110, *, alpha: float = 48, num_classes: int = 10) -> CifarResNet:
    return CifarResNet(depth=depth, alpha=alpha, block="pyramid", num_classes=num_classes)


@MODELS.register("resnet18_cifar")
def resnet18_cifar(num_classes: int = 10) -> nn.Module:
    m = torchvision.models.resnet18(num_classes=num_classes)
    m.conv1, m.maxpool = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.Identity()
    return m


@MODELS.register("vgg16_cifar")
def vgg16_cifar(num_classes: int = 10) -> nn.Module:
    from torchvision.models.vgg import cfgs, make_layers
    return nn.Sequential(make_layers(cfgs["D"], batch_norm=True), nn.Flatten(), nn.Linear(512, num_classes))
