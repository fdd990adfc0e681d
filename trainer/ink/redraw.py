"""The pad's strokes drawn again for the net, digit by digit, with a pen in proportion to each digit.

A digit is scaled to MNIST's 20-pixel box whatever its size, so the same pen would make a small digit bold (its
loops fill in) and a large one a hairline. So the strokes are rendered once to find the digits (SEGMENT_SIZE,
with a pen no bolder than SEGMENT_PEN, so that a bold pen's ink does not join neighbouring digits), then each
digit's strokes again with a pen REDRAW_PEN of its longer side (MNIST's
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
# and with a pen no wider than this (a share of the side, 2 pixels at SEGMENT_SIZE, so that strokes that cross or
# meet are still one piece of ink): the digits are told apart where their strokes run, not where a bold pen's ink
# reaches. The pen is only how the ink looks (the net reads each digit redrawn in proportion); found in the pen's
# own ink, 44% of numbers of 2-8 digits written neatly with the pad's default pen (0.045) came out with too few
# digits, their neighbours' ink touching (bench/whole_numbers.py; 0.7% with a pen 8-14% of the digits' height).
# Found in thin ink, none did.
SEGMENT_PEN = 0.008
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
    """A digit's strokes (found in ink drawn with `segment_pen(pen_width)`), drawn again with a pen in proportion
    to the digit, in a square around its ink as the pad's pen drew it."""
    scale = 1 / SEGMENT_SIZE
    # A pen's half width lies outside the centre line the strokes follow: the box of the centre lines is
    # smaller than the ink's by about one pen width.
    longer = max(max(segment.width, segment.height) * scale - segment_pen(pen_width), 1e-3)
    # The square is set around the box of the pad's own ink, as when the digits were found in it: a digit alone
    # is redrawn as it was then.
    grow = (pen_width - segment_pen(pen_width)) / 2
    left, top = segment.left * scale - grow, segment.top * scale - grow
    width, height = segment.width * scale + 2 * grow, segment.height * scale + 2 * grow
    side = max(width, height) * 1.3
    region = (left + width / 2 - side / 2, top + height / 2 - side / 2, side)
    return render_region(own_strokes(strokes, segment), region, REDRAW_SIZE, REDRAW_PEN * longer)


def own_strokes(strokes: list[Stroke], segment: Segment) -> list[Stroke]:
    """The parts of the strokes inside the segment's box: runs of their points, so that a stroke leaving the
    box and coming back is not joined across the gap."""
    scale = 1 / SEGMENT_SIZE
    left, top = segment.left * scale, segment.top * scale
    right, bottom = left + segment.width * scale, top + segment.height * scale
    runs: list[Stroke] = []
    for stroke in strokes:
        run: Stroke = []
        for point in stroke:
            if left <= point[0] <= right and top <= point[1] <= bottom:
                run.append(point)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


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


def segment_pen(pen_width: float) -> float:
    """The pen the strokes are rendered with to find the digits: the pad's, or SEGMENT_PEN if that is thinner."""
    return min(pen_width, SEGMENT_PEN)


def rendered(strokes: list[Stroke], pen_width: float) -> tuple[list[Stroke], np.ndarray] | None:
    """The pad's strokes (the empty ones dropped) and their ink as rendered to find the digits (SEGMENT_SIZE, with
    `segment_pen(pen_width)`); None when there is no ink."""
    strokes = [stroke for stroke in strokes if stroke]
    ink = render(strokes, SEGMENT_SIZE, segment_pen(pen_width), supersample=1) if strokes else None
    return (strokes, ink) if ink is not None and ink.any() else None


def inked_box(segment: Segment, pen_width: float) -> tuple[int, int, int, int]:
    """A digit's box (found with `segment_pen`) around its ink as the pad's pen draws it, in SEGMENT_SIZE pixels."""
    grow = round((pen_width - segment_pen(pen_width)) * SEGMENT_SIZE / 2)
    left, top = max(0, segment.left - grow), max(0, segment.top - grow)
    right = min(SEGMENT_SIZE, segment.left + segment.width + grow)
    bottom = min(SEGMENT_SIZE, segment.top + segment.height + grow)
    return left, top, right - left, bottom - top


def pool_field(strokes: list[Stroke], rng: np.random.Generator, as_the_pad_reads: bool) -> np.ndarray | None:
    """A synthetic drawing for a training pool: as the pad reads strokes (`strokes_field`), or as a picture drawn
    with a random pen (drawing the pen from `rng`), then made into MNIST's 28x28 picture; None without ink."""
    if as_the_pad_reads:
        return strokes_field(strokes)
    ink = render(strokes, 112, float(rng.uniform(0.02, 0.1)))
    return digit_field(ink) if ink.any() else None
