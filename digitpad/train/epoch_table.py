"""The Train tab's per-epoch table: losses, accuracies, learning rate and time, one row per epoch."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from trainer.config import EpochEnd
from trainer.run_text import format_duration

COLUMNS = ["epoch", "train loss", "train acc", "val acc", "test loss", "test acc", "learning rate", "time"]


class EpochTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("history")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.setMinimumHeight(70)  # the header and two rows; it scrolls (a low window gives the charts the room)
        self.horizontalHeaderItem(3).setToolTip("accuracy on the 5,000 training images held out of training")
        self.epochs = 0

    def reset(self, epochs: int) -> None:
        self.epochs = epochs
        self.setRowCount(0)

    def set_epochs(self, epochs: int) -> None:
        """The run now has `epochs` epochs (one more was asked for while it trained): every row says so."""
        self.epochs = epochs
        for row in range(self.rowCount()):
            self.item(row, 0).setText(f"{row + 1}/{epochs}")

    def add_epoch(self, event: EpochEnd) -> None:
        row = self.rowCount()
        self.insertRow(row)
        validation = "-" if event.validation_accuracy is None else f"{event.validation_accuracy:.2%}"
        cells = [f"{event.epoch}/{self.epochs}", f"{event.train_loss:.4f}", f"{event.train_accuracy:.2%}",
                 validation, f"{event.test_loss:.4f}", f"{event.test_accuracy:.2%}", f"{event.lr:.5f}",
                 format_duration(event.seconds)]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.setItem(row, column, item)
        self.scrollToBottom()
