"""K-FAC's step time over SGD's, same model, batch and process.

A K-FAC step costs the SGD step plus the preconditioning (every step), plus a Fisher backward and the
factor statistics (every ``stats_every`` steps), plus the eigendecompositions (every ``inv_every``). Each
part is timed on its own and the ratio amortised at the given intervals:

    ratio = (t_precondition_step + (t_stats_step − t_precondition_step) / stats_every + t_eig / inv_every) / t_sgd

Goals: ≤ 1.2× at the paper's intervals (10, 100), ≤ 2× with statistics every step and inverses every 10.

Beside each measured ratio, its FLOP ratio: the same amortisation of the matmul FLOPs of each part (torch's
FlopCounterMode; elementwise work and the eigendecompositions not counted). It is what the time ratio tends to
where both steps are compute-bound (a GPU at the paper's size); a small model on a CPU is partly bound by
per-op overhead, so its time ratio can fall below it. A goal below the FLOP ratio at the paper's size cannot be
met there by a faster implementation of the same statistics and preconditioning, only by computing less.
K-FAC's factors for a layer with d_in inputs and d_out outputs cost (d_in² + d_out²) per row against d_in·d_out for
its forward: for the Mixer's channel MLP (d_out = 4 d_in) that is 4.25× the layer's forward, at every width.

    .venv/bin/python benchmarks/kfac.py [--paper]    # --paper adds Mixer-S/16 at 224×224 (slow on a CPU)
"""
import argparse

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from lib import env, train
from lib.chapters import kfac_mixer
from lib.measure.timing import seconds_per_call as timed
from lib.models.mixer import CONFIGS, MLPMixer
from lib.optim import kfac

INTERVALS = {"paper (10, 100)": (10, 100), "every step (1, 10)": (1, 10)}


def flops(fn) -> int:
    """Matmul FLOPs of one call of ``fn``."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def amortised(sgd: float, pre: float, stats: float, eig: float) -> dict:
    """K-FAC / SGD per step at each of :data:`INTERVALS` from the parts' costs (seconds or FLOPs)."""
    return {name: (pre + (stats - pre) / s + eig / i) / sgd for name, (s, i) in INTERVALS.items()}


def measure(kw: dict, *, batch: int, n: int, device: str) -> dict:
    torch.manual_seed(0)
    model = MLPMixer(**kw, num_classes=10).to(device)
    x = torch.randn(batch, 3, kw["image_size"], kw["image_size"], device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    sgd = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    sgd_step = lambda: train.standard_step(model, sgd, x, y, F.cross_entropy)
    opt = kfac.KFAC(model, lr=1e-3, stats_every=1, inv_every=10 ** 9)
    kfac_step = lambda: kfac.fisher_step(model, opt, x, y, F.cross_entropy)
    kfac_step()                                                   # step 0: statistics and inverses
    opt.stats_every = 10 ** 9                                     # statistics never due: preconditioning only
    t_pre, f_pre = timed(kfac_step, n), flops(kfac_step)
    opt.stats_every = 1                                           # statistics every step
    t_stats, f_stats = timed(kfac_step, n), flops(kfac_step)
    t_sgd, f_sgd = timed(sgd_step, n), flops(sgd_step)
    t_eig = timed(opt._eigendecompose, max(1, n // 2))
    return {"sgd_s": t_sgd, "measured": amortised(t_sgd, t_pre, t_stats, t_eig),
            "flops": amortised(f_sgd, f_pre, f_stats, 0.0)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--paper", action="store_true", help="also Mixer-S/16 at 224×224, batch 64")
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args()
    device = env.default_device()
    print(f"device: {env.device_name(device)}; batch 64; K-FAC step time / SGD step time")
    models = {f"{m} (small profile)": kw for m, kw in kfac_mixer.PROFILES["small"]["models"].items()}
    if args.paper:
        models["S/16 (paper)"] = CONFIGS["S/16"]
    for name, kw in models.items():
        r = measure(kw, batch=64, n=args.steps if "paper" not in name else 1, device=device)
        print(f"{name:<20} SGD {r['sgd_s'] * 1e3:8.0f} ms/step   " +
              "   ".join(f"{k}: {r['measured'][k]:.2f}x (FLOPs {r['flops'][k]:.2f}x)" for k in INTERVALS))
