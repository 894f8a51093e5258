"""Chapter 03 at the paper profile: one real step of ResNet-32 on CIFAR-10 under ActCooLR, with the
temperature measured on that step and fed to the scheduler."""
import math

from conftest import real_data
from lib import profiles
from lib.chapters import actcoolr


def test_paper_profile_pushes_one_real_step_through_actcoolr():
    real_data("cifar10")
    P = profiles.check("03_actcoolr", profile="paper", seeds=[0], device="cpu", max_steps=1)
    assert P.settings["resnet_depth"] == 32 and P.settings["batch"]["cifar10"] == 256
    cfg = actcoolr.config(P, data_name="cifar10", model="resnet_cifar", model_kwargs=dict(depth=32), lr=0.1, seed=0,
                   epochs=P.settings["epochs"], schedule=dict(name="actcoolr", sigma=1.2, t0=3.03, gamma=1.0, every=10))
    h = actcoolr.run(P, cfg, "paper step")
    e = h.epochs[0]
    assert len(h.epochs) == 1 and e["steps"] == 1 and math.isfinite(e["T_mean"]) and e["T_mean"] > 0


def test_paper_profile_has_three_seeds_for_every_comparison():
    assert len(actcoolr.PROFILES["paper"]["seeds"]) >= 3
