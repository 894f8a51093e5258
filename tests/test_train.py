"""lib.train: learning, History, epochs_to_target, divergence, determinism, max_steps, schedulers."""
import math

import pytest
import torch
from torch import nn

import tiny_run
from lib import loader, train


def test_fit_learns_and_records_every_epoch():
    h = tiny_run.run()
    assert [e["epoch"] for e in h.epochs] == list(range(tiny_run.EPOCHS))
    for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr", "time_s", "steps", "weight_norm"):
        assert all(key in e for e in h.epochs), key
    assert h.epochs[-1]["test_acc"] == 100.0 and h.best() == 100.0
    assert h.epochs[-1]["train_loss"] < h.epochs[0]["train_loss"]
    assert [e["lr"] for e in h.epochs] == pytest.approx([0.05, 0.05, 0.025, 0.025, 0.0125])  # MultiStepLR [2, 4]
    assert h.epochs[-1]["steps"] == tiny_run.EPOCHS * 4                                     # 60 images / 16


def test_same_config_same_numbers_on_cpu():
    a, b = tiny_run.run(), tiny_run.run()
    strip = lambda h: [{k: v for k, v in e.items() if k != "time_s"} for e in h.epochs]
    assert strip(a) == strip(b)


def test_epochs_to_target_is_zero_based_first_hit():
    h = train.History(epochs=[{"epoch": i, "test_acc": acc} for i, acc in enumerate([10, 50, 40, 80])])
    assert train.epochs_to_target(h, 50) == 1
    assert train.epochs_to_target(h, 10) == 0
    assert train.epochs_to_target(h, 81) is None


def test_non_finite_loss_stops_the_run_as_diverged():
    h = tiny_run.run(lr=1e6, epochs=20)
    assert h.diverged and len(h.epochs) < 20
    assert math.isnan(h.epochs[-1]["test_acc"])


def test_max_steps_caps_the_run():
    h = tiny_run.run(max_steps=6)
    assert h.epochs[-1]["steps"] == 6 and len(h.epochs) == 2


def test_per_batch_scheduler_steps_every_batch(tiny):
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tr = loader.Loader.for_split(tiny, "train", batch_size=10)
    te = loader.Loader.for_split(tiny, "test", batch_size=10, shuffle=False)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=12)
    h = train.fit(model, opt, tr, te, epochs=2, scheduler=sched, scheduler_interval="batch", progress=False)
    assert sched.last_epoch == 12 and h.epochs[1]["lr"] > h.epochs[0]["lr"]


def test_bad_arguments_fail_before_training(tiny):
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_interval"):
        train.fit(model, opt, None, None, epochs=1, scheduler_interval="step")
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, opt, None, None, epochs=0)
