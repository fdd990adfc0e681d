"""Reading a whole number: find the digits (segment.py), make each one MNIST's 28x28 picture (preprocess.py),
read them all in one pass of the net, and judge each answer: sure, not sure ("7?"), or not a digit.

Two ways in. A picture (an opened image, `digitpad predict`): its ink is told from the paper however the paper
is lit, and a hairline far thinner than MNIST's strokes is widened (preprocess.py, strokes.py). The pad's strokes: the strokes themselves are drawn again
for the net with a pen in proportion to each digit's size (trainer.ink.redraw), so a digit written small with a thick pen keeps its loops and a large one drawn with a fine pen
does not fade to a hairline.

Each answer is judged by trainer.verdicts with the model's calibrated threshold (stored in the checkpoint by
trainer.reject): sure, not sure, or not a digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.ink.preprocess import as_unit_floats, digit_field, ink_layer
from trainer.ink.redraw import inked_box, redrawn, rendered
from trainer.ink.render import Stroke
from trainer.ink.segment import Segment, cut_candidates, find_digits, looks_like_touching_digits
from trainer.verdicts import DEFAULT_THRESHOLD, NOT_A_DIGIT, SURE, UNSURE, verdict

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
        drawn = rendered(strokes, pen_width)
        if drawn is None:
            return None
        strokes, ink = drawn
        segments = self._split_touching(find_digits(ink), lambda segment: redrawn(strokes, segment, pen_width))
        fields = [redrawn(strokes, segment, pen_width) for segment in segments]
        return self._judge(fields, [inked_box(segment, pen_width) for segment in segments])

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
