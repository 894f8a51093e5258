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
(``trained_model`` loads them), ``"init_from": <a finished config with kept weights>`` (start from
those weights), and ``"mi": {"layers": [...], "output": name, "n": 1000}``, which measures I(H;Y)
every epoch (``mi_lr.Probe``) and lets ``"schedule": {"name": "mi", "policy": {...}}`` set the rates,
and ``"apt": {"every": 10}``, which measures the activation pattern temperature every 10 steps
(``apt.APTStep``) and feeds it to an ActCooLR schedule.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from timm.optim import Lamb

from lib import data, deit, loader, parallel, runs, train
from lib.models import autoencoders, cifar_resnets, mixer
from lib.models.convnets import ConvNet, KerasCNN
from lib.models.efficientnet import OnFrozenEncoder, efficientnet_cifar
from lib.models.resmlp import ResMLP
from lib.measure import apt
from lib.optim import actcoolr, kfac, mi_lr, sam
from lib.optim.graft import Graft

MODELS = {"mixer": mixer.MLPMixer, "resmlp": ResMLP, "convnet": ConvNet, "keras_cnn": KerasCNN,
          "resnet_cifar": cifar_resnets.CifarResNet, "pyramidnet": cifar_resnets.pyramidnet,
          "resnet18_cifar": cifar_resnets.resnet18_cifar, "vgg16_cifar": cifar_resnets.vgg16_cifar,
          "regnet_y_16gf": torchvision.models.regnet_y_16gf,   # the ResMLP paper's distillation teacher
          "swwae": autoencoders.SWWAE, "vae": autoencoders.VAE, "swwdirvae": autoencoders.SWWDirVAE,
          "efficientnet_cifar": efficientnet_cifar}


def latent_efficientnet(*, encoder: dict, num_classes: int, **kwargs) -> OnFrozenEncoder:
    """The proposal's Figure 6: the trained (kept) β-SWWDirVAE run ``encoder``, frozen, feeding its latent
    (``code``: K·E[z|x] reshaped) to ``efficientnet_cifar(**kwargs)``."""
    enc = trained_model(encoder)
    return OnFrozenEncoder(enc, efficientnet_cifar(in_chans=enc.latent_shape[0], num_classes=num_classes, **kwargs))


MODELS["latent_efficientnet"] = latent_efficientnet


def make_optimizer(spec: dict, model: torch.nn.Module):
    """``{"name": "sgd" | "adam" | "lamb" | "kfac", "lr": ..., ...}`` or ``{"name": "graft", "magnitude": spec,
    "direction": spec, "restore_grad": True}``."""
    spec = dict(spec)
    name = spec.pop("name")
    if name == "sgd":   # "groups": module names -> one parameter group each (layer-wise learning rates)
        groups = spec.pop("groups", None)
        params = [{"params": model.get_submodule(g).parameters()} for g in groups] if groups else model.parameters()
        return torch.optim.SGD(params, **spec)
    if name == "adam":
        momentum = spec.pop("momentum", 0.9)                     # β1
        return torch.optim.Adam(model.parameters(), betas=(momentum, 0.999), **spec)
    if name == "lamb":                                           # timm's Lamb (You et al., 2020)
        return Lamb(model.parameters(), **spec)
    if name == "kfac":
        return kfac.KFAC(model, **spec)
    if name == "sam":                                            # Foret et al.; {"base": spec, "rho": .05}
        return sam.SAM(make_optimizer(spec.pop("base"), model), **spec)
    if name == "graft":
        return Graft(make_optimizer(spec["magnitude"], model), make_optimizer(spec["direction"], model),
                     restore_grad=spec.get("restore_grad", True))
    raise ValueError(f"unknown optimizer {name!r}; valid: sgd, adam, lamb, kfac, sam, graft")


PER_BATCH = ("onecycle", "cyclic", "actcoolr", "dynamic_actcoolr")


def make_scheduler(spec: str | dict | None, optimizer, epochs: int, steps_per_epoch: int = 1):
    """Stepped per epoch. ``"multistep"``: ×0.1 at 50% and 75% of the epochs; ``"waterfall"``: ResNet's
    ×0.1 at epochs 30, 60, 80 of 90, scaled to ``epochs``; ``{"name": "cosine", "warmup": k}``: linear
    warm-up over k epochs (from lr/(k+1)), then cosine to 0 (DeiT); ``{"name": "warmup", "epochs": k,
    "start_factor": f}``: linear from f·lr to lr over k epochs, then constant; None: constant.
    Stepped per batch (``PER_BATCH``): ``{"name": "onecycle", "max_lr", "pct_start", "base_momentum",
    "max_momentum"}`` (torch's OneCycleLR), ``{"name": "cyclic", "base_lr", "max_lr", "step_size_up"}``
    (CyclicLR), ``{"name": "actcoolr", "sigma", "t0", "gamma", "every"}`` and ``dynamic_actcoolr``
    (``optim.actcoolr``; fed by the temperature measured every ``every`` steps).
    (``{"name": "mi", ...}`` is built with its probe in ``_train``.)"""
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
    if spec["name"] == "warmup":
        return lr.LinearLR(optimizer, spec["start_factor"], total_iters=spec["epochs"])
    total = epochs * steps_per_epoch
    args = {k: v for k, v in spec.items() if k != "name"}
    if spec["name"] == "onecycle":
        return lr.OneCycleLR(optimizer, total_steps=total, **args)
    if spec["name"] == "cyclic":
        return lr.CyclicLR(optimizer, **args)
    if spec["name"] == "actcoolr":
        return actcoolr.ActCooLR(optimizer, total_steps=total, **args)
    if spec["name"] == "dynamic_actcoolr":
        return actcoolr.DynamicActCooLR(optimizer, total_steps=total, **args)
    raise ValueError(f"unknown schedule {spec!r}; valid: multistep, waterfall, cosine, warmup, onecycle, cyclic, "
                     "actcoolr, dynamic_actcoolr, mi, None")


def build(c: dict, device: str = "cpu"):
    """Data subset, train and test loaders, model and optimizer of a config, seeded by its seed."""
    ds = data.load(c["data"]).subset(c.get("n_train"), c.get("n_test"), seed=0)  # same subset for every seed
    aug = c.get("augment", {})
    test_aug = loader.Augment(resize=aug.get("resize"), center_crop=aug.get("center_crop"),
                              normalize=aug.get("normalize", True))
    tr = loader.Loader.for_split(ds, "train", batch_size=c["batch"], augment=loader.Augment(**aug),
                                 seed=c["seed"], device=device)
    te = loader.Loader.for_split(ds, "test", batch_size=256, augment=test_aug, shuffle=False, device=device)
    train.seed_everything(c["seed"])
    model = MODELS[c["model"]](**c["model_kwargs"], num_classes=ds.spec.classes)
    if c.get("checkpoint"):
        mixer.load_pretrained(model, c["checkpoint"])
    if c.get("init_from"):
        model.load_state_dict(trained_model(c["init_from"]).state_dict())
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
    """The DeiT recipe's step when the config asks for it (regularize / distill), else None (plain)."""
    if c.get("regularize") or c.get("distill"):
        teacher = trained_model(c["distill"], device) if c.get("distill") else None
        return deit.DeitStep(deit.Regularize(**c.get("regularize", {})), num_classes=num_classes, device=device,
                             teacher=teacher)
    return None


def choose_step(c: dict, model, opt, num_classes: int, device: str):
    """The training step a run needs: K-FAC's, SAM's two passes, a supervised autoencoder's own objective
    (unsupervised models return their loss from forward), the DeiT recipe's, or the plain one."""
    if kfac.kfac_parts(opt):
        return kfac.fisher_step
    if isinstance(opt, sam.SAM):
        return sam.sam_step
    if hasattr(model, "objective") and not getattr(model, "unsupervised", False):
        return autoencoders.objective_step
    return make_step(c, num_classes, device) or train.standard_step


def mi_schedule(c: dict, ds, opt, device: str):
    """The probe measuring I(H;Y) each epoch, and the scheduler it drives when the schedule is "mi"."""
    probe = mi_lr.Probe(ds, **c["mi"], device=device)
    spec = dict(c.get("schedule") or {}) if isinstance(c.get("schedule"), dict) else {}
    if spec.get("name") != "mi":
        return None, probe
    sched = mi_lr.MIScheduler(opt, mi_lr.Policy(**spec["policy"]), keys=spec.get("keys"), ixy=probe.ixy,
                              value_only_epochs=spec.get("value_only_epochs"))
    for k, v in spec.get("history", {}).items():      # measurements carried over from the run it continues
        sched.history[k] = list(v)

    def measure(model, epoch):
        record = probe(model, epoch)
        sched.observe(record)
        return {**record, **{f"lr_{i}": g["lr"] for i, g in enumerate(opt.param_groups)}}
    return sched, measure


def _train(c: dict, checkpoint, device: str, progress: bool, label: str) -> dict:
    ds, tr, te, model, opt = build(c, device)
    measure, spec = None, c.get("schedule")
    if c.get("mi"):
        sched, measure = mi_schedule(c, ds, opt, device)
        sched = sched or make_scheduler(spec, opt, c["epochs"])
    else:
        sched = make_scheduler(spec, opt, c["epochs"], len(tr))
    step = choose_step(c, model, opt, ds.spec.classes, device)
    loss_fn = autoencoders.mean_loss if getattr(model, "unsupervised", False) else F.cross_entropy
    if c.get("apt"):        # the activation pattern temperature every k steps, feeding ActCooLR when it is the schedule
        step = apt.APTStep(step, every=c["apt"]["every"], scheduler=sched if hasattr(sched, "observe") else None)
        measure = step.epoch_record
    per = "batch" if isinstance(spec, dict) and spec.get("name") in PER_BATCH else "epoch"
    h = train.fit(model, opt, tr, te, epochs=c["epochs"], scheduler=sched, scheduler_interval=per, step=step,
                  loss_fn=loss_fn, device=device, measure=measure, max_steps=c.get("max_steps"), checkpoint=checkpoint,
                  progress=progress, desc=label)
    if c.get("keep_weights"):
        torch.save(model.state_dict(), checkpoint.parent / "model.pt")
    return {**h.to_dict(), "device": device, "data_source": ds.source}


def run_classifier(config: dict, *, device: str = "cpu", progress: bool = True, label: str = "") -> train.History:
    """The History of this config: reused from the run store, resumed, or trained now."""
    result = runs.run(config, lambda c, ckpt: _train(c, ckpt, device, progress, label or c["kind"]), device=device)
    return train.History(epochs=result["epochs"], diverged=result["diverged"])


def run_many(configs: dict, *, device: str = "cpu", jobs: int | None = None, executor: str | None = None,
             label: str = "") -> dict:
    """``{key: config}`` -> ``{key: History}`` for runs that do not depend on each other's results. With
    ``JOBS`` > 1 or another ``EXECUTOR`` (``lib.parallel``) the unfinished ones are trained by parallel workers
    first; every History is then read from the run store (serially trained when JOBS = 1)."""
    jobs, executor = parallel.settings(jobs, executor)
    todo = list({runs.key(c): c for c in configs.values() if runs.finished(c) is None}.values())
    if todo and (jobs > 1 or executor != "local"):
        parallel.execute(todo, jobs=jobs, executor=executor, device=device)
    return {k: run_classifier(c, device=device, label=f"{label} {k}".strip()) for k, c in configs.items()}
