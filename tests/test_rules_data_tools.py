"""Chapter 00's rules: each outcome, and the precondition that timings come from an idle machine."""
from lib import verdicts
from lib.chapters import data_tools


def test_pixel_statistics_rule():
    assert data_tools.rule_pixel_statistics(0.0018).holds is True       # the JPEG CIFAR-10 copy's gap
    assert data_tools.rule_pixel_statistics(0.02).holds is False


def test_loader_speed_rule_three_outcomes():
    quiet, busy = verdicts.machine_quiet(0.1, 2), verdicts.machine_quiet(1.8, 2)
    assert quiet.met and not busy.met and "1.80" in busy.detail
    fast, slow = [99e3, 101e3, 100e3], [9.0e3, 9.1e3, 8.9e3]
    assert data_tools.rule_loader_speed(fast, slow, quiet).holds is True
    assert data_tools.rule_loader_speed([30e3, 31e3, 29e3], slow, quiet).holds is False
    assert data_tools.rule_loader_speed([60e3, 120e3, 90e3], slow, quiet).holds is None      # straddles 10×
    assert data_tools.rule_loader_speed(fast, slow, busy).holds is None                        # busy machine: no verdict
    assert data_tools.rule_loader_speed(fast[:2], slow[:2], quiet).reason.startswith("fewer than 3")
