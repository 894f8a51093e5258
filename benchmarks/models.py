"""Forward+backward images/s of our ResMLP-S12 and Mixer-S/16 over timm's implementations of the same
configs (no weights needed), same batch, same device, same process; ours and timm's alternate and the
median of each is kept. Goal: >= 1.0x.

    .venv/bin/python benchmarks/models.py [--batch 32] [--repeats 3]
"""
import argparse
import statistics

import timm
import torch
import torch.nn.functional as F

from lib import env
from lib.measure.timing import seconds_per_call
from lib.models.mixer import mixer
from lib.models.resmlp import resmlp

PAIRS = {"ResMLP-S12": (lambda: resmlp("S12"), "resmlp_12_224"),
         "Mixer-S/16": (lambda: mixer("S/16", num_classes=1000), "mixer_s16_224")}


def images_per_second(model, x, y, steps: int = 2) -> float:
    def step():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    return len(x) / seconds_per_call(step, steps)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    device = env.default_device()
    print(f"device: {env.device_name(device)}; batch {args.batch}; 224×224; forward+backward")
    x = torch.randn(args.batch, 3, 224, 224, device=device)
    y = torch.randint(0, 1000, (args.batch,), device=device)
    for name, (ours_fn, timm_name) in PAIRS.items():
        torch.manual_seed(0)
        ours, theirs = ours_fn().to(device), timm.create_model(timm_name, pretrained=False).to(device)
        o, t = [], []
        for _ in range(args.repeats):
            o.append(images_per_second(ours, x, y))
            t.append(images_per_second(theirs, x, y))
        o, t = statistics.median(o), statistics.median(t)
        print(f"{name:<12} ours {o:8.1f} img/s   timm {t:8.1f} img/s   ratio {o / t:.2f}x")
