"""Stroke width: measured on the digit itself, and a hairline widened to MNIST's range.

A digit is scaled to a 20-pixel box whatever its size, so a fine pen on a digit filling the page gives a hairline
far thinner than MNIST's strokes (about 2 pixels wide at that scale), which the net misreads. The width is
measured at a working scale (the digit's longer side WORK_SIZE pixels) from the distance transform: along the
stroke's ridge (the medial axis), the distance to the background is half the stroke's width. A stroke thinner
than nearly all of MNIST's is widened; bold strokes are left as they are (see normalize_width). Pure numpy,
scipy.ndimage and Pillow.

scipy.ndimage is imported inside the functions that use it, as in preprocess.py and segment.py: the window
imports this pipeline before it shows and scipy's import (0.12-0.19 s) then comes in a thread once it has shown
(digitpad.app.preload_ink_pipeline).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

WORK_SIZE = 80  # 4x the 20-pixel digit box: fine enough to measure a 2-pixel stroke
# Measured on 20,000 of MNIST's training digits with `stroke_width` at WORK_SIZE (bench/stroke_widths.py prints
# it): median 9.0 (2.25 pixels in the 20-pixel box), 1st percentile 4.7, 5th 5.3, 95th 15. Chosen on the 5,000
# MNIST training digits held out of training (read as pictures) and on digits drawn as pictures with pens from a
# hairline to a marker: widening what is thinner than the 1st percentile to the 5th read the most of both.
# Widening more of MNIST's own digits (below the 5th percentile) read 0.1% fewer of them right.
THINNEST = 4.7
WIDENED_TO = 5.3


def to_work_size(ink: np.ndarray) -> np.ndarray:
    """The cropped ink resized (aspect kept) so its longer side is WORK_SIZE pixels."""
    height, width = ink.shape
    scale = WORK_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(ink.astype(np.float32)).resize(size, resample), dtype=np.float32)


def _ridge_and_distance(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage  # here, not at the top: see the module's docstring

    # Padded, so ink touching the crop's edge is measured against background, not cut short.
    distance = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    ridge = mask & (distance >= ndimage.maximum_filter(distance, size=3))
    return ridge, distance


def ink_mask(work: np.ndarray) -> np.ndarray:
    """Where the ink is, at work size: at least half as bright as the strokes are along their length.

    Half of full ink for most digits; but a hairline a pixel wide on a page-sized digit is shrunk to work size by
    averaging, and comes out at a third or half of full ink all along (full only where strokes cross): half of
    full ink would break it into dashes, read as a 1 or as no digit (the battery's hairlines read 73% right so).
    """
    inked = work[work > 0]
    if not inked.size:
        return work > 0
    return work >= 0.5 * min(1.0, float(np.percentile(inked, 95)))


def stroke_width(work: np.ndarray) -> float | None:
    """The typical stroke width of ink at work size, in pixels; None when there is no ink."""
    mask = ink_mask(work)
    if not mask.any():
        return None
    ridge, distance = _ridge_and_distance(mask)
    # A distance of d on the ridge means a stroke of 2d - 1 pixels (the ridge pixel itself counts once).
    return float(2 * np.median(distance[ridge]) - 1)


def normalize_width(work: np.ndarray) -> np.ndarray:
    """Ink at work size, its strokes widened to WIDENED_TO when they are thinner than THINNEST (then with a
    margin the widening may need).

    The ink stays where it was drawn. Bold strokes are not thinned: redrawing them along their ridge at MNIST's
    95th percentile, as an earlier version did, changed the 5% of MNIST's own digits that bold and read 0.2% fewer
    of the held-out digits right, and 90% instead of 95% of digits drawn with a pen a quarter to half their
    height.
    """
    width = stroke_width(work)
    if width is None or width >= THINNEST:
        return work
    from scipy import ndimage  # here, not at the top: see the module's docstring

    reach = (WIDENED_TO - width) / 2
    # Padded: the ink is cropped to its edges, and a stroke along one widens outwards too (the caller crops again).
    to_ink = ndimage.distance_transform_edt(~np.pad(ink_mask(work), int(np.ceil(reach)) + 1))
    # Soft-edged, as an antialiased pen draws: full ink within reach, fading over one pixel.
    return np.clip(reach + 0.5 - to_ink, 0, 1).astype(np.float32)
