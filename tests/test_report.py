"""lib.report: mean ± std, claims recorded from decisions, smoke gives none, saved files."""
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lib import report, verdicts


def test_mean_std():
    assert report.mean_std([1.0, 3.0]) == "2.00 ± 1.41"
    assert report.mean_std([2.0]) == "2.00"
    assert report.mean_std([]) == "—"


def test_paper_vs_ours_names_the_profile():
    df = report.paper_vs_ours([{"quantity": "acc", "paper": 90.1, "ours": [88.0, 90.0]}], profile="small")
    assert df.loc[0, "ours (small)"] == "89.00 ± 1.41" and df.loc[0, "seeds"] == 2 and df.loc[0, "paper"] == 90.1


def test_verdicts_are_computed(private_dirs):
    c = report.Claims("99_test", "small")
    yes, no, und = verdicts.above([3, 3, 3.1], 2), verdicts.above([1, 1, 1.1], 2), verdicts.above([1, 2], 2)
    assert c.add("t", "a", yes, rule="r", paper="3", ours="3.03 ± 0.06") == "reproduced"
    assert c.add("t", "b", no, rule="r") == "not reproduced"
    assert c.add("t", "c", und, rule="r") == "inconclusive"
    assert c.add("t", "d", rule="r", not_run="no data") == "not run"
    with pytest.raises(TypeError):
        c.add("t", "e", True, rule="r")                  # a bare boolean is not a decision
    df = c.frame()
    assert list(df.columns) == report.COLUMNS
    assert df.loc[2, "reason"].startswith("fewer than 3 seeds") and df.loc[0, "n"] == "3"
    assert df.loc[3, "reason"] == "no data"
    path = c.save()
    assert path == private_dirs / "figures" / "99_test" / "claims.csv"


def test_smoke_gives_no_verdicts(private_dirs):
    c = report.Claims("99_test", "smoke")
    assert c.add("t", "a", verdicts.above([3, 3, 3.1], 2), rule="r") == report.SMOKE == "smoke (not a result)"
    assert c.add("t", "d", rule="r", not_run="no data") == "not run"


def test_failed_precondition_names_itself(private_dirs):
    c = report.Claims("99_test", "small")
    d = verdicts.require(verdicts.above([3, 3, 3.1], 2), [verdicts.trained("SGD", 2.04, 1.95)])
    assert c.add("t", "a", d, rule="r") == "inconclusive"
    row = c.frame().iloc[0]
    assert row.preconditions.startswith("failed: SGD trained") and "2.04 → 1.95" in row.reason


def test_save_figure(private_dirs):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    assert report.save_figure(fig, "99_test", "line").stat().st_size > 1000


def test_a_chapter_refuses_another_checkouts_lib(tmp_path):
    other = tmp_path / "clone"
    (other / "lib").mkdir(parents=True)
    (other / "lib" / "__init__.py").write_text("")
    (other / "book").mkdir()
    with pytest.raises(RuntimeError, match=rf"runs in {other}, but `lib` is imported from"):
        report.own_repository(other / "book")
    report.own_repository(report.ROOT / "book")          # its own checkout: fine
    report.own_repository(tmp_path)                       # outside any checkout (a scratch notebook): fine


def test_an_execution_of_some_items_keeps_the_other_items_claims(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "FIGURES", tmp_path)
    first = report.Claims("04_mi_learning_rate", "small", items=["fig3"])
    first.add("fig3", "MNIST claim", verdicts.exact(1.0, 1.0, atol=0.1), rule="r")
    first.save()
    second = report.Claims("04_mi_learning_rate", "small", items=["fig1"])
    second.add("fig1", "IXY claim", verdicts.exact(2.0, 1.0, atol=0.1), rule="r")
    saved = pd.read_csv(second.save(), keep_default_na=False, dtype=str)
    assert list(saved["item"]) == ["fig3", "fig1"]
    third = report.Claims("04_mi_learning_rate", "small", items=["fig3"])
    third.add("fig3", "MNIST claim, again", verdicts.exact(2.0, 1.0, atol=0.1), rule="r")
    saved = pd.read_csv(third.save(), keep_default_na=False, dtype=str)
    assert list(saved["claim"]) == ["IXY claim", "MNIST claim, again"]        # an item's own rows are replaced
