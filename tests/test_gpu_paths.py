"""``make test-gpu-paths``: the GPU's fast paths run before a GPU user meets them. With ``BOOK_FAST=1`` (bf16
autocast, channels_last and torch.compile, all on the CPU, which supports the three), a small fit compiles and
learns, and every chapter executes at the smoke profile, its runs in a tmp store. Skipped by ``make test``
(which runs without the switch); ``make test-gpu-paths`` sets it (about 30 min on 2 CPU cores, mostly compiling),
and ``.ci/run`` runs it after ``make test``."""
import os

import papermill as pm
import pytest
import torch
from test_chapters import CHAPTERS, ROOT, book_env, to_notebook  # noqa: F401 (book_env: the fixture)
from torch import nn

from lib import env, loader, train

pytestmark = pytest.mark.skipif(os.environ.get("BOOK_FAST") != "1",
                                reason="the fast paths' suite: make test-gpu-paths (BOOK_FAST=1)")


def test_every_switch_is_on():
    assert env.fast_paths("cpu") == {"amp": "bf16", "channels_last": True, "compile": True}


def test_a_compiled_bf16_channels_last_fit_learns(tiny):
    """A small conv net (channels_last matters for convs) under all three paths: it is compiled, its loss falls
    and it ends well above chance (3 classes: 33%)."""
    train.seed_everything(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 64, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    tr = loader.Loader.for_split(tiny, "train", batch_size=16, seed=3)
    te = loader.Loader.for_split(tiny, "test", batch_size=16, shuffle=False)
    fast = env.fast_paths("cpu")
    assert train.compiled(fast, train.standard_step)
    h = train.fit(model, opt, tr, te, epochs=6, progress=False, fast=fast)
    assert h.epochs[-1]["train_loss"] < h.epochs[0]["train_loss"] and h.last("test_acc") > 60
    assert next(model.parameters()).dtype == torch.float32        # autocast casts ops, not the weights


@pytest.mark.parametrize("src", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_at_smoke_with_every_fast_path(src, book_env):  # noqa: F811 (the fixture)
    nb = to_notebook(src, book_env / f"{src.stem}.ipynb")
    pm.execute_notebook(str(nb), str(book_env / "out.ipynb"), parameters={"profile": "smoke"},
                        cwd=str(ROOT / "book"), progress_bar=False, kernel_name="python3")
    assert (book_env / "figures" / src.stem / "claims.csv").exists()
    prov = (book_env / "figures" / src.stem / "provenance.json").read_text()
    assert '"compile": true' in prov and '"amp": "bf16"' in prov    # the kernel saw the switches
