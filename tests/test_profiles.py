"""lib.profiles: defaults, and every bad parameter rejected before any compute with the valid values."""
import pytest

from lib import profiles
from lib.chapters import data_tools

CH = "00_data_and_tools"


def test_default_profile_on_this_machine():
    import torch
    assert profiles.resolve(None) == ("paper" if torch.cuda.is_available() else "small")
    assert profiles.resolve("auto") == profiles.resolve(None)


def test_valid_parameters():
    p = profiles.check(CH, profile="smoke", only="loader", seeds=3, device="cpu", max_steps=5)
    assert (p.profile, p.items, p.seeds, p.max_steps) == ("smoke", ["loader"], [3], 5)
    assert p.wants("loader") and not p.wants("datasets")
    assert p.settings == data_tools.PROFILES["smoke"] and p.paper == data_tools.PROFILES["paper"]


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "huge"}, "paper, small, smoke"),
    ({"only": ["table9"]}, "datasets, loader"),
    ({"seeds": []}, "seeds"),
    ({"seeds": [-1]}, "seeds"),
    ({"max_steps": 0}, "max_steps"),
    ({"device": "tpu"}, "device"),
])
def test_bad_parameters_name_the_valid_ones(kwargs, message):
    with pytest.raises(ValueError, match=message):
        profiles.check(CH, **kwargs)


def test_unknown_chapter_and_item():
    with pytest.raises(ValueError, match=CH):
        profiles.check("99_nothing")
    with pytest.raises(ValueError, match="no item"):
        profiles.check(CH).wants("fig9")


def test_the_paper_profile_on_a_cpu_asks_for_confirmation(monkeypatch):
    monkeypatch.delenv("ALLOW_CPU_PAPER")
    with pytest.raises(ValueError, match="ALLOW_CPU_PAPER=1"):
        profiles.check(CH, profile="paper", device="cpu")
    assert profiles.check(CH, profile="paper", device="cpu", max_steps=1).profile == "paper"   # a capped check
    monkeypatch.setenv("ALLOW_CPU_PAPER", "1")
    assert profiles.check(CH, profile="paper", device="cpu").profile == "paper"
