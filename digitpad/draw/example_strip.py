"""The nearest examples: the 8 training digits nearest the digit in view as the net sees it (in its last layer of
features), each with its label and distance, and a line saying what they show; a click opens one large beside
the drawing (example_dialog.py).

It asks its NearestSource for the neighbours, and only when the digit in view changed: hovering over the same
digit again costs nothing. A lookup is a forward pass and a matrix product, ~4 ms (bench/nearest_examples_speed.py).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from trainer.neighbours import Neighbour
from trainer.verdicts import NOT_A_DIGIT

from ..reading.reader import DigitReading
from .canvas import PAPER_COLOR
from .example_dialog import ExampleDialog
from .example_text import distance_text, summary
from .nearest_source import BUSY, FAILED, MISSING, NO_MODEL, READY, SHOWN, NearestSource
from .painting import grey_to_qimage

TILE_PICTURE = 64   # at most: narrower in a narrow pad
TILE_TEXT = 18
OTHER_LABEL = QColor("#e07b00")  # an example of another digit than the net's answer


class ExampleTile(QWidget):
    """One training digit: its picture, its label and its distance. Signals `clicked()`."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exampleTile")
        self.neighbour: Neighbour | None = None
        self.image: QImage | None = None
        self.other = False  # of another digit than the net's answer: outlined
        self.setMinimumSize(28, 28 + TILE_TEXT)
        self.setMaximumHeight(TILE_PICTURE + TILE_TEXT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(TILE_PICTURE, TILE_PICTURE + TILE_TEXT)

    def show_neighbour(self, neighbour: Neighbour | None, picture: np.ndarray | None, other: bool) -> None:
        self.neighbour, self.other = neighbour, other
        self.image = None if picture is None else grey_to_qimage(picture)
        self.setToolTip("" if neighbour is None else
                        f"Training digit no. {neighbour.index + 1:,}, labelled {neighbour.label}, at distance "
                        f"{distance_text(neighbour.distance)}. Click to see it large.")
        self.update()

    def text(self) -> str:
        return "" if self.neighbour is None else f"{self.neighbour.label} · {distance_text(self.neighbour.distance)}"

    def picture_rect(self) -> QRect:
        side = max(1, min(self.width(), self.height() - TILE_TEXT, TILE_PICTURE))
        return QRect((self.width() - side) // 2, 0, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        square = self.picture_rect()
        painter.fillRect(square, PAPER_COLOR if self.image is not None else QColor("#e3e7ec"))
        if self.image is not None:
            painter.drawImage(square, self.image)
        painter.setPen(OTHER_LABEL if self.other else QColor("#8b93a1"))
        painter.drawRect(square.adjusted(0, 0, -1, -1))
        if self.other:
            painter.drawRect(square.adjusted(1, 1, -2, -2))
        painter.setPen(OTHER_LABEL if self.other else self.palette().windowText().color())
        text, font = self._fitted_text()
        painter.setFont(font)
        painter.drawText(QRect(0, square.bottom() + 2, self.width(), TILE_TEXT), Qt.AlignmentFlag.AlignCenter, text)

    def _fitted_text(self) -> tuple[str, QFont]:
        """The label and distance in the largest type that fits the tile (narrow in a small window), closer
        together when even the smallest does not."""
        font = QFont(self.font())
        for text in (self.text(), self.text().replace(" · ", "·")):
            for pixels in (13, 12, 11, 10, 9):
                font.setPixelSize(pixels)
                if QFontMetrics(font).horizontalAdvance(text) <= self.width():
                    return text, font
        return text, font

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.neighbour is not None and \
                self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ExampleStrip(QWidget):
    """Call `show_digit(digit)` with the digit in view (or None); the strip looks its neighbours up itself."""

    def __init__(self, source: NearestSource, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exampleStrip")
        self.setAccessibleName("Nearest training digits")
        self.source = source
        self.digit: DigitReading | None = None
        self.neighbours: list[Neighbour] = []
        # Seconds each lookup took (with the tiles' new pictures), by the clock and in this thread's CPU time:
        # bench/nearest_examples_speed.py reads them.
        self.update_times: deque[float] = deque(maxlen=2000)
        self.update_cpu_times: deque[float] = deque(maxlen=2000)
        self.dialog: ExampleDialog | None = None
        self.title = QLabel("<b>Nearest training digits</b>", objectName="exampleTitle")
        self.title.setToolTip("The training digits whose features in the net's last layer (what its answer is "
                              "read from) are closest to those of the digit in view: what the net has seen that "
                              "it finds most alike. Distances are Euclidean, between those features. Outlined in "
                              "orange: training digits of another digit than the net's answer (or best guess).")
        # Neither line widens the pad: the title is cut short in a narrow one, the message wraps.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message = QLabel(objectName="exampleMessage")
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        small = QFont(self.font())
        small.setPixelSize(12)
        self.message.setFont(small)
        self.message.setMinimumHeight(3 * self.message.fontMetrics().lineSpacing())
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.tiles = [ExampleTile(self) for _ in range(SHOWN)]
        row = QHBoxLayout()
        row.setSpacing(4)
        for tile in self.tiles:
            tile.clicked.connect(lambda tile=tile: self.open_example(tile))
            row.addWidget(tile)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(self.message)
        source.changed.connect(self._on_source_changed)
        self._on_source_changed()

    def show_digit(self, digit: DigitReading | None) -> None:
        """Show the examples nearest `digit` (looked up only when it is another picture than the last)."""
        if digit is not None and self.digit is not None and digit.image is self.digit.image \
                and digit.verdict == self.digit.verdict:
            return
        self.digit = digit
        self._refresh()

    def _refresh(self) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        if self.digit is not None:
            self.source.wanted()
        if self.source.state != READY:
            self._show_neighbours([])
            return
        if self.digit is None:
            self._show_neighbours([])
            self.message.setText("Draw a digit to see the training digits the net finds most like it, with "
                                 "their labels and distances.")
            return
        self._show_neighbours(self.source.nearest(self.digit.image) or [])
        doubt = self.source.confidences(self.neighbours) if self.digit.verdict == NOT_A_DIGIT else None
        self.message.setText(summary(self.neighbours, self.source.index.typical, self.digit.verdict,
                                     self.digit.digit, doubt))
        self.update_times.append(time.perf_counter() - started)
        self.update_cpu_times.append(time.thread_time() - cpu)

    def _show_neighbours(self, neighbours: list[Neighbour]) -> None:
        self.neighbours = neighbours
        index = self.source.index
        # Outlined: examples of another digit than the net's answer, or its best guess when it is not sure.
        answer = None if self.digit is None or self.digit.verdict == NOT_A_DIGIT else self.digit.digit
        for i, tile in enumerate(self.tiles):
            neighbour = neighbours[i] if i < len(neighbours) else None
            picture = None if neighbour is None or index is None else index.picture(neighbour.index)
            tile.show_neighbour(neighbour, picture, neighbour is not None and answer is not None
                                and neighbour.label != answer)

    def _on_source_changed(self) -> None:
        state, source = self.source.state, self.source
        if state == READY:
            self.title.setText(f"<b>Nearest training digits</b> <span style='color:#6b7280'>in "
                               f"{source.index.layer} · <span style='color:{OTHER_LABEL.name()}'>orange</span>: "
                               f"other digits</span>")
            self._refresh()
            return
        self._show_neighbours([])
        if state == NO_MODEL:
            self.message.setText("No model loaded.")
        elif state in (MISSING, FAILED):
            self.message.setText(source.message)
        elif state == BUSY:
            done, total = source.progress.done, source.progress.total
            counted = f": {done:,} of {total:,}" if total else ""
            self.message.setText(f"Finding how the net sees MNIST's training digits, once for this model, in the "
                                 f"background{counted}…")

    def open_example(self, tile: ExampleTile) -> None:
        """Open the tile's training digit large, beside the digit in view."""
        if tile.neighbour is None or self.source.index is None:
            return
        if self.dialog is None:
            self.dialog = ExampleDialog(self)
        index = self.source.index
        self.dialog.show_example(tile.neighbour, index.picture(tile.neighbour.index),
                                 None if self.digit is None else self.digit.image, index.typical, len(index))
        self.dialog.show()
        self.dialog.raise_()
