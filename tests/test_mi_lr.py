"""lib/optim/mi_lr.py: the appendix policies case by case (intended and as printed), the scheduler's
parameter groups, value-only tracking and checkpoint state, and the per-epoch probe on a real model."""
import pytest
import torch

from conftest import real_data
from lib.optim.mi_lr import MIScheduler, Policy

P1 = Policy("change", lr_min=0.001, lr_max=0.1, gamma1=0.1, gamma2=1.0, eps=0.01)
P2 = Policy("value_and_change", lr_min=0.001, lr_max=0.1, gamma1=0.1, gamma2=0.1, gamma3=0.1, eps=0.01)


def test_policy1_increases_while_changing_then_decreases():
    assert P1.next_lr(0.01, [1.0, 1.5]) == pytest.approx(0.01 + 0.1 * (0.5 / 1.5))     # δ = 1/3 > ε
    assert P1.next_lr(0.01, [1.5, 1.5075]) == pytest.approx(0.01 - 1.0 * (0.0075 / 1.5075))
    assert P1.next_lr(0.099, [1.0, 3.0]) == 0.1                                        # capped at LR_max
    assert P1.next_lr(0.0015, [1.5, 1.51]) == 0.001                                     # floored at LR_min
    assert P1.next_lr(0.02, [1.5]) == 0.02                                              # one measurement: no change


def test_policy2_intended_cases():
    ixy = 2.0
    assert P2.next_lr(0.01, [1.0, 1.5], ixy) == pytest.approx(0.01 + 0.1 * 0.25)       # below bound, changing: up
    assert P2.next_lr(0.05, [1.5, 1.5], ixy) == pytest.approx(0.05 - 0.1 * 0.25)       # below bound, saturated: down
    assert P2.next_lr(0.05, [2.0, 2.5], ixy) == pytest.approx(0.05 + 0.1 * -0.25)      # above bound: down
    assert P2.next_lr(0.05, [2.5, 2.5], ixy) == pytest.approx(0.05 + 0.1 * -0.25)
    assert P2.next_lr(0.05, [1.5, 1.5], ixy, value_only=True) == pytest.approx(0.05 + 0.1 * 0.25)  # value only: up
    with pytest.raises(ValueError, match="IXY"):
        P2.next_lr(0.05, [1.5, 1.5])


def test_policy2_as_printed_raises_above_the_bound_and_skips_a_case():
    printed = Policy(**{**P2.__dict__, "as_printed": True})
    assert printed.next_lr(0.05, [2.5, 2.5], 2.0) == pytest.approx(0.05 - 0.1 * -0.25)  # row 2: an *increase*
    assert printed.next_lr(0.05, [1.5, 1.5], 2.0) == 0.05                               # d1 > 0, saturated: no row
    assert printed.next_lr(0.05, [2.0, 2.5], 2.0) == pytest.approx(0.05 + 0.1 * -0.25)


def test_bad_policies_fail():
    with pytest.raises(ValueError, match="unknown policy"):
        Policy("magic", lr_min=0.1, lr_max=0.2, gamma1=0.1, gamma2=0.1)
    with pytest.raises(ValueError, match="lr_min"):
        Policy("change", lr_min=0.2, lr_max=0.1, gamma1=0.1, gamma2=0.1)


def test_scheduler_sets_each_group_from_its_own_measurement_and_round_trips_its_state():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    opt = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters()}], lr=0.5)
    s = MIScheduler(opt, P2, keys=["IHY_a", "IHY_b"], ixy=2.0)
    assert [g["lr"] for g in opt.param_groups] == [0.001, 0.001]                       # start at LR_min
    for ma, mb in ((1.0, 2.5), (1.5, 2.5)):
        s.observe({"IHY_a": ma, "IHY_b": mb})
        s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001 + 0.1 * 0.25)               # a: below, changing
    assert opt.param_groups[1]["lr"] == 0.001                                            # b: above the bound
    state = s.state_dict()
    opt2 = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters()}], lr=0.5)
    s2 = MIScheduler(opt2, P2, keys=["IHY_a", "IHY_b"], ixy=2.0)
    s2.load_state_dict(state)
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups] and s2.history == s.history


def test_value_only_window():
    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.5)
    s = MIScheduler(opt, P2, ixy=2.0, value_only_epochs=(0, 2))
    s.history["IHYLL"] = [1.5, 1.5, 1.5]
    s.step()                                    # epoch 1 is in the window: saturated, but tracks the value: up
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001 + 0.1 * 0.25)
    s.step()                                    # epoch 2 is not: saturated below the bound: down (floored)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001)


def test_probe_measures_every_layer_of_the_keras_cnn(tiny):
    from lib.models.convnets import KerasCNN
    from lib.optim.mi_lr import Probe
    model = KerasCNN(in_chans=3, image_size=8, num_classes=3)
    probe = Probe(tiny, layers=["conv1", "dense1", "dense2"], output="dense2", n=30, tile=2)
    out = probe(model)
    assert set(out) == {"IHY_conv1", "IHY_dense1", "IHYLL", "IXY", "mi_time_s"} and out["IXY"] > 0
    assert model.training                                                               # mode restored


def test_paper_profile_pushes_one_real_step_with_the_probe():
    from lib import experiment, profiles
    from lib.chapters import mi_lr
    real_data("mnist")
    P = profiles.check("04_mi_learning_rate", profile="paper", seeds=[0], device="cpu", max_steps=1)
    lr, sched = mi_lr.schedules("mnist")["policy 2"]
    cfg = mi_lr.config(P, data="mnist", lr=lr, schedule=sched, seed=0)
    assert (cfg["n_train"], cfg["epochs"], cfg["batch"], cfg["mi"]["n"]) == (None, 50, 100, 1000)
    h = experiment.run_classifier(cfg, progress=False)
    e = h.epochs[0]
    assert len(h.epochs) == 1 and e["steps"] == 1 and e["lr"] == 0.001 and e["IXY"] == pytest.approx(2.30, abs=0.01)
