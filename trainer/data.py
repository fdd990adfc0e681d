"""MNIST held in memory as tensors: read once, then shuffled, batched and augmented by indexing.

A DataLoader with per-sample PIL transforms spends most of an epoch in Python; with the whole set as one
tensor an epoch is a loop over index slices, and augmentation is one call per batch (see augment.py).

The four files are torchvision's layout (MNIST/raw/*-ubyte) and torchvision downloads them, but they are read
here with numpy: the IDX format is a 16-byte header and the pixels, and importing torchvision.datasets just to
read it costs 1.5 s and, while its extension loads, holds the GIL for up to 0.2 s, which froze the window of a
Train tab loading MNIST in its worker thread.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import MAX_VALIDATION_SHARE
from .paths import default_data_dir

# MNIST's pixel statistics on its training set; every input the net sees, training or drawing, uses them.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class DataError(Exception):
    """MNIST could not be found or read; the message says what to do about it.

    `folder_hint` is set when pointing at another folder would help: each front end then says how, in its own
    words (a command-line flag, a button).
    """

    def __init__(self, message: str, folder_hint: bool = False):
        super().__init__(message)
        self.folder_hint = folder_hint


@dataclass
class LabelledImages:
    images: torch.Tensor  # N x 1 x 28 x 28, float32 in [0, 1] (normalized per batch, after augmentation)
    labels: torch.Tensor  # N, int64

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int) -> LabelledImages:
        return LabelledImages(self.images[:n], self.labels[:n])


def as_split(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> LabelledImages:
    """N x 28 x 28 (or N x 1 x 28 x 28) images in [0, 1] and their N digits, arrays or tensors, as a split the
    engine and `evaluate` take. A set with no image, or not one digit per image, is refused (ValueError)."""
    images = torch.as_tensor(np.ascontiguousarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    labels = torch.as_tensor(np.asarray(labels, dtype=np.int64)).reshape(-1)
    if len(images) != len(labels) or not len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels: a set needs one digit per image")
    return LabelledImages(images, labels)


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The MNIST root: the folder given, else $DIGITPAD_DATA, else a per-user cache folder.

    The root is the folder that holds MNIST/raw/, as torchvision expects; pointing at MNIST/ or MNIST/raw/
    itself is forgiven, since that is what people tend to do.
    """
    if data_dir is None:
        data_dir = os.environ.get("DIGITPAD_DATA") or default_data_dir()
    root = Path(data_dir).expanduser()
    if root.name == "raw" and root.parent.name == "MNIST":
        return root.parent.parent
    if root.name == "MNIST" and (root / "raw").is_dir():
        return root.parent
    return root


def raw_folder(root: Path) -> Path:
    return root / "MNIST" / "raw"


def missing_files(root: Path) -> list[str]:
    return [name for name in RAW_FILES if not (raw_folder(root) / name).is_file()]


def _download(root: Path) -> None:
    from torchvision.datasets import MNIST

    # torchvision prints each failed mirror; the one message that matters is ours, below.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            MNIST(str(root), train=True, download=True)
            MNIST(str(root), train=False, download=True)
        except Exception as error:  # URLError, HTTP errors, checksum failures: all mean "not downloaded"
            # torchvision's message spans lines (each mirror tried, on a line of its own): ours is one line.
            why = " ".join(str(error).split())
            raise DataError(
                f"MNIST is not in {raw_folder(root)} and could not be downloaded ({why}). "
                f"Put the four files {', '.join(RAW_FILES)} there, or use a folder that already holds MNIST/raw/.",
                folder_hint=True) from None


def read_idx(path: Path, dimensions: int) -> np.ndarray:
    """An IDX file of unsigned bytes (MNIST's format) as an array; DataError naming the file if it is not one."""
    def broken(why: str) -> DataError:
        return DataError(f"{path} is not a readable MNIST file ({why}). It may be truncated or corrupt: delete it "
                         f"and run again to download it afresh, or replace it with a good copy.")

    try:
        data = path.read_bytes()
    except OSError as error:
        raise broken(error.strerror or str(error)) from None
    header = 4 + 4 * dimensions
    if len(data) < header or data[:4] != bytes([0, 0, 0x08, dimensions]):
        raise broken(f"it does not start as an IDX file of {dimensions} dimensions")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions))
    if len(data) != header + int(np.prod(shape)):
        raise broken(f"its header announces {shape} values, but it holds {len(data) - header} bytes of them")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def read_split(root: Path, train: bool) -> LabelledImages:
    prefix = "train" if train else "t10k"
    images = read_idx(raw_folder(root) / f"{prefix}-images-idx3-ubyte", 3)
    labels = read_idx(raw_folder(root) / f"{prefix}-labels-idx1-ubyte", 1)
    if images.shape[1:] != (28, 28):
        raise DataError(f"{raw_folder(root)} holds images of shape {images.shape[1:]}, not 28x28 MNIST.")
    if len(images) != len(labels):
        raise DataError(
            f"{raw_folder(root)}: {len(images)} images but {len(labels)} labels in the "
            f"{'training' if train else 'test'} files; one of them is truncated or from another set.")
    if len(labels) and labels.max() > 9:
        raise DataError(f"{raw_folder(root)}: labels outside 0-9; these are not MNIST label files.")
    pixels = torch.from_numpy(images.copy()).unsqueeze(1)
    return LabelledImages(pixels.float().div_(255), torch.from_numpy(labels.astype(np.int64)))


def ensure_data(data_dir: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The MNIST root with all four files present, downloading them if allowed; DataError otherwise."""
    root = resolve_data_dir(data_dir)
    missing = missing_files(root)
    if missing:
        if not download:
            raise DataError(
                f"MNIST is not in {raw_folder(root)} (missing: {', '.join(missing)}). "
                f"Put the four files {', '.join(RAW_FILES)} there, or use a folder that already holds MNIST/raw/.",
                folder_hint=True)
        _download(root)
    return root


def load_test_split(data_dir: str | os.PathLike | None = None, download: bool = True) -> LabelledImages:
    return read_split(ensure_data(data_dir, download), train=False)


def load_mnist(data_dir: str | os.PathLike | None = None, download: bool = True,
               train_limit: int | None = None) -> tuple[LabelledImages, LabelledImages]:
    """(train, test) splits in memory. `train_limit` keeps the first N training images; test is always whole."""
    root = ensure_data(data_dir, download)
    train, test = read_split(root, train=True), read_split(root, train=False)
    if train_limit is not None:
        train = train.head(train_limit)
    return train, test


def normalize(images: torch.Tensor) -> torch.Tensor:
    return (images - MNIST_MEAN) / MNIST_STD


# The validation images are always the same ones whatever the run's seed: a fixed permutation of the 60,000.
VALIDATION_SEED = 20261125


def split_validation(train_split: LabelledImages, count: int) -> tuple[LabelledImages, LabelledImages | None]:
    """(training, validation): `count` images held out (at most a sixth of a small set), the rest to train on.
    The caller reads how many were held out from the validation split: on a small set, fewer than `count`."""
    count = min(count, len(train_split) // MAX_VALIDATION_SHARE)
    if count <= 0:
        return train_split, None
    order = torch.randperm(len(train_split), generator=torch.Generator().manual_seed(VALIDATION_SEED))
    held, kept = order[:count], order[count:].sort().values
    return (LabelledImages(train_split.images[kept], train_split.labels[kept]),
            LabelledImages(train_split.images[held], train_split.labels[held]))
