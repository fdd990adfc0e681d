"""One nearest example, large: the training digit beside the digit in view (both as the net reads them, 28x28 with
hard pixel edges), its number in MNIST's training set, its label, and how far apart the net finds the two."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from trainer.neighbours import Neighbour, Typical

from .canvas import PAPER_COLOR
from .example_text import distance_text, typical_text
from .painting import grey_to_qimage

SIDE = 28 * 10  # ten screen pixels for each of the net's


class LargePicture(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.image: QImage | None = None
        self.setFixedSize(SIDE, SIDE)

    def set_picture(self, grey: np.ndarray | None) -> None:
        self.image = None if grey is None else grey_to_qimage(grey)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(SIDE, SIDE)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), PAPER_COLOR if self.image is not None else QColor("#e3e7ec"))
        if self.image is not None:
            painter.drawImage(self.rect(), self.image)  # no smoothing: the pixels are the point
        painter.setPen(QColor("#8b93a1"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))


class ExampleDialog(QDialog):
    """Not modal: the pad stays usable, and another example clicked replaces this one."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exampleDialog")
        self.setWindowTitle("Nearest training digit")
        self.yours = LargePicture("exampleYours", self)
        self.example = LargePicture("exampleLarge", self)
        self.yours_title = QLabel("Your digit, as the net reads it", alignment=Qt.AlignmentFlag.AlignCenter)
        self.example_title = QLabel(objectName="exampleLargeTitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.facts = QLabel(objectName="exampleFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        grid.addWidget(self.yours_title, 0, 0)
        grid.addWidget(self.example_title, 0, 1)
        grid.addWidget(self.yours, 1, 0)
        grid.addWidget(self.example, 1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.facts)
        layout.addWidget(buttons)

    def show_example(self, neighbour: Neighbour, picture: np.ndarray | None, yours: np.ndarray | None,
                     typical: Typical, size: int) -> None:
        self.example.set_picture(picture)
        self.yours.set_picture(yours)
        self.example_title.setText(f"Training digit no. {neighbour.index + 1:,}: a {neighbour.label}")
        unreadable = "" if picture is not None else " (MNIST's file could not be read: was it moved?)"
        self.facts.setText(
            f"Number {neighbour.index + 1:,} of MNIST's {size:,} training digits, labelled {neighbour.label}"
            f"{unreadable}. The net finds it {distance_text(neighbour.distance)} away from your digit, in its last "
            f"layer of features; {typical_text(typical)}.")
