"""Ink that is not a digit, drawn as strokes: scribbles, letters, symbols, doodles, crossed-out digits, overlays,
stray dots. Each kind belongs to one family, so that what teaches the net (TRAIN), what sets its threshold
(CALIBRATION) and what measures it (EVALUATION) never share a kind of drawing: the measurement is of kinds the
net and its threshold never saw. Letters that look like digits (O, I, l, S, Z, B, G, b, g, q, T) are not used.
"""

from __future__ import annotations

import math

import numpy as np

from .digits import ASPECT, perturb, random_digit
from .shapes import Stroke, arc, line, polyline

Kind = str


def _scribble(rng: np.random.Generator, turns: int = 30) -> list[Stroke]:
    angle, speed = rng.uniform(0, 2 * math.pi), 0.06
    x, y = 0.5, 0.5
    points = [(x, y)]
    for _ in range(turns):
        angle += rng.normal(0, 1.2)
        x = min(max(x + speed * math.cos(angle), 0.0), 1.0)
        y = min(max(y + speed * math.sin(angle), 0.0), 1.0)
        points.append((x, y))
    return [points]


def _zigzag(rng):
    n = int(rng.integers(4, 9))
    return [polyline(*[(i / n, 0.2 + 0.6 * (i % 2)) for i in range(n + 1)])]


def _spiral(rng):
    turns = rng.uniform(1.5, 3)
    return [[(0.5 + t / 2 * math.cos(t * turns * 2 * math.pi), 0.5 + t / 2 * math.sin(t * turns * 2 * math.pi))
             for t in np.linspace(0.05, 1, 60)]]


def _star(rng):
    points = [(0.5 + 0.5 * math.sin(4 * math.pi * i / 5), 0.5 - 0.5 * math.cos(4 * math.pi * i / 5)) for i in range(6)]
    return [polyline(*points)]


def _heart(rng):
    return [[(0.5 + 0.45 * math.sin(t) ** 3, 0.45 - 0.35 * math.cos(t) + 0.14 * math.cos(2 * t)
              + 0.05 * math.cos(3 * t) + 0.02 * math.cos(4 * t)) for t in np.linspace(0, 2 * math.pi, 50)]]


def _smiley(rng):
    return [arc((0.5, 0.5), (0.5, 0.5), 0, 360, 36), [(0.33, 0.35)], [(0.67, 0.35)], arc((0.5, 0.55), (0.25, 0.2), 200, 340, 12)]


def _cat(rng):
    return [arc((0.5, 0.6), (0.42, 0.38), 0, 360, 36), polyline((0.15, 0.4), (0.2, 0.0), (0.4, 0.25)),
            polyline((0.6, 0.25), (0.8, 0.0), (0.85, 0.4)), line((0.0, 0.65), (0.35, 0.62)),
            line((0.65, 0.62), (1.0, 0.65)), [(0.35, 0.5)], [(0.65, 0.5)]]


def _house(rng):
    return [polyline((0.1, 0.45), (0.1, 1.0), (0.9, 1.0), (0.9, 0.45), (0.5, 0.0), (0.1, 0.45), (0.9, 0.45))]


def _triangle(rng):
    return [polyline((0.5, 0.0), (1.0, 0.9), (0.0, 0.9), (0.5, 0.0))]


def _square(rng):
    return [polyline((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0))]


def _arrow(rng):
    return [line((0.0, 0.5), (1.0, 0.5)), polyline((0.7, 0.2), (1.0, 0.5), (0.7, 0.8))]


def _wave(rng):
    phase = rng.uniform(0, math.pi)
    return [[(t, 0.5 + 0.3 * math.sin(phase + t * 4 * math.pi)) for t in np.linspace(0, 1, 40)]]


def _dot(rng):
    return [[(0.5, 0.5)]]


def _blob(rng):
    return [arc((0.5, 0.5), (r, r), 0, 720, 30) for r in (0.5, 0.35, 0.2)]


def _hash(rng):
    return [line((0.35, 0.0), (0.25, 1.0)), line((0.75, 0.0), (0.65, 1.0)), line((0.0, 0.33), (1.0, 0.33)),
            line((0.0, 0.67), (1.0, 0.67))]


def _asterisk(rng):
    return [line((0.5, 0.0), (0.5, 1.0)), line((0.07, 0.25), (0.93, 0.75)), line((0.93, 0.25), (0.07, 0.75))]


def _percent(rng):
    return [arc((0.2, 0.2), (0.18, 0.18), 0, 360, 16), line((0.9, 0.0), (0.1, 1.0)), arc((0.8, 0.8), (0.18, 0.18), 0, 360, 16)]


def _at(rng):
    return [arc((0.5, 0.5), (0.2, 0.2), 0, 360, 20) + arc((0.5, 0.5), (0.5, 0.5), 0, 330, 30)]


def _ampersand(rng):
    return [polyline((1.0, 1.0), (0.25, 0.3), (0.4, 0.0), (0.6, 0.15), (0.1, 0.65), (0.35, 1.0), (0.8, 0.55))]


def _question(rng):
    return [arc((0.5, 0.25), (0.4, 0.25), 170, -60, 12) + [(0.5, 0.6)], [(0.5, 0.95)]]


# Letters as strokes, in the unit square.
LETTERS = {
    "A": [polyline((0.0, 1.0), (0.5, 0.0), (1.0, 1.0)), line((0.22, 0.6), (0.78, 0.6))],
    "E": [polyline((1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 1.0)), line((0.0, 0.5), (0.7, 0.5))],
    "F": [polyline((1.0, 0.0), (0.0, 0.0), (0.0, 1.0)), line((0.0, 0.5), (0.7, 0.5))],
    "H": [line((0.0, 0.0), (0.0, 1.0)), line((1.0, 0.0), (1.0, 1.0)), line((0.0, 0.5), (1.0, 0.5))],
    "K": [line((0.0, 0.0), (0.0, 1.0)), polyline((1.0, 0.0), (0.0, 0.55), (1.0, 1.0))],
    "M": [polyline((0.0, 1.0), (0.0, 0.0), (0.5, 0.6), (1.0, 0.0), (1.0, 1.0))],
    "N": [polyline((0.0, 1.0), (0.0, 0.0), (1.0, 1.0), (1.0, 0.0))],
    "R": [polyline((0.0, 1.0), (0.0, 0.0)) + arc((0.0, 0.27), (0.75, 0.27), 90, -90, 12) + [(1.0, 1.0)]],
    "W": [polyline((0.0, 0.0), (0.25, 1.0), (0.5, 0.4), (0.75, 1.0), (1.0, 0.0))],
    "X": [line((0.0, 0.0), (1.0, 1.0)), line((1.0, 0.0), (0.0, 1.0))],
    "Y": [polyline((0.0, 0.0), (0.5, 0.5), (1.0, 0.0)), line((0.5, 0.5), (0.5, 1.0))],
    "e": [line((0.0, 0.5), (1.0, 0.5)) + arc((0.5, 0.55), (0.5, 0.45), 0, 320, 24)],
    "h": [line((0.0, 0.0), (0.0, 1.0)), arc((0.45, 0.6), (0.45, 0.35), 180, 0, 12) + [(0.9, 1.0)]],
    "k": [line((0.0, 0.0), (0.0, 1.0)), polyline((0.8, 0.35), (0.0, 0.7), (0.9, 1.0))],
    "m": [polyline((0.0, 1.0), (0.0, 0.3)) + arc((0.25, 0.45), (0.25, 0.2), 180, 0, 8) + [(0.5, 1.0)],
          arc((0.75, 0.45), (0.25, 0.2), 180, 0, 8) + [(1.0, 1.0)]],
    "n": [polyline((0.0, 1.0), (0.0, 0.3)) + arc((0.5, 0.5), (0.5, 0.3), 180, 0, 12) + [(1.0, 1.0)]],
    "r": [line((0.0, 0.3), (0.0, 1.0)), arc((0.55, 0.6), (0.55, 0.3), 180, 70, 8)],
    "u": [[(0.0, 0.2)] + arc((0.5, 0.6), (0.5, 0.4), 180, 360, 14) + [(1.0, 0.2), (1.0, 1.0)]],
    "v": [polyline((0.0, 0.0), (0.5, 1.0), (1.0, 0.0))],
    "w": [polyline((0.0, 0.2), (0.25, 1.0), (0.5, 0.5), (0.75, 1.0), (1.0, 0.2))],
    "x": [line((0.0, 0.2), (1.0, 1.0)), line((1.0, 0.2), (0.0, 1.0))],
    "y": [line((0.0, 0.0), (0.5, 0.6)), line((1.0, 0.0), (0.2, 1.0))],
    "f": [arc((0.7, 0.2), (0.3, 0.2), 0, 180, 10) + [(0.4, 1.0)], line((0.1, 0.45), (0.8, 0.45))],
    "t": [line((0.4, 0.0), (0.45, 1.0)), line((0.0, 0.3), (0.9, 0.3))],
}

SHAPES = {"scribble": _scribble, "zigzag": _zigzag, "spiral": _spiral, "star": _star, "heart": _heart,
          "smiley": _smiley, "cat": _cat, "house": _house, "triangle": _triangle, "square": _square,
          "arrow": _arrow, "wave": _wave, "dot": _dot, "blob": _blob, "hash": _hash, "asterisk": _asterisk,
          "percent": _percent, "at": _at, "ampersand": _ampersand, "question": _question}

FAMILIES: dict[str, list[Kind]] = {
    "train": ["scribble", "zigzag", "spiral", "triangle", "wave", "dot", "hash", "asterisk",
              "crossed-out", "overlay", "letter:A", "letter:E", "letter:H", "letter:K", "letter:M", "letter:W",
              "letter:e", "letter:h", "letter:m", "letter:u", "letter:x"],
    "calibration": ["scribble", "star", "arrow", "percent", "letter:F", "letter:N", "letter:n", "letter:v",
                    "letter:k", "crossed-out", "overlay"],
    "evaluation": ["heart", "smiley", "cat", "house", "at", "ampersand", "question", "letter:R", "letter:X",
                   "letter:Y", "letter:r", "letter:w", "letter:y", "letter:f", "letter:t", "scribble",
                   "crossed-out", "overlay", "dot"],
}


def random_nondigit(kind: Kind, rng: np.random.Generator) -> list[Stroke]:
    """One drawing of `kind`, placed and perturbed as a person would draw it on the canvas (unit square)."""
    if kind == "crossed-out":  # a digit, then struck through with a dense zigzag
        digit = random_digit(int(rng.integers(10)), rng, size=float(rng.uniform(0.4, 0.7)), centre=(0.5, 0.5))
        lines = int(rng.integers(5, 10))
        strike = polyline(*[(0.2 + 0.6 * (i % 2), 0.2 + 0.6 * i / lines) for i in range(lines + 1)], steps=4)
        return digit + perturb([strike], rng, (0.0, 0.0, 1.0, 1.0), wobble=0.01)
    if kind == "overlay":  # two digits written over each other, the second shifted by half a digit or so
        first, second = rng.choice(10, 2, replace=False)
        shift = float(rng.uniform(0.12, 0.2)) * rng.choice([-1, 1])
        return (random_digit(int(first), rng, size=0.55, centre=(0.5, 0.5)) +
                random_digit(int(second), rng, size=0.55, centre=(0.5 + shift, 0.5 + float(rng.uniform(-0.1, 0.1)))))
    strokes = LETTERS[kind.split(":")[1]] if kind.startswith("letter:") else SHAPES[kind](rng)
    size = float(rng.uniform(0.3, 0.8)) if kind != "dot" else 0.02
    aspect = float(rng.uniform(0.6, 1.1))
    width, height = (size * aspect, size) if kind.startswith("letter:") else (size, size * aspect)
    cx, cy = (float(rng.uniform(width / 2 + 0.05, 1 - width / 2 - 0.05)),
              float(rng.uniform(height / 2 + 0.05, 1 - height / 2 - 0.05)))
    return perturb(strokes, rng, (cx - width / 2, cy - height / 2, width, height), slant=float(rng.uniform(-0.2, 0.3)),
                   rotation=float(rng.uniform(-15, 15)))


def random_from(family: str, rng: np.random.Generator) -> tuple[Kind, list[Stroke]]:
    kind = FAMILIES[family][int(rng.integers(len(FAMILIES[family])))]
    return kind, random_nondigit(kind, rng)


assert all(k in SHAPES or k in ("crossed-out", "overlay") or k.split(":")[-1] in LETTERS
           for kinds in FAMILIES.values() for k in kinds) and set(ASPECT) == set(range(10))
