"""The 28x28 picture the net reads, enlarged with hard pixel edges so each input pixel can be seen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .canvas import PAPER_COLOR, grey_to_qimage

PREVIEW_SCALE = 5  # screen pixels per pixel of the net's 28x28 input, where there is room for no more
MIN_SCALE = 3      # in a low window (1024 x 640)


class NetInputPreview(QWidget):
    """The 28x28 image the net received, enlarged with hard pixel edges so each input pixel can be seen: by a whole
    number of screen pixels, as many as the room given allows (more in a tall window, fewer in a low one)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("preview")
        self.setAccessibleName("What the net sees")
        self.setMinimumSize(28 * MIN_SCALE, 28 * MIN_SCALE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None  # the last input, 28x28

    def set_input(self, grey: np.ndarray | None) -> None:
        self.image = None if grey is None else grey_to_qimage(grey)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(28 * PREVIEW_SCALE, 28 * PREVIEW_SCALE)

    def picture_rect(self) -> QRect:
        """Where the picture is drawn: centred across, at the top."""
        side = 28 * max(1, min(self.width(), self.height()) // 28)
        return QRect((self.width() - side) // 2, 0, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        square = self.picture_rect()
        painter.fillRect(square, PAPER_COLOR)
        if self.image is not None:
            painter.drawImage(square, self.image)  # no smoothing: the pixels are the point
        painter.setPen(QColor("#8b93a1"))
        painter.drawRect(square.adjusted(0, 0, -1, -1))
