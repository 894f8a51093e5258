"""The batch-level parts of the DeiT training recipe (Touvron et al., 2021), which ResMLP trains with.

Mixup / CutMix with label smoothing and random erasing come from timm; RandAugment is the loader's
(``loader.Augment.randaugment``, torchvision's) and stochastic depth the model's (``drop_path``).
Written here is only the step that strings them together and DeiT's *hard-label distillation*
(its Eq. for L_global^hardDistill), applied to the one head ResMLP has:

    L = ½ CE(ψ(Z_s), y) + ½ CE(ψ(Z_s), y_t),   y_t = argmax_c Z_t(c)

with the teacher's logits Z_t on the same (mixed, erased) images the student sees, and the
true-label term against the mixed, smoothed targets when mixup is on.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from timm.data import Mixup
from timm.data.random_erasing import RandomErasing
from timm.loss import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy


@dataclass
class Regularize:
    """DeiT's defaults are mixup 0.8, cutmix 1.0, smoothing 0.1, erasing 0.25."""
    mixup: float = 0.0
    cutmix: float = 0.0
    smoothing: float = 0.0
    erasing: float = 0.0

    def __post_init__(self):
        for k in ("mixup", "cutmix", "erasing", "smoothing"):
            v = getattr(self, k)
            top = {"erasing": 1.0, "smoothing": 0.999}.get(k, float("inf"))   # a probability; a smoothing < 1
            if not (isinstance(v, (int, float)) and 0 <= v <= top):
                raise ValueError(f"{k} must be a number in [0, {top}], got {v!r}")


class DeitStep:
    """A ``train.fit`` step: erase, mix, then one optimizer step on (soft-)target cross-entropy,
    plus hard-label distillation from ``teacher`` when given (the teacher is frozen, in eval mode)."""

    def __init__(self, reg: Regularize, *, num_classes: int, device: str = "cpu", teacher=None):
        self.erase = (RandomErasing(reg.erasing, mode="pixel", device=device) if reg.erasing else None)
        self.mix = (Mixup(mixup_alpha=reg.mixup, cutmix_alpha=reg.cutmix, label_smoothing=reg.smoothing,
                          num_classes=num_classes) if reg.mixup or reg.cutmix else None)
        self.loss = SoftTargetCrossEntropy() if self.mix else (
            LabelSmoothingCrossEntropy(reg.smoothing) if reg.smoothing else F.cross_entropy)
        self.teacher = teacher.eval().requires_grad_(False) if teacher is not None else None

    def __call__(self, model, optimizer, xb, yb, loss_fn=None):
        if self.erase is not None:
            xb = self.erase(xb.clone())
        targets = yb
        if self.mix is not None and len(xb) % 2 == 0:          # timm's Mixup needs an even batch
            xb, targets = self.mix(xb, yb)
        elif self.mix is not None:                              # odd last batch: smoothed one-hot targets
            targets = F.one_hot(yb, self.mix.num_classes).float() * (1 - self.mix.label_smoothing) + \
                self.mix.label_smoothing / self.mix.num_classes
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        loss = self.loss(out, targets)
        if self.teacher is not None:
            with torch.no_grad():
                teacher_labels = self.teacher(xb).argmax(1)
            loss = 0.5 * loss + 0.5 * F.cross_entropy(out, teacher_labels)
        loss.backward()
        optimizer.step()
        return loss.detach(), out.detach()
