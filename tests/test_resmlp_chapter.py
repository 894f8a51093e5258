"""Chapter 02's helpers: the weight analyses measure what they say on matrices with known answers, the
claim rules decide as stated, the recipes and schedules are the paper's, and the paper profile pushes
one real step of ResMLP-S12 at 224×224 through the whole DeiT recipe."""
import numpy as np
import pandas as pd
import pytest
import torch

from conftest import real_data
from lib import data, experiment, optim, profiles
from lib.chapters import resmlp
from lib.models.resmlp import ResMLP

CH = "02_resmlp"


def test_small_share_counts_entries_below_five_percent_of_the_max():
    w = torch.tensor([[10.0, -0.49], [0.5, -0.2]])          # max 10: 0.49 and 0.2 are below 0.5, 0.5 is not
    assert resmlp.small_share(w) == 0.5


def model_with_A(A: torch.Tensor) -> ResMLP:
    m = ResMLP(dim=4, depth=1, num_classes=2, image_size=16, patch=4)     # 4×4 = 16 patches
    with torch.no_grad():
        m.blocks[0].cross_patch.A.weight.copy_(A)
    return m


def test_a_rows_picks_the_central_patches_rows_as_images():
    A = torch.arange(256.0).view(16, 16)
    rows = resmlp.a_rows(model_with_A(A), 0, central=2)                        # patches (1,1) (1,2) (2,1) (2,2)
    assert rows.shape == (4, 4, 4)
    np.testing.assert_array_equal(rows[0], A[5].view(4, 4).numpy())
    np.testing.assert_array_equal(rows[3], A[10].view(4, 4).numpy())


def test_locality_of_a_convolution_and_of_uniform_weights():
    n = 4
    conv = torch.zeros(16, 16)
    for r in range(n):
        for c in range(n):
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if 0 <= r + dr < n and 0 <= c + dc < n:
                        conv[r * n + c, (r + dr) * n + c + dc] = 1.0
    assert resmlp.locality(model_with_A(conv), 0) == (1.0, 9 / 16)             # all mass on the 3×3 neighbourhood
    share, uniform = resmlp.locality(model_with_A(torch.ones(16, 16)), 0)
    assert share == pytest.approx(uniform)


def test_sparsity_frame_reads_A_B_C_of_every_block():
    m = ResMLP(dim=8, depth=3, num_classes=2, image_size=16, patch=4)
    f = resmlp.sparsity_frame(m)
    assert len(f) == 9 and set(f["matrix"]) == {"A", "B", "C"} and f["sparsity"].between(0, 1).all()


def test_paper_deltas():
    assert resmlp.paper_delta("linear → none") == -20.1
    assert resmlp.paper_delta("Aff → LayerNorm") == 1.1
    assert resmlp.paper_delta("B24 patch 16 → 8") == 0.0                        # against B24, not S12


def test_initial_model_is_the_runs_start_and_a_moved_measures_from_it():
    P = profiles.check(CH, profile="smoke", seeds=[0], device="cpu")
    cfg = resmlp.config(P, model_kwargs=resmlp.model_kwargs(P, {}), recipe="modern", seed=3)
    a, b = resmlp.initial_model(cfg), resmlp.initial_model(cfg)
    assert resmlp.a_moved(a, b) == [0.0] * len(a.blocks)                        # same seed: the same A₀
    with torch.no_grad():
        a.blocks[0].cross_patch.A.weight.mul_(3.0)                          # A = 3·A₀: moved by 2‖A₀‖
    assert resmlp.a_moved(a, b, [0]) == [pytest.approx(2.0)]
    assert resmlp.a_moved(resmlp.initial_model({**cfg, "seed": 4}), b)[0] > 0        # another seed, another A₀


def test_sparsity_arrays_are_seeds_by_layers():
    m = ResMLP(dim=8, depth=3, num_classes=2, image_size=16, patch=4)
    sp = pd.concat([resmlp.sparsity_frame(m).assign(seed=s) for s in (0, 1)])
    arr = resmlp.sparsity_arrays(sp)
    assert set(arr) == {"A", "B", "C"} and arr["A"].shape == (2, 3)
    assert arr["B"][1, 2] == sp[(sp.seed == 1) & (sp.layer == 3) & (sp.matrix == "B")]["sparsity"].item()


def test_recipes_are_the_papers():
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu")
    rec = P.settings["recipes"]
    assert rec["modern"]["optimizer"] == dict(name="lamb", lr=5e-3, weight_decay=0.2)
    assert rec["modern"]["epochs"] == 400 and rec["old_fashioned"]["epochs"] == 90
    assert rec["old_fashioned"]["optimizer"]["name"] == "sgd" and rec["old_fashioned"]["schedule"] == "waterfall"
    assert rec["modern"]["regularize"] == dict(mixup=0.8, cutmix=1.0, smoothing=0.1, erasing=0.25)
    assert rec["modern_full"] == rec["modern"]                              # the paper profile *is* DeiT's recipe
    cfg = resmlp.config(P, model_kwargs=resmlp.model_kwargs(P, {}), recipe="modern", seed=0)
    assert cfg["model_kwargs"] == dict(dim=384, depth=12, image_size=224, patch=16, drop_path=0.1)
    assert resmlp.model_kwargs(P, "larger_patch")["patch"] == 32


def test_schedules():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    assert optim.make_scheduler("waterfall", opt, epochs=90).milestones == {30: 1, 60: 1, 80: 1}
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    s = optim.make_scheduler({"name": "cosine", "warmup": 2}, opt, epochs=6)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    assert lrs[:3] == pytest.approx([1 / 3, 2 / 3, 1.0]) and lrs[3] > lrs[4] > lrs[5] > 0
    with pytest.raises(ValueError, match="waterfall"):
        optim.make_scheduler("exotic", opt, epochs=6)


def test_kept_weights_are_the_trained_model(monkeypatch):
    from lib import train
    P = profiles.check(CH, profile="smoke", seeds=[0], device="cpu")
    cfg = {**resmlp.teacher_config(P), "kind": "tiny-teacher", "data": "tiny", "n_train": None, "n_test": None}
    cfg["model_kwargs"] = dict(widths=[4])
    with pytest.raises(FileNotFoundError, match="keep_weights"):
        experiment.trained_model(cfg)
    from conftest import tiny_arrays
    monkeypatch.setattr(data, "load", lambda name: data.Dataset(name="tiny", source="synthetic", **tiny_arrays()))
    h = experiment.run_classifier(cfg, progress=False)
    m = experiment.trained_model(cfg)
    ds = data.load("tiny")
    x = torch.from_numpy(ds.x_test).permute(0, 3, 1, 2).float()
    assert isinstance(h, train.History) and m(x).shape == (len(x), 3)


def test_paper_profile_pushes_one_real_step_of_s12_through_the_deit_recipe():
    real_data("cifar10")
    P = profiles.check(CH, profile="paper", seeds=[0], device="cpu", max_steps=1)
    cfg = resmlp.config(P, model_kwargs=resmlp.model_kwargs(P, {}), recipe="modern", seed=0)
    cfg.update(batch=8, n_test=16)      # one step at the paper's model, input size and recipe; a CPU-sized batch
    h = experiment.run_classifier(cfg, progress=False)
    assert len(h.epochs) == 1 and h.epochs[0]["steps"] == 1 and np.isfinite(h.epochs[0]["train_loss"])
