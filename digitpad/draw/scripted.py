"""A scripted person drawing on the canvas with the mouse: for what must see exactly what a drawing gives, with no
person at hand (the fine-tuning tests, bench/finetune_quality.py, README's screenshots).

Each stroke reaches the canvas as the events a hand makes (press, moves with the left button held, release) at
whole-pixel positions, as a real mouse reports them; the canvas cannot tell them from a person's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from trainer.personal_set import PersonalSet
from trainer.synth import unusual_hand

Point = tuple[float, float]


def to_widget(widget: QWidget, point: Point) -> QPoint:
    """A point as a fraction (0-1) of the widget's centred square, in the widget's pixels."""
    side = min(widget.width(), widget.height())
    left, top = (widget.width() - side) / 2, (widget.height() - side) / 2
    return QPoint(round(left + point[0] * side), round(top + point[1] * side))


def _send(widget: QWidget, kind: QEvent.Type, point: Point, button: Qt.MouseButton,
          buttons: Qt.MouseButton) -> None:
    position = QPointF(to_widget(widget, point))
    QApplication.sendEvent(widget, QMouseEvent(kind, position, QPointF(widget.mapToGlobal(position)), button,
                                               buttons, Qt.KeyboardModifier.NoModifier))


def drag(widget: QWidget, points: list[Point]) -> None:
    """One stroke through `points`: press at the first, move with the left button held, release at the last."""
    left = Qt.MouseButton.LeftButton
    _send(widget, QEvent.Type.MouseButtonPress, points[0], left, left)
    for point in points[1:]:
        _send(widget, QEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, left)
    _send(widget, QEvent.Type.MouseButtonRelease, points[-1], left, Qt.MouseButton.NoButton)


def draw(canvas, strokes: list[list[Point]], pen_width: float | None = None) -> None:
    """Clear the canvas and draw `strokes` on it (with `pen_width` when given)."""
    canvas.clear()
    if pen_width is not None:
        canvas.pen_width = pen_width
    for stroke in strokes:
        drag(canvas, stroke)


def write_unusual_set(canvas, folder: Path, per_digit: int, seed: int, digits=range(10)) -> PersonalSet:
    """Draw `per_digit` samples of each digit in the unusual hand (trainer.synth.unusual_hand) on `canvas` and save
    them as a personal set in `folder`."""
    personal = PersonalSet(folder)
    for digit, strokes in unusual_hand.samples(per_digit, seed, digits):
        draw(canvas, strokes, unusual_hand.PEN_WIDTH)
        if personal.add(digit, canvas.ink_image()) is None:
            raise RuntimeError(f"the personal set in {folder} refused a drawn {digit}")
    canvas.clear()
    return personal
