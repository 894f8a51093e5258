"""lib.data: the mirror (plain and JPEG-encoded), the checks on load, clear errors, stratified subsets."""
import numpy as np
import pytest
import torch
from torchvision.io import encode_jpeg

from conftest import real_data, tiny_arrays
from lib import data


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def write_jpeg_mirror(folder, arrays):
    """The shared/data layout: ``x_<split>_jpeg`` (concatenated JPEG files) + ``x_<split>_offsets``."""
    folder.mkdir()
    out = {}
    for split in ("train", "test"):
        files = [encode_jpeg(torch.from_numpy(im).permute(2, 0, 1).contiguous(), quality=100).numpy()
                 for im in arrays[f"x_{split}"]]
        out[f"x_{split}_jpeg"] = np.concatenate(files)
        out[f"x_{split}_offsets"] = np.concatenate([[0], np.cumsum([len(f) for f in files])]).astype(np.int64)
        out[f"y_{split}"] = arrays[f"y_{split}"]
    np.savez(folder / "tiny_jpeg.npz", **out)


def test_missing_data_set_names_the_fix(cache):
    with pytest.raises(data.DataError, match=r"make data.*DATA_MIRROR"):
        data.load("tiny")


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="cifar100"):
        data.load("imagenet")


def test_plain_mirror_roundtrip(cache, tmp_path):
    arrays = tiny_arrays()
    (tmp_path / "mirror").mkdir()
    np.savez(tmp_path / "mirror" / "tiny.npz", **arrays)
    data.fetch("tiny", tmp_path / "mirror")
    ds = data.load("tiny")
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert not ds.lossy and "lossless" in ds.source


def test_jpeg_mirror_is_decoded_once_into_the_cache(cache, tmp_path):
    arrays = tiny_arrays()
    for split in ("train", "test"):            # smooth images, which JPEG keeps well
        n = len(arrays[f"y_{split}"])
        ramp = np.arange(8)[None, :, None, None] * 10 + np.arange(n)[:, None, None, None]  # max 209
        arrays[f"x_{split}"] = np.broadcast_to(ramp + np.array([0, 40, 80]), (n, 8, 8, 3)).astype(np.uint8)
    write_jpeg_mirror(tmp_path / "mirror", arrays)
    data.fetch("tiny", tmp_path / "mirror")
    ds = data.load("tiny")
    assert ds.x_train.shape == (60, 8, 8, 3) and ds.x_train.dtype == np.uint8
    err = np.abs(ds.x_train.astype(int) - arrays["x_train"]).mean()
    assert 0 < err < 5, err                       # JPEG at quality 100: close, not identical
    assert ds.lossy and "JPEG" in ds.source
    np.load(cache / "tiny.npz")["x_train"]        # the cache holds decoded pixels


@pytest.mark.parametrize("mutate, message", [
    (lambda a: a.update(y_train=a["y_train"][:-1]), "shape"),
    (lambda a: a.update(x_train=a["x_train"].astype(np.float32)), "dtypes"),
    (lambda a: a["y_train"].__setitem__(0, 7), "label 7"),
    (lambda a: a["y_train"].__setitem__(0, 1), "class counts"),
    (lambda a: a.pop("y_test"), "lacks"),
])
def test_bad_contents_are_named(cache, mutate, message):
    arrays = tiny_arrays()
    mutate(arrays)
    cache.mkdir()
    np.savez(cache / "tiny.npz", **arrays)
    with pytest.raises(data.DataError, match=message):
        data.load("tiny")


def test_truncated_file_says_which_and_what(cache):
    cache.mkdir()
    np.savez(cache / "tiny.npz", **tiny_arrays())
    raw = (cache / "tiny.npz").read_bytes()
    (cache / "tiny.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataError, match=r"tiny\.npz is truncated or corrupt"):
        data.load("tiny")
    with pytest.raises(data.CorruptData, match=r"tiny\.npz is truncated or corrupt.*delete it"):
        data.available(["tiny"])                 # corrupt is not "missing": a chapter must not skip it silently


def test_subset_is_stratified_and_seeded(tiny):
    a, b, c = (tiny.subset(30, 9, seed=s) for s in (1, 1, 2))
    assert np.bincount(a.y_train).tolist() == [10, 10, 10] and np.bincount(a.y_test).tolist() == [3, 3, 3]
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert tiny.subset(None, None, seed=0).x_train.shape == tiny.x_train.shape


@pytest.mark.parametrize("name", data.NAMES)
def test_real_data_sets_pass_their_checks(name):
    ds = real_data(name)
    assert ds.x_train.dtype == np.uint8 and len(ds.y_train) == sum(ds.spec.train_counts)
    if name == "cifar100":
        assert ds.y_train_coarse.max() == 19
        # every fine class belongs to exactly one coarse class
        pairs = np.unique(np.stack([ds.y_train, ds.y_train_coarse]), axis=1)
        assert pairs.shape[1] == 100
