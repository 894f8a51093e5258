"""lib.report: mean ± std, the separation rule, computed verdicts, saved files."""
import matplotlib.pyplot as plt
import pytest

from lib import report


def test_mean_std():
    assert report.mean_std([1.0, 3.0]) == "2.00 ± 1.41"
    assert report.mean_std([2.0]) == "2.00"
    assert report.mean_std([]) == "—"


def test_paper_vs_ours_names_the_profile():
    df = report.paper_vs_ours([{"quantity": "acc", "paper": 90.1, "ours": [88.0, 90.0]}], profile="small")
    assert df.loc[0, "ours (small)"] == "89.00 ± 1.41" and df.loc[0, "seeds"] == 2 and df.loc[0, "paper"] == 90.1


def test_separated():
    assert report.separated([10, 10.1], [5, 5.1]) is True
    assert report.separated([5, 5.1], [10, 10.1]) is False
    assert report.separated([5, 9], [6, 8]) is None          # the spread swamps the difference
    assert report.separated([5.0], [4.0], margin=2) is None


def test_verdicts_are_computed(private_dirs):
    c = report.Claims("99_test", "smoke")
    assert c.add("t", "a", rule="r", evidence="e", holds=True) == "reproduced"
    assert c.add("t", "b", rule="r", evidence="e", holds=False) == "not reproduced"
    assert c.add("t", "c", rule="r", evidence="e", holds=None) == "inconclusive"
    assert c.add("t", "d", rule="r", evidence="", not_run="no data") == "not run"
    with pytest.raises(TypeError):
        c.add("t", "e", rule="r", evidence="e", holds="yes")
    path = c.save()
    assert path == private_dirs / "figures" / "99_test" / "claims.csv"
    assert path.read_text().count("\n") == 5


def test_save_figure(private_dirs):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    assert report.save_figure(fig, "99_test", "line").stat().st_size > 1000
