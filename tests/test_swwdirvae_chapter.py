"""Chapter 05's helpers on inputs with known answers, and one real paper-profile step of each of its models:
the MNIST DirVAE, Table 1's SWWAE, the β-SWWDirVAE pre-training and EfficientNet-B0 + SAM on its frozen latent."""
import math

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from conftest import real_data
from lib import experiment, optim, profiles
from lib.chapters import swwdirvae
from lib.models.efficientnet import OnFrozenEncoder
from lib.optim.sam import SAM


def test_knn_errors_match_scikit_learns_classifier():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 6)), rng.integers(0, 4, 400)
    t, yt = rng.normal(size=(150, 6)), rng.integers(0, 4, 150)
    ours = swwdirvae.knn_errors(x, y, t, yt)
    for k in swwdirvae.KS:
        assert ours[k] == 100.0 * float((KNeighborsClassifier(k).fit(x, y).predict(t) != yt).mean())
    assert swwdirvae.knn_errors(x, y, x[:50], y[:50], ks=(1,))[1] == 0.0        # a point's nearest neighbour is itself


def test_collapse_share_and_tsne_separation():
    assert swwdirvae.collapsed_share(np.array([1.0, 0.5, 0.05, 0.01])) == 0.5
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    separated = rng.normal(size=(120, 10)) * 0.1 + labels[:, None] * 5.0
    mixed = rng.normal(size=(120, 10))
    assert swwdirvae.tsne_separation(separated, labels)[1] > 0.5 > swwdirvae.tsne_separation(mixed, labels)[1]


def test_paper_profile_pushes_one_real_step_through_each_model():
    real_data("mnist"), real_data("cifar10")
    P = profiles.check("05_swwdirvae", profile="paper", seeds=[0], device="cpu", max_steps=1)
    assert P.settings["vae"]["n_train"] is None and P.settings["effnet"]["width"] == 1.0
    vae = swwdirvae.vae_config(P, "dirichlet", 0)
    sww = swwdirvae.swwae_config(P, "cifar10", decoder=True, seed=0)
    enc = swwdirvae.encoder_config(P, "cifar10", 4.0)
    prop = swwdirvae.effnet_config(P, "cifar10", seed=0, sam=True, encoder=enc)
    for cfg in (vae, sww, enc, prop):
        h = experiment.run_classifier(cfg, label=cfg["kind"])
        assert len(h.epochs) == 1 and h.epochs[0]["steps"] == 1 and math.isfinite(h.epochs[0]["train_loss"])
    model = experiment.build(prop).model
    assert isinstance(model, OnFrozenEncoder) and model.encoder.latent.k == 3 * 32 * 32
    assert isinstance(optim.make_optimizer(prop["optimizer"], model), SAM)
