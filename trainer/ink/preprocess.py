"""Turn a picture of one digit into the net's input, the way MNIST's digits were made.

MNIST's digits were cropped to their ink, scaled (aspect kept, antialiased) so the longer side is 20 pixels, and
placed in a 28x28 field with the ink's centre of mass at the centre, white ink on black. The net has only ever
seen digits made that way, so every picture it reads (the canvas, an opened image, `digitpad predict`) goes
through `preprocess` below (a number's digits, found by segment.py, each through `digit_field`). One step
MNIST did not need: a hairline far thinner than MNIST's strokes is widened (strokes.py), since a pen's width is
fixed while the digit is scaled to 20 pixels whatever its size. And a photo's paper is rarely evenly lit: its
level is measured across the picture (`paper_level`). It stops at the 28x28 picture in [0, 1]; the predictor
normalizes it for the net. Pure numpy, scipy.ndimage and Pillow: no Qt, no torch.
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
# Uneven light: the background's level is measured in blocks of at least MIN_BLOCK pixels, about BLOCKS to the
# picture's longer side; levels that differ by less than UNEVEN count as even paper (one level for all of it).
BLOCKS = 16
MIN_BLOCK = 16
UNEVEN = 0.08
MIN_PAPER = 0.6  # the share of blocks that must be mostly paper for its level to be measured across the picture
INKED = 0.5      # a block is inked when its lighter quarter is this far from the paper's level to the ink's
SHADE = 0.65     # the most light shade takes from the best-lit paper (a vignette's corner: 53%); ink takes more
SMOOTH = 0.7     # the least share of the paper blocks' variation light explains (0.7-0.9; ink's soft edges 0.1-0.5)


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
    canvas for a drawing. If it is light, the picture is dark on light and gets inverted. Paper under uneven
    light (a phone photo's shadow or vignette) is measured where it is (`paper_level`), and on light paper the
    ink is measured against the paper's brightness around it: the same pen is fainter in the shade.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    light = background > 0.5
    if light:
        grey, background = 1 - grey, 1 - background
    level = paper_level(grey, background)
    if isinstance(level, np.ndarray):
        ink = grey - level
        # Noise in deep shade, magnified below, is no ink: ink must stand out as much as on even paper.
        if float(ink.max()) < MIN_CONTRAST or (light and is_only_shade(grey, level)):
            return None
        if light:  # ink darkens the paper by a share of the light falling on it
            ink /= np.maximum(1 - level, 0.25)  # not in near darkness, where it would only magnify noise
    else:
        ink = grey - background
    contrast = float(ink.max())
    if contrast < MIN_CONTRAST:
        return None
    ink = np.clip(ink / contrast, 0, 1)
    ink[ink < NOISE_FLOOR] = 0
    return ink


def paper_level(grey: np.ndarray, background: float) -> np.ndarray | float:
    """The background's level under each pixel of `grey` (ink bright, background dark), or `background` itself
    when the background is even.

    Light over a sheet of paper changes smoothly (a lamp to one side, a phone's vignette, a soft shadow), so the
    background is modelled as a smooth surface, a quadratic in x and y, fitted to the background level of square
    blocks (about BLOCKS to the picture's longer side; a block's darkest quarter, since ink rarely covers three
    quarters of one). Only blocks that are mostly paper (three quarters nearer the surface's level than the
    ink's) count: the fit is repeated without the others. What the surface misses block by block (a shadow's
    edge) is added back, spread smoothly. One level is kept for pictures too small to hold lighting worth
    correcting, for pictures that are mostly ink (a tight crop of a digit: under MIN_PAPER of the blocks are
    mostly paper), for paper whose blocks the surface explains poorly (under SMOOTH of their variation: they vary
    block by block, as the soft grey edges of an enlarged low-resolution scan do, and light does not), and for
    paper whose surface varies by less than UNEVEN: then nothing changes.
    """
    height, width = grey.shape
    side = max(MIN_BLOCK, max(height, width) // BLOCKS)
    rows, columns = height // side, width // side
    if rows < 3 or columns < 3:
        return background
    step = max(1, side // 16)  # a 16 x 16 sample of each block tells its darkest quarter as well as every pixel
    blocks = grey[:rows * side, :columns * side].reshape(rows, side, columns, side)[:, ::step, :, ::step]
    levels, busiest, inkiest = np.percentile(blocks, [25, 75, 99], axis=(1, 3)).reshape(3, -1)
    # The ink's level: its darkest blocks', however little of the picture it covers (a small number on a big page).
    ink = float(inkiest.max())
    y, x = np.mgrid[0:rows, 0:columns]
    y, x = ((y.ravel() + 0.5) * side / height, (x.ravel() + 0.5) * side / width)
    terms = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)  # a quadratic in x and y
    kept = np.ones(len(levels), dtype=bool)
    for _ in range(4):
        coefficients = np.linalg.lstsq(terms[kept], levels[kept], rcond=None)[0]
        fitted = terms @ coefficients
        # Mostly paper: three quarters of the block nearer the paper than the ink. Shade is far lighter than ink.
        kept = busiest < fitted + INKED * (ink - fitted)
        if kept.mean() < MIN_PAPER:  # ink fills much of the picture (a tight crop): too little paper to go by
            return background
    # Light is smooth across the sheet: the surface explains most of the paper's variation. Where it explains
    # little, the paper's blocks vary block by block: the soft edges of ink, not light (a low-resolution scan
    # enlarged: its grey pixels span blocks).
    paper = levels[kept]
    if ((paper - fitted[kept]) ** 2).sum() > (1 - SMOOTH) * ((paper - paper.mean()) ** 2).sum():
        return background
    c = coefficients.astype(np.float32)

    def surface(x: np.ndarray, y: np.ndarray) -> np.ndarray:  # x a row, y a column: broadcast to the grid
        return c[0] + x * (c[1] + c[3] * x) + y * (c[2] + c[5] * y) + c[4] * x * y

    across = np.linspace(0, 1, 17, dtype=np.float32)
    if np.ptp(surface(across[None, :], across[:, None])) < UNEVEN:
        return background
    level = surface(np.arange(width, dtype=np.float32)[None, :] / width,
                    np.arange(height, dtype=np.float32)[:, None] / height)
    # What the smooth surface misses (a shadow's edge), block by block, spread over the blocks' own area (the strip
    # past the last whole block takes its edge); the blocks a stroke fills add nothing.
    missed = np.where(kept, levels - fitted, 0).reshape(rows, columns).astype(np.float32)
    missed = np.asarray(Image.fromarray(missed).resize((columns * side, rows * side), Image.Resampling.BILINEAR))
    return level + np.pad(missed, ((0, height - rows * side), (0, width - columns * side)), mode="edge")


def is_only_shade(grey: np.ndarray, level: np.ndarray) -> bool:
    """Whether nothing on light paper (`grey` inverted: ink bright) is darker than shade can make paper.

    With no ink on the page, the deepest shade is the darkest thing in it and may be taken for ink: a smooth
    shadow the paper's level cannot follow, or the noise in it. But a pen takes most of the light falling on the
    paper (85% for a ballpoint), and shade less than SHADE of the best-lit paper's light. Pixels are averaged in
    twos both ways first: sensor noise in single pixels would otherwise look darker than it is.
    """
    from scipy.ndimage import uniform_filter  # here, not at the top: see strokes.py

    lightest = float(level.min())  # the best-lit paper's darkness
    darkest = float(uniform_filter(grey, 2).max())
    return darkest - lightest < SHADE * (1 - lightest)


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
