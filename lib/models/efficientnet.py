"""torchvision's EfficientNet-B0 (Tan & Le, 2019) for CIFAR-sized inputs, and the proposal's pipeline
(its Figure 6): a frozen encoder's latent, reshaped to a small image, classified by EfficientNet.

``width`` and ``depth`` are torchvision's compound-scaling multipliers (1, 1: B0 itself); the stem's
stride is 1 for 32×32 inputs (B0's stride 2 is for 224×224). The scaled configuration comes from
torchvision's ``_efficientnet_conf`` (the builder ``efficientnet_b0`` calls it with 1.0, 1.0).
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

from lib.models import MODELS


@MODELS.register("efficientnet_cifar")
def efficientnet_cifar(*, num_classes: int, in_chans: int = 3, stem_stride: int = 1, width: float = 1.0,
                       depth: float = 1.0, dropout: float = 0.2, stochastic_depth: float = 0.2) -> EfficientNet:
    """B0's dropout before the head and stochastic depth (0.2 each) unless set."""
    if stem_stride not in (1, 2) or width <= 0 or depth <= 0:
        raise ValueError(f"stem_stride must be 1 or 2 and width, depth > 0; got {stem_stride}, {width}, {depth}")
    setting, last_channel = _efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=depth)
    model = EfficientNet(setting, dropout, stochastic_depth_prob=stochastic_depth, num_classes=num_classes,
                         last_channel=last_channel)
    stem = model.features[0][0]
    model.features[0][0] = nn.Conv2d(in_chans, stem.out_channels, 3, stride=stem_stride, padding=1, bias=False)
    return model


class OnFrozenEncoder(nn.Module):
    """classifier(encoder.code(x)) with the encoder frozen (no gradients, always in eval mode: its
    BatchNorm statistics and its posterior mean stay those of its own training)."""

    def __init__(self, encoder: nn.Module, classifier: nn.Module):
        super().__init__()
        self.encoder, self.classifier = encoder.requires_grad_(False).eval(), classifier

    def train(self, mode: bool = True):
        super().train(mode)
        self.encoder.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            code = self.encoder.code(x)
        return self.classifier(code)


@MODELS.register("latent_efficientnet")
def latent_efficientnet(*, encoder: dict, num_classes: int, **kwargs) -> OnFrozenEncoder:
    """The proposal's Figure 6: the trained (kept) β-SWWDirVAE run ``encoder``, frozen, feeding its latent
    (``code``: K·E[z|x] reshaped) to ``efficientnet_cifar(**kwargs)``."""
    from lib import experiment  # the run store's kept weights (lib.experiment imports lib.models)
    enc = experiment.trained_model(encoder)
    return OnFrozenEncoder(enc, efficientnet_cifar(in_chans=enc.latent_shape[0], num_classes=num_classes, **kwargs))
