"""Digits as a person draws them with a mouse or a pen: strokes for several common styles of each digit, then
perturbed (slant, rotation, proportions, wobble) so that no two are alike. Coordinates: the digit fills the
unit square, y downwards; `perturb` then places it in a box."""

from __future__ import annotations

import math

import numpy as np

from .shapes import Stroke, arc, join, line, polyline


def _eight(width: float = 0.9) -> Stroke:
    steps = 64
    return [(0.5 + width / 2 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t))
            for t in (2 * math.pi * i / steps for i in range(steps + 1))]


# Each digit: styles, each a list of strokes in the order a person draws them.
STYLES: dict[int, list[list[Stroke]]] = {
    0: [[arc((0.5, 0.5), (0.5, 0.5), 90, 450, 40)],
        [arc((0.5, 0.5), (0.45, 0.5), 70, 445, 40)],
        [arc((0.5, 0.5), (0.5, 0.5), 90, -270, 40)]],
    1: [[line((0.5, 0.0), (0.5, 1.0))],
        [polyline((0.15, 0.28), (0.55, 0.0), (0.55, 1.0))],
        [polyline((0.15, 0.28), (0.55, 0.0), (0.55, 1.0)), line((0.2, 1.0), (0.9, 1.0))],
        # As type sets it and many people write it: a long flag from the top-left and a horizontal foot.
        [polyline((0.0, 0.4), (0.6, 0.0), (0.6, 1.0)), line((0.05, 1.0), (0.95, 1.0))]],
    2: [[join(arc((0.5, 0.3), (0.46, 0.3), 160, -30, 20), line((0.9, 0.45), (0.02, 1.0)), line((0.02, 1.0), (1.0, 1.0)))],
        [join(arc((0.48, 0.28), (0.44, 0.28), 150, -40, 20), line((0.82, 0.46), (0.05, 0.95)),
              arc((0.12, 0.92), (0.08, 0.08), 200, 330, 6), line((0.19, 0.96), (1.0, 0.97)))]],
    3: [[join(arc((0.45, 0.26), (0.45, 0.26), 150, -90, 20), arc((0.45, 0.75), (0.5, 0.25), 90, -150, 20))],
        [join(polyline((0.05, 0.0), (0.92, 0.0), (0.4, 0.42)), arc((0.45, 0.7), (0.5, 0.3), 110, -150, 20))]],
    4: [[polyline((0.65, 0.0), (0.0, 0.66), (1.0, 0.66)), line((0.7, 0.25), (0.7, 1.0))],
        [polyline((0.1, 0.0), (0.05, 0.6), (0.98, 0.6)), line((0.75, 0.05), (0.75, 1.0))]],
    5: [[join(line((0.18, 0.0), (0.13, 0.45)), arc((0.45, 0.7), (0.47, 0.3), 150, -160, 20)), line((0.18, 0.0), (0.92, 0.0))],
        [join(polyline((0.92, 0.0), (0.18, 0.0), (0.13, 0.45)), arc((0.45, 0.7), (0.47, 0.3), 150, -160, 20))]],
    6: [[join(arc((0.55, 0.55), (0.45, 0.55), 60, 200, 16), arc((0.5, 0.72), (0.42, 0.28), 200, 560, 30))],
        [join(line((0.8, 0.0), (0.15, 0.6)), arc((0.5, 0.74), (0.4, 0.26), 160, 520, 30))]],
    7: [[polyline((0.0, 0.0), (1.0, 0.0), (0.35, 1.0))],
        [polyline((0.0, 0.0), (1.0, 0.0), (0.35, 1.0)), line((0.3, 0.52), (0.95, 0.48))],
        [polyline((0.0, 0.14), (0.03, 0.0), (1.0, 0.0), (0.4, 1.0))]],
    8: [[_eight()], [_eight(0.75)],
        [arc((0.5, 0.27), (0.38, 0.27), 90, 450, 28), arc((0.5, 0.73), (0.46, 0.27), 90, 450, 28)]],
    9: [[join(arc((0.5, 0.3), (0.45, 0.3), 0, 360, 30), line((0.95, 0.3), (0.88, 1.0)))],
        [join(arc((0.48, 0.3), (0.43, 0.3), 10, 370, 30), line((0.9, 0.25), (0.85, 0.85)),
              arc((0.6, 0.85), (0.25, 0.15), 0, -150, 10))]],
}
# The styles of 1 with a flag and a foot: a short flag, and a long one (which a net taught on MNIST, where such 1s
# are rare, can take for a 7).
FOOTED_ONES = (2, 3)
# Width over height of each digit as people draw them (a 1 is a line; a 0 is nearly round).
ASPECT = {0: 0.75, 1: 0.35, 2: 0.7, 3: 0.65, 4: 0.75, 5: 0.65, 6: 0.65, 7: 0.65, 8: 0.65, 9: 0.65}


def perturb(strokes: list[Stroke], rng: np.random.Generator, box: tuple[float, float, float, float],
            slant: float = 0.0, rotation: float = 0.0, wobble: float = 0.01) -> list[Stroke]:
    """Strokes from the unit square to `box` (left, top, width, height), slanted (shear, as a fraction of the
    height), rotated (degrees) about the box's centre, each point moved by smooth random wobble."""
    left, top, width, height = box
    cos, sin = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    result = []
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float)
        # Smooth wobble: random walks, so neighbouring points move together as a hand's tremor does.
        walk = np.cumsum(rng.normal(0, wobble, points.shape), axis=0)
        walk -= walk.mean(axis=0)
        points = points + walk
        x = (points[:, 0] - 0.5) * width + slant * (0.5 - points[:, 1]) * height
        y = (points[:, 1] - 0.5) * height
        cx, cy = left + width / 2, top + height / 2
        result.append([(float(cx + a * cos - b * sin), float(cy + a * sin + b * cos)) for a, b in zip(x, y)])
    return result


def random_digit(digit: int, rng: np.random.Generator, size: float | None = None,
                 centre: tuple[float, float] | None = None, slant: float | None = None,
                 style: int | None = None) -> list[Stroke]:
    """One drawn digit, in canvas units (the canvas is the unit square): a random style, size, place and slant
    unless given."""
    styles = STYLES[digit]
    strokes = styles[int(rng.integers(len(styles))) if style is None else style % len(styles)]
    height = float(rng.uniform(0.35, 0.8)) if size is None else size
    width = height * ASPECT[digit] * float(rng.uniform(0.8, 1.2))
    if centre is None:
        margin_x, margin_y = width / 2 + 0.06, height / 2 + 0.06
        centre = (float(rng.uniform(margin_x, 1 - margin_x)), float(rng.uniform(margin_y, 1 - margin_y)))
    slant = float(rng.uniform(-0.25, 0.35)) if slant is None else slant
    box = (centre[0] - width / 2, centre[1] - height / 2, width, height)
    return perturb(strokes, rng, box, slant=slant, rotation=float(rng.uniform(-8, 8)))
