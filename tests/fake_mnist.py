"""Writes a small MNIST-format folder (IDX files, torchvision's layout) for tests that must not need the real set.

Each "digit" is a stack of label + 1 short horizontal strokes, placed with a little random jitter: a count the
seed Net learns within a few epochs whatever the augmentation, while the tests stay fast.
"""

import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray) -> None:
    # IDX header: two zero bytes, type code 0x08 (unsigned byte), number of dimensions, then each size big-endian.
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def fake_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 28, 28), np.uint8)
    for image, label in zip(images, labels):
        strokes = int(label) + 1
        top = 14 - strokes + int(rng.integers(-1, 2))
        left = 8 + int(rng.integers(-2, 3))
        for stroke in range(strokes):
            image[top + 2 * stroke, left:left + 12] = 255
    return images, labels


def write_fake_mnist(root: Path, n_train: int = 64, n_test: int = 32, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = fake_digits(n, rng)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root
