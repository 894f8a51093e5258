"""K-FAC as an optimizer, judged by behaviour (like kfac-pytorch's integration test): on a standard small problem
— a 784-128-10 MLP on 2,000 MNIST training images, 10 epochs of batch 64 (310 steps) — K-FAC at the reference
code's defaults (lr 1e-3, momentum 0.9, damping 1e-3, stat decay 0.95, KL clip 1e-2, factors from the identity,
weight decay from 20 statistics steps on) must not diverge and must end with a training loss no higher than SGD
with momentum at the best rate of a sweep, on each of two seeds.

The one default scaled to the problem is the update intervals: the reference's statistics every 10 and inverses
every 100 steps were set for runs of ~78,000 steps. Its identity start is forgotten at the rate of the stat
decay — I keeps weight 0.95^k after k statistics steps, a time constant of 20 of them, 200 optimizer steps at
every 10 — and until then the factors are ≈ I and the step is SGD at lr 1e-3. On a 310-step problem that is
most of the run (measured: last-epoch loss 0.58 against tuned SGD's 0.012), so this test keeps the ratio and
takes statistics every step and inverses every 10. The first-batch start, at the same settings, diverges:
its rank-deficient factors put most directions below the damping (the second test).

The test decides on the loss at the end (measured on seed 0: K-FAC 0.0004, SGD 0.011 at its best rate 0.03).
Averaged over all 310 steps K-FAC is behind (0.53 against 0.19): its first ~50 steps, from near-identity factors,
are SGD at lr 1e-3. "At least as fast per step" holds from there on, not from the first step."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.optim import kfac
from tests.conftest import real_data

N_TRAIN, BATCH, EPOCHS = 2000, 64, 10
SGD_RATES = (0.01, 0.03, 0.1, 0.3)
INTERVALS = dict(stats_every=1, inv_every=10)      # the reference's 10 : 100, scaled to a 310-step problem


def mnist_subset():
    ds = real_data("mnist")
    x = torch.tensor(ds.x_train[:N_TRAIN], dtype=torch.float32).flatten(1) / 255   # (N, 784)
    return (x - x.mean()) / x.std(), torch.tensor(ds.y_train[:N_TRAIN], dtype=torch.long)


def mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def loss_curve(x, y, seed: int, make_opt) -> np.ndarray:
    """The training loss of every step (same data order for every optimizer of a seed)."""
    model = mlp(seed)
    opt = make_opt(model)
    g, losses = torch.Generator().manual_seed(seed), []
    for _ in range(EPOCHS):
        order = torch.randperm(len(y), generator=g)
        for s in range(0, len(y) - BATCH + 1, BATCH):
            xb, yb = x[order[s:s + BATCH]], y[order[s:s + BATCH]]
            if isinstance(opt, kfac.KFAC):
                loss, _ = kfac.fisher_step(model, opt, xb, yb, F.cross_entropy)
            else:
                opt.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
            losses.append(float(loss.detach()))
    return np.array(losses)


def last_epoch(losses: np.ndarray) -> float:
    return float(losses[-(N_TRAIN // BATCH):].mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_kfac_at_its_defaults_trains_at_least_as_fast_as_tuned_sgd(seed):
    x, y = mnist_subset()
    torch.manual_seed(100 + seed)                      # the true Fisher's sampled labels
    k = last_epoch(loss_curve(x, y, seed, lambda m: kfac.KFAC(m, lr=1e-3, **INTERVALS)))
    sgd = {lr: last_epoch(loss_curve(x, y, seed, lambda m, lr=lr: torch.optim.SGD(
        m.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4))) for lr in SGD_RATES}
    best_lr = min(sgd, key=sgd.get)
    assert best_lr not in (SGD_RATES[0], SGD_RATES[-1]), f"SGD's best rate {best_lr} is at the edge of the sweep"
    assert np.isfinite(k) and k <= sgd[best_lr], (
        f"K-FAC's last-epoch training loss {k:.4f} > SGD's {sgd[best_lr]:.4f} at its best rate {best_lr}")


def test_the_first_batch_start_diverges_where_the_identity_start_trains():
    x, y = mnist_subset()
    curves = {}
    for init in kfac.INITS:
        torch.manual_seed(100)
        curves[init] = loss_curve(x, y, 0, lambda m, init=init: kfac.KFAC(m, lr=1e-3, init=init, **INTERVALS))
    steps_per_epoch = N_TRAIN // BATCH
    assert curves["identity"][-steps_per_epoch:].mean() < 0.1 * curves["identity"][:steps_per_epoch].mean()
    first = curves["first_batch"].mean()
    assert (not np.isfinite(first) or first > np.log(10)) and curves["identity"].mean() < np.log(10)   # vs a uniform guess
