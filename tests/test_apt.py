"""lib/measure/apt.py and lib/optim/actcoolr.py: the temperature of a layer whose sign flips are known, the
cap, the measuring mode (dropout off, BatchNorm's running statistics untouched), the erf model's fit on
synthetic measurements, and the learning rate ActCooLR aims for."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.measure import apt
from lib.optim import actcoolr


def one_relu(bias):
    m = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    with torch.no_grad():
        m[0].weight.fill_(1.0)
        m[0].bias.copy_(torch.tensor(bias))
    return m


def test_temperature_of_known_sign_flips():
    """Units: x + b. Moving unit 0's bias from 0 to −2 turns it off for x in (0, 2]: 2 of the 8 samples
    x = −3.5..3.5 change pattern, so P_same = 6/8 and T = −log2(0.75)."""
    m = one_relu([0.0, 0.0])
    x = torch.arange(-3.5, 4.0, 1.0)[:, None]

    def step(model, opt, xb, yb):
        with torch.no_grad():
            model[0].bias[0] -= 2.0

    _, temps = apt.same_batch_step(m, None, x, None, step)
    assert temps == {"1": pytest.approx(-math.log2(6 / 8))}


def test_conv_patterns_are_per_spatial_position_over_channels_and_capped():
    conv = nn.Sequential(nn.Conv2d(1, 3, 1), nn.ReLU())
    x = torch.randn(4, 1, 5, 5)
    before = apt.patterns(conv, x)
    assert before["1"].shape == (4, 3, 5, 5)
    flipped = {"1": ~before["1"]}
    assert apt.kept(before, flipped) == {"1": (0, 100)}                  # 4 samples × 25 positions, all changed
    assert apt.temperatures({"1": (0, 100)}) == {"1": pytest.approx(math.log2(200))}   # the cap: 0.5 / 100


def test_measuring_turns_dropout_off_and_keeps_batchnorm_running_stats():
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.ReLU()).train()
    x = torch.randn(16, 4)
    stats = m[1].running_mean.clone()
    a, b = apt.patterns(m, x), apt.patterns(m, x)
    assert torch.equal(a["3"], b["3"])                                  # the same function twice
    assert torch.equal(m[1].running_mean, stats) and m.training and m[2].training and m[1].momentum == 0.1


def test_range_analysis_restores_the_state_and_rises_with_the_rate():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 3))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(256, 10), torch.randint(0, 3, (256,))
    state = {k: v.clone() for k, v in m.state_dict().items()}

    def step(model, opt, xb, yb):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    temps = [apt.mean_temperature(t) for t in apt.range_analysis(m, opt, x, y, step, [1e-4, 1e-2, 1.0, 100.0])]
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in state.items()) and opt.param_groups[0]["lr"] == 0.1
    assert temps == sorted(temps) and temps[0] < 0.05 < temps[-1]          # monotone in the rate


def test_range_analysis_with_dropout_repeats_exactly_and_keeps_the_callers_rng():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 3))
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    x, y = torch.randn(128, 10), torch.randint(0, 3, (128,))

    def step(model, opt, xb, yb):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    before = torch.get_rng_state()
    first = apt.range_analysis(m, opt, x, y, step, [1e-2, 1.0])
    assert torch.equal(before, torch.get_rng_state())
    torch.rand(5)                                                          # another random state ...
    assert apt.range_analysis(m, opt, x, y, step, [1e-2, 1.0]) == first    # ... the same analysis
    assert apt.range_analysis(m, opt, x, y, step, [1e-2, 1.0], seed=1) != first


def test_erf_fit_recovers_sigma_and_mu_and_conversions_differ_as_stated():
    sigma, mu = 1.3, math.log(0.5)
    p = actcoolr.erf_model(actcoolr.LRS, sigma, mu)
    temps = -np.log2(1 - np.clip(p, 1e-9, 1 - 1e-9))                       # consistent pair: P = 1 − 2^(−T)
    s, m = actcoolr.fit(actcoolr.LRS, temps)
    assert s == pytest.approx(sigma, rel=1e-3) and m == pytest.approx(mu, abs=1e-3)
    assert actcoolr.fit(actcoolr.LRS, temps, as_printed=True) != pytest.approx((s, m), rel=1e-3)
    np.testing.assert_allclose(actcoolr.LRS, np.logspace(-3.2, 2, 25))
    assert actcoolr.LRS[0] == pytest.approx(0.000630957344480193) and actcoolr.LRS[-1] == 100.0


def test_lr_for_target_hits_the_target_under_the_model():
    sigma, mu = 0.8, math.log(0.05)
    lr_now = 0.2
    p_now = actcoolr.erf_model(lr_now, sigma, mu)
    lr = actcoolr.lr_for_target(lr_now, p_now, 0.3, sigma)
    assert actcoolr.erf_model(lr, sigma, mu) == pytest.approx(0.3, rel=1e-6)
    assert actcoolr.lr_for_target(lr_now, p_now, p_now, sigma) == pytest.approx(lr_now)


def test_actcoolr_moves_one_every_th_of_the_way_then_reapplies():
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    s = actcoolr.ActCooLR(opt, sigma=1.0, t0=3.03, gamma=1.0, total_steps=100, every=10)
    target = actcoolr.lr_for_target(0.1, float(apt.temp2prob(2.0)), float(apt.temp2prob(3.03)), 1.0)
    s.observe({"a": 1.0, "b": 3.0})                                      # mean temperature 2.0
    assert s.lr == pytest.approx(0.1 * 0.9 + target / 10)
    s.step()
    lr1 = s.lr
    s.step()
    assert s.lr == pytest.approx(lr1 + (target - 0.1) / 100)
    assert actcoolr.target_temperature(0.5, 3.03, 1.0) == pytest.approx(1.515)


def test_apt_step_measures_every_k_steps_per_epoch_and_feeds_the_scheduler():
    from lib import train
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.SGD(m.parameters(), lr=0.5)
    seen = []

    class Recorder:
        def observe(self, temps):
            seen.append(temps)

    step = apt.APTStep(train.standard_step, every=3, scheduler=Recorder())
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    for _ in range(7):
        step(m, opt, x, y, F.cross_entropy)
    assert len(seen) == 3                                                 # steps 0, 3, 6
    rec = step.epoch_record()
    assert set(rec) == {"T:1", "T_mean"} and rec["T_mean"] == pytest.approx(np.mean([t["1"] for t in seen]))
    step(m, opt, x, y, F.cross_entropy)
    assert len(seen) == 4                                                 # a new epoch measures at its step 0


def test_a_range_analysis_that_never_varies_is_not_fitted():
    from lib.chapters.actcoolr import fit_rows
    flat = [{"a": 5.0} for _ in actcoolr.LRS]                               # every pattern changes at every rate
    f = fit_rows(flat)
    assert f["identifiable"] is False and np.isnan(f["sigma"])
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="sigma"):
        actcoolr.ActCooLR(opt, sigma=f["sigma"], t0=3.0, gamma=1.0, total_steps=10)
