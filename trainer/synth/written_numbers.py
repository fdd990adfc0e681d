"""Numbers written neatly on the pad, as strokes: digits side by side on one line, as a person writes a number,
in the synthetic hand (trainer.synth.digits) or in a Hershey vector font (strokes someone else designed; needs
the hershey-fonts package, the test extra). Coordinates as the canvas's: the unit square, y downwards.

"Neatly": the digits are about the same size, on one baseline, with one slant, apart by a normal gap (a fifth to
two fifths of their height), and the number fits on the canvas with a margin. bench/whole_numbers.py and
tests/test_numbers.py read them as the pad reads strokes.
"""

from __future__ import annotations

import numpy as np

from .digits import ASPECT, STYLES, random_digit
from .shapes import Stroke

# The Hershey fonts of the picture battery's "Hershey vector fonts on the pad" (bench/battery.py).
HERSHEY_FONTS = ("futural", "futuram", "rowmans", "rowmand", "timesr", "timesi", "scripts", "cursive", "timesrb")
MARGIN = 0.05         # the number keeps this far from the canvas's edges
GAP = (0.2, 0.4)      # the gap between digits' boxes, a share of the digits' height
HEIGHT = (0.2, 0.4)   # the digits' height, unless the number must be smaller to fit
SLANT = (-0.05, 0.25)  # one slant for the whole number: a neat hand keeps one


def number_height(length: int, rng: np.random.Generator, aspect: float = 0.7) -> float:
    """A digit height at which a number of `length` digits, each about `aspect` as wide as high and apart by
    the widest normal gap, fits across the canvas."""
    fits = (1 - 2 * MARGIN) / (length * aspect + (length - 1) * GAP[1] + 0.3)  # 0.3: room for the slant
    return float(min(rng.uniform(*HEIGHT), fits))


def handwritten_number(text: str, rng: np.random.Generator, height: float | None = None,
                       styles: dict[int, int] | None = None) -> list[Stroke]:
    """`text`'s digits in the synthetic hand, left to right. Each digit a random style of its own (or
    `styles[digit]`), its size within 5% of the others' and its baseline within 3% of their height."""
    digits = [int(c) for c in text]
    height = number_height(len(digits), rng) if height is None else height
    slant = float(rng.uniform(*SLANT))
    sizes = [height * float(rng.uniform(0.95, 1.05)) for _ in digits]
    widths = [size * ASPECT[d] for size, d in zip(sizes, digits)]
    gaps = [height * float(rng.uniform(*GAP)) for _ in digits[1:]]
    span = sum(widths) + sum(gaps)
    x = float(rng.uniform(MARGIN + 0.15 * height, max(MARGIN + 0.15 * height, 1 - MARGIN - 0.15 * height - span)))
    y = float(rng.uniform(MARGIN + height, 1 - MARGIN - height))
    strokes: list[Stroke] = []
    for index, (digit, size, width) in enumerate(zip(digits, sizes, widths)):
        style = (styles or {}).get(digit)
        style = int(rng.integers(len(STYLES[digit]))) if style is None else style
        centre = (x + width / 2, y + float(rng.uniform(-0.03, 0.03)) * height)
        strokes += random_digit(digit, rng, size=size, centre=centre, slant=slant, style=style)
        x += width + (gaps[index] if index < len(gaps) else 0)
    return strokes


def hershey_number(text: str, font: str, rng: np.random.Generator, height: float | None = None) -> list[Stroke]:
    """`text` set in a Hershey vector font with the font's own spacing, as strokes, scaled so its digits are
    `height` tall (or a height at which it fits) and placed at random on the canvas."""
    from HersheyFonts import HersheyFonts

    face = HersheyFonts()
    face.load_default_font(font)
    face.normalize_rendering(1.0)
    raw = [list(stroke) for stroke in face.strokes_for_text(text)]
    points = np.array([point for stroke in raw for point in stroke], float)
    (left, bottom), (right, top) = points.min(axis=0), points.max(axis=0)
    height = number_height(len(text), rng) if height is None else height
    scale = height / (top - bottom)
    width = (right - left) * scale
    if width > 1 - 2 * MARGIN:  # a font wider than the hand's digits: smaller, to fit
        scale *= (1 - 2 * MARGIN) / width
        width = 1 - 2 * MARGIN
    x0 = float(rng.uniform(MARGIN, 1 - MARGIN - width))
    y0 = float(rng.uniform(MARGIN, 1 - MARGIN - (top - bottom) * scale))
    return [[(x0 + (x - left) * scale, y0 + (top - y) * scale) for x, y in stroke] for stroke in raw]
