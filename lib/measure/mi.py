"""Mutual information by the Kraskov–Stögbauer–Grassberger estimator (KSG; Phys. Rev. E 69, 066138, 2004),
estimator 1, their Eq. (8):

    Î(X;Y) = ψ(k) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩ + ψ(N)

For each sample i, ε_i/2 is the distance from z_i = (x_i, y_i) to its k-th nearest neighbour in the joint
space under the max-norm, max(‖x_i − x_j‖_∞, ‖y_i − y_j‖_∞); n_x(i) counts the j ≠ i with
‖x_i − x_j‖_∞ < ε_i/2, n_y(i) likewise. In nats, or bits with ``bits=True``. k = 3 by default.

Like KSG's own code (and the paper), every coordinate gets a jitter of 1e-10 · N(0, 1), in float64, so
that ties (one-hot labels, ReLU zeros, duplicated samples) do not make distances exactly equal. The
jitter is drawn from a seeded generator: an estimate is a deterministic function of its inputs.

Y here is the one-hot true label (:func:`one_hot`), as the paper computes I(X;Y) and I(H;Y) with the
same estimator for both; :func:`discrete_y` is the estimator for a discrete Y (Ross 2014), a cross-check.

Two engines give the same neighbour counts: scipy's cKDTree with the max-norm, the common choice of
published code, and exact pairwise max-norm distances with torch in row blocks. k-d trees degrade
towards brute force past ~20 dimensions, while the blocks cost N²·d whatever the data; ``method="auto"``
takes the tree below :data:`TREE_MAX_DIM` joint dimensions (``benchmarks/mi.py`` measures both).

KSG is biased *downwards* when the dimension is high relative to N (the k-th neighbour is far, so the
marginal counts are large): estimates in hundreds of dimensions from 1000 samples are far below the
true MI, and only their changes, not their values, should be read.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.spatial import cKDTree
from scipy.special import digamma

JITTER = 1e-10
TREE_MAX_DIM = 8      # joint dimensions up to which the k-d tree is faster (benchmarks/mi.py)


def one_hot(labels, classes: int) -> np.ndarray:
    return np.eye(classes)[np.asarray(labels, dtype=np.int64)]


def _prepare(a, seed: int) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    return a + JITTER * np.random.default_rng(seed).standard_normal(a.shape)


def _counts_tree(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    eps = cKDTree(np.hstack([x, y])).query(np.hstack([x, y]), k=k + 1, p=np.inf)[0][:, k]
    r = np.nextafter(eps, 0)                                   # strictly closer than ε/2
    nx = cKDTree(x).query_ball_point(x, r, p=np.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, r, p=np.inf, return_length=True) - 1
    return nx, ny


@torch.no_grad()
def _counts_torch(x: np.ndarray, y: np.ndarray, k: int, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    n = len(X)
    nx, ny = torch.empty(n, dtype=torch.int64), torch.empty(n, dtype=torch.int64)
    for s in range(0, n, block):
        e = min(s + block, n)
        dx, dy = torch.cdist(X[s:e], X, p=math.inf), torch.cdist(Y[s:e], Y, p=math.inf)
        dz = torch.maximum(dx, dy)
        dz[torch.arange(e - s), torch.arange(s, e)] = math.inf            # not its own neighbour
        eps = dz.kthvalue(k, dim=1).values[:, None]
        nx[s:e] = (dx < eps).sum(1) - 1                                    # minus itself (distance 0)
        ny[s:e] = (dy < eps).sum(1) - 1
    return nx.numpy(), ny.numpy()


def ksg(x, y, *, k: int = 3, bits: bool = False, method: str = "auto", seed: int = 0) -> float:
    """KSG estimator 1 of I(X;Y) for samples x (N, d_x) and y (N, d_y) (any trailing shape is flattened).
    The samples and every distance are float64 (numpy, or torch from numpy), also inside an autocast region:
    autocast never casts float64, and bf16 distances would tie far more neighbours."""
    if len(x) != len(y):
        raise ValueError(f"x and y need the same number of samples, got {len(x)} and {len(y)}")
    if not 1 <= k < len(x):
        raise ValueError(f"k must be in [1, N), got k={k} with N={len(x)}")
    if method not in ("auto", "tree", "torch"):
        raise ValueError(f"method must be auto, tree or torch, got {method!r}")
    x, y = _prepare(x, seed), _prepare(y, seed + 1)
    if method == "auto":
        method = "tree" if x.shape[1] + y.shape[1] <= TREE_MAX_DIM else "torch"
    nx, ny = (_counts_tree if method == "tree" else _counts_torch)(x, y, k)
    n = len(x)
    mi = digamma(k) - np.mean(digamma(nx + 1) + digamma(ny + 1)) + digamma(n)
    return float(mi / np.log(2) if bits else mi)


def discrete_y(x, labels, *, k: int = 3, bits: bool = False, seed: int = 0) -> float:
    """I(X;Y) for a discrete Y (Ross, PLoS ONE 2014): ψ(N) − ⟨ψ(N_y)⟩ + ψ(k) − ⟨ψ(m)⟩, with the k-th
    neighbour of each sample among its own class and m the samples of any class within that distance."""
    x, labels = _prepare(x, seed), np.asarray(labels)
    n, tree = len(x), cKDTree(x) if x.shape[1] <= TREE_MAX_DIM else None
    psi_ny, psi_m = np.empty(n), np.empty(n)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        kc = min(k, len(idx) - 1)
        if kc < 1:
            raise ValueError(f"class {c} has {len(idx)} sample(s); the discrete-Y estimator needs at least 2")
        d = torch.cdist(torch.from_numpy(x[idx]), torch.from_numpy(x[idx]), p=math.inf)
        d.fill_diagonal_(math.inf)
        r = d.kthvalue(kc, dim=1).values.numpy()
        if tree is not None:
            m = tree.query_ball_point(x[idx], r, p=np.inf, return_length=True) - 1
        else:
            m = (torch.cdist(torch.from_numpy(x[idx]), torch.from_numpy(x), p=math.inf) <= torch.from_numpy(r)[:, None]
                 ).sum(1).numpy() - 1
        psi_ny[idx], psi_m[idx] = digamma(len(idx)), digamma(m) - digamma(kc)
    mi = digamma(n) - psi_ny.mean() - psi_m.mean()
    return float(mi / np.log(2) if bits else mi)


def gaussian_mi(rho: float, dims: int = 1, bits: bool = False) -> float:
    """I(X;Y) of ``dims`` independent pairs of unit Gaussians with correlation ρ: −(dims/2)·ln(1 − ρ²)."""
    mi = -0.5 * dims * math.log(1 - rho ** 2)
    return mi / math.log(2) if bits else mi


def tile(x, y, n: int, axis: str = "samples") -> tuple[np.ndarray, np.ndarray]:
    """The paper's "tiling" of X and Y n times for a CNN's upper bound, in the two readings: repeat the
    samples (N·n rows, each n times: duplicates that differ only by the jitter) or the features (each
    sample n times side by side, which the max-norm cannot see)."""
    x, y = np.asarray(x).reshape(len(x), -1), np.asarray(y).reshape(len(y), -1)
    if axis == "samples":
        return np.tile(x, (n, 1)), np.tile(y, (n, 1))
    if axis == "features":
        return np.tile(x, (1, n)), np.tile(y, (1, n))
    raise ValueError(f"axis must be 'samples' or 'features', got {axis!r}")
