"""MNIST held in memory as tensors: read once with torchvision, then shuffled, batched and augmented by indexing.

A DataLoader with per-sample PIL transforms spends most of an epoch in Python; with the whole set as one
tensor an epoch is a loop over index slices, and augmentation is one affine_grid/grid_sample call per batch.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import torch
import torch.nn.functional as F

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
    """MNIST could not be found or read; the message says what to do about it."""


@dataclass
class MnistSplit:
    images: torch.Tensor  # N x 1 x 28 x 28, float32 in [0, 1] (normalized per batch, after augmentation)
    labels: torch.Tensor  # N, int64

    def __len__(self) -> int:
        return len(self.labels)


def default_data_dir() -> Path:
    return Path(platformdirs.user_cache_dir("digitpad")) / "mnist"


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
            raise DataError(
                f"MNIST is not in {raw_folder(root)} and could not be downloaded ({error}).\n"
                f"Put the four files {', '.join(RAW_FILES)} in {raw_folder(root)}, "
                f"or point at a folder that holds MNIST/raw/ with --data-dir DIR or the DIGITPAD_DATA "
                f"environment variable."
            ) from None


def _read_split(root: Path, train: bool) -> MnistSplit:
    from torchvision.datasets import MNIST
    from torchvision.datasets.mnist import read_image_file, read_label_file

    try:
        dataset = MNIST(str(root), train=train, download=False)
        images, labels = dataset.data, dataset.targets
    except Exception as error:
        # torchvision reads both files in one go; read them one by one to name the broken one.
        prefix = "train" if train else "t10k"
        for name, reader in ((f"{prefix}-images-idx3-ubyte", read_image_file),
                             (f"{prefix}-labels-idx1-ubyte", read_label_file)):
            path = raw_folder(root) / name
            try:
                reader(str(path))
            except Exception as file_error:
                raise DataError(
                    f"{path} is not a readable MNIST file ({type(file_error).__name__}: {file_error}). "
                    f"It may be truncated or corrupt: delete it and run again to download it afresh, "
                    f"or replace it with a good copy."
                ) from None
        raise DataError(f"could not read MNIST from {raw_folder(root)}: {error}") from None

    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{raw_folder(root)} holds images of shape {tuple(images.shape[1:])}, not 28x28 MNIST.")
    if len(images) != len(labels):
        raise DataError(
            f"{raw_folder(root)}: {len(images)} images but {len(labels)} labels in the "
            f"{'training' if train else 'test'} files; one of them is truncated or from another set."
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{raw_folder(root)}: labels outside 0-9; these are not MNIST label files.")
    return MnistSplit(images.unsqueeze(1).float().div_(255), labels.long())


def ensure_data(data_dir: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The MNIST root with all four files present, downloading them if allowed; DataError otherwise."""
    root = resolve_data_dir(data_dir)
    missing = missing_files(root)
    if missing:
        if not download:
            raise DataError(
                f"MNIST is not in {raw_folder(root)} (missing: {', '.join(missing)}).\n"
                f"Put the four files {', '.join(RAW_FILES)} there, or point at a folder that holds "
                f"MNIST/raw/ with --data-dir DIR or the DIGITPAD_DATA environment variable."
            )
        _download(root)
    return root


def load_test_split(data_dir: str | os.PathLike | None = None, download: bool = True) -> MnistSplit:
    return _read_split(ensure_data(data_dir, download), train=False)


def load_mnist(data_dir: str | os.PathLike | None = None, download: bool = True,
               train_limit: int | None = None) -> tuple[MnistSplit, MnistSplit]:
    """(train, test) splits in memory. `train_limit` keeps the first N training images; test is always whole."""
    root = ensure_data(data_dir, download)
    train, test = _read_split(root, train=True), _read_split(root, train=False)
    if train_limit is not None:
        if train_limit < 1:
            raise DataError(f"--train-limit must be at least 1, not {train_limit}.")
        train = MnistSplit(train.images[:train_limit], train.labels[:train_limit])
    return train, test


def normalize(images: torch.Tensor) -> torch.Tensor:
    return (images - MNIST_MEAN) / MNIST_STD


def augment_batch(images: torch.Tensor, generator: torch.Generator, max_rotation: float = 10.0,
                  max_shift: float = 0.1, max_scale: float = 0.1) -> torch.Tensor:
    """Per-image random rotation (degrees), shift (fraction of the width) and scale, in one grid_sample.

    Works on [0, 1] images before normalization, so the zeros grid_sample pads with are true background.
    """
    n = images.shape[0]

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * limit

    angle = uniform(math.radians(max_rotation))
    scale = 1 + uniform(max_scale)
    shift_x, shift_y = uniform(2 * max_shift), uniform(2 * max_shift)  # affine_grid spans [-1, 1]: width 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin, shift_x], dim=1),
        torch.stack([sin, cos, shift_y], dim=1),
    ], dim=1)
    # Drawn on the CPU generator, so runs repeat exactly; moved to where the images live (a GPU, say).
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
