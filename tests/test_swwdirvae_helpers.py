"""Chapter 05's table and figure helpers (moved out of the notebook's cells) on tiny inputs with known answers."""
import numpy as np
import pytest
import torch

from lib.chapters import swwdirvae


def test_table2_paper_cell_prints_mean_and_std_as_the_paper():
    assert swwdirvae.table2_paper_cell("GVAE", 0) == "27.16 ± 0.48"
    assert swwdirvae.table2_paper_cell("DirVAE", 2) == "5.06 ± 0.06"
    assert swwdirvae.table2_paper_cell("raw pixels", 1) == "3.21"             # no std printed: no "±"
    assert swwdirvae.table2_paper_cell("GVAE, sampled z", 0) == "—"           # a row the paper does not have


def test_proposal_model_and_run_keys():
    assert swwdirvae.proposal_model(4.0) == "β-SWWDirVAE (β = 4.0) + EfficientNet + SAM"
    assert swwdirvae.run_keys(("a", "b"), "cifar10", [0, 1]) == [("a", "cifar10", 0), ("a", "cifar10", 1),
                                                                 ("b", "cifar10", 0), ("b", "cifar10", 1)]
    assert swwdirvae.run_keys(("a",), "cifar10", []) == []


def test_denormalize_undoes_the_loaders_normalisation_and_clips():
    mean, std = (0.5, 0.0, 0.2), (0.25, 1.0, 0.1)
    x = torch.tensor([0.0, -1.0, 2.0, 4.0]).view(1, 1, 2, 2).repeat(1, 3, 1, 1)   # (1, 3, 2, 2)
    img = swwdirvae.denormalize(x, mean, std)
    assert img.shape == (1, 2, 2, 3)                                            # channels last
    np.testing.assert_allclose(img[0, :, :, 0], [[0.5, 0.25], [1.0, 1.0]])       # 0.5 + 0.25·x, clipped at 1
    np.testing.assert_allclose(img[0, :, :, 1], [[0.0, 0.0], [1.0, 1.0]])        # clipped at 0 and 1
    np.testing.assert_allclose(img[0, :, :, 2], [[0.2, 0.1], [0.4, 0.6]], rtol=1e-6)


def test_latent_rgb_rescales_each_channel_and_repeats_pixels():
    gray = torch.tensor([[0.0, 1.0], [2.0, 4.0]]).view(1, 1, 2, 2)
    img = swwdirvae.latent_rgb(gray, size=4)
    assert img.shape == (1, 4, 4, 3)
    expected = np.kron([[0.0, 0.25], [0.5, 1.0]], np.ones((2, 2)))            # min-max to [0, 1], 2x2 blocks
    for c in range(3):                                                          # one channel: gray
        np.testing.assert_allclose(img[0, :, :, c], expected, atol=1e-7)
    four = torch.arange(16.0).view(1, 4, 2, 2)
    four[0, 1] = torch.tensor([[3.0, 1.0], [1.0, 1.0]])
    img = swwdirvae.latent_rgb(four, size=2)                                    # first 3 channels, no repeat
    assert img.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(img[0, :, :, 0], [[0.0, 1 / 3], [2 / 3, 1.0]], atol=1e-6)
    np.testing.assert_allclose(img[0, :, :, 1], [[1.0, 0.0], [0.0, 0.0]], atol=1e-6)
    assert img.max() <= 1.0 and img.min() == pytest.approx(0.0)
