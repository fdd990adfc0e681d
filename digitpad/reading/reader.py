"""Reading a whole number: find the digits (segment.py), make each one MNIST's 28x28 picture (preprocess.py),
read them all in one pass of the net, and judge each answer: sure, not sure ("7?"), or not a digit.

Two ways in. A picture (an opened image, `digitpad predict`): its ink is told from the paper however the paper
is lit, and a hairline far thinner than MNIST's strokes is widened (preprocess.py, strokes.py). The pad's strokes: the strokes themselves are drawn again
for the net with a pen in proportion to each digit's size (REDRAW_PEN of its longer side, MNIST's stroke over its
20-pixel box), so a digit written small with a thick pen keeps its loops and a large one drawn with a fine pen
does not fade to a hairline.

The judgement uses the model's calibrated threshold on its highest probability (stored in the checkpoint by
trainer.reject; older checkpoints get DEFAULT_THRESHOLD). Below it the answer is not sure; and when even the two
likeliest digits together hold less than DIGIT_MASS, the ink is judged not a digit at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocess import as_unit_floats, digit_field, ink_layer
from .render import Stroke, render, render_region
from .segment import Segment, cut_candidates, find_digits, looks_like_touching_digits, whole_ink

SURE, UNSURE, NOT_A_DIGIT = "sure", "not sure", "not a digit"
DEFAULT_THRESHOLD = 0.8
DIGIT_MASS = 0.75
REDRAW_PEN = 0.1125  # 2.25 / 20: MNIST's median stroke over its digit box
SEGMENT_SIZE = 280   # strokes are rendered at this size to find the digits (as the canvas renders them)
REDRAW_SIZE = 64     # and each digit again at this size for the net (3x MNIST's 20-pixel box)
# A cut of touching digits is kept when the net is at least this sure of both sides, and surer than of the whole.
CUT_CONFIDENCE = 0.9


@dataclass(frozen=True)
class DigitReading:
    digit: int                        # the best guess, also when not sure or not a digit
    probabilities: tuple[float, ...]  # ten, summing to 1
    image: np.ndarray                 # the 28x28 picture the net read, in [0, 1]
    box: tuple[int, int, int, int]    # x, y, width, height in the source's pixels
    verdict: str                      # SURE, UNSURE or NOT_A_DIGIT

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]

    @property
    def sure(self) -> bool:
        return self.verdict == SURE

    @property
    def text(self) -> str:
        return {SURE: str(self.digit), UNSURE: f"{self.digit}?", NOT_A_DIGIT: ""}[self.verdict]


@dataclass(frozen=True)
class Reading:
    digits: tuple[DigitReading, ...]  # left to right; never empty

    @property
    def number(self) -> str:
        """The digits read, left to right, digits only ("42"); "" when none of the ink is a digit."""
        return "".join(str(d.digit) for d in self.digits if d.verdict != NOT_A_DIGIT)

    @property
    def sure(self) -> bool:
        return all(d.sure for d in self.digits)

    @property
    def text(self) -> str:
        """For people: "42", "7?", "4?2", or "not a digit" when none of the ink is one."""
        return "".join(d.text for d in self.digits) or NOT_A_DIGIT

    @property
    def rejected(self) -> int:
        """How many pieces of the ink were judged not a digit."""
        return sum(d.verdict == NOT_A_DIGIT for d in self.digits)


def verdict(probabilities: np.ndarray, threshold: float) -> str:
    top_two = np.sort(probabilities)[-2:]
    if top_two[1] >= threshold:
        return SURE
    return UNSURE if top_two.sum() >= DIGIT_MASS else NOT_A_DIGIT


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
    strokes = [stroke for stroke in strokes if stroke]
    if not strokes:
        return None
    ink = render(strokes, SEGMENT_SIZE, pen_width, supersample=1)
    if not ink.any():
        return None
    segments = find_digits(ink)
    return redrawn(strokes, segments[0] if len(segments) == 1 else whole_ink(ink), pen_width)


class NumberReader:
    """Reads numbers with `classify`, a function from N x 28 x 28 pictures to N x 10 probabilities."""

    def __init__(self, classify, threshold: float = DEFAULT_THRESHOLD):
        self.classify = classify
        self.threshold = threshold

    # ----- the ways in -----------------------------------------------------------------------------------------
    def read_field(self, field: np.ndarray) -> Reading:
        """A digit already made into MNIST's 28x28 picture (an MNIST image), read exactly as it is."""
        field = np.clip(np.asarray(field, dtype=np.float32), 0, 1)
        return self._judge([field], [(0, 0, field.shape[1], field.shape[0])])

    def read_picture(self, grey: np.ndarray) -> Reading | None:
        ink = ink_layer(as_unit_floats(grey))
        if ink is None:
            return None
        segments = self._split_touching(find_digits(ink), lambda segment: digit_field(segment.ink))
        fields = [digit_field(segment.ink) for segment in segments]
        return self._judge(fields, [segment.box for segment in segments])

    def read_strokes(self, strokes: list[Stroke], pen_width: float) -> Reading | None:
        """Strokes in units of the canvas side (the unit square), drawn with `pen_width` (same units)."""
        strokes = [stroke for stroke in strokes if stroke]
        if not strokes:
            return None
        ink = render(strokes, SEGMENT_SIZE, pen_width, supersample=1)
        if not ink.any():
            return None
        segments = self._split_touching(find_digits(ink), lambda segment: redrawn(strokes, segment, pen_width))
        fields = [redrawn(strokes, segment, pen_width) for segment in segments]
        return self._judge(fields, [segment.box for segment in segments])

    # ----- steps --------------------------------------------------------------------------------------------

    def _split_touching(self, segments: list[Segment], field) -> list[Segment]:
        """Segments much wider than high that the net reads better as two digits are cut in two, repeatedly.
        `field` makes a segment into the net's picture."""
        if not segments:
            return segments
        typical = float(np.median([s.height for s in segments]))
        result = []
        for segment in segments:
            result.extend(self._cut(segment, typical, field, depth=3))
        return result

    def _cut(self, segment: Segment, typical: float, field, depth: int) -> list[Segment]:
        if depth == 0 or not looks_like_touching_digits(segment, typical):
            return [segment]
        options = [segment.split(column) for column in cut_candidates(segment)]
        options = [(left, right) for left, right in options if left.width and right.width]
        if not options:
            return [segment]
        pictures = [field(segment)] + [field(part) for pair in options for part in pair]
        confidence = self.classify(np.stack(pictures)).max(axis=1)
        whole, sides = confidence[0], confidence[1:].reshape(-1, 2).min(axis=1)
        best = int(np.argmax(sides))
        if sides[best] < max(CUT_CONFIDENCE, whole):
            return [segment]
        left, right = options[best]
        return self._cut(left, typical, field, depth - 1) + self._cut(right, typical, field, depth - 1)

    def _judge(self, fields: list[np.ndarray], boxes: list[tuple[int, int, int, int]]) -> Reading:
        probabilities = self.classify(np.stack(fields))
        digits = tuple(
            DigitReading(int(p.argmax()), tuple(float(v) for v in p), field, box, verdict(p, self.threshold))
            for p, field, box in zip(probabilities, fields, boxes))
        return Reading(digits)
