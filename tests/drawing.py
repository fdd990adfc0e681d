"""Drawing on the canvas the way a person does: press, move with the button held, release.

Points are fractions (0-1) of the canvas's square paper, so a drawing is the same at any window size.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

Point = tuple[float, float]


def to_widget(widget: QWidget, point: Point) -> QPoint:
    side = min(widget.width(), widget.height())
    left, top = (widget.width() - side) / 2, (widget.height() - side) / 2
    return QPoint(round(left + point[0] * side), round(top + point[1] * side))


def press(widget: QWidget, point: Point) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(widget, point))


def move(widget: QWidget, point: Point) -> None:
    # QTest.mouseMove sends no button state; this is the event a move with the left button held makes.
    position = to_widget(widget, point)
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(position), QPointF(widget.mapToGlobal(position)),
                        Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def release(widget: QWidget, point: Point) -> None:
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(widget, point))


def drag(widget: QWidget, points: list[Point]) -> None:
    """One stroke through `points`."""
    press(widget, points[0])
    for point in points[1:]:
        move(widget, point)
    release(widget, points[-1])


def line(start: Point, end: Point, steps: int = 20) -> list[Point]:
    return [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(steps + 1)]


def ellipse(centre: Point, radii: Point, steps: int = 48) -> list[Point]:
    """Clockwise from the top, back to the top."""
    return [(centre[0] + radii[0] * math.sin(2 * math.pi * i / steps),
             centre[1] - radii[1] * math.cos(2 * math.pi * i / steps)) for i in range(steps + 1)]


# Digits as strokes, drawn about two thirds of the canvas high, as people tend to.
ONE = [line((0.52, 0.18), (0.48, 0.82))]
ZERO = [ellipse((0.5, 0.5), (0.22, 0.32))]
SEVEN = [line((0.28, 0.2), (0.72, 0.2)) + line((0.72, 0.2), (0.42, 0.82))[1:]]
