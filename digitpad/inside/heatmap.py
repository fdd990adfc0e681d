"""Arrays as heat-map pictures: colour tables, and many small maps turned into QImages in one numpy step.

Shared by the inside view (feature maps, saliency) and the Train tab's filter view. Colour tables:
"viridis" (dark blue to yellow, for magnitudes such as activations), "diverging" (blue, white, red, for values
with a sign such as filter weights, where white is zero) and "grey" (for the input picture itself).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

# Control points of matplotlib's viridis (perceptually uniform, readable in grey and by colour-blind eyes).
_VIRIDIS = [(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
            (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)]
_DIVERGING = [(33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247), (253, 219, 199),
              (239, 138, 98), (178, 24, 43)]


def _table(points: list[tuple[int, int, int]]) -> np.ndarray:
    """256 RGBA colours interpolated through `points`, as uint8."""
    points = np.array(points, dtype=np.float64)
    where = np.linspace(0, len(points) - 1, 256)
    rgb = np.stack([np.interp(where, np.arange(len(points)), points[:, c]) for c in range(3)], axis=1)
    return np.concatenate([np.round(rgb), np.full((256, 1), 255)], axis=1).astype(np.uint8)


COLOR_TABLES = {"viridis": _table(_VIRIDIS), "diverging": _table(_DIVERGING),
                "grey": _table([(0, 0, 0), (255, 255, 255)])}


def value_range(values: np.ndarray, signed: bool = False) -> tuple[float, float]:
    """The range a colour table spans: min to max, or -m to m (m the largest magnitude) for signed values, so
    that zero is the table's middle. Never empty, so a constant map still draws."""
    if signed:
        top = float(np.abs(values).max()) if values.size else 0.0
        top = top if top > 0 else 1.0
        return -top, top
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    return (low, high) if high > low else (low, low + 1.0)


def color_indices(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values scaled to 0-255 over [low, high] (clipped), as uint8 indices into a colour table."""
    scaled = (np.asarray(values, dtype=np.float32) - low) * (255.0 / (high - low))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def rgba(values: np.ndarray, low: float, high: float, table: str = "viridis") -> np.ndarray:
    """... x H x W values as ... x H x W x 4 RGBA bytes."""
    return COLOR_TABLES[table][color_indices(values, low, high)]


def qimage(pixels: np.ndarray) -> QImage:
    """An H x W x 4 RGBA uint8 array as a QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def heat_images(maps: np.ndarray, low: float, high: float, table: str = "viridis") -> list[QImage]:
    """One QImage per map of a C x H x W stack, all on the same scale, so tiles can be compared."""
    colours = rgba(maps, low, high, table)
    return [qimage(tile) for tile in colours]


def overlay(grey: np.ndarray, heat: np.ndarray, low: float, high: float, table: str = "viridis",
            strength: float = 0.9, dim: float = 0.45) -> QImage:
    """A 28 x 28 [0, 1] picture, dimmed to `dim` of its brightness so colours stand out, with a heat map over it
    whose opacity grows with its size (for a signed map, with its distance from zero): where a pixel barely
    counts, the picture shows through."""
    base = np.repeat(np.clip(np.asarray(grey, np.float32), 0, 1)[..., None] * (255 * dim), 3, axis=2)
    colours = rgba(heat, low, high, table)[..., :3].astype(np.float32)
    middle = (low + high) / 2 if low < 0 < high else low
    weight = np.clip(np.abs(np.asarray(heat, np.float32) - middle) / max(high - middle, 1e-12), 0, 1)
    alpha = (strength * weight)[..., None]
    mixed = base * (1 - alpha) + colours * alpha
    return qimage(np.concatenate([np.round(mixed), np.full(mixed.shape[:2] + (1,), 255)], axis=2).astype(np.uint8))
