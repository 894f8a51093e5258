"""One small, fully seeded training run (dropout, shuffling, augmentation, mixup and random erasing
from timm — which draw from Python's and numpy's generators — momentum, a scheduler):
used by the tests in-process and, for the kill-and-resume test, in a subprocess.

``python tests/tiny_run.py CHECKPOINT KILL_AT_EPOCH`` trains and SIGKILLs itself during that epoch's
measurement, i.e. after the epoch trained but before its checkpoint was written.
"""
import os
import signal
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from conftest import TINY, tiny_arrays  # noqa: E402
from lib import data, deit, loader, train  # noqa: E402

EPOCHS = 5


def run(checkpoint=None, kill_at=None, epochs=EPOCHS, lr=0.05, max_steps=None):
    data.SPECS.setdefault("tiny", TINY)
    ds = data.Dataset(name="tiny", source="synthetic", **tiny_arrays())
    train.seed_everything(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    tr = loader.Loader.for_split(ds, "train", batch_size=16, augment=loader.Augment(flip=True, crop_pad=1), seed=3)
    te = loader.Loader.for_split(ds, "test", batch_size=16, shuffle=False)

    def measure(model, epoch):
        if epoch == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return {"weight_norm": float(model[1].weight.detach().norm())}

    step = deit.DeitStep(deit.Regularize(mixup=0.4, smoothing=0.1, erasing=0.25), num_classes=3)
    return train.fit(model, opt, tr, te, epochs=epochs, scheduler=sched, checkpoint=checkpoint, measure=measure,
                     step=step, progress=False, max_steps=max_steps)


if __name__ == "__main__":
    run(checkpoint=sys.argv[1], kill_at=int(sys.argv[2]))
