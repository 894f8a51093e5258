"""Chapter 01's helpers: the paper profile builds the paper's runs (one real step on the CPU), and the
claim rules compute what they say."""
import pandas as pd
import pytest

from conftest import real_data
from lib import experiment, profiles, train
from lib.chapters import kfac_mixer as K
from lib.models.mixer import CONFIGS

CH = "01_kfac_mlp_mixer"


def test_paper_profile_configs_are_the_papers():
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu")
    cfg = K.config(P, data="cifar10", model="S/16", optimizer=K.optimizer_spec("K-FAC", P), seed=0)
    assert cfg["model_kwargs"] == CONFIGS["S/16"] and cfg["augment"] == {"flip": True, "resize": 256, "center_crop": 224}
    assert (cfg["epochs"], cfg["batch"], cfg["n_train"]) == (100, 64, None)
    assert cfg["optimizer"] == dict(name="kfac", lr=1e-3, damping=1e-3, stat_decay=0.95, kl_clip=1e-2, stats_every=10,
                                    inv_every=100, momentum=0.9, weight_decay=1e-4)
    pt = K.config(P, data="cifar10", model="B/16-PT", optimizer=K.optimizer_spec("SGD", P), seed=0, checkpoint="x.pth")
    assert pt["model_kwargs"] == CONFIGS["B/16"] and pt["checkpoint"] == "x.pth"
    assert K.graft_spec("SGD", "SGD", P) == K.optimizer_spec("SGD", P)        # (A, A) shares A's run


def test_paper_profile_pushes_one_real_step_through_s16():
    real_data("cifar10")
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu", max_steps=1)
    cfg = K.config(P, data="cifar10", model="S/16", optimizer=K.optimizer_spec("K-FAC", P), seed=0)
    h = experiment.run_classifier(cfg, progress=False)
    assert len(h.epochs) == 1 and h.epochs[0]["steps"] == 1 and 0 <= h.epochs[0]["test_acc"] <= 100


def hist(accs):
    return train.History(epochs=[{"epoch": i, "test_acc": a} for i, a in enumerate(accs)])


def test_targets_rule_and_epochs_to_target():
    P = profiles.check(CH, profile="smoke")
    runs = {("S/4", "SGD", 0): hist([10, 30]), ("S/4", "Adam", 0): hist([20, 40]), ("S/4", "K-FAC", 0): hist([50, 50])}
    assert K.targets(P, runs, ["S/4"], K.PAPER_TARGETS_T2) == {"S/4": 36.0}     # 0.9 × mean(30, 40, 50)
    assert K.mean_epochs(runs, "S/4", "SGD", 36.0) == 2                           # never reached: counts 2 epochs
    assert K.mean_epochs(runs, "S/4", "K-FAC", 36.0) == 0
    assert K.targets(profiles.check(CH, profile="paper"), runs, ["S/4"], K.PAPER_TARGETS_T2) == {"S/4": 80}


def test_spread_and_graft_gaps():
    acc = {("S/4", "SGD"): [80, 82], ("S/4", "Adam"): [70, 70], ("S/4", "K-FAC"): [79, 79]}
    assert K.spread(acc, "S/4") == 11
    assert K.extremes_separated(acc, "S/4") is True
    tab = pd.DataFrame({"SGD": [70.0, 80.0], "K-FAC": [71.0, 80.5]}, index=["SGD", "K-FAC"])
    assert K.row_and_column_gaps(tab) == (0.75, 9.75)
