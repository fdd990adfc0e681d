"""The inside view's line about switched-off channels: which are off, "Restore all", and "What it costs".

It knows nothing of the tiles or the model: the inside view tells it what is off (`show_switched`), that a
measurement runs (`show_measuring`), what it found (`show_cost`, `show_failure`) and that its thread has ended
(`measuring_ended`: also for a measurement dropped because the model changed); it signals `restoreRequested` and
`costRequested`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from trainer.ablation import Cost

LONGEST = 200  # characters of the list of switched-off channels shown; the whole list is in the tooltip
HINT = ("Click a tile to switch its channel off (its output set to zero) and see what the net does without it; "
        "click it again to switch it back on. Right-click a tile to keep it enlarged.")


class AblationPanel(QWidget):
    restoreRequested = Signal()
    costRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ablationPanel")
        self.summary = QLabel(HINT, objectName="ablationSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restore = QPushButton("Restore all", objectName="restoreChannels")
        self.restore.setToolTip("Switch every channel back on")
        self.restore.clicked.connect(self.restoreRequested)
        self.cost = QPushButton("What it costs", objectName="ablationCost")
        self.cost.setToolTip("Measure the test accuracy on the MNIST test set with these channels switched off, "
                             "against with none off (a few seconds, in the background)")
        self.cost.clicked.connect(self.costRequested)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.restore)
        buttons.addWidget(self.cost)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self._switched = ""
        self._measuring = False
        self.show_switched("", 0, 0)

    def show_switched(self, description: str, count: int, total: int) -> None:
        """What is off now ("features.2: 5, 7"; "" for none) of `total` channels; a cost shown before is dropped
        (it was for other channels)."""
        self._switched = _shortened(description)
        self.summary.setToolTip(description)
        if not count:
            self.summary.setText(HINT)
        else:
            self.summary.setText(f"<b>Switched off</b> ({count} of {total} channels): {self._switched}. The bars, "
                                 f"the reading and the saliency map show the net without them.")
        self._enable()

    def show_measuring(self, images: str = "the MNIST test set") -> None:
        self._measuring = True
        self.summary.setText(f"<b>Switched off</b>: {self._switched}. Measuring the test accuracy on {images}…")
        self._enable()

    def measuring_ended(self) -> None:
        self._measuring = False
        self._enable()

    def show_cost(self, description: str, cost: Cost) -> None:
        """The figures for the channels `description` names (those off when the measurement started)."""
        verb = "costs" if cost.points >= 0 else "gains"
        self.summary.setText(
            f"<b>Switched off</b>: {_shortened(description)}. Test accuracy <b>{cost.accuracy_off:.2%}</b> with "
            f"them off, {cost.accuracy_all:.2%} with none off: it {verb} {abs(cost.points):.2f} points "
            f"({cost.images:,} MNIST test digits, {cost.seconds:.1f} s).")

    def show_failure(self, message: str) -> None:
        self.summary.setText(f"<b>Switched off</b>: {self._switched}. What it costs could not be measured: {message}")

    def _enable(self) -> None:
        self.restore.setEnabled(bool(self._switched))
        self.cost.setEnabled(bool(self._switched) and not self._measuring)


def _shortened(description: str) -> str:
    return description if len(description) <= LONGEST else description[:LONGEST - 1].rstrip(" ,;") + "…"
