"""Shared fixtures: a tiny synthetic data set registered in lib.data, and a private results/figures tree."""
import numpy as np
import pytest

from lib import data, report, runs

TINY = data.Spec((8, 8, 3), 3, (20, 20, 20), (6, 6, 6), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def tiny_arrays(seed: int = 0) -> dict:
    """A learnable 3-class problem: the class sets which channel is bright."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", 60), ("test", 18)):
        y = np.repeat(np.arange(3), n // 3).astype(np.uint8)
        x = rng.integers(0, 100, (n, 8, 8, 3)).astype(np.uint8)
        x[np.arange(n), :, :, y] += 150
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Every test writes results and figures under its own tmp folder, never the book's."""
    monkeypatch.setattr(runs, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(report, "FIGURES", tmp_path / "figures")
    monkeypatch.setitem(data.SPECS, "tiny", TINY)
    monkeypatch.setenv("ALLOW_CPU_PAPER", "1")      # tests build paper-profile configs on the CPU (none trains)
    return tmp_path


@pytest.fixture
def tiny() -> data.Dataset:
    return data.Dataset(name="tiny", source="synthetic", **tiny_arrays())


def real_data(name: str) -> data.Dataset:
    """The book's copy of a real data set, or skip the test (saying why) when ``make data`` has not run."""
    try:
        return data.load(name)
    except data.DataError as e:
        pytest.skip(f"{name} not in data/ ({e})")
