"""Chapter 05 (the β-SWWDirVAE proposal): the numbers it cites, the configs of its runs, and the
measurements its claims are decided with (kNN on latent codes, component collapse, t-SNE separation).

Paper: Giacometti, Terekhin, Taepov, Aksakal — *Advanced Topics in ML: Proposal* (2023). It cites Joo et al.'s
Table 2 (DirVAE) and Zhao et al.'s Table 1 (SWWAE), and proposes β-SWWDirVAE + EfficientNet + SAM.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.stats import mode
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

from lib import loader

KS = (3, 5, 10)
# Table 2 (Joo et al.): kNN error (%) on MNIST latent codes (K = 50), mean ± std
PAPER_TABLE2 = {"GVAE": ((27.16, 20.20, 14.89), (0.48, 0.93, 0.40)), "DirVAE": ((5.98, 5.29, 5.06), (0.06, 0.06, 0.06)),
                "raw pixels": ((3.00, 3.21, 3.44), (None, None, None))}
# Table 1 (Zhao et al.): test accuracy (%)
PAPER_TABLE1 = {"SWWAE (λ_rec = 1, λ_M = 0.2)": {"cifar10": 92.23, "cifar100": 69.12},
                "convnet of same configuration": {"cifar10": 91.33, "cifar100": 67.50}}
FLIP_CROP = dict(flip=True, crop_pad=4)


def _base(P, *, kind: str, data: str, n_train, n_test, model: str, model_kwargs: dict, optimizer: dict,
          schedule, epochs: int, batch: int, seed: int, augment: dict, **extra) -> dict:
    return {"kind": kind, "data": data, "n_train": n_train, "n_test": n_test, "augment": augment, "model": model,
            "model_kwargs": model_kwargs, "optimizer": optimizer, "schedule": schedule, "epochs": epochs,
            "batch": batch, "seed": seed, "profile": P.profile, "max_steps": P.max_steps, **extra}


def vae_config(P, latent: str, seed: int) -> dict:
    """Table 2's GVAE or DirVAE on MNIST (pixels in [0, 1], Bernoulli decoder), weights kept for the codes."""
    s = P.settings["vae"]
    return _base(P, kind="vae-mnist", data="mnist", n_train=s["n_train"], n_test=s["n_test"], model="vae",
                 model_kwargs=dict(latent=latent, k=50, hidden=500, prior_alpha=0.98),
                 optimizer=dict(name="adam", lr=s["lr"]), schedule=None, epochs=s["epochs"], batch=s["batch"],
                 seed=seed, augment=dict(normalize=False), keep_weights=True)


def _sgd(lr: float) -> dict:
    return dict(name="sgd", lr=lr, momentum=0.9, weight_decay=5e-4)


def swwae_config(P, data: str, *, decoder: bool, seed: int, sam: bool = False, pool_beta: float | None = None) -> dict:
    """Table 1's SWWAE (λ_rec = 1, λ_M = 0.2, supervised) or the same convnet without a decoder; SGD or SAM(SGD);
    max-pool switches, or soft pooling with ``pool_beta``."""
    s = P.settings["swwae"]
    opt = _sgd(s["lr"])
    return _base(P, kind=f"swwae-{data}", data=data, n_train=s["n_train"], n_test=s["n_test"], model="swwae",
                 model_kwargs=dict(channels=list(s["channels"]), convs=s["convs"], lambda_rec=1.0 if decoder else 0.0,
                                   lambda_m=0.2 if decoder else 0.0, **({"pool_beta": pool_beta} if pool_beta else {})),
                 optimizer=dict(name="sam", rho=P.settings["sam_rho"], base=opt) if sam else opt, schedule="cosine",
                 epochs=s["epochs"], batch=s["batch"], seed=seed, augment=FLIP_CROP)


def encoder_config(P, data: str, beta: float, seed: int = 0) -> dict:
    """The β-SWWDirVAE trained without labels on ``data``'s training images (weights kept)."""
    s = P.settings["encoder"]
    return _base(P, kind=f"swwdirvae-{data}", data=data, n_train=s["n_train"], n_test=P.settings["effnet"]["n_test"],
                 model="swwdirvae", model_kwargs=dict(channels=list(s["channels"]), convs=s["convs"],
                                                      latent_shape=list(s["latent_shape"]), beta=beta),
                 optimizer=dict(name="adam", lr=s["lr"]), schedule="cosine", epochs=s["epochs"], batch=s["batch"],
                 seed=seed, augment=FLIP_CROP, keep_weights=True)


def effnet_config(P, data: str, *, seed: int, sam: bool, encoder: dict | None = None) -> dict:
    """EfficientNet-B0 (scaled as the profile says) on images, or — the proposal — on a frozen encoder's latent."""
    s = P.settings["effnet"]
    net = dict(width=s["width"], depth=s["depth"], dropout=s["dropout"], stochastic_depth=s["dropout"])
    model, kw = ("latent_efficientnet", dict(encoder=encoder, stem_stride=1, **net)) if encoder else \
        ("efficientnet_cifar", dict(stem_stride=s["stem_stride"], **net))
    opt = _sgd(s["lr"])
    return _base(P, kind=f"effnet-{data}", data=data, n_train=s["n_train"], n_test=s["n_test"], model=model,
                 model_kwargs=kw, optimizer=dict(name="sam", rho=P.settings["sam_rho"], base=opt) if sam else opt,
                 schedule="cosine", epochs=s["epochs"], batch=s["batch"], seed=seed, augment=FLIP_CROP)


@torch.no_grad()
def codes(model: torch.nn.Module, ds, split: str, *, normalize: bool, device: str = "cpu", n: int | None = None,
          sample: bool = False):
    """``model.code`` of a split's images (its first ``n``), flattened: (N, K) and the labels; ``sample``: one
    draw from q(z|x) per image (seeded) instead of the posterior mean."""
    x, y = (ds.x_train, ds.y_train) if split == "train" else (ds.x_test, ds.y_test)
    it = loader.Loader(x[:n], y[:n], batch_size=500, mean=ds.spec.mean, std=ds.spec.std, shuffle=False,
                       augment=loader.Augment(normalize=normalize), device=device)
    model = model.to(device).eval()
    kw = {"sample": True} if sample else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.cat([model.code(xb, **kw).flatten(1).float().cpu() for xb, _ in it]).numpy(), y[:n]


def knn_errors(train: np.ndarray, y_train, test: np.ndarray, y_test, ks=KS) -> dict[int, float]:
    """Error (%) of the k-nearest-neighbour vote (Euclidean; ties to the smallest label, as scikit-learn's
    KNeighborsClassifier) with neighbours among the ``train`` codes, for each k (one neighbour search)."""
    idx = NearestNeighbors(n_neighbors=max(ks), n_jobs=-1).fit(train).kneighbors(test, return_distance=False)
    votes = np.asarray(y_train)[idx]
    return {k: 100.0 * float((mode(votes[:, :k], axis=1).mode != np.asarray(y_test)).mean()) for k in ks}


def pixels(ds, split: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    x, y = (ds.x_train, ds.y_train) if split == "train" else (ds.x_test, ds.y_test)
    return x[:n].reshape(len(x[:n]), -1).astype(np.float32) / 255.0, y[:n]


def collapsed_share(norms: np.ndarray, threshold: float = 0.1) -> float:
    """Share of latent dimensions whose decoder weights (column norm) are below ``threshold`` × the largest
    one: dimensions the decoder has learned to ignore (component collapsing)."""
    norms = np.asarray(norms, float)
    return float((norms < threshold * norms.max()).mean())


def tsne_separation(points: np.ndarray, labels: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    """scikit-learn's 2-D t-SNE of ``points`` and the silhouette of the classes in it (−1…1; higher:
    tighter, better separated class clusters — the paper's "separation and cohesion")."""
    emb = TSNE(n_components=2, init="pca", perplexity=30, random_state=seed).fit_transform(points)
    return emb, float(silhouette_score(emb, labels))


def knn_frame(rows: dict[tuple[str, int], dict[int, float]]) -> pd.DataFrame:
    """{(representation, seed): {k: error}} -> long frame (representation, seed, k, error (%))."""
    return pd.DataFrame([{"representation": r, "seed": s, "k": k, "error (%)": e}
                         for (r, s), errs in rows.items() for k, e in errs.items()])
