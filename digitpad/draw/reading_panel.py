"""What the net read: the number in large type ("42", "7?", "not a digit"), a caption about the digit in view,
its ten probabilities, and the 28x28 picture the net read for it. It is told what to show; it reads nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trainer.verdicts import NOT_A_DIGIT, SURE

from ..reading.reader import Reading
from .confidence import ConfidenceBars, format_percent
from .preview import NetInputPreview

DIGIT_PIXELS = 104    # the type size of a single digit
LABEL_HEIGHT = 124


def _second(probabilities) -> int:
    order = sorted(range(10), key=probabilities.__getitem__, reverse=True)
    return order[1]


def caption_for(reading: Reading, index: int) -> str:
    """A line about the digit shown (the `index`th of the reading)."""
    digit = reading.digits[index]
    where = f"digit {index + 1} of {len(reading.digits)}: " if len(reading.digits) > 1 else ""
    if digit.verdict == SURE:
        text = f"{where}{digit.digit}, {format_percent(digit.confidence)} sure"
    elif digit.verdict == NOT_A_DIGIT:
        text = f"{where}not a digit (at best a {digit.digit}, {format_percent(digit.confidence)})"
    else:
        other = _second(digit.probabilities)
        text = (f"{where}not sure: {digit.digit} ({format_percent(digit.confidence)}) or {other} "
                f"({format_percent(digit.probabilities[other])})")
    if len(reading.digits) > 1 and reading.rejected and digit.verdict != NOT_A_DIGIT:
        text += f"; {reading.rejected} mark{'s are' if reading.rejected > 1 else ' is'} not a digit"
    return text


class ReadingPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.digit = QLabel(objectName="prediction", alignment=Qt.AlignmentFlag.AlignCenter)
        self.digit.setAccessibleName("What the net read")
        font = QFont(self.font())
        font.setPixelSize(DIGIT_PIXELS)
        font.setBold(True)
        self.digit.setFont(font)
        self.digit.setFixedHeight(LABEL_HEIGHT)
        self.caption = QLabel(objectName="caption", alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        caption_font = QFont(self.font())
        caption_font.setPixelSize(15)
        self.caption.setFont(caption_font)
        self.confidence = ConfidenceBars(self)
        self.preview = NetInputPreview(self)
        title = QLabel("What the net sees (28 × 28)")
        title.setToolTip("The digit after MNIST's preprocessing: cropped, scaled to 20 pixels, centred by its "
                         "centre of mass; for the pad, redrawn with a pen in proportion to it")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.digit)
        layout.addWidget(self.caption)
        layout.addSpacing(12)
        layout.addWidget(self.confidence)
        layout.addSpacing(12)
        layout.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.preview, 1)  # the rest of the height: the picture grows by whole pixels

    def show_reading(self, reading: Reading | None, index: int | None, empty: str) -> None:
        """Show `reading`, with the bars and the picture of its `index`th digit; `empty` is the caption when
        there is nothing to show."""
        if reading is None or index is None:
            self._set_text("")
            self.caption.setText(empty)
            self.confidence.set_probabilities(None)
            self.preview.set_input(None)
            return
        self._set_text(reading.text)
        self.caption.setText(caption_for(reading, index))
        digit = reading.digits[index]
        self.confidence.set_probabilities(digit.probabilities)
        self.preview.set_input(digit.image)

    def _set_text(self, text: str) -> None:
        """The text in the largest type that fits the label's width (8 digits and their question marks fit)."""
        font = QFont(self.digit.font())
        pixels = DIGIT_PIXELS if any(c.isdigit() for c in text) else 40  # "not a digit" is words, not a number
        font.setPixelSize(pixels)
        available = max(self.digit.width(), 240) - 8
        width = QFontMetrics(font).horizontalAdvance(text)
        if width > available:
            font.setPixelSize(max(12, int(pixels * available / width)))
        self.digit.setFont(font)
        self.digit.setText(text)
