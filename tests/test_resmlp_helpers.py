"""Chapter 02's notebook helpers (moved from its cells): each computes what it says on a tiny hand-made input."""
import pandas as pd
import pytest
import torch
from test_resmlp_chapter import model_with_A

from lib import train
from lib.chapters import resmlp


def hist(losses, accs) -> train.History:
    return train.History(epochs=[{"epoch": i, "train_loss": l, "test_acc": a}
                                 for i, (l, a) in enumerate(zip(losses, accs))])


def counts_table() -> pd.DataFrame:
    return pd.DataFrame({"variant": ["S12", "wide", "deep"], "paper params (M)": [15.4, 20.0, 30.0],
                         "ours params (M)": [15.41, 19.9, 30.25], "paper GFLOPs": [3.0, 4.3, 6.0],
                         "ours GFLOPs": [3.01, 4.249, 5.96]})


# ---- Table 3's counts ----

def test_by_variant_maps_each_row_to_its_value():
    assert resmlp.by_variant(counts_table(), "paper GFLOPs") == {"S12": 3.0, "wide": 4.3, "deep": 6.0}


def test_largest_gap_names_the_row_furthest_from_the_paper():
    t = counts_table()
    assert resmlp.largest_gap(t, "params (M)") == "largest |Δ|: deep, 30.250 vs 30.0"      # |0.25| > |−0.1|
    assert resmlp.largest_gap(t, "GFLOPs") == "largest |Δ|: wide, 4.249 vs 4.3"             # |−0.051| largest


# ---- Table 3's ablations ----

def test_ablation_deltas_stacks_ours_and_the_papers_where_it_has_a_row():
    t3 = pd.DataFrame({"variant": ["base", "LN", "patch"], "ours Δ": [0.0, 1.5, -0.5],
                       "paper Δ (ImageNet)": ["—", 1.1, "—"]})
    long = resmlp.ablation_deltas(t3, "smoke")
    assert list(long["variant"]) == ["base", "LN", "patch", "LN"]
    assert list(long["Δ"]) == [0.0, 1.5, -0.5, 1.1]
    assert list(long["source"]) == ["ours (CIFAR-10, smoke)"] * 3 + ["paper (ImageNet)"]


def test_ablation_preconditions_check_every_run_and_distinct_seeds():
    good = {("a", 0): hist([2.0, 1.0], [20.0, 40.0]), ("a", 1): hist([2.0, 1.1], [21.0, 41.0]),
            ("b", 0): hist([2.0, 1.2], [22.0, 42.0]), ("b", 1): hist([2.0, 1.3], [23.0, 43.0])}
    trained, distinct = resmlp.ablation_preconditions(good, [0, 1], ("a", "b"))
    assert trained.met and trained.detail == "all 4 runs" and distinct.met
    flat = {**good, ("b", 1): hist([2.0, 1.95], [23.0, 43.0])}                          # loss −2.5%
    trained, _ = resmlp.ablation_preconditions(flat, [0, 1], ("a", "b"))
    assert not trained.met and trained.detail.startswith("b, seed 1:")
    reused = {**good, ("a", 1): good["a", 0]}
    _, distinct = resmlp.ablation_preconditions(reused, [0, 1], ("a", "b"))
    assert not distinct.met and distinct.detail.endswith(": a")
    _, only_b = resmlp.ablation_preconditions(reused, [0, 1], ("b",))                    # a left out
    assert only_b.met


def test_accuracies_text_is_mean_and_std_per_label_in_order():
    acc = {"a": [1.0, 3.0], "b": [2.0], "c": [9.0]}
    assert resmlp.accuracies_text(acc, ("b", "a")) == "b 2.00; a 2.00 ± 1.41"


def test_paper_vs_baseline_reads_the_row_and_its_own_baseline():
    assert resmlp.paper_vs_baseline("Aff → LayerNorm") == "77.7 vs 76.6"                  # against S12
    assert resmlp.paper_vs_baseline("B24 patch 16 → 8") == "81.0 vs 81.0"                 # against B24


# ---- the training block ----

def test_by_recipe_groups_runs_per_recipe_then_seed():
    h = [hist([1.0], [float(i)]) for i in range(3)]
    rec = resmlp.by_recipe({("modern", 0): h[0], ("old", 0): h[1], ("modern", 1): h[2]})
    assert rec == {"modern": {0: h[0], 1: h[2]}, "old": {0: h[1]}}


def test_recipes_trained_names_the_recipe_and_seed_that_did_not():
    rec = {"modern": {0: hist([2.0, 1.0], [20.0, 40.0])}, "old": {3: hist([2.0, 1.0], [10.0, 12.0])}}
    assert resmlp.recipes_trained(rec, ("modern",)).met
    p = resmlp.recipes_trained(rec, ("modern", "old"))                                   # 12% < chance + 5
    assert not p.met and p.detail.startswith("old, seed 3:")


def test_training_table_rows_per_recipe_then_the_teacher():
    rec = {"modern": {0: hist([2.0, 1.0], [30.0, 40.0]), 1: hist([2.0, 1.0], [30.0, 42.0])},
           "modern_full": {0: hist([2.0, 1.5], [20.0, 25.0])}}
    t = resmlp.training_table(rec, hist([2.0, 1.0, 0.5], [40.0, 50.0, 60.5]), "small")
    assert list(t["recipe"]) == ["modern", "modern_full", "teacher (convnet)"]
    assert list(t["epochs"]) == [2, 2, 3] and list(t["seeds"]) == [2, 1, 1]
    assert list(t["paper (ImageNet, S12)"]) == [76.6, "—", "—"]                           # Table 3's modern row
    assert list(t["ours (small)"]) == ["41.00 ± 1.41", "25.00", "60.50"]                  # the last epoch's


# ---- Figure 2 ----

def test_locality_frame_one_row_per_seed_and_layer():
    local = torch.zeros(16, 16)
    for p in range(16):                                                   # each patch reads only itself
        local[p, p] = 1.0
    f = resmlp.locality_frame({0: model_with_A(local), 7: model_with_A(torch.ones(16, 16))})
    assert list(f["seed"]) == [0, 7] and list(f["layer"]) == [1, 1]
    assert f["local share"][0] == 1.0 and f["local share"][1] == pytest.approx(9 / 16)    # uniform: 9 of 16
    assert list(f["uniform"]) == [9 / 16, 9 / 16]
