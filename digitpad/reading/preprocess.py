"""Turn a picture of one digit into the net's input, the way MNIST's digits were made.

MNIST's digits were cropped to their ink, scaled (aspect kept, antialiased) so the longer side is 20 pixels, and
placed in a 28x28 field with the ink's centre of mass at the centre, white ink on black. The net has only ever
seen digits made that way, so every picture it reads (the canvas, an opened image, `digitpad predict`) goes
through `preprocess` below (a number's digits, found by segment.py, each through `digit_field`). One step
MNIST did not need: a stroke far thicker or thinner than MNIST's is redrawn at MNIST's width (strokes.py), since
a pen's width is fixed while the digit is scaled to 20 pixels whatever its size. It stops at the 28x28 picture
in [0, 1]; the predictor normalizes it for the net. Pure numpy, scipy.ndimage and Pillow: no Qt, no torch.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .strokes import normalize_width, to_work_size

FIELD_SIZE = 28
DIGIT_SIZE = 20
# Where MNIST's digits have their centre of mass, in pixel indices (measured on the test set: 13.99, 14.01).
FIELD_CENTRE = 14.0
# Below this difference between the brightest ink and the background (on a 0-1 scale) a picture holds no digit,
# only noise: a blank page, an empty canvas.
MIN_CONTRAST = 0.15
# Once ink is stretched to 0-1, anything fainter is background noise (paper grain, JPEG ringing, sensor noise);
# left in, a single faint speck far from the digit would widen its bounding box.
NOISE_FLOOR = 0.25


def preprocess(grey: np.ndarray) -> np.ndarray | None:
    """The digit as MNIST would have it: 28 x 28 float32 grey levels in [0, 1], bright ink on black.

    `grey` is a 2-D array of grey levels, uint8 (0-255) or float (0-1), of any size, dark ink on light or light
    ink on dark. Returns None when the picture holds no ink.
    """
    ink = ink_layer(as_unit_floats(grey))
    if ink is None:
        return None
    return digit_field(ink)


def digit_field(ink: np.ndarray, normalize: bool = True) -> np.ndarray:
    """One digit's ink layer (bright on black, any size) as MNIST's 28 x 28 picture. `normalize=False` for ink
    whose strokes are already as wide as MNIST's (the pad's digits, redrawn for the net)."""
    if not normalize:
        return centre_by_mass(scale_to_digit_box(crop_to_ink(ink)))
    # Cropped again after the width is normalized: redrawing a stroke shortens its ends by its change in width.
    return centre_by_mass(scale_to_digit_box(crop_to_ink(normalize_width(to_work_size(crop_to_ink(ink))))))


def as_unit_floats(grey: np.ndarray) -> np.ndarray:
    grey = np.asarray(grey)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected a non-empty 2-D grey image, got an array of shape {grey.shape}")
    if grey.dtype == np.uint8:
        return grey.astype(np.float32) / 255
    # NaN (no reading) counts as black, +-inf as the extremes, rather than spreading through every sum.
    return np.clip(np.nan_to_num(grey.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0), 0, 1)


def ink_layer(grey: np.ndarray) -> np.ndarray | None:
    """Ink as bright (up to 1) on a black (0) background, noise removed; None when there is no ink.

    The background is the median of the border pixels, which a digit rarely covers: paper for a scan, the dark
    canvas for a drawing. If it is light, the picture is dark on light and gets inverted.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        grey, background = 1 - grey, 1 - background
    contrast = float(grey.max()) - background
    if contrast < MIN_CONTRAST:
        return None
    ink = np.clip((grey - background) / contrast, 0, 1)
    ink[ink < NOISE_FLOOR] = 0
    return ink


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def scale_to_digit_box(ink: np.ndarray) -> np.ndarray:
    """Scaled so the longer side is DIGIT_SIZE pixels, aspect kept; Pillow's resampling filters antialias."""
    height, width = ink.shape
    scale = DIGIT_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    scaled = Image.fromarray(ink).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(scaled, dtype=np.float32)


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """The digit in a FIELD_SIZE field, shifted by whole pixels to put its centre of mass at the centre.

    The shift is clamped so that no ink falls outside the field: a lopsided digit (a 7 with a heavy bar) ends
    up slightly off centre rather than cut.
    """
    height, width = digit.shape
    mass = float(digit.sum())
    centre_y = float(digit.sum(axis=1) @ np.arange(height)) / mass
    centre_x = float(digit.sum(axis=0) @ np.arange(width)) / mass
    top = min(max(round(FIELD_CENTRE - centre_y), 0), FIELD_SIZE - height)
    left = min(max(round(FIELD_CENTRE - centre_x), 0), FIELD_SIZE - width)
    field = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field
