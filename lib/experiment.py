"""One image-classification run from a plain config dict, through the run store.

A config names everything that changes the numbers (data and subset, input pipeline, model,
optimizer, schedule, epochs, batch, seed, profile, max_steps), so ``runs.run`` can reuse or resume
it; two chapters asking for the same config share the run. Example::

    {"kind": "mixer-cifar10", "data": "cifar10", "n_train": 2500, "n_test": 1000,
     "augment": {"flip": True, "resize": 64, "center_crop": 56},
     "model": "mixer", "model_kwargs": {...}, "optimizer": {"name": "kfac", "lr": 1e-3, ...},
     "schedule": "multistep", "epochs": 6, "batch": 64, "seed": 0, "profile": "small", "max_steps": None}

The optional keys (:data:`OPTIONAL`) appear only when set, so a config's store key does not depend on
which chapter built it; :func:`run_config` is the one builder and :func:`check_config` rejects an unknown or
missing key before any compute. Models, optimizers and schedules are looked up by name in the registries
their modules fill (``lib.models.MODELS``, ``lib.optim.OPTIMIZERS`` and ``SCHEDULES``).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from lib import data, deit, env, loader, optim, parallel, runs, train
from lib.measure import apt
from lib.models import MODELS, autoencoders, mixer
from lib.optim import mi_lr

# a run config's keys: these always (None where unset), and these optional ones only when set — so the store
# key of a config (a hash of its keys and values) is the same whichever chapter builds it
REQUIRED = ("kind", "data", "n_train", "n_test", "model", "model_kwargs", "optimizer", "schedule", "epochs", "batch",
            "seed", "profile", "max_steps")
OPTIONAL = {"augment": "loader.Augment's fields (flip, crop_pad, resize, center_crop, randaugment, normalize)",
            "regularize": "deit.Regularize's fields (mixup, cutmix, smoothing, erasing)",
            "distill": "the teacher's run config (DeiT hard-label distillation from its kept weights)",
            "keep_weights": "True: keep the final weights as model.pt (for trained_model)",
            "init_from": "a finished run config with kept weights to start from",
            "checkpoint": "a pretrained Mixer checkpoint (timm's names) to start from",
            "mi": "lib.optim.mi_lr.Probe's fields: I(H;Y) measured every epoch",
            "apt": "{'every': k}: the activation pattern temperature every k steps (lib.measure.apt.APTStep)",
            "fast_paths": "lib.env.fast_paths when any is on: bf16 autocast, channels_last, torch.compile"}


def run_config(P, *, kind: str, data: str, n_train, n_test, model: str, model_kwargs: dict, optimizer: dict,
               schedule, epochs: int, batch: int, seed: int, **optional) -> dict:
    """The one builder of a run config: the required keys, the profile and ``max_steps`` from the chapter's
    parameters ``P``, the fast paths on ``P.device`` when any is on (they change a run's numbers, so a run with
    them is another run than one without), and the :data:`OPTIONAL` keys given (checked by :func:`check_config`)."""
    fast = env.fast_paths(P.device)
    return check_config({"kind": kind, "data": data, "n_train": n_train, "n_test": n_test, "model": model,
                         "model_kwargs": model_kwargs, "optimizer": optimizer, "schedule": schedule, "epochs": epochs,
                         "batch": batch, "seed": seed, "profile": P.profile, "max_steps": P.max_steps,
                         **({"fast_paths": fast} if fast != train.NO_FAST else {}), **optional})


def check_config(c: dict) -> dict:
    """``c`` itself when it is a valid run config (its nested configs too); else ``ValueError`` naming the
    unknown or missing keys and the valid ones, before any compute."""
    unknown = sorted(set(c) - set(REQUIRED) - set(OPTIONAL))
    missing = [k for k in REQUIRED if k not in c]
    if unknown or missing:
        raise ValueError(f"run config {c.get('kind', '?')!r}: " + "; ".join(
            [f"unknown key(s) {unknown} (optional keys: {', '.join(OPTIONAL)})"] * bool(unknown)
            + [f"missing key(s) {missing}"] * bool(missing)))
    MODELS.get(c["model"]), optim.OPTIMIZERS.get(c["optimizer"]["name"])
    if optim.schedule_name(c["schedule"]) is not None:
        optim.SCHEDULES.get(optim.schedule_name(c["schedule"]))
    for nested in ("distill", "init_from"):
        if c.get(nested):
            check_config(c[nested])
    return c


class Built(NamedTuple):
    """What a config builds: the data set (its subset), the loaders, the model and its optimizer."""
    data: data.Dataset
    train: loader.Loader
    test: loader.Loader
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer


def build(c: dict, device: str = "cpu") -> Built:
    """Data subset, train and test loaders, model and optimizer of a config, seeded by its seed."""
    ds = data.load(c["data"]).subset(c.get("n_train"), c.get("n_test"), seed=0)  # same subset for every seed
    aug = c.get("augment", {})
    test_aug = loader.Augment(resize=aug.get("resize"), center_crop=aug.get("center_crop"),
                              normalize=aug.get("normalize", True))
    tr = loader.Loader.for_split(ds, "train", batch_size=c["batch"], augment=loader.Augment(**aug),
                                 seed=c["seed"], device=device)
    te = loader.Loader.for_split(ds, "test", batch_size=256, augment=test_aug, shuffle=False, device=device)
    train.seed_everything(c["seed"])
    model = make_model(c)
    if c.get("checkpoint"):
        mixer.load_pretrained(model, c["checkpoint"])
    if c.get("init_from"):
        model.load_state_dict(trained_model(c["init_from"]).state_dict())
    return Built(ds, tr, te, model, optim.make_optimizer(c["optimizer"], model))


def make_model(c: dict) -> torch.nn.Module:
    """The (untrained) model a config names, for its data set's classes (seed first for its initialisation)."""
    return MODELS.get(c["model"])(**c["model_kwargs"], num_classes=data.SPECS[c["data"]].classes)


def trained_model(c: dict, device: str = "cpu") -> torch.nn.Module:
    """The final weights of a finished run whose config has ``keep_weights``."""
    path = runs.run_dir(c) / "model.pt"
    if runs.finished(c) is None or not path.exists():
        raise FileNotFoundError(f"no kept weights for this run ({path}); run it with keep_weights=True first")
    model = make_model(c)
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.to(device).eval()


def make_step(c: dict, num_classes: int, device: str):
    """The DeiT recipe's step when the config asks for it (regularize / distill), else None (plain)."""
    if c.get("regularize") or c.get("distill"):
        teacher = trained_model(c["distill"], device) if c.get("distill") else None
        return deit.DeitStep(deit.Regularize(**c.get("regularize", {})), num_classes=num_classes, device=device,
                             teacher=teacher)
    return None


def choose_step(c: dict, model, opt, num_classes: int, device: str):
    """The training step a run needs: its optimizer's own (K-FAC's, SAM's two passes), its model's own
    (``training_step``: the supervised SWWAE's objective), the DeiT recipe's, or the plain one."""
    return (optim.training_step(opt) or getattr(model, "training_step", None) or make_step(c, num_classes, device)
            or train.standard_step)


def _train(c: dict, checkpoint, device: str, progress: bool, label: str) -> dict:
    b = build(c, device)
    probe = mi_lr.Probe(b.data, **c["mi"], device=device) if c.get("mi") else None
    sched = optim.make_scheduler(c["schedule"], b.optimizer, epochs=c["epochs"], steps_per_epoch=len(b.train),
                                 probe=probe)
    measure = mi_lr.measuring(probe, sched, b.optimizer) if probe else None
    step = choose_step(c, b.model, b.optimizer, b.data.spec.classes, device)
    if c.get("apt"):        # the activation pattern temperature every k steps, feeding ActCooLR when it is the schedule
        step = apt.APTStep(step, every=c["apt"]["every"], scheduler=sched if hasattr(sched, "observe") else None)
        measure = step.epoch_record
    unsupervised = getattr(b.model, "unsupervised", False)
    fast = c.get("fast_paths", train.NO_FAST)                     # absent from the config: all off
    h = train.fit(b.model, b.optimizer, b.train, b.test, epochs=c["epochs"], scheduler=sched,
                  scheduler_interval="batch" if optim.per_batch(c["schedule"]) else "epoch", step=step,
                  loss_fn=autoencoders.mean_loss if unsupervised else F.cross_entropy, device=device,
                  measure=measure, max_steps=c.get("max_steps"), checkpoint=checkpoint, progress=progress, desc=label,
                  fast=fast)
    if c.get("keep_weights"):
        torch.save(b.model.state_dict(), checkpoint.parent / "model.pt")
    return {**h.to_dict(), "device": device, "data_source": b.data.source, "fast_paths": fast,
            "compiled": train.compiled(fast, step)}


def run_classifier(config: dict, *, device: str = "cpu", progress: bool = True, label: str = "") -> train.History:
    """The History of this config: reused from the run store, resumed, or trained now."""
    check_config(config)
    result = runs.run(config, lambda c, ckpt: _train(c, ckpt, device, progress, label or c["kind"]), device=device)
    return train.History(epochs=result["epochs"], diverged=result["diverged"])


def run_many(configs: dict, *, device: str = "cpu", jobs: int | None = None, executor: str | None = None,
             label: str = "") -> dict:
    """``{key: config}`` -> ``{key: History}`` for runs that do not depend on each other's results. With
    ``JOBS`` > 1 or another ``EXECUTOR`` (``lib.parallel``) the unfinished ones are trained by parallel workers
    first; every History is then read from the run store (serially trained when JOBS = 1). The runs the workers
    trained count as trained in this process's ``runs.SESSION``, not as reused when read back."""
    jobs, executor = env.workers(jobs, executor)
    todo = list({runs.key(c): c for c in map(check_config, configs.values()) if runs.finished(c) is None}.values())
    if todo and (jobs > 1 or executor != "local"):
        parallel.execute(train_worker, todo, jobs=jobs, executor=executor, device=device)
        runs.SESSION["trained"] += len(todo)
        runs.SESSION["reused"] -= len(todo)            # each is read back below once at least
    return {k: run_classifier(c, device=device, label=f"{label} {k}".strip()) for k, c in configs.items()}


def train_worker(config: dict, device: str) -> str:
    """One parallel worker's task (``lib.parallel.execute``): the run of ``config`` through the store (a
    finished one is not recomputed); its key."""
    run_classifier(config, device=device, progress=False)
    return runs.key(config)
