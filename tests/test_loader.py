"""lib.loader: one pass over the data per epoch, exact flips and in-bounds crops, torchvision-equal resizing."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2 as T

from lib import loader


def coded_images(n=50, size=8):
    """Images whose every pixel is distinct within an image, so a crop's offset can be read back."""
    x = np.zeros((n, size, size, 3), np.uint8)
    x[..., 0] = np.arange(size * size).reshape(size, size) + 1
    x[..., 1] = np.arange(n)[:, None, None]
    return x


def raw_loader(x, y, **kw):
    kw.setdefault("batch_size", 7)
    return loader.Loader(x, y, mean=(0, 0, 0), std=(1, 1, 1), **kw)


def test_every_sample_once_per_epoch():
    x = coded_images()
    L = raw_loader(x, np.arange(50), augment=loader.Augment(normalize=False))
    assert len(L) == 8
    for _ in range(2):
        seen = torch.cat([yb for _, yb in L])
        assert sorted(seen.tolist()) == list(range(50))
    L = raw_loader(x, np.arange(50), drop_last=True)
    assert sum(len(yb) for _, yb in L) == 49


def test_shuffle_depends_on_seed_and_epoch_only():
    x = coded_images()
    a = raw_loader(x, np.arange(50), seed=1)
    b = raw_loader(x, np.arange(50), seed=1)
    e0 = [yb for _, yb in a]
    e1 = [yb for _, yb in a]
    b.set_epoch(1)
    assert not torch.equal(e0[0], e1[0])
    assert all(torch.equal(p, q) for p, q in zip(e1, [yb for _, yb in b]))


def test_flip_is_a_mirror_image():
    x = coded_images()
    L = raw_loader(x, np.arange(50), augment=loader.Augment(flip=True, normalize=False), batch_size=50)
    xb, yb = next(iter(L))
    xb = (xb * 255).round()                      # normalize=False gives x / 255
    orig = torch.from_numpy(x).permute(0, 3, 1, 2).float()[yb]
    flipped = torch.tensor([torch.equal(a, o.flip(-1)) for a, o in zip(xb, orig)])
    same = torch.tensor([torch.equal(a, o) for a, o in zip(xb, orig)])
    assert (flipped | same).all() and flipped.any() and same.any()


def test_crops_stay_in_bounds_and_match_a_padded_window():
    x, pad = coded_images(), 3
    L = raw_loader(x, np.arange(50), augment=loader.Augment(flip=True, crop_pad=pad, normalize=False), batch_size=50)
    xb, yb = next(iter(L))
    xb = (xb * 255).round()
    padded = F.pad(torch.from_numpy(x).permute(0, 3, 1, 2).float(), (pad,) * 4)
    offsets = set()
    for img, i in zip(xb, yb):
        windows = [(dy, dx) for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)
                   for w in [padded[i, :, dy:dy + 8, dx:dx + 8]] if torch.equal(img, w) or torch.equal(img, w.flip(-1))]
        assert len(windows) >= 1, "every crop is some window of the padded image"
        offsets.add(windows[0])
    assert len(offsets) > 5   # the offsets vary


def test_resize_and_center_crop_match_torchvision():
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    L = raw_loader(x, np.arange(4), shuffle=False, batch_size=4,
                   augment=loader.Augment(resize=64, center_crop=56, normalize=False))
    ours = next(iter(L))[0] * 255
    ref = T.Compose([T.Resize(64, antialias=True), T.CenterCrop(56)])(torch.from_numpy(x).permute(0, 3, 1, 2))
    assert ours.shape == (4, 3, 56, 56)
    assert (ours - ref.float()).abs().max() <= 1


def test_normalisation_uses_the_constants():
    x = np.full((4, 2, 2, 3), 51, np.uint8)      # 51/255 = 0.2
    L = loader.Loader(x, np.zeros(4), mean=(0.1, 0.2, 0.3), std=(0.5, 0.5, 0.5), batch_size=4)
    xb, _ = next(iter(L))
    torch.testing.assert_close(xb[0, :, 0, 0], torch.tensor([0.2, 0.0, -0.2]))


def test_grayscale_gets_a_channel_axis():
    L = loader.Loader(np.zeros((3, 28, 28), np.uint8), np.zeros(3), mean=(0.5,), std=(0.5,), batch_size=3)
    assert next(iter(L))[0].shape == (3, 1, 28, 28)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        raw_loader(coded_images(), np.arange(50), batch_size=0)
