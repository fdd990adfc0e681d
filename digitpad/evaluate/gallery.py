"""A gallery of test digits: each picture with its true label, what the model read and how sure it was.

A list model over indices into an evaluated set: pictures are made only for the items on screen, so a cell of
1,135 digits fills at once. Clicking a digit signals `digitClicked(index)` (an index into the set).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QListView, QWidget

SCALE = 2  # screen pixels per pixel of a 28x28 digit
RIGHT, WRONG = QColor("#1f5fae"), QColor("#c2410c")


def short_percent(probability: float) -> str:
    text = f"{probability:.0%}"
    return ">99%" if text == "100%" and probability < 1 else text  # never claim a certainty the net lacks


class DigitListModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.images: np.ndarray | None = None      # N x 28 x 28 in [0, 1]
        self.labels = self.predictions = self.confidences = None
        self.indices: list[int] = []
        self._pixmaps: dict[int, QPixmap] = {}

    def set_set(self, images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                confidences: np.ndarray) -> None:
        self.beginResetModel()
        self.images, self.labels, self.predictions, self.confidences = images, labels, predictions, confidences
        self.indices, self._pixmaps = [], {}
        self.endResetModel()

    def set_indices(self, indices) -> None:
        self.beginResetModel()
        self.indices = [int(i) for i in indices]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.indices)

    def caption(self, index: int) -> str:
        # Two short lines: Qt's icon view cuts a caption to the picture's width.
        return f"{self.labels[index]}→{self.predictions[index]}\n{short_percent(self.confidences[index])}"

    def data(self, model_index, role: int = Qt.ItemDataRole.DisplayRole):
        if not model_index.isValid():
            return None
        index = self.indices[model_index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.caption(index)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(index)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"Test image #{index}: a {self.labels[index]}, read as {self.predictions[index]} with "
                    f"{self.confidences[index]:.1%} confidence. Click to open it in the Draw tab.")
        if role == Qt.ItemDataRole.ForegroundRole:
            return RIGHT if self.labels[index] == self.predictions[index] else WRONG
        if role == Qt.ItemDataRole.UserRole:
            return index
        return None

    def _pixmap(self, index: int) -> QPixmap:
        if index not in self._pixmaps:
            pixels = np.ascontiguousarray(np.clip(self.images[index] * 255 + 0.5, 0, 255).astype(np.uint8))
            image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
            self._pixmaps[index] = QPixmap.fromImage(image.scaled(28 * SCALE, 28 * SCALE))
        return self._pixmaps[index]


class DigitGallery(QListView):
    digitClicked = Signal(int)

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.digits = DigitListModel(self)
        self.setModel(self.digits)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(28 * SCALE, 28 * SCALE))
        self.setGridSize(QSize(28 * SCALE + 20, 28 * SCALE + 38))  # room for the caption's two lines
        self.setSpacing(2)
        self.setWordWrap(True)  # else the caption is cut to the picture's width
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.clicked.connect(lambda model_index: self.digitClicked.emit(self.digits.indices[model_index.row()]))

    def set_set(self, images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                confidences: np.ndarray) -> None:
        """The evaluated set the gallery's indices point into (N x 28 x 28 images in [0, 1])."""
        self.digits.set_set(images, labels, predictions, confidences)

    def show_indices(self, indices) -> None:
        """Show these digits of the set, in this order."""
        self.digits.set_indices(indices)
        self.scrollToTop()

    def select_index(self, index: int) -> bool:
        """Select the digit `index` of the set and scroll it into view; False when the gallery does not show it."""
        if index not in self.digits.indices:
            self.clearSelection()
            return False
        model_index = self.digits.index(self.digits.indices.index(index))
        self.setCurrentIndex(model_index)
        self.scrollTo(model_index, QListView.ScrollHint.PositionAtCenter)
        return True

    def selected(self) -> int | None:
        """The selected digit's index in the set, or None."""
        rows = self.selectionModel().selectedIndexes()
        return self.digits.indices[rows[0].row()] if rows else None

    def indices(self) -> list[int]:
        return list(self.digits.indices)

    def item_rect(self, row: int):
        """Where the `row`-th digit is drawn, in viewport coordinates (tests click there)."""
        return self.visualRect(self.digits.index(row))
