"""Strokes to pixels for the net: light, round-capped, antialiased strokes on black in a square image, as the
pad's canvas draws them. Drawn with Pillow at 4x and reduced, which antialiases as QPainter does. Pure Pillow:
the reading pipeline, the trainer's synthetic handwriting and the tests all render strokes the same way."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]

SUPERSAMPLE = 4


def render(strokes: list[Stroke], size: int = 280, pen_width: float = 0.085,
           supersample: int = SUPERSAMPLE) -> np.ndarray:
    """A size x size float32 image in [0, 1]. Points are in units of the side (the unit square); `pen_width` is
    a fraction of the side, as the canvas's pen is. `supersample` 1 draws hard-edged ink, fast."""
    big = size * supersample
    image = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(image)
    width = max(1.0, pen_width * big)
    radius = width / 2
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2) * big
        if len(points) > 1:
            draw.line([tuple(p) for p in points], fill=255, width=round(width))
        # Round caps at both ends, and round joins only where the stroke turns sharply: Pillow's own curved
        # joints cost a Python call per point, and where a stroke runs straight on a plain join leaves no notch.
        caps = [points[0], points[-1]]
        if len(points) > 2:
            before, after = points[1:-1] - points[:-2], points[2:] - points[1:-1]
            norms = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
            cosine = np.einsum("ij,ij->i", before, after) / np.maximum(norms, 1e-12)
            caps += list(points[1:-1][cosine < 0.9995])
        for x, y in caps:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    if supersample > 1:
        image = image.resize((size, size), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32) / 255


def render_region(strokes: list[Stroke], region: tuple[float, float, float], size: int,
                  pen_width: float) -> np.ndarray:
    """The square `region` (left, top, side, in the strokes' units) rendered at size x size; `pen_width` in the
    strokes' units too."""
    left, top, side = region
    moved = [[((x - left) / side, (y - top) / side) for x, y in stroke] for stroke in strokes]
    return render(moved, size, pen_width / side)
