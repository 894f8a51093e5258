"""The ``paper`` / ``small`` / ``smoke`` settings of each chapter, and the check of its parameters.

- ``paper``: the paper's exact models, data, epochs and hyperparameters (a CUDA GPU; hours to days).
- ``small``: the same experiments scaled so a chapter finishes in about 45 minutes on 2 CPU cores.
- ``smoke``: the same code paths, a few steps each (tests and CI).

The default is ``paper`` with CUDA, otherwise ``small``. Every bad value fails here, before any
compute, naming the valid ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lib import env, parallel
from lib.models.mixer import CONFIGS as MIXER

PROFILES = ("paper", "small", "smoke")

_S = dict(dim=64, depth=4, token_hidden=32, channel_hidden=256)
_B = dict(dim=96, depth=6, token_hidden=48, channel_hidden=384)
_T = dict(dim=16, depth=1, token_hidden=8, channel_hidden=32)


def _resmlp_recipes(*, epochs: int, batch: int, augment: dict, full: dict, light: dict, teacher_epochs: int,
                    teacher_lr: float, warmup: int) -> dict:
    """Chapter 02's training recipes at one scale. ``modern``: the paper's (Lamb 5e-3, weight decay 0.2,
    DeiT's warm-up + cosine) with the ``light`` regularisation; ``modern_full``: with DeiT's full
    augmentation (``full``); ``old_fashioned``: ResNet's (SGD, lr 0.1 per 256 images, waterfall), for
    90/400 of the epochs; ``sgd_same_epochs``: that recipe for all the epochs; ``teacher``: the convnet."""
    sgd = dict(name="sgd", lr=0.1 * batch / 256, momentum=0.9, weight_decay=1e-4)
    modern = dict(optimizer=dict(name="lamb", lr=5e-3, weight_decay=0.2), schedule=dict(name="cosine", warmup=warmup),
                  epochs=epochs, **light)
    return {"modern": modern, "modern_full": {**modern, **full},
            "old_fashioned": {**modern, "optimizer": sgd, "schedule": "waterfall", "epochs": max(2, round(epochs * 90 / 400))},
            "sgd_same_epochs": {**modern, "optimizer": sgd, "schedule": "waterfall"},
            "teacher": dict(optimizer=dict(sgd, lr=teacher_lr, weight_decay=5e-4), schedule="cosine",
                            epochs=teacher_epochs, augment=augment)}


_DEIT = dict(regularize=dict(mixup=0.8, cutmix=1.0, smoothing=0.1, erasing=0.25), model_kwargs=dict(drop_path=0.1))

# chapter -> its items in the paper's order, and per profile the settings it runs with.
CHAPTERS: dict[str, dict] = {
    "00_data_and_tools": {
        "items": ("datasets", "loader"),
        # loader benchmark: batches timed per loader, interleaved repeats, batch size, the upsampled (32->256->224) batch size
        "paper": dict(bench_batches=40, repeats=5, batch_size=512, upsample_batch_size=64, grid=8),
        "small": dict(bench_batches=40, repeats=5, batch_size=512, upsample_batch_size=64, grid=8),
        "smoke": dict(bench_batches=2, repeats=3, batch_size=64, upsample_batch_size=8, grid=4),
    },
    "01_kfac_mlp_mixer": {
        "items": ("table2", "fig2", "fig3", "table3", "fig4", "table4", "quirks"),
        # models: the paper's names -> Mixer sizes; upsample: the "224" input pipeline; kfac: update intervals
        "paper": dict(models={m: MIXER[m] for m in ("S/4", "B/4", "S/16", "B/16")},
                      upsample=dict(resize=256, center_crop=224), n_train=None, n_test=None, epochs=100, batch=64,
                      seeds=[0, 1, 2], c100_n_train=None, c100_epochs=100, kfac=dict(stats_every=10, inv_every=100)),
        # widths and depths scaled by 1/8 and 1/2 (S: C=64, 4 blocks; B: C=96, 6 blocks: B/S ratios kept);
        # upsampling 32->64->56 with patch 4 keeps the paper's 196 tokens and 2.3 original pixels per patch
        "small": dict(models={"S/4": dict(image_size=32, patch=4, **_S), "B/4": dict(image_size=32, patch=4, **_B),
                              "S/16": dict(image_size=56, patch=4, **_S), "B/16": dict(image_size=56, patch=4, **_B)},
                      upsample=dict(resize=64, center_crop=56), n_train=2500, n_test=1000, epochs=6, batch=64,
                      seeds=[0, 1], c100_n_train=5000, c100_epochs=4, kfac=dict(stats_every=2, inv_every=20)),
        "smoke": dict(models={"S/4": dict(image_size=32, patch=8, **_T), "B/4": dict(image_size=32, patch=8, **_T),
                              "S/16": dict(image_size=56, patch=8, **_T), "B/16": dict(image_size=56, patch=8, **_T)},
                      upsample=dict(resize=64, center_crop=56), n_train=100, n_test=100, epochs=2, batch=50,
                      seeds=[0], c100_n_train=200, c100_epochs=1, kfac=dict(stats_every=1, inv_every=2)),
    },
    "02_resmlp": {
        "items": ("table1", "table3", "training", "fig2", "fig3", "table4", "table5", "table6", "fig4"),
        # paper: ResMLP-S12 itself on CIFAR-10 upsampled to 224 (ImageNet is not here), 400 epochs, batch 1024,
        # DeiT's recipe in full; the teacher is the paper's RegNetY-16GF, trained in the chapter
        "paper": dict(model=dict(dim=384, depth=12, image_size=224, patch=16), n_train=None, n_test=None, batch=1024,
                      seeds=[0, 1, 2], recipes=_resmlp_recipes(
                          epochs=400, batch=1024, warmup=5, teacher_epochs=100, teacher_lr=0.4,
                          augment=dict(flip=True, crop_pad=4, resize=224),
                          light={**_DEIT, "augment": dict(flip=True, crop_pad=4, resize=224, randaugment=[2, 9])},
                          full={}),
                      teacher=dict(model="regnet_y_16gf", model_kwargs={}), fig2=dict(layers=[0, 3, 7, 11], central=6),
                      throughput=dict(batch=32, iters=50)),
        # small: d=96 (1/4 of S12), 6 blocks (1/2), 4x4 patches on 32x32 images (64 patches: A is 64x64),
        # 5,000 training images, 10 epochs; DeiT's augmentation only in the "modern_full" recipe
        "small": dict(model=dict(dim=96, depth=6, image_size=32, patch=4), n_train=5000, n_test=2000, batch=64,
                      seeds=[0, 1], recipes=_resmlp_recipes(
                          epochs=10, batch=64, warmup=1, teacher_epochs=15, teacher_lr=0.05,
                          augment=dict(flip=True, crop_pad=4),
                          light=dict(regularize=dict(smoothing=0.1), augment=dict(flip=True, crop_pad=4)),
                          full={**_DEIT, "augment": dict(flip=True, crop_pad=4, randaugment=[2, 9])}),
                      teacher=dict(model="convnet", model_kwargs=dict(widths=[32, 64, 128])),
                      fig2=dict(layers=[0, 2, 5], central=4), throughput=dict(batch=32, iters=10)),
        "smoke": dict(model=dict(dim=16, depth=2, image_size=32, patch=8), n_train=100, n_test=100, batch=50,
                      seeds=[0, 1], recipes=_resmlp_recipes(
                          epochs=2, batch=50, warmup=1, teacher_epochs=1, teacher_lr=0.05,
                          augment=dict(flip=True, crop_pad=4),
                          light=dict(regularize=dict(smoothing=0.1), augment=dict(flip=True, crop_pad=4)),
                          full={**_DEIT, "augment": dict(flip=True, crop_pad=4, randaugment=[2, 9])}),
                      teacher=dict(model="convnet", model_kwargs=dict(widths=[8, 16])),
                      fig2=dict(layers=[0, 1], central=2), throughput=dict(batch=2, iters=1)),
    },
    "03_actcoolr": {
        "items": ("fig1", "fig2", "fig3", "table1", "fig4", "fig5", "table2", "sectionD"),
        # resnet: the ResNet of Figures 1, 2, 5 and Section D (paper: ResNet-32); t2_models: Table 2's networks;
        # range: per data set the model, constant rate, epochs and the epochs whose state is analysed
        "paper": dict(n_train=dict(cifar10=None, fashion_mnist=None), n_test=None, batch=dict(cifar10=256, fashion_mnist=64),
                      seeds=[0, 1, 2], resnet_depth=32, epochs=50, analysis_batch=512, t2_epochs=[25, 50],
                      t2_models={"ResNet-18": ("resnet18_cifar", {}), "PyramidNet-110": ("pyramidnet", dict(depth=110))},
                      range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=200, points=[0, 10, 50, 200]),
                             "cifar10": dict(model="vgg16_cifar", lr=0.05, epochs=300, points=[0, 30, 150, 300])}),
        # small: ResNet-20 for ResNet-32 (and for Table 2's ResNet-18), PyramidNet-20 (alpha 48) for PyramidNet-110,
        # 4,000 CIFAR-10 / 6,000 Fashion-MNIST images, 6 epochs; Table 2 at its 25-epoch hyperparameters
        "small": dict(n_train=dict(cifar10=4000, fashion_mnist=6000), n_test=2000, batch=dict(cifar10=128, fashion_mnist=64),
                      seeds=[0], resnet_depth=20, epochs=6, analysis_batch=256, t2_epochs=[6],
                      t2_models={"ResNet-18": ("resnet_cifar", dict(depth=20)), "PyramidNet-110": ("pyramidnet", dict(depth=20))},
                      range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=6, points=[0, 2, 6]),
                             "cifar10": dict(model="vgg16_cifar", lr=0.05, epochs=3, points=[0, 1, 3])}),
        "smoke": dict(n_train=dict(cifar10=200, fashion_mnist=200), n_test=100, batch=dict(cifar10=50, fashion_mnist=50),
                      seeds=[0], resnet_depth=8, epochs=2, analysis_batch=32, t2_epochs=[2],
                      t2_models={"ResNet-18": ("resnet_cifar", dict(depth=8)), "PyramidNet-110": ("pyramidnet", dict(depth=8))},
                      range={"fashion_mnist": dict(model="keras_cnn", lr=0.1, epochs=1, points=[0, 1]),
                             "cifar10": dict(model="resnet_cifar", lr=0.05, epochs=1, points=[0, 1])}),
    },
    "04_mi_learning_rate": {
        "items": ("fig1", "tiling", "fig3", "fig4", "fig5", "fig6"),
        # per data set: training/test images and epochs (CIFAR-10: fixed and warm-up 200, dynamic 50); mi_n:
        # samples of every I(H;Y); tile: copies of the samples behind IXY (the paper: one per conv filter, 32;
        # from k + 1 = 4 copies on, the estimate is H(Y) whatever the copies: the tiling item shows it, so 4 it is);
        # fig1_sizes / fig1_repeats: Figure 1's sample sizes; tiles: the tiling item's copies; bs_change: Figure 5
        "paper": dict(mnist=dict(n_train=None, n_test=None, epochs=50), cifar10=dict(n_train=None, n_test=None, epochs=200,
                      dynamic_epochs=50), batch=100, seeds=[0, 1, 2], mi_n=1000, layer_mi_n=1000, tile=4,
                      fig1_sizes=[100, 250, 500, 1000, 2000, 4000, 8000], fig1_repeats=5, tiles=[1, 2, 4, 8],
                      bs_change=dict(at=3, batch=500, value_only=5)),
        # MNIST 4,000 images x 12 epochs, CIFAR-10 4,000 x 12 (every run the same length), 3 seeds (>= 3 for every
        # comparison); IXY tiled 4 times
        # (= k+1 copies, where the tiled estimate saturates: the tiling item shows it); layer-wise I(H;Y) on 500
        "small": dict(mnist=dict(n_train=4000, n_test=2000, epochs=12), cifar10=dict(n_train=4000, n_test=2000,
                      epochs=12, dynamic_epochs=12), batch=100, seeds=[0, 1, 2], mi_n=1000, layer_mi_n=500, tile=4,
                      fig1_sizes=[100, 250, 500, 1000, 2000], fig1_repeats=3, tiles=[1, 2, 4, 8],
                      bs_change=dict(at=3, batch=500, value_only=5)),
        "smoke": dict(mnist=dict(n_train=200, n_test=100, epochs=3), cifar10=dict(n_train=200, n_test=100, epochs=3,
                      dynamic_epochs=3), batch=50, seeds=[0, 1], mi_n=100, layer_mi_n=50, tile=2,
                      fig1_sizes=[50, 100], fig1_repeats=2, tiles=[1, 2],
                      bs_change=dict(at=1, batch=100, value_only=1)),
    },
    "05_swwdirvae": {
        "items": ("table2", "fig2", "fig3", "table1", "sam", "proposal"),
        # vae: Joo et al.'s MNIST models (784-500-500-K, K = 50, prior α = 0.98), Adam; knn_n_test: test codes
        # classified; tsne_n: points per t-SNE. swwae: Table 1's convnet (channels per stage, convs per stage),
        # SGD + cosine, flip/crop; sam: ρ; encoder: the β-SWWDirVAE pre-trained without labels (latent_shape =
        # the "image" EfficientNet receives), betas: the sweep; effnet: torchvision's B0 compound multipliers and
        # the stem stride of the image baseline (the latent's is 1), dropout = B0's dropout and stochastic depth;
        # proposal_data: where the proposal runs
        "paper": dict(seeds=[0, 1, 2], vae=dict(n_train=None, n_test=None, epochs=200, batch=100, lr=5e-4),
                      knn_n_test=None, tsne_n=5000,
                      swwae=dict(channels=(64, 128, 256, 512), convs=2, n_train=None, n_test=None, epochs=100,
                                 batch=128, lr=0.05), table1_data=["cifar10", "cifar100"], sam_rho=0.05,
                      encoder=dict(channels=(64, 128, 256), convs=2, latent_shape=(3, 32, 32), n_train=None,
                                   epochs=100, batch=128, lr=1e-3),
                      betas=[1.0, 4.0], effnet=dict(width=1.0, depth=1.0, stem_stride=1, n_train=None, n_test=None,
                                                      epochs=100, batch=128, lr=0.05, dropout=0.2),
                      proposal_data=["cifar10", "cifar100"]),
        # MNIST whole, 10 epochs; CIFAR 5,000 / 2,000 images; the convnet 3 stages x 1 conv (32-64-128);
        # EfficientNet-B0 at half width and depth on 16x16 after the stem (the latent is 3x16x16 = K of 768), without
        # its dropout and stochastic depth and at lr 0.02 (with them, at 0.05, it stays near chance for 6 epochs:
        # 12-22% in our first execution; trials of 3 epochs: 15% as B0, 19-22% without them at 0.02)
        "small": dict(seeds=[0, 1], vae=dict(n_train=None, n_test=None, epochs=10, batch=100, lr=1e-3),
                      knn_n_test=None, tsne_n=2000,
                      swwae=dict(channels=(32, 64, 128), convs=1, n_train=5000, n_test=2000, epochs=10, batch=64,
                                 lr=0.05), table1_data=["cifar10", "cifar100"], sam_rho=0.05,
                      encoder=dict(channels=(32, 64, 128), convs=1, latent_shape=(3, 16, 16), n_train=10000,
                                   epochs=6, batch=64, lr=1e-3),
                      betas=[1.0, 4.0], effnet=dict(width=0.5, depth=0.5, stem_stride=2, n_train=5000, n_test=2000,
                                                      epochs=8, batch=64, lr=0.02, dropout=0.0),
                      proposal_data=["cifar10"]),
        "smoke": dict(seeds=[0, 1], vae=dict(n_train=300, n_test=200, epochs=2, batch=50, lr=1e-3),
                      knn_n_test=None, tsne_n=100,
                      swwae=dict(channels=(4, 8), convs=1, n_train=100, n_test=100, epochs=2, batch=50, lr=0.05),
                      table1_data=["cifar10", "cifar100"], sam_rho=0.05,
                      encoder=dict(channels=(4, 8), convs=1, latent_shape=(2, 4, 4), n_train=100, epochs=1, batch=50,
                                   lr=1e-3),
                      betas=[1.0, 4.0], effnet=dict(width=0.25, depth=0.25, stem_stride=2, n_train=100, n_test=100,
                                                      epochs=1, batch=50, lr=0.02, dropout=0.0),
                      proposal_data=["cifar10"]),
    },
}


@dataclass
class Params:
    """A chapter's checked parameters (the papermill ``parameters`` cell, validated)."""
    chapter: str
    profile: str
    items: list[str]
    seeds: list[int]
    device: str
    max_steps: int | None
    settings: dict = field(default_factory=dict)

    def wants(self, item: str) -> bool:
        if item not in CHAPTERS[self.chapter]["items"]:
            raise ValueError(f"{self.chapter} has no item {item!r}; its items: {CHAPTERS[self.chapter]['items']}")
        return item in self.items


def resolve(profile: str | None) -> str:
    """``None`` or ``"auto"`` -> ``paper`` with CUDA, else ``small``; anything else must be a profile."""
    if profile in (None, "", "auto"):
        return "paper" if env.default_device() == "cuda" else "small"
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)} (or None for the default)")
    return profile


def check(chapter: str, *, profile: str | None = None, only=None, seeds=None, device: str | None = None,
          max_steps: int | None = None) -> Params:
    """Validate a chapter's parameters; raise ``ValueError`` listing the valid values."""
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {', '.join(CHAPTERS)}")
    profile, spec = resolve(profile), CHAPTERS[chapter]
    items = list(spec["items"]) if only in (None, [], "") else [only] if isinstance(only, str) else list(only)
    unknown = [i for i in items if i not in spec["items"]]
    if unknown:
        raise ValueError(f"unknown item(s) {unknown} for {chapter}; valid: {', '.join(spec['items'])}")
    seeds = spec[profile].get("seeds", [0]) if seeds is None else [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be None or a positive integer, got {max_steps!r}")
    parallel.settings()                 # JOBS / EXECUTOR from the environment, checked before any compute
    return Params(chapter=chapter, profile=profile, items=items, seeds=seeds, device=env.check_device(device),
                  max_steps=max_steps, settings=dict(spec[profile]))
