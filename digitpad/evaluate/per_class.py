"""Per-digit figures in a small table, one column per digit: how many there were, recall and precision.

Recall (of the true d, the share read as d) and precision (of those read as d, the share that were d) come from
`Evaluation.per_class()`, the same figures `trainer eval` prints; the weakest of each is in orange.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem, QWidget

ROWS = ("images", "recall", "precision")
WEAKEST = QColor("#c2410c")


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    return "100%" if value == 1 else f"{value:.1%}"  # "100.0%" would not fit a narrow column


class PerClassTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(len(ROWS), 10, parent)
        self.setObjectName("perClass")
        self.setAccessibleName("Precision and recall per digit")
        self.setHorizontalHeaderLabels([str(digit) for digit in range(10)])
        self.setVerticalHeaderLabels(list(ROWS))
        self.verticalHeaderItem(1).setToolTip("of the true digits d, the share the model read as d")
        self.verticalHeaderItem(2).setToolTip("of the digits the model read as d, the share that were d")
        font = QFont(self.font())
        font.setPixelSize(12)
        self.setFont(font)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(30)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height()
                            + len(ROWS) * self.verticalHeader().defaultSectionSize() + 4)
        self.clear_figures()

    def clear_figures(self) -> None:
        for row in range(len(ROWS)):
            for digit in range(10):
                self.setItem(row, digit, QTableWidgetItem(""))

    def set_figures(self, counts: list[int], recall: list[float | None], precision: list[float | None]) -> None:
        for row, values, text in ((0, counts, lambda n: f"{n:,}"), (1, recall, _percent), (2, precision, _percent)):
            known = [v for v in values if v is not None]
            weakest = min(known) if known and row else None
            for digit, value in enumerate(values):
                item = QTableWidgetItem(text(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if weakest is not None and value == weakest:  # coloured, not bold: bold would not fit
                    item.setForeground(WEAKEST)
                    item.setToolTip(f"the weakest {ROWS[row]}")
                self.setItem(row, digit, item)
