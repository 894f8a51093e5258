"""One image-classification run from a plain config dict, through the run store.

A config names everything that changes the numbers (data and subset, input pipeline, model,
optimizer, schedule, epochs, batch, seed, profile, max_steps), so ``runs.run`` can reuse or resume
it; two chapters asking for the same config share the run. Example::

    {"kind": "mixer-cifar10", "data": "cifar10", "n_train": 2500, "n_test": 1000,
     "augment": {"flip": True, "resize": 64, "center_crop": 56},
     "model": "mixer", "model_kwargs": {...}, "optimizer": {"name": "kfac", "lr": 1e-3, ...},
     "schedule": "multistep", "epochs": 6, "batch": 64, "seed": 0, "profile": "small", "max_steps": None}

Optional keys: ``"regularize"`` (``deit.Regularize`` fields: mixup, cutmix, smoothing, erasing),
``"distill": <the teacher's config>`` (DeiT hard-label distillation from that finished run), and
``"keep_weights": True``, which keeps the final weights as ``model.pt`` beside the run's result
(``trained_model`` loads them).
"""
from __future__ import annotations

import torch
import torchvision
from timm.optim import Lamb

from lib import data, deit, loader, runs, train
from lib.models import mixer
from lib.models.convnets import ConvNet
from lib.models.resmlp import ResMLP
from lib.optim import kfac
from lib.optim.graft import Graft

MODELS = {"mixer": mixer.MLPMixer, "resmlp": ResMLP, "convnet": ConvNet,
          "regnet_y_16gf": torchvision.models.regnet_y_16gf}   # the ResMLP paper's distillation teacher


def make_optimizer(spec: dict, model: torch.nn.Module):
    """``{"name": "sgd" | "adam" | "lamb" | "kfac", "lr": ..., ...}`` or ``{"name": "graft", "magnitude": spec,
    "direction": spec, "restore_grad": True}``."""
    spec = dict(spec)
    name = spec.pop("name")
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), **spec)
    if name == "adam":
        momentum = spec.pop("momentum", 0.9)                     # β1
        return torch.optim.Adam(model.parameters(), betas=(momentum, 0.999), **spec)
    if name == "lamb":                                           # timm's Lamb (You et al., 2020)
        return Lamb(model.parameters(), **spec)
    if name == "kfac":
        return kfac.KFAC(model, **spec)
    if name == "graft":
        return Graft(make_optimizer(spec["magnitude"], model), make_optimizer(spec["direction"], model),
                     restore_grad=spec.get("restore_grad", True))
    raise ValueError(f"unknown optimizer {name!r}; valid: sgd, adam, lamb, kfac, graft")


def make_scheduler(spec: str | dict | None, optimizer, epochs: int):
    """Stepped per epoch. ``"multistep"``: ×0.1 at 50% and 75% of the epochs; ``"waterfall"``: ResNet's
    ×0.1 at epochs 30, 60, 80 of 90, scaled to ``epochs``; ``{"name": "cosine", "warmup": k}``: linear
    warm-up over k epochs (from lr/(k+1)), then cosine to 0 (DeiT); None: constant."""
    if spec is None:
        return None
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    lr = torch.optim.lr_scheduler
    if spec["name"] == "multistep":
        return lr.MultiStepLR(optimizer, [epochs // 2, (3 * epochs) // 4], gamma=0.1)
    if spec["name"] == "waterfall":
        return lr.MultiStepLR(optimizer, sorted({round(epochs * f / 90) for f in (30, 60, 80)}), gamma=0.1)
    if spec["name"] == "cosine":
        k = spec.get("warmup", 0)
        cosine = lr.CosineAnnealingLR(optimizer, T_max=max(1, epochs - k))
        if not k:
            return cosine
        return lr.SequentialLR(optimizer, [lr.LinearLR(optimizer, 1 / (k + 1), total_iters=k), cosine], [k])
    raise ValueError(f"unknown schedule {spec!r}; valid: multistep, waterfall, cosine, None")


def build(c: dict, device: str = "cpu"):
    """Data subset, train and test loaders, model and optimizer of a config, seeded by its seed."""
    ds = data.load(c["data"]).subset(c.get("n_train"), c.get("n_test"), seed=0)  # same subset for every seed
    aug = c.get("augment", {})
    test_aug = loader.Augment(resize=aug.get("resize"), center_crop=aug.get("center_crop"))
    tr = loader.Loader.for_split(ds, "train", batch_size=c["batch"], augment=loader.Augment(**aug),
                                 seed=c["seed"], device=device)
    te = loader.Loader.for_split(ds, "test", batch_size=256, augment=test_aug, shuffle=False, device=device)
    train.seed_everything(c["seed"])
    model = MODELS[c["model"]](**c["model_kwargs"], num_classes=ds.spec.classes)
    if c.get("checkpoint"):
        mixer.load_pretrained(model, c["checkpoint"])
    return ds, tr, te, model, make_optimizer(c["optimizer"], model)


def trained_model(c: dict, device: str = "cpu") -> torch.nn.Module:
    """The final weights of a finished run whose config has ``keep_weights``."""
    path = runs.run_dir(c) / "model.pt"
    if runs.finished(c) is None or not path.exists():
        raise FileNotFoundError(f"no kept weights for this run ({path}); run it with keep_weights=True first")
    model = MODELS[c["model"]](**c["model_kwargs"], num_classes=data.SPECS[c["data"]].classes)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.to(device).eval()


def make_step(c: dict, num_classes: int, device: str):
    """The training step a config asks for: K-FAC's, the DeiT recipe's (regularize / distill), or plain."""
    if c.get("regularize") or c.get("distill"):
        teacher = trained_model(c["distill"], device) if c.get("distill") else None
        return deit.DeitStep(deit.Regularize(**c.get("regularize", {})), num_classes=num_classes, device=device,
                             teacher=teacher)
    return None


def _train(c: dict, checkpoint, device: str, progress: bool, label: str) -> dict:
    ds, tr, te, model, opt = build(c, device)
    sched = make_scheduler(c.get("schedule"), opt, c["epochs"])
    step = kfac.fisher_step if kfac.kfac_parts(opt) else make_step(c, ds.spec.classes, device) or train.standard_step
    h = train.fit(model, opt, tr, te, epochs=c["epochs"], scheduler=sched, step=step, device=device,
                  max_steps=c.get("max_steps"), checkpoint=checkpoint, progress=progress, desc=label)
    if c.get("keep_weights"):
        torch.save(model.state_dict(), checkpoint.parent / "model.pt")
    return {**h.to_dict(), "device": device, "data_source": ds.source}


def run_classifier(config: dict, *, device: str = "cpu", progress: bool = True, label: str = "") -> train.History:
    """The History of this config: reused from the run store, resumed, or trained now."""
    result = runs.run(config, lambda c, ckpt: _train(c, ckpt, device, progress, label or c["kind"]))
    return train.History(epochs=result["epochs"], diverged=result["diverged"])
