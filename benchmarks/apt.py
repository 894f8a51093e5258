"""The cost of training with the activation pattern temperature measured every 10 steps (two extra
forward passes of the same batch on those steps) over plain training: same model, data, batch, process;
the two alternate and the median of each is kept. Goal: <= 1.15x.

    .venv/bin/python benchmarks/apt.py [--batch 64] [--steps 20] [--repeats 3]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from lib import env, train
from lib.measure import apt


def small_resnet_like() -> nn.Module:
    """A CIFAR-sized conv net with BatchNorm and ReLU modules (what the chapter measures)."""
    layers, c = [], 3
    for w in (32, 32, 64, 64, 128):
        layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
        c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))


def seconds(step, model, opt, x, y, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        step(model, opt, x, y, F.cross_entropy)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    device = env.default_device()
    print(f"device: {env.device_name(device)}; batch {args.batch}; 32×32; {args.steps} steps per timing")
    torch.manual_seed(0)
    model = small_resnet_like().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(args.batch, 3, 32, 32, device=device), torch.randint(0, 10, (args.batch,), device=device)
    measured = apt.APTStep(train.standard_step, every=10)
    seconds(train.standard_step, model, opt, x, y, 2)                    # warm-up
    plain, with_apt = [], []
    for _ in range(args.repeats):
        plain.append(seconds(train.standard_step, model, opt, x, y, args.steps))
        with_apt.append(seconds(measured, model, opt, x, y, args.steps))
    ratio = statistics.median(with_apt) / statistics.median(plain)
    print(f"plain {statistics.median(plain):.2f} s   with APT every 10 steps {statistics.median(with_apt):.2f} s   "
          f"ratio {ratio:.3f}x")
