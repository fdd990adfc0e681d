"""Digits in typefaces: the TrueType fonts matplotlib ships (DejaVu Sans, Serif and Mono, Computer Modern, STIX),
each digit set in a font at a size and a boldness, as white ink on black. Pure Pillow and numpy.

Why: MNIST's writers are a few hundred American students and clerks. A 1 with a flag and a foot, a 7 with a
bar, a 4 open at the top, a two-storey 9: people write digits the way type sets them, and a net taught on
MNIST alone reads those unsurely (7.7% of typeset digits read right were flagged "not sure"). The training
recipe adds such digits to the training images (trainer/digit_pool.py). The STIX fonts are kept out of
training, so that the picture battery can measure on typefaces the net never saw.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Fonts of matplotlib's that hold no digits of their own (symbols, extension sets) or are a display cut.
_NOT_DIGIT_FONTS = ("STIXSiz", "STIXNonUni", "cmex", "cmsy", "cmmi", "LastResort", "Display")
HELD_OUT = ("STIX",)  # never trained on: the battery's unseen typefaces


def font_folder() -> Path | None:
    """matplotlib's folder of TrueType fonts, or None without matplotlib (then there are no typeset digits)."""
    try:
        import matplotlib
    except ImportError:
        return None
    folder = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


def digit_fonts(held_out: bool = False) -> list[Path]:
    """The fonts with digits, sorted by name: those kept for training, or with `held_out` the others."""
    folder = font_folder()
    if folder is None:
        return []
    fonts = [path for path in sorted(folder.glob("*.ttf")) if not any(k in path.name for k in _NOT_DIGIT_FONTS)]
    return [path for path in fonts if any(path.name.startswith(h) for h in HELD_OUT) == held_out]


def typeset_digit(font: str | os.PathLike, digit: int, size: int = 96, boldness: int = 0) -> np.ndarray:
    """`digit` set in `font` at `size` pixels, its strokes thickened by `boldness` pixels: a square picture of
    white ink on black, float in [0, 1], with room around the digit."""
    face = ImageFont.truetype(str(font), size)
    picture = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(picture).text((size // 2, size // 3), str(digit), fill=255, font=face, stroke_width=boldness,
                                 stroke_fill=255)
    return np.asarray(picture, dtype=np.float32) / 255
