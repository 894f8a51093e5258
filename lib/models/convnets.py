"""Small convolutional networks for CIFAR-sized inputs.

``ConvNet`` is a VGG-style net: per stage ``convs`` 3×3 conv–BatchNorm–ReLU layers and a 2×2 max-pool,
widths doubling by stage, then global average pooling and a linear head. Chapter 02 trains it as the
convnet teacher of the ResMLP paper's distillation (the paper's teacher, RegNetY-16GF, is the paper
profile's; this one is the size a CPU can train in a minute).
"""
from __future__ import annotations

import torch
from torch import nn


class ConvNet(nn.Module):
    def __init__(self, *, num_classes: int, widths=(32, 64, 128), convs: int = 2, in_chans: int = 3):
        super().__init__()
        layers, c = [], in_chans
        for w in widths:
            for _ in range(convs):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))
