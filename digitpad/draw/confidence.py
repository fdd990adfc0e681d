"""Ten labelled bars, one per digit, with the net's probability for each; the most likely digit highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

ACCENT_COLOR = QColor("#2f7de1")
BAR_COLOR = QColor("#9aa4b2")
TRACK_COLOR = QColor("#e3e7ec")
ROW_HEIGHT = 26
MIN_ROW_HEIGHT = 20  # in a window too low for the full rows (1024 x 640)


def format_percent(probability: float) -> str:
    text = f"{probability:.1%}"
    # Rounding 99.97% up to "100.0%" would claim a certainty the net does not have.
    return ">99.9%" if text == "100.0%" and probability < 1 else text


class ConfidenceBars(QWidget):
    """Signals `digitClicked(digit)` when a digit's row is clicked (to explain that digit in the inside view)."""

    digitClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confidence")
        self.setAccessibleName("Confidence per digit")
        # Full rows where there is room, down to MIN_ROW_HEIGHT in a low window; never taller than full rows.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.setMinimumSize(200, MIN_ROW_HEIGHT * 10)
        self._probabilities: tuple[float, ...] | None = None

    def probabilities(self) -> tuple[float, ...] | None:
        return self._probabilities

    def set_probabilities(self, probabilities: Sequence[float] | None) -> None:
        """Ten probabilities, one per digit, or None to show empty bars."""
        if probabilities is not None and len(probabilities) != 10:
            raise ValueError(f"expected 10 probabilities, got {len(probabilities)}")
        self._probabilities = None if probabilities is None else tuple(float(p) for p in probabilities)
        self.setAccessibleDescription("" if self._probabilities is None else ", ".join(
            f"{digit}: {format_percent(p)}" for digit, p in enumerate(self._probabilities)))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(280, ROW_HEIGHT * 10)  # the Draw tab's reading panel at its widest

    def row_height(self) -> float:
        return min(ROW_HEIGHT, self.height() / 10)

    def digit_at(self, y: float) -> int | None:
        """The digit whose row is at height `y` (widget coordinates), or None below the rows."""
        row = int(y // self.row_height())
        return row if 0 <= y and row < 10 else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        digit = self.digit_at(event.position().y())
        if digit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.digitClicked.emit(digit)
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = self.palette().color(QPalette.ColorRole.WindowText)
        regular = QFont(self.font())
        regular.setPixelSize(14)
        bold = QFont(regular)
        bold.setBold(True)
        label_width = 20
        percent_width = QFontMetrics(bold).horizontalAdvance("100.0%") + 16
        track_width = max(10, self.width() - label_width - percent_width - 16)
        row_height = self.row_height()
        top = None if self._probabilities is None else max(range(10), key=self._probabilities.__getitem__)

        for digit in range(10):
            row = QRectF(0, digit * row_height, self.width(), row_height)
            highlighted = digit == top
            painter.setFont(bold if highlighted else regular)
            painter.setPen(ACCENT_COLOR if highlighted else text_color)
            painter.drawText(QRectF(row.left(), row.top(), label_width, row.height()),
                             Qt.AlignmentFlag.AlignCenter, str(digit))
            track = QRectF(label_width + 8, row.center().y() - 6, track_width, 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TRACK_COLOR)
            painter.drawRoundedRect(track, 6, 6)
            if self._probabilities is None:
                continue
            probability = self._probabilities[digit]
            if probability * track.width() >= 1:  # narrower than a pixel would be an unreadable smudge
                bar = QRectF(track.left(), track.top(), max(track.height(), probability * track.width()),
                             track.height())
                painter.setBrush(ACCENT_COLOR if highlighted else BAR_COLOR)
                painter.drawRoundedRect(bar, 6, 6)
            painter.setPen(ACCENT_COLOR if highlighted else text_color)
            painter.drawText(QRectF(track.right() + 8, row.top(), percent_width - 8, row.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, format_percent(probability))
