"""What chapter 04's per-epoch MI measurement costs against the epoch it follows: one training epoch of the
Keras CNN at the small profile (MNIST, 4,000 images, batch 100, plain SGD) and one probe call (IHYLL on 1,000
training samples, KSG), same model, same process, on an idle machine. Our goal, not the paper's: the probe at
most 10% of the epoch. (The chapter's own runs share the CPU with each other, so their recorded shares measure
the load as much as the probe.)

    .venv/bin/python benchmarks/mi_cost.py [--repeats 3]
"""
import argparse
import statistics

import torch.nn.functional as F

from lib import env, experiment, profiles, train, verdicts
from lib.chapters import mi_lr
from lib.measure.timing import seconds_per_call
from lib.optim.mi_lr import Probe

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    quiet = verdicts.machine_quiet()
    P = profiles.check(mi_lr.NOTEBOOK, profile="small", seeds=[0], device="cpu")
    c = mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=0)
    b = experiment.build(c)
    probe = Probe(b.data, **c["mi"])
    b.model.train()
    epoch = lambda: [train.standard_step(b.model, b.optimizer, x, y, F.cross_entropy) for x, y in b.train]
    t_epoch = [seconds_per_call(epoch, 1) for _ in range(args.repeats)]
    t_probe = [seconds_per_call(lambda: probe(b.model), 1) for _ in range(args.repeats)]
    e, m = statistics.median(t_epoch), statistics.median(t_probe)
    print(f"device: {env.device_name('cpu')}; {quiet.name}: {quiet.met} ({quiet.detail})")
    print(f"MNIST, {c['n_train']} images, batch {c['batch']}: training epoch {e:.2f} s, probe (IHYLL on "
          f"{c['mi']['n']} samples) {m:.2f} s = {100 * m / e:.1f}% of the epoch (goal <= {100 * mi_lr.MI_COST_GOAL:.0f}%)")
