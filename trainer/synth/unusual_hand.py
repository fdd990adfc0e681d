"""A person with an unusual hand, as strokes: continental 1 (long flag) and 7 (crossed), open 4, flat-topped 3,
snowman 8, curly 9, a strong slant and a thick pen; each sample a little different, as a hand is.

Pure geometry (points are fractions, 0-1, of the canvas's square paper, y downwards): digitpad.draw.scripted draws
these on the real canvas with mouse events, for the fine-tuning tests, bench/finetune_quality.py and README's
screenshots, which must all see the same hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from .shapes import Point, Stroke

PEN_WIDTH = 0.13  # the default is 0.085: a felt pen rather than a ballpoint
SLANT = 0.32      # x moves right by this much per unit of height going up: a strong forward slant


def line(start: Point, end: Point, steps: int = 20) -> Stroke:
    return [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(steps + 1)]


def ellipse(centre: Point, radii: Point, steps: int = 48) -> Stroke:
    """Clockwise from the top, back to the top."""
    return [(centre[0] + radii[0] * math.sin(2 * math.pi * i / steps),
             centre[1] - radii[1] * math.cos(2 * math.pi * i / steps)) for i in range(steps + 1)]


def arc(centre: Point, radii: Point, start: float, end: float, steps: int = 24) -> Stroke:
    """From angle `start` to `end` in degrees, clockwise from 12 o'clock (end < start goes anticlockwise)."""
    return [(centre[0] + radii[0] * math.sin(math.radians(start + (end - start) * i / steps)),
             centre[1] - radii[1] * math.cos(math.radians(start + (end - start) * i / steps)))
            for i in range(steps + 1)]


def then(*parts: Stroke) -> Stroke:
    """One stroke through several parts, each starting where the previous one ended."""
    points = list(parts[0])
    for part in parts[1:]:
        points += part[1:]
    return points


DIGITS: dict[int, list[Stroke]] = {
    0: [ellipse((0.5, 0.5), (0.19, 0.33))],
    1: [then(line((0.33, 0.36), (0.58, 0.15)), line((0.58, 0.15), (0.58, 0.86)))],
    2: [then(arc((0.5, 0.34), (0.2, 0.18), 285, 460), line((0.69, 0.38), (0.28, 0.84)),
             line((0.28, 0.84), (0.76, 0.82)))],
    3: [then(line((0.3, 0.16), (0.7, 0.16)), line((0.7, 0.16), (0.45, 0.43)),
             arc((0.5, 0.63), (0.21, 0.21), 330, 600))],
    4: [then(line((0.43, 0.14), (0.27, 0.6)), line((0.27, 0.6), (0.78, 0.6))),
        line((0.64, 0.34), (0.62, 0.88))],
    5: [then(line((0.36, 0.16), (0.33, 0.46)), arc((0.5, 0.64), (0.2, 0.2), 300, 580)),
        line((0.37, 0.16), (0.72, 0.15))],
    6: [then(arc((0.75, 0.6), (0.41, 0.46), 335, 270), arc((0.5, 0.66), (0.18, 0.18), 270, 630))],
    7: [then(line((0.27, 0.27), (0.28, 0.17)), line((0.28, 0.17), (0.73, 0.17)), line((0.73, 0.17), (0.43, 0.86))),
        line((0.36, 0.52), (0.72, 0.5))],
    8: [ellipse((0.5, 0.31), (0.14, 0.15)), ellipse((0.5, 0.66), (0.19, 0.19))],
    9: [then(arc((0.52, 0.32), (0.17, 0.16), 90, -270), line((0.69, 0.32), (0.64, 0.72)),
             arc((0.5, 0.72), (0.14, 0.13), 90, 250))],
}


def styled(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The digit as this hand writes it this time: slanted, a little larger or smaller, turned, moved, wobbly."""
    slant = SLANT + rng.uniform(-0.06, 0.06)
    scale = rng.uniform(0.88, 1.04)
    turn = math.radians(rng.uniform(-5, 5))
    shift = rng.uniform(-0.04, 0.04, 2)
    cos, sin = math.cos(turn), math.sin(turn)
    drawn = []
    for stroke in strokes:
        wobble = rng.normal(0, 0.006, (len(stroke), 2)).cumsum(axis=0) * 0.5
        points = []
        for (x, y), (dx, dy) in zip(stroke, wobble):
            x, y = x + slant * (0.5 - y) * 0.9, y  # the slant pivots on the middle line
            x, y = (x - 0.5) * scale, (y - 0.5) * scale
            x, y = x * cos - y * sin, x * sin + y * cos
            points.append((min(0.97, max(0.03, 0.5 + x + shift[0] + dx)),
                           min(0.97, max(0.03, 0.5 + y + shift[1] + dy))))
        drawn.append(points)
    return drawn


def samples(per_digit: int, seed: int, digits: Iterable[int] = range(10)) -> Iterator[tuple[int, list[Stroke]]]:
    """(digit, strokes) for `per_digit` rounds through `digits`: the same seed always writes the same set."""
    rng = np.random.default_rng(seed)
    digits = list(digits)
    for _ in range(per_digit):
        for digit in digits:
            yield digit, styled(DIGITS[digit], rng)
