"""Stroke width: measured on the digit itself and brought into MNIST's range when a pen made it far thicker or
thinner than MNIST's.

A digit is scaled to a 20-pixel box whatever its size, so the same pen gives a bold stroke to a digit written
small (its loops fill in: a 6 reads as an 8) and a hairline to one filling the page. MNIST's strokes are about
2 pixels wide at that scale. The width is measured at a working scale (the digit's longer side WORK_SIZE pixels)
from the distance transform: along the stroke's ridge (the medial axis), the distance to the background is half
the stroke's width. A width outside MNIST's range is replaced: the ridge is kept and redrawn at MNIST's median
width, which keeps every stroke and the holes between them. Pure numpy, scipy.ndimage and Pillow.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

WORK_SIZE = 80  # 4x the 20-pixel digit box: fine enough to measure a 2-pixel stroke
# Measured on 3,000 of MNIST's training digits with `stroke_width` at WORK_SIZE (bench/stroke_widths.py prints
# it): median 9.0 (2.25 pixels in the 20-pixel box), 5th percentile 5.3, 95th 15. Inside that range, where 90%
# of MNIST's digits are, a digit is left as it is. (The central 80%, 6.2 to 13, changed more of MNIST's own
# digits and read 0.3% fewer of them right.)
MNIST_WIDTH = 9.0
MNIST_WIDTH_RANGE = (5.3, 15.0)


def to_work_size(ink: np.ndarray) -> np.ndarray:
    """The cropped ink resized (aspect kept) so its longer side is WORK_SIZE pixels."""
    height, width = ink.shape
    scale = WORK_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(ink.astype(np.float32)).resize(size, resample), dtype=np.float32)


def _ridge_and_distance(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Padded, so ink touching the crop's edge is measured against background, not cut short.
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    ridge = mask & (distance >= ndimage.maximum_filter(distance, size=3))
    return ridge, distance


def stroke_width(work: np.ndarray) -> float | None:
    """The typical stroke width of ink at work size, in pixels; None when there is no ink."""
    mask = work >= 0.5
    if not mask.any():
        return None
    ridge, distance = _ridge_and_distance(mask)
    # A distance of d on the ridge means a stroke of 2d - 1 pixels (the ridge pixel itself counts once).
    return float(2 * np.median(distance[ridge]) - 1)


def normalize_width(work: np.ndarray) -> np.ndarray:
    """Ink at work size brought to the nearest edge of MNIST's range of stroke widths, when it is outside it.

    Too thick: the ridge is redrawn at the range's upper width. Too thin: the ink is widened to its lower width.
    Either way the ink stays where it was drawn, and inside the range nothing changes at all.
    """
    width = stroke_width(work)
    low, high = MNIST_WIDTH_RANGE
    if width is None or low <= width <= high:
        return work
    mask = work >= 0.5
    if width > high:
        ridge, _ = _ridge_and_distance(mask)
        to_ink, reach = ndimage.distance_transform_edt(~ridge), high / 2
    else:
        to_ink, reach = ndimage.distance_transform_edt(~mask), (low - width) / 2
    # Soft-edged, as an antialiased pen draws: full ink within reach, fading over one pixel.
    return np.clip(reach + 0.5 - to_ink, 0, 1).astype(np.float32)
