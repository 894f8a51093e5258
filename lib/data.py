"""Datasets as uint8 arrays, cached in ``data/<name>.npz`` and checked on every load.

Cache format (DESIGN.md): ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8, channels-last),
CIFAR-100 also ``y_train_coarse`` / ``y_test_coarse``, and ``source``: where the pixels came from.
Sources, in order: the cache; ``DATA_MIRROR``, a folder of such files (a file may hold its images
JPEG-encoded as ``x_<split>_jpeg`` bytes plus ``x_<split>_offsets``: decoded once, in batches); a
torchvision download. ``python -m lib.data`` fills the cache (``make data``).
"""
from __future__ import annotations

import argparse
import functools
import os
import pickle
import sys
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lib import ROOT

DATA_DIR = Path(os.environ.get("BOOK_DATA_DIR", ROOT / "data"))


@dataclass(frozen=True)
class Spec:
    image: tuple[int, ...]            # (H, W) or (H, W, C)
    classes: int
    train_counts: tuple[int, ...]     # images per class, train split
    test_counts: tuple[int, ...]
    mean: tuple[float, ...]           # per channel, of x/255 on the (lossless) train split
    std: tuple[float, ...]
    coarse: int = 0                   # number of coarse classes (CIFAR-100), 0 if none


SPECS = {
    "mnist": Spec((28, 28), 10,
                  (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
                  (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009), (0.1307,), (0.3081,)),
    "fashion_mnist": Spec((28, 28), 10, (6000,) * 10, (1000,) * 10, (0.2860,), (0.3530,)),
    "cifar10": Spec((32, 32, 3), 10, (5000,) * 10, (1000,) * 10,
                    (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": Spec((32, 32, 3), 100, (500,) * 100, (100,) * 100,
                     (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), coarse=20),
}
NAMES = tuple(SPECS)


class DataError(RuntimeError):
    """A data set is missing, truncated or fails its checks; the message names the fix."""


class CorruptData(DataError):
    """A cached data file that is there but unreadable or wrong: never reported as merely missing."""


@dataclass(frozen=True)
class Dataset:
    """One data set in memory: uint8 images (N, H, W[, C]) and uint8 labels (N,)."""
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    y_train_coarse: np.ndarray | None = None
    y_test_coarse: np.ndarray | None = None

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]

    @property
    def lossy(self) -> bool:
        return "jpeg" in self.source.lower()

    def subset(self, n_train: int | None, n_test: int | None, *, seed: int) -> "Dataset":
        """A stratified, seeded subset (class proportions kept); ``None`` keeps a split whole."""
        tr, te = _stratified(self.y_train, n_train, seed), _stratified(self.y_test, n_test, seed)
        pick = lambda a, i: None if a is None else a[i]
        return replace(self, x_train=self.x_train[tr], y_train=self.y_train[tr],
                       x_test=self.x_test[te], y_test=self.y_test[te],
                       y_train_coarse=pick(self.y_train_coarse, tr), y_test_coarse=pick(self.y_test_coarse, te))


def _stratified(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    from sklearn.model_selection import train_test_split
    if n is None or n >= len(y):
        return np.arange(len(y))
    classes = len(np.unique(y))
    if n < classes:
        raise ValueError(f"a stratified subset needs at least one image per class: n={n} < {classes} classes")
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(idx)


def cache_path(name: str) -> Path:
    if name not in SPECS:
        raise ValueError(f"unknown data set {name!r}; valid: {', '.join(NAMES)}")
    return DATA_DIR / f"{name}.npz"


def load(name: str) -> Dataset:
    """The cached data set, checked; raises :class:`DataError` naming the fix when it is not there."""
    path = cache_path(name)
    if not path.exists():
        raise DataError(f"data set {name!r} is not in {DATA_DIR}: run `make data` (set DATA_MIRROR to a "
                        f"folder of .npz files to copy from it; otherwise torchvision downloads it)")
    return _load(name, str(path), path.stat().st_mtime_ns)


def available(names) -> dict[str, Dataset]:
    """The data sets among ``names`` that are here, printing each one's source or why it is missing
    (a chapter's items that need a missing one say so and skip). A corrupt file raises :class:`CorruptData`."""
    found = {}
    for name in names:
        try:
            found[name] = load(name)
            print(f"{name}: {found[name].source}")
        except CorruptData:
            raise
        except DataError as e:
            print(f"{name}: not available ({e})")
    return found


NO_DATA = "{} is not in data/: run `make data` (DATA_MIRROR=<folder> on a machine without internet)"


@functools.lru_cache(maxsize=4)
def _load(name: str, path: str, mtime_ns: int) -> Dataset:
    """Read and check once per file version: a chapter's many runs share one read (~0.5 s, 184 MB)."""
    arrays = _read_npz(Path(path))
    _check(name, arrays, Path(path))
    for a in arrays.values():
        a.flags.writeable = False       # shared between callers: nobody may change it in place
    return Dataset(name=name, source=str(arrays.pop("source", "unknown")), **arrays)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as e:
        raise CorruptData(f"{path} is truncated or corrupt ({type(e).__name__}: {e}); "
                        f"delete it and run `make data`") from e


def _check(name: str, a: dict[str, np.ndarray], path: Path) -> None:
    """Shapes, dtypes, label ranges and class counts against :data:`SPECS`."""
    spec = SPECS[name]
    need = ["x_train", "y_train", "x_test", "y_test"] + (["y_train_coarse", "y_test_coarse"] if spec.coarse else [])
    missing = [k for k in need if k not in a]
    if missing:
        raise CorruptData(f"{path} lacks arrays {missing}; delete it and run `make data`")
    for split, counts in (("train", spec.train_counts), ("test", spec.test_counts)):
        x, y = a[f"x_{split}"], a[f"y_{split}"]
        problems = []
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            problems.append(f"dtypes {x.dtype}/{y.dtype}, expected uint8")
        if x.shape != (sum(counts), *spec.image):
            problems.append(f"x_{split} has shape {x.shape}, expected {(sum(counts), *spec.image)}")
        if y.shape != (sum(counts),):
            problems.append(f"y_{split} has shape {y.shape}, expected {(sum(counts),)}")
        elif y.max(initial=0) >= spec.classes:
            problems.append(f"y_{split} holds label {int(y.max())}, expected < {spec.classes}")
        elif tuple(np.bincount(y, minlength=spec.classes)) != counts:
            problems.append(f"y_{split} class counts {np.bincount(y).tolist()} differ from the known {list(counts)}")
        if spec.coarse and a[f"y_{split}_coarse"].max(initial=0) >= spec.coarse:
            problems.append(f"y_{split}_coarse holds labels >= {spec.coarse}")
        if problems:
            raise CorruptData(f"{path} fails its checks: {'; '.join(problems)}; delete it and run `make data`")


# ---------------------------------------------------------------- filling the cache

def fetch(name: str, mirror: str | Path | None = None) -> Path:
    """Fill ``data/<name>.npz`` from the cache, the mirror folder, or a torchvision download."""
    path = cache_path(name)
    if path.exists():
        load(name)                      # raises if the cached file is corrupt
        return path
    arrays = _from_mirror(name, Path(mirror)) if mirror else None
    if arrays is None:
        arrays = _from_torchvision(name)
    _check(name, arrays, Path(f"<{arrays['source']}>"))
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=DATA_DIR, suffix=".npz", delete=False) as tmp:
        np.savez(tmp, **arrays)         # uncompressed: loads in a second
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)          # atomic: a killed `make data` leaves no half file
    return path


def _from_mirror(name: str, mirror: Path) -> dict | None:
    for fname in (f"{name}.npz", f"{name}_jpeg.npz"):
        if (mirror / fname).exists():
            a = _read_npz(mirror / fname)
            for split in ("train", "test"):
                if f"x_{split}_jpeg" in a:
                    a[f"x_{split}"] = decode_jpegs(a.pop(f"x_{split}_jpeg"), a.pop(f"x_{split}_offsets"))
            lossy = "JPEG copy, lossy" if fname.endswith("_jpeg.npz") else "lossless"
            a["source"] = np.array(f"DATA_MIRROR/{fname} ({lossy})")
            return a
    return None


def decode_jpegs(data: np.ndarray, offsets: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Concatenated JPEG files -> (N, H, W, 3) uint8, decoded in batches by torchvision."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg
    buf = torch.from_numpy(np.ascontiguousarray(data))
    out = []
    for s in range(0, len(offsets) - 1, batch):
        ends = offsets[s:s + batch + 1]
        files = [buf[a:b] for a, b in zip(ends[:-1], ends[1:])]
        out.append(torch.stack(decode_jpeg(files, mode=ImageReadMode.RGB)).permute(0, 2, 3, 1))
    return torch.cat(out).numpy()


def _from_torchvision(name: str) -> dict:
    from torchvision import datasets
    raw = DATA_DIR / "raw"
    cls = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST,
           "cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}[name]
    try:
        tr, te = (cls(raw, train=t, download=True) for t in (True, False))
    except Exception as e:              # no internet: say what would have worked
        raise DataError(f"could not download {name!r} with torchvision ({e}); set DATA_MIRROR to a folder "
                        f"holding {name}.npz (e.g. ../shared/data) and run `make data`") from e
    a = {"x_train": np.asarray(tr.data, np.uint8), "y_train": np.asarray(tr.targets, np.uint8),
         "x_test": np.asarray(te.data, np.uint8), "y_test": np.asarray(te.targets, np.uint8),
         "source": np.array(f"torchvision download of {cls.__name__} (lossless)")}
    if name == "cifar100":              # torchvision keeps only fine labels; the pickles hold both
        for split in ("train", "test"):
            with open(raw / "cifar-100-python" / split, "rb") as f:
                a[f"y_{split}_coarse"] = np.asarray(pickle.load(f, encoding="latin1")["coarse_labels"], np.uint8)
    return a


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Fill data/ from DATA_MIRROR or torchvision downloads.")
    p.add_argument("names", nargs="*", default=list(NAMES), help=f"any of {', '.join(NAMES)}")
    p.add_argument("--allow-missing", action="store_true", help="report unavailable data sets, exit 0")
    args = p.parse_args(argv)
    mirror = os.environ.get("DATA_MIRROR") or None
    failed = []
    for name in args.names:
        try:
            print(f"{name}: {fetch(name, mirror)} ({load(name).source})")
        except DataError as e:
            failed.append(name)
            print(f"{name}: UNAVAILABLE: {e}", file=sys.stderr)
    return 0 if args.allow_missing or not failed else 1


if __name__ == "__main__":
    sys.exit(main())
