"""The Train tab's steering controls: Pause/Resume, One more epoch, the learning-rate multiplier and augmentation,
usable while a run trains.

It says what the person asks through its signals and runs nothing itself; the tab hands the asks to the run's
trainer.steering.Steering, and the engine applies them between two batches. `applied(change)` shows what the run
has done (a pause takes effect at the end of the batch under way).
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from trainer.config import Steered
from trainer.run_text import steering_line
from trainer.steering import LR_MULTIPLIER_RANGE


class SteerPanel(QGroupBox):
    """Signals: `pauseToggled(bool)` (True: pause), `oneMoreEpoch()`, `lrMultiplierChanged(float)`,
    `augmentChanged(bool)`. `starting(augment)` before a run, `finished()` after it."""

    pauseToggled = Signal(bool)
    oneMoreEpoch = Signal()
    lrMultiplierChanged = Signal(float)
    augmentChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Steer the run", parent)
        self.pauseTraining = QPushButton("Pause", objectName="pauseTraining", checkable=True)
        self.pauseTraining.setToolTip("pause after the batch under way; Stop still works while paused")
        self.oneMoreEpochButton = QPushButton("One more epoch", objectName="oneMoreEpoch")
        self.oneMoreEpochButton.setToolTip("add an epoch to the run: the rest of the learning-rate schedule is "
                                           "stretched to end, annealed, at the new last batch")
        self.lrMultiplier = QDoubleSpinBox(objectName="lrMultiplier")
        self.lrMultiplier.setRange(*LR_MULTIPLIER_RANGE)
        self.lrMultiplier.setSingleStep(0.1)
        self.lrMultiplier.setDecimals(2)
        self.lrMultiplier.setValue(1.0)
        self.lrMultiplier.setSuffix("x")
        self.lrMultiplier.setKeyboardTracking(False)  # typed: sent on Enter, not at every key
        self.lrMultiplier.setToolTip("the schedule's learning rate times this, from the next batch on")
        self.augmentToggle = QCheckBox("augmentation", objectName="augmentToggle")
        self.augmentToggle.setToolTip("random rotation, shift and scale of each batch, from the next batch on")
        self.last = QLabel(objectName="steerStatus")
        self.last.setToolTip("the last change the run made; the charts mark each one")

        layout = QHBoxLayout(self)
        layout.addWidget(self.pauseTraining)
        layout.addWidget(self.oneMoreEpochButton)
        layout.addWidget(QLabel("learning rate"))
        layout.addWidget(self.lrMultiplier)
        layout.addWidget(self.augmentToggle)
        layout.addWidget(self.last, 1)

        self.pauseTraining.toggled.connect(self._on_pause_toggled)
        self.oneMoreEpochButton.clicked.connect(self.oneMoreEpoch)
        self.lrMultiplier.valueChanged.connect(self.lrMultiplierChanged)
        self.augmentToggle.toggled.connect(self.augmentChanged)
        self.finished()

    def starting(self, augment: bool) -> None:
        """A run starts with the settings' augmentation and the schedule as it is."""
        for control, value in ((self.augmentToggle, augment), (self.lrMultiplier, 1.0),
                               (self.pauseTraining, False)):
            control.blockSignals(True)  # the run's own starting state, not a request
            (control.setValue if control is self.lrMultiplier else control.setChecked)(value)
            control.blockSignals(False)
        self.pauseTraining.setText("Pause")
        self.last.clear()
        self._set_enabled(True)

    def finished(self) -> None:
        self.pauseTraining.blockSignals(True)
        self.pauseTraining.setChecked(False)
        self.pauseTraining.blockSignals(False)
        self.pauseTraining.setText("Pause")
        self._set_enabled(False)

    def applied(self, change: Steered) -> None:
        self.last.setText(steering_line(change))

    def _set_enabled(self, enabled: bool) -> None:
        for control in (self.pauseTraining, self.oneMoreEpochButton, self.lrMultiplier, self.augmentToggle):
            control.setEnabled(enabled)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        self.pauseTraining.setText("Resume" if paused else "Pause")
        self.pauseToggled.emit(paused)
