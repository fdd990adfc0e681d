"""The 28x28 picture the net reads, enlarged with hard pixel edges so each input pixel can be seen."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from .canvas import PAPER_COLOR, grey_to_qimage

PREVIEW_SCALE = 5  # screen pixels per pixel of the net's 28x28 input


class NetInputPreview(QWidget):
    """The 28x28 image the net received, enlarged with hard pixel edges so each input pixel can be seen."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("preview")
        self.setAccessibleName("What the net sees")
        self.setFixedSize(28 * PREVIEW_SCALE, 28 * PREVIEW_SCALE)
        self.image: QImage | None = None  # the last input, 28x28

    def set_input(self, grey: np.ndarray | None) -> None:
        self.image = None if grey is None else grey_to_qimage(grey)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), PAPER_COLOR)
        if self.image is not None:
            painter.drawImage(self.rect(), self.image)  # no smoothing: the pixels are the point
        painter.setPen(QColor("#8b93a1"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
