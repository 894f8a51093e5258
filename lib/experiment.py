"""One image-classification run from a plain config dict, through the run store.

A config names everything that changes the numbers (data and subset, input pipeline, model,
optimizer, schedule, epochs, batch, seed, profile, max_steps), so ``runs.run`` can reuse or resume
it; two chapters asking for the same config share the run. Example::

    {"kind": "mixer-cifar10", "data": "cifar10", "n_train": 2500, "n_test": 1000,
     "augment": {"flip": True, "resize": 64, "center_crop": 56},
     "model": "mixer", "model_kwargs": {...}, "optimizer": {"name": "kfac", "lr": 1e-3, ...},
     "schedule": "multistep", "epochs": 6, "batch": 64, "seed": 0, "profile": "small", "max_steps": None}
"""
from __future__ import annotations

import torch

from lib import data, loader, runs, train
from lib.models import mixer
from lib.optim import kfac
from lib.optim.graft import Graft

MODELS = {"mixer": mixer.MLPMixer}


def make_optimizer(spec: dict, model: torch.nn.Module):
    """``{"name": "sgd" | "adam" | "kfac", "lr": ..., ...}`` or ``{"name": "graft", "magnitude": spec,
    "direction": spec, "restore_grad": True}``."""
    spec = dict(spec)
    name = spec.pop("name")
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), **spec)
    if name == "adam":
        momentum = spec.pop("momentum", 0.9)                     # β1
        return torch.optim.Adam(model.parameters(), betas=(momentum, 0.999), **spec)
    if name == "kfac":
        return kfac.KFAC(model, **spec)
    if name == "graft":
        return Graft(make_optimizer(spec["magnitude"], model), make_optimizer(spec["direction"], model),
                     restore_grad=spec.get("restore_grad", True))
    raise ValueError(f"unknown optimizer {name!r}; valid: sgd, adam, kfac, graft")


def make_scheduler(name: str | None, optimizer, epochs: int):
    """``"multistep"``: ×0.1 at 50% and 75% of the epochs (per epoch); None: constant."""
    if name is None:
        return None
    if name == "multistep":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, [epochs // 2, (3 * epochs) // 4], gamma=0.1)
    raise ValueError(f"unknown schedule {name!r}; valid: multistep, None")


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


def _train(c: dict, checkpoint, device: str, progress: bool, label: str) -> dict:
    ds, tr, te, model, opt = build(c, device)
    sched = make_scheduler(c.get("schedule"), opt, c["epochs"])
    step = kfac.fisher_step if kfac.kfac_parts(opt) else train.standard_step
    h = train.fit(model, opt, tr, te, epochs=c["epochs"], scheduler=sched, step=step, device=device,
                  max_steps=c.get("max_steps"), checkpoint=checkpoint, progress=progress, desc=label)
    return {**h.to_dict(), "device": device, "data_source": ds.source}


def run_classifier(config: dict, *, device: str = "cpu", progress: bool = True, label: str = "") -> train.History:
    """The History of this config: reused from the run store, resumed, or trained now."""
    result = runs.run(config, lambda c, ckpt: _train(c, ckpt, device, progress, label or c["kind"]))
    return train.History(epochs=result["epochs"], diverged=result["diverged"])
