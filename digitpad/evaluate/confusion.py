"""The 10x10 confusion matrix as a heat map with counts: rows the true digit, columns what the model read.

Right answers (the diagonal) are shaded blue by their share of the row, mistakes orange by their count (on a
square-root scale, so that a cell of 3 stands out beside one of 30). Clicking a cell signals
`cellClicked(true_digit, predicted_digit)`; the chosen cell is framed.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

HEADER = 22  # room for the axis titles and the digits along the top and the left
RIGHT = QColor("#2f7de1")
WRONG = QColor("#e8590c")
EMPTY = QColor("#f3f4f6")


def _mix(color: QColor, amount: float) -> QColor:
    """White mixed with `color`: 0 gives white, 1 the colour."""
    amount = max(0.0, min(1.0, amount))
    return QColor(round(255 + (color.red() - 255) * amount), round(255 + (color.green() - 255) * amount),
                  round(255 + (color.blue() - 255) * amount))


class ConfusionMatrixView(QWidget):
    cellClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setAccessibleName("Confusion matrix")
        self.setMinimumSize(2 * HEADER + 10 * 24, 2 * HEADER + 10 * 24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.matrix: np.ndarray | None = None
        self.selected: tuple[int, int] | None = None

    def set_matrix(self, matrix: np.ndarray | None) -> None:
        """10 x 10 counts, or None for an empty grid."""
        self.matrix = None if matrix is None else np.asarray(matrix, dtype=np.int64)
        self.selected = None
        self.setToolTip("" if matrix is None else "Rows: the true digit; columns: what the model read. "
                                                  "Click a cell to see its digits.")
        self.update()

    def select(self, true_digit: int, predicted: int) -> None:
        self.selected = (true_digit, predicted)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(2 * HEADER + 10 * 40, 2 * HEADER + 10 * 40)

    def cell_rect(self, true_digit: int, predicted: int) -> QRect:
        side = self._cell_side()
        return QRect(self._left() + 2 * HEADER + predicted * side, 2 * HEADER + true_digit * side, side, side)

    def _left(self) -> int:
        """Where the matrix starts across: it is square, so in a wide widget it is centred, not left at the edge."""
        return max(0, (self.width() - 2 * HEADER - 10 * self._cell_side()) // 2)

    def _cell_side(self) -> int:
        return max(10, (min(self.width(), self.height()) - 2 * HEADER - 1) // 10)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.matrix is None or event.button() != Qt.MouseButton.LeftButton:
            return
        side = self._cell_side()
        x, y = event.position().x() - self._left() - 2 * HEADER, event.position().y() - 2 * HEADER
        if 0 <= x < 10 * side and 0 <= y < 10 * side:
            true_digit, predicted = int(y // side), int(x // side)
            self.select(true_digit, predicted)
            self.cellClicked.emit(true_digit, predicted)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        side = self._cell_side()
        font = QFont(self.font())
        font.setPixelSize(max(9, min(13, side // 3)))
        painter.setFont(font)
        painter.setPen(text)
        left = self._left()
        grid = QRect(left + 2 * HEADER, 2 * HEADER, 10 * side, 10 * side)
        painter.drawText(QRect(grid.left(), 0, grid.width(), HEADER), Qt.AlignmentFlag.AlignCenter,
                         "read as (predicted)")
        painter.save()
        painter.translate(left, grid.bottom())
        painter.rotate(-90)
        painter.drawText(QRect(0, 0, grid.height(), HEADER), Qt.AlignmentFlag.AlignCenter, "true digit")
        painter.restore()
        for digit in range(10):
            painter.drawText(QRect(grid.left() + digit * side, HEADER, side, HEADER), Qt.AlignmentFlag.AlignCenter,
                             str(digit))
            painter.drawText(QRect(left + HEADER, grid.top() + digit * side, HEADER, side), Qt.AlignmentFlag.AlignCenter,
                             str(digit))
        matrix = self.matrix
        worst = 1 if matrix is None else max(1, int((matrix - np.diag(np.diag(matrix))).max()))
        for row in range(10):
            total = 1 if matrix is None else max(1, int(matrix[row].sum()))
            for column in range(10):
                cell = self.cell_rect(row, column)
                count = 0 if matrix is None else int(matrix[row, column])
                if count == 0:
                    fill = EMPTY
                elif row == column:
                    fill = _mix(RIGHT, 0.15 + 0.85 * count / total)
                else:
                    fill = _mix(WRONG, 0.2 + 0.8 * np.sqrt(count / worst))
                painter.fillRect(cell.adjusted(0, 0, -1, -1), fill)
                if matrix is not None and count:
                    dark = fill.lightnessF() < 0.55
                    painter.setPen(QColor("white") if dark else text)
                    painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(count))
        if self.selected is not None:
            painter.setPen(QPen(QColor("#111827"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(*self.selected).adjusted(0, 0, -1, -1))
