"""Our KSG (``method="auto"``: k-d tree in few dimensions, exact torch max-norm distances in row blocks past
that) over the common k-d-tree implementation (scipy cKDTree with the max-norm for the joint k-th neighbour
and the marginal counts, as most published KSG code does), same data, same process, with equal estimates.
N = 1000 (the paper's subset), Y one-hot over 10 classes. Goal: >= 3x at 128 and 784 dimensions, no slower at 10.

    .venv/bin/python benchmarks/mi.py [--n 1000] [--repeats 3]
"""
import argparse
import statistics

import numpy as np

from lib import env
from lib.measure import mi
from lib.measure.timing import seconds_per_call

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    print(f"device: {env.device_name('cpu')}; N = {args.n}; k = 3")
    rng = np.random.default_rng(0)
    for dx in (10, 128, 784):
        labels = rng.integers(0, 10, args.n)
        x, y = rng.standard_normal((args.n, dx)) + labels[:, None] * 0.2, mi.one_hot(labels, 10)
        ours, tree = [], []
        for _ in range(args.repeats):
            ours.append(seconds_per_call(lambda: mi.ksg(x, y), 1))
            tree.append(seconds_per_call(lambda: mi.ksg(x, y, method="tree"), 1, warmup=0))
        same = mi.ksg(x, y) == mi.ksg(x, y, method="tree")
        o, t = statistics.median(ours), statistics.median(tree)
        print(f"(dim X, dim Y) = ({dx:>3}, 10): ours {o * 1e3:8.1f} ms   cKDTree {t * 1e3:8.1f} ms   "
              f"ratio {t / o:5.2f}x   estimates equal: {same}")
