"""Small convolutional networks for CIFAR-sized inputs.

``ConvNet`` is a VGG-style net: per stage ``convs`` 3×3 conv–BatchNorm–ReLU layers and a 2×2 max-pool,
widths doubling by stage, then global average pooling and a linear head. Chapter 02 trains it as the
convnet teacher of the ResMLP paper's distillation (the paper's teacher, RegNetY-16GF, is the paper
profile's; this one is the size a CPU can train in a minute).
"""
from __future__ import annotations

import torch
from torch import nn

from lib.models import MODELS


@MODELS.register("convnet")
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


@MODELS.register("keras_cnn")
class KerasCNN(nn.Module):
    """The classic Keras MNIST example CNN: conv 32 3×3 – conv 64 3×3 – max-pool 2 – dropout 0.25 – dense 128
    – dropout 0.5 – dense 10 (ReLU after every hidden layer). Chapter 04 takes it as the unstated model of
    the MI learning-rate paper's Figure 2 (an assumption: two conv and two dense learning-rate groups in its
    Figure 6, ~99% on MNIST, ~63% on CIFAR-10). Its four layers are named ``conv1 conv2 dense1 dense2``;
    its ReLUs are modules (``relu1 relu2 relu3``) so that hooks can read them (chapter 03's temperature)."""

    LAYERS = ("conv1", "conv2", "dense1", "dense2")

    def __init__(self, *, num_classes: int = 10, in_chans: int = 1, image_size: int = 28):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(in_chans, 32, 3), nn.Conv2d(32, 64, 3)
        side = (image_size - 4) // 2
        self.dense1, self.dense2 = nn.Linear(64 * side * side, 128), nn.Linear(128, num_classes)
        self.drop1, self.drop2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.relu1, self.relu2, self.relu3 = nn.ReLU(), nn.ReLU(), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        x = self.drop1(nn.functional.max_pool2d(x, 2)).flatten(1)
        return self.dense2(self.drop2(self.relu3(self.dense1(x))))      # logits; softmax is in the loss
