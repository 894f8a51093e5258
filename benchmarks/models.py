"""Forward+backward images/s of our ResMLP-S12 and Mixer-S/16 over timm's implementations of the same
configs (no weights needed), same batch, same device, same process; ours and timm's alternate and the
median of each is kept. Goal: >= 1.0x.

Both run with the device's fast paths (``lib.env.fast_paths``: on CUDA bf16 autocast and channels_last, as
timm's benchmark.py runs with --amp --channels-last; fp32 on the CPU unless BOOK_AMP / BOOK_CHANNELS_LAST say
otherwise), after warm-up steps (``--warmup``, more on CUDA, where the first steps pick kernels), so that the first
GPU run of ``make bench`` measures the book's own training speed beside timm's.

    .venv/bin/python benchmarks/models.py [--batch 32] [--repeats 3] [--warmup N]
"""
import argparse
import statistics

import timm
import torch
import torch.nn.functional as F

from lib import env, train
from lib.measure.timing import seconds_per_call
from lib.models.mixer import mixer
from lib.models.resmlp import resmlp

PAIRS = {"ResMLP-S12": (lambda: resmlp("S12"), "resmlp_12_224"),
         "Mixer-S/16": (lambda: mixer("S/16", num_classes=1000), "mixer_s16_224")}


def images_per_second(model, x, y, *, amp: str | None, steps: int = 2, warmup: int = 1) -> float:
    def step():
        model.zero_grad(set_to_none=True)
        with train.autocast(str(x.device), amp):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
    return len(x) / seconds_per_call(step, steps, warmup=warmup)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 10 on CUDA, 1 on a CPU)")
    args = p.parse_args()
    device = env.default_device()
    fast = env.fast_paths(device)
    warmup = args.warmup if args.warmup is not None else (10 if device == "cuda" else 1)
    steps = 20 if device == "cuda" else 2
    print(f"device: {env.device_name(device)}; batch {args.batch}; 224×224; forward+backward; amp {fast['amp']}, "
          f"channels_last {fast['channels_last']}; {warmup} warm-up + {steps} timed steps")
    x = train.to_device(torch.randn(args.batch, 3, 224, 224), device, fast["channels_last"])
    y = torch.randint(0, 1000, (args.batch,), device=device)
    layout = dict(memory_format=torch.channels_last) if fast["channels_last"] else {}
    for name, (ours_fn, timm_name) in PAIRS.items():
        torch.manual_seed(0)
        ours = ours_fn().to(device, **layout)
        theirs = timm.create_model(timm_name, pretrained=False).to(device, **layout)
        o, t = [], []
        for _ in range(args.repeats):
            o.append(images_per_second(ours, x, y, amp=fast["amp"], steps=steps, warmup=warmup))
            t.append(images_per_second(theirs, x, y, amp=fast["amp"], steps=steps, warmup=warmup))
        o, t = statistics.median(o), statistics.median(t)
        print(f"{name:<12} ours {o:8.1f} img/s   timm {t:8.1f} img/s   ratio {o / t:.2f}x")
