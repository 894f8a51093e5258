"""Chapter 03's helpers (moved out of the notebook's cells): each checked on a tiny hand-made input for the
value it computes."""
import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from lib import experiment, profiles
from lib.chapters import actcoolr
from lib.optim.actcoolr import LRS, erf_model
from lib.train import History


def history(*, train_acc: float = 60.0, test_acc: float = 50.0) -> History:
    """A fake two-epoch run whose loss falls 2.3 → 1.3."""
    return History(epochs=[{"epoch": e, "train_loss": 2.3 - e, "train_acc": train_acc, "test_acc": test_acc}
                           for e in range(2)])


def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))


def test_range_analysis_is_one_plain_cross_entropy_sgd_step_per_rate():
    model, xb, yb = tiny_net(), torch.randn(16, 2, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 3
    before = {k: v.clone() for k, v in model.state_dict().items()}
    temps = actcoolr.range_analysis(model, xb, yb, lrs=[0.0, 30.0])
    # by hand: one SGD step of the cross-entropy at rate 30 on a copy, then the share of the 16 positions
    # whose on/off pattern over the 4 channels is unchanged
    moved = tiny_net()
    torch.nn.functional.cross_entropy(moved(xb), yb).backward()
    with torch.no_grad():
        for p in moved.parameters():
            p -= 30.0 * p.grad
        same = ((model[0](xb) > 0) == (moved[0](xb) > 0)).all(dim=1).sum().item()
    assert temps[0] == {"1": 0.0}                                    # rate 0: no pattern changes, T = 0
    assert same < 16 and temps[1]["1"] == -math.log2(max(same, 0.5) / 16)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())     # the model is left as it was


def test_fit_curve_gives_measured_and_fitted_change_probabilities():
    fit = {"sigma": 1.0, "mu": 0.0, "temperatures": np.array([1.0, 0.0])}
    points = actcoolr.fit_curve(fit, lrs=[1.0, math.e])
    assert [p["lr"] for p in points] == [1.0, math.e] and [p["T"] for p in points] == [1.0, 0.0]
    assert [p["P measured"] for p in points] == [0.5, 0.0]                             # 1 − 2^(−T)
    assert points[0]["P fitted"] == 0.5                                              # ln λ = μ: one half
    assert math.isclose(points[1]["P fitted"], 0.8413447, rel_tol=1e-6)              # one σ above μ: Φ(1)


def test_init_sigma_fits_the_range_analysis_of_the_seeds_initial_model(monkeypatch):
    P = profiles.check("03_actcoolr", profile="smoke", seeds=[0], device="cpu")
    built, analysed = [], []
    fake_build = lambda cfg, device: built.append(cfg) or experiment.Built(None, None, None, tiny_net(), None)
    p_change = erf_model(np.asarray(LRS), 1.5, math.log(0.05))   # σ 1.5, μ ln 0.05

    def fake_range_analysis(model, xb, yb):
        analysed.append((model, xb, yb))
        return [{"relu": -math.log2(1 - p)} for p in p_change]

    monkeypatch.setattr(experiment, "build", fake_build)
    monkeypatch.setattr(actcoolr, "range_analysis", fake_range_analysis)
    sigma = actcoolr.init_sigma(P, "resnet_cifar", {"depth": 8}, 3, "xb", "yb")
    assert math.isclose(sigma, 1.5, rel_tol=1e-4)
    (cfg,) = built
    assert (cfg["data"], cfg["model"], cfg["model_kwargs"], cfg["seed"], cfg["schedule"], cfg["epochs"]) == \
        ("cifar10", "resnet_cifar", {"depth": 8}, 3, None, 1)
    assert isinstance(analysed[0][0], nn.Sequential) and analysed[0][1:] == ("xb", "yb")


def test_sigma_path_joins_one_seeds_sigmas_and_names_the_undetermined():
    fits = pd.DataFrame({"data": ["cifar10"] * 4 + ["fashion_mnist"], "seed": [0, 0, 1, 0, 0],
                         "sigma": [1.234, math.nan, 9.0, 0.5, 3.0]})
    assert actcoolr.sigma_path(fits, "cifar10", 0) == "1.23→undetermined→0.50"
    assert actcoolr.sigma_path(fits, "cifar10", 1) == "9.00" and actcoolr.sigma_path(fits, "mnist", 0) == ""


def test_trained_names_every_run_by_seed():
    good, flat = history(test_acc=50.0), history(test_acc=12.0)                     # chance is 10%, margin 5 points
    assert actcoolr.trained({"a": [good, good]}, [0, 1]).met is True
    pre = actcoolr.trained({"a": [good], "b": [flat]}, [4])
    assert pre.met is False and pre.detail.startswith("b seed 4: ")


def test_trained_from_checks_only_the_given_initial_rates():
    per_lr = {1.0: [history(test_acc=10.0)], 0.1: [history()], 1e-2: [history()]}
    assert actcoolr.trained_from(per_lr, [0.1, 1e-2], [0]).met is True
    pre = actcoolr.trained_from(per_lr, [1.0, 0.1], [0])
    assert pre.met is False and pre.detail.startswith("from 1, seed 0: ")


def test_final_reads_the_last_epoch_or_nan():
    hs = [history(train_acc=70.0, test_acc=55.0), History()]
    assert actcoolr.final(hs, "test_acc")[0] == 55.0 and math.isnan(actcoolr.final(hs, "test_acc")[1])
    assert actcoolr.final(hs[:1], "train_acc") == [70.0] and math.isnan(actcoolr.final(hs[:1], "missing")[0])


def test_steps_per_epoch_counts_the_partial_last_batch():
    settings = {"n_train": {"cifar10": None, "fashion_mnist": 201}, "batch": {"cifar10": 256, "fashion_mnist": 50}}
    assert actcoolr.steps_per_epoch(settings, "cifar10") == 196                   # ⌈50,000 / 256⌉, the full set
    assert actcoolr.steps_per_epoch(settings, "fashion_mnist") == 5               # ⌈201 / 50⌉
