"""The pad's strokes drawn again for the net, digit by digit, with a pen in proportion to each digit.

A digit is scaled to MNIST's 20-pixel box whatever its size, so the same pen would make a small digit bold (its
loops fill in) and a large one a hairline. So the strokes are rendered once to find the digits (SEGMENT_SIZE,
as the canvas renders them), then each digit's strokes again with a pen REDRAW_PEN of its longer side (MNIST's
median stroke over its box). The reader (digitpad.reading.reader) reads the pad this way; the trainer draws its
synthetic digits and non-digits the same way (`strokes_field`), and a sample saved from the pad is the picture
the pad read (`drawing_field`).
"""

from __future__ import annotations

import numpy as np

from .preprocess import digit_field
from .render import Stroke, render, render_region
from .segment import Segment, find_digits, whole_ink

REDRAW_PEN = 0.1125  # 2.25 / 20: MNIST's median stroke over its digit box
SEGMENT_SIZE = 280   # strokes are rendered at this size to find the digits (as the canvas renders them)
REDRAW_SIZE = 64     # and each digit again at this size for the net (3x MNIST's 20-pixel box)


def strokes_field(strokes: list[Stroke]) -> np.ndarray | None:
    """All the strokes as one digit, redrawn as the reader redraws a digit of the pad: MNIST's 28x28 picture.
    (For synthetic handwriting: teaching the net, calibrating and measuring it the way the pad reads.)"""
    points = [point for stroke in strokes for point in stroke]
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    longer = max(width, height, 1e-3)
    side = longer * 1.3 + 0.02
    region = (min(xs) + width / 2 - side / 2, min(ys) + height / 2 - side / 2, side)
    ink = render_region(strokes, region, REDRAW_SIZE, REDRAW_PEN * longer if longer > 0.01 else side / 4)
    return digit_field(ink, normalize=False) if ink.any() else None


def _redraw(strokes: list[Stroke], segment: Segment, pen_width: float) -> np.ndarray:
    """The strokes inside a digit's box, drawn again with a pen in proportion to the digit."""
    scale = 1 / SEGMENT_SIZE
    left, top = segment.left * scale, segment.top * scale
    width, height = segment.width * scale, segment.height * scale
    # A pen's half width lies outside the centre line the strokes follow: the box of the centre lines is
    # smaller than the ink's by about one pen width.
    longer = max(max(width, height) - pen_width, 1e-3)
    side = max(width, height) * 1.3
    region = (left + width / 2 - side / 2, top + height / 2 - side / 2, side)
    inside = [[point for point in stroke if left <= point[0] <= left + width and top <= point[1] <= top + height]
              for stroke in strokes]
    return render_region([s for s in inside if s], region, REDRAW_SIZE, REDRAW_PEN * longer)


def redrawn(strokes: list[Stroke], segment: Segment, pen_width: float) -> np.ndarray:
    """The net's 28x28 picture of one digit of the pad: its strokes redrawn in proportion (see `_redraw`)."""
    ink_again = _redraw(strokes, segment, pen_width)
    if ink_again.any():
        return digit_field(ink_again, normalize=False)
    # A piece with no centre line inside its box (the round end of a stroke cut by a split) is read as is.
    return digit_field(segment.ink)


def drawing_field(strokes: list[Stroke], pen_width: float) -> np.ndarray | None:
    """A drawing on the pad taken as one digit: the 28x28 picture the pad reads for it when it finds one digit
    (the same steps as `NumberReader.read_strokes`), or, when it finds several pieces, all of the ink redrawn
    the same way as one. A sample saved from the pad holds this picture, so that fine-tuning learns from what
    the live pad reads, not from another rendering of the drawing. None without ink."""
    drawn = rendered(strokes, pen_width)
    if drawn is None:
        return None
    strokes, ink = drawn
    segments = find_digits(ink)
    return redrawn(strokes, segments[0] if len(segments) == 1 else whole_ink(ink), pen_width)


def rendered(strokes: list[Stroke], pen_width: float) -> tuple[list[Stroke], np.ndarray] | None:
    """The pad's strokes (the empty ones dropped) and their ink as rendered to find the digits (SEGMENT_SIZE, as
    the canvas renders them); None when there is no ink."""
    strokes = [stroke for stroke in strokes if stroke]
    ink = render(strokes, SEGMENT_SIZE, pen_width, supersample=1) if strokes else None
    return (strokes, ink) if ink is not None and ink.any() else None


def pool_field(strokes: list[Stroke], rng: np.random.Generator, as_the_pad_reads: bool) -> np.ndarray | None:
    """A synthetic drawing for a training pool: as the pad reads strokes (`strokes_field`), or as a picture drawn
    with a random pen (drawing the pen from `rng`), then made into MNIST's 28x28 picture; None without ink."""
    if as_the_pad_reads:
        return strokes_field(strokes)
    ink = render(strokes, 112, float(rng.uniform(0.02, 0.1)))
    return digit_field(ink) if ink.any() else None
