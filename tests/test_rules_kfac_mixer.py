"""Chapter 01's rules: each gives holds / refutes / inconclusive on synthetic per-seed numbers, fewer than 3 seeds
and a failed precondition leave it undecided, and every rule the paper prints numbers for holds on them (a printed
number repeated as 3 "seeds": a zero-width interval)."""
from lib import verdicts
from lib.chapters import kfac_mixer

FAILED = verdicts.check("SGD trained", False, "loss 2.04 → 1.95, -4%")
MET = verdicts.check("learning rates tuned at this scale", True)


def seeds(x, sd=0.3):
    """Three per-seed values around ``x``."""
    return [x - sd, x, x + sd]


def table(means: dict, sd=0.3) -> dict:
    """{model: {optimizer: mean}} -> {model: {optimizer: 3 per-seed values}}."""
    return {m: {o: seeds(v, sd) for o, v in per.items()} for m, per in means.items()}


def paper(tab: dict, models, column=0) -> dict:
    return {m: {o: [v] * 3 for o, (v,) in per.items()} for m, per in kfac_mixer.paper_values(tab, models, column).items()}


def test_similar_three_outcomes_and_the_papers_numbers():
    close = table({"S/4": {"SGD": 40.0, "Adam": 40.5, "K-FAC": 39.8}, "B/4": {"SGD": 41.0, "Adam": 41.2, "K-FAC": 40.6}})
    assert kfac_mixer.rule_similar(close).holds is True
    apart = table({"S/4": {"SGD": 40.0, "Adam": 47.0, "K-FAC": 39.8}, "B/4": {"SGD": 41.0, "Adam": 41.2, "K-FAC": 40.6}})
    assert kfac_mixer.rule_similar(apart).holds is False                       # S/4 Adam 7 points off: outside ±2.5
    noisy = table({"S/4": {"SGD": 40.0, "Adam": 41.0, "K-FAC": 39.8}, "B/4": {"SGD": 41.0, "Adam": 41.2, "K-FAC": 40.6}}, 3)
    assert kfac_mixer.rule_similar(noisy).holds is None                        # a 3-point seed spread: neither
    two = {m: {o: v[:2] for o, v in per.items()} for m, per in close.items()}
    assert kfac_mixer.rule_similar(two).holds is None and "fewer than 3 seeds" in kfac_mixer.rule_similar(two).reason
    assert kfac_mixer.rule_similar(close, [FAILED, MET]).holds is None
    assert "SGD trained" in kfac_mixer.rule_similar(close, [FAILED]).reason
    assert kfac_mixer.rule_similar(paper(kfac_mixer.PAPER_T2, ["S/4", "B/4"])).holds is True      # gaps up to 2.34 and 1.91
    # the rows the paper calls discrepant
    assert kfac_mixer.rule_similar(paper(kfac_mixer.PAPER_T2, ["S/16", "B/16"])).holds is False


def test_above_three_outcomes_per_pair_and_the_papers_numbers():
    acc = table({"S/16": {"K-FAC": 40.0, "SGD": 35.0, "Adam": 36.0}, "B/16": {"K-FAC": 38.0, "SGD": 33.0, "Adam": 34.0}})
    assert kfac_mixer.rule_above(acc, "K-FAC", "SGD").holds is True
    d = kfac_mixer.rule_above(acc, "SGD", "Adam")                        # one pair reversed: its own verdict
    assert d.holds is False and "S/16" in d.reason and "SGD − Adam" in d.reason
    close = table({"S/16": {"K-FAC": 40.0, "SGD": 39.8}, "B/16": {"K-FAC": 38.0, "SGD": 33.0}}, 2)
    assert kfac_mixer.rule_above(close, "K-FAC", "SGD").holds is None
    one = {m: {o: v[:1] for o, v in per.items()} for m, per in acc.items()}
    assert "fewer than 3 seeds" in kfac_mixer.rule_above(one, "K-FAC", "SGD").reason
    assert kfac_mixer.rule_above(acc, "K-FAC", "SGD", [FAILED]).holds is None
    up = paper(kfac_mixer.PAPER_T2, ["S/16", "B/16"])
    for high, low in (("K-FAC", "SGD"), ("SGD", "Adam"), ("K-FAC", "Adam")):
        assert kfac_mixer.rule_above(up, high, low).holds is True
    assert kfac_mixer.rule_above(paper(kfac_mixer.PAPER_T2, ["S/4"]), "K-FAC", "SGD").holds is False   # 32×32: SGD above


def test_above_on_epochs_to_target_and_the_papers_numbers():
    """Epochs: "K-FAC reaches the target first" is epochs SGD − K-FAC > 0, ``rule_above(ept, "SGD", "K-FAC")``."""
    fast = {"S/16": {"K-FAC": [1, 1, 2], "SGD": [5, 5, 6], "Adam": [9, 9, 10]},
            "B/16": {"K-FAC": [1, 1, 1], "SGD": [4, 4, 5], "Adam": [8, 8, 9]}}
    assert kfac_mixer.rule_above(fast, "SGD", "K-FAC").holds is True
    assert kfac_mixer.rule_above(fast, "K-FAC", "SGD").holds is False
    tied = {**fast, "S/16": {"K-FAC": [1, 2, 3], "SGD": [1, 3, 2], "Adam": [9, 9, 10]}}
    assert kfac_mixer.rule_above(tied, "SGD", "K-FAC").holds is None
    missed = verdicts.check("every run reached the target", False, "not reached by S/16 SGD seed 0")
    assert kfac_mixer.rule_above(fast, "SGD", "K-FAC", [missed]).holds is None
    ept = paper(kfac_mixer.PAPER_T2, ["S/16", "B/16"], 1)                      # 3 < 11 < 15, 2 < 6 < 10
    for first, later in (("K-FAC", "SGD"), ("SGD", "Adam"), ("K-FAC", "Adam")):
        assert kfac_mixer.rule_above(ept, later, first).holds is True


def test_best_three_outcomes_and_the_papers_numbers():
    kfac_best = table({"B/4": {"SGD": 10.0, "Adam": 11.0, "K-FAC": 14.0}, "B/16": {"SGD": 9.0, "Adam": 10.0, "K-FAC": 12.0}})
    assert kfac_mixer.rule_best(kfac_best, "K-FAC").holds is True
    d = kfac_mixer.rule_best(kfac_best, "SGD")
    assert d.holds is False and "B/4" in d.reason
    tie = table({"B/4": {"SGD": 10.0, "Adam": 11.0, "K-FAC": 11.2}, "B/16": {"SGD": 9.0, "Adam": 10.0, "K-FAC": 12.0}}, 1)
    assert kfac_mixer.rule_best(tie, "K-FAC").holds is None
    one = {m: {o: v[:1] for o, v in per.items()} for m, per in kfac_best.items()}   # the small profile's CIFAR-100
    assert "fewer than 3 seeds" in kfac_mixer.rule_best(one, "K-FAC").reason
    assert kfac_mixer.rule_best(kfac_best, "K-FAC", [FAILED]).holds is None
    assert kfac_mixer.rule_best(paper(kfac_mixer.PAPER_T3, ["B/4", "B/16"]), "K-FAC").holds is True       # claim 3
    assert kfac_mixer.rule_best(paper(kfac_mixer.PAPER_T2, ["B/16-PT"]), "SGD").holds is True             # claim 4, CIFAR-10
    assert kfac_mixer.rule_best(paper(kfac_mixer.PAPER_T3, ["B/16-PT"]), "SGD").holds is True             # claim 4, CIFAR-100
    assert kfac_mixer.rule_best(paper(kfac_mixer.PAPER_T2, ["S/4"]), "K-FAC").holds is False              # 32×32: SGD best


def test_magnitude_decides_three_outcomes_and_the_papers_numbers():
    assert kfac_mixer.rule_magnitude_decides({"S/16": seeds(4.0), "B/16": seeds(2.0)}).holds is True
    assert kfac_mixer.rule_magnitude_decides({"S/16": seeds(-3.0), "B/16": seeds(2.0)}).holds is False   # direction decides
    assert kfac_mixer.rule_magnitude_decides({"S/16": seeds(0.5, 2.0), "B/16": seeds(2.0)}).holds is None
    assert "fewer than 3 seeds" in kfac_mixer.rule_magnitude_decides({"S/16": [4.0], "B/16": [2.0]}).reason
    assert kfac_mixer.rule_magnitude_decides({"S/16": seeds(4.0)}, [FAILED]).holds is None
    gaps = {m: [kfac_mixer.column_minus_row_gap(kfac_mixer.PAPER_T4[m])] * 3 for m in kfac_mixer.PAPER_T4}
    assert [round(g[0], 2) for g in gaps.values()] == [4.97, 3.42, 4.92]
    assert kfac_mixer.rule_magnitude_decides(gaps).holds is True


def test_g_scaling_keeps_order_three_outcomes():
    AUTHORS_G = "K-FAC (authors' G)"
    kept = table({"S/16": {"K-FAC": 36.0, AUTHORS_G: 33.0, "SGD": 28.0}, "B/16": {"K-FAC": 34.0, AUTHORS_G: 31.0, "SGD": 29.0}})
    assert kfac_mixer.rule_g_scaling_keeps_order(kept, AUTHORS_G).holds is True
    # the committed small run's S/16: expand 35.9 and SGD 28.1, authors' 24.0 — the authors' G flips the order
    flipped = table({"S/16": {"K-FAC": 35.9, AUTHORS_G: 24.0, "SGD": 28.1},
                     "B/16": {"K-FAC": 34.0, AUTHORS_G: 31.0, "SGD": 29.0}})
    d = kfac_mixer.rule_g_scaling_keeps_order(flipped, AUTHORS_G)
    assert d.holds is False and "S/16" in d.reason
    below = table({"S/16": {"K-FAC": 25.0, AUTHORS_G: 24.0, "SGD": 28.0}})               # both below SGD: kept
    assert kfac_mixer.rule_g_scaling_keeps_order(below, AUTHORS_G).holds is True
    no_side = table({"S/16": {"K-FAC": 28.2, AUTHORS_G: 24.0, "SGD": 28.0}}, 2)
    d = kfac_mixer.rule_g_scaling_keeps_order(no_side, AUTHORS_G)
    assert d.holds is None and "no K-FAC vs SGD order to keep" in d.reason
    one = {m: {o: v[:1] for o, v in per.items()} for m, per in kept.items()}
    assert "fewer than 3 seeds" in kfac_mixer.rule_g_scaling_keeps_order(one, AUTHORS_G).reason
    assert kfac_mixer.rule_g_scaling_keeps_order(kept, AUTHORS_G, [FAILED]).holds is None


def test_unguarded_is_kfac_three_outcomes():
    assert kfac_mixer.rule_unguarded_is_kfac(1.0000, 0.8576).holds is True          # the committed small run's alignments
    assert kfac_mixer.rule_unguarded_is_kfac(0.95, 0.8576).holds is False
    d = kfac_mixer.rule_unguarded_is_kfac(1.0, 0.99995)                              # the control cannot tell them apart
    assert d.holds is None and "guarded cell" in d.reason
