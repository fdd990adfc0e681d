"""Personal sets for tests that need no canvas: digits drawn with numpy, as a scan or a canvas would give them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.personal_set import PersonalSet


def drawn_digit(digit: int, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """A picture of `digit` + 1 short vertical bars (the fake MNIST's horizontal ones, turned: an "unusual hand"),
    light ink on a dark square like `DrawingCanvas.ink_image()`, uint8."""
    picture = np.zeros((size, size), np.uint8)
    bars = digit + 1
    top = size // 4 + int(rng.integers(-8, 9))
    left = size // 2 - 12 * bars + int(rng.integers(-8, 9))
    for bar in range(bars):
        x = left + 24 * bar
        picture[top:top + size // 2, x:x + 10] = 255
    return picture


def write_personal_set(folder: Path, per_digit: int, digits=range(10), seed: int = 0) -> PersonalSet:
    personal = PersonalSet(folder)
    rng = np.random.default_rng(seed)
    for digit in digits:
        for _ in range(per_digit):
            assert personal.add(digit, drawn_digit(digit, rng)) is not None
    return personal
