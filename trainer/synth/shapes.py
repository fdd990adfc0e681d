"""Building blocks for strokes: lines, arcs and curves as point lists in the unit square (y grows downwards)."""

from __future__ import annotations

import math

Point = tuple[float, float]
Stroke = list[Point]


def line(start: Point, end: Point, steps: int = 12) -> Stroke:
    return [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(steps + 1)]


def polyline(*points: Point, steps: int = 8) -> Stroke:
    stroke: Stroke = [points[0]]
    for start, end in zip(points, points[1:]):
        stroke += line(start, end, steps)[1:]
    return stroke


def arc(centre: Point, radii: tuple[float, float], start: float, end: float, steps: int = 24) -> Stroke:
    """An elliptic arc from angle `start` to `end` in degrees; 0 is to the right, 90 is up (so y = cy - ry sin)."""
    return [(centre[0] + radii[0] * math.cos(math.radians(start + (end - start) * i / steps)),
             centre[1] - radii[1] * math.sin(math.radians(start + (end - start) * i / steps)))
            for i in range(steps + 1)]


def join(*parts: Stroke) -> Stroke:
    """One stroke through several parts drawn without lifting the pen."""
    stroke = list(parts[0])
    for part in parts[1:]:
        stroke += part[1:] if part[0] == stroke[-1] else part
    return stroke
