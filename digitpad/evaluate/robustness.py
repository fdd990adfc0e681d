"""The Evaluate tab's robustness curves: how the model in use, and another beside it, read the MNIST test digits
as they are damaged step by step (noise, rotation, shift, thicker and thinner strokes, blur, low resolution).

Measure runs `trainer.robustness` (the code of `trainer eval --robustness`) in a background worker over all
10,000 test images; each point is drawn as it comes, Stop ends the run within a block of images and keeps what
is drawn. "Compare with" puts a second model's curves beside the first: the built-in model, or any checkpoint
file (checked as File > Open model checks it).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.checkpoint import CheckpointError, load_checkpoint
from trainer.paths import models_dir
from trainer.robustness import Curves, Point
from trainer.verdicts import DEFAULT_THRESHOLD, model_threshold

from .. import builtin_checkpoint_path
from ..worker import WorkerSlot
from .robustness_plots import RobustnessPlots
from .robustness_worker import robustness_worker

MODEL_FILTER = "digitpad checkpoints (*.pt);;All files (*)"
NOTHING, BUILTIN, CHOOSE = "nothing", "the built-in model", "a checkpoint file…"
IDLE = "Press Measure to damage the 10,000 MNIST test digits step by step and see how the model copes."


class RobustnessChart(QWidget):
    runDone = Signal()  # a run has ended (measured, stopped or failed) and the next may start

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("robustnessChart")
        self.model: torch.nn.Module | None = None
        self.threshold = DEFAULT_THRESHOLD
        self.description = ""
        self.data_dir: str | None = None
        self.other: tuple[str, torch.nn.Module, float] | None = None  # (name, model, threshold) compared with
        self.curves: Curves | None = None
        self.job = WorkerSlot(self)

        self.measure = QPushButton("Measure robustness", objectName="runRobustness")
        self.measure.setToolTip("Damage the test digits step by step and measure the model(s) at each step "
                                "(under a minute, in the background)")
        self.measure.clicked.connect(lambda: self.start())
        self.stop = QPushButton("Stop", objectName="stopRobustness", enabled=False)
        self.stop.clicked.connect(self.job.stop)
        self.compare = QComboBox(objectName="compareWith")
        self.compare.addItems([NOTHING, BUILTIN, CHOOSE])
        self.compare.activated.connect(self._on_compare_chosen)
        self.progress = QProgressBar(objectName="robustnessProgress")
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.status = QLabel(IDLE, objectName="robustnessStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plots = RobustnessPlots(self)

        top = QHBoxLayout()
        for widget in (self.measure, self.stop, QLabel("Compare with:"), self.compare, self.progress):
            top.addWidget(widget)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.plots, 1)

        self.job.progress.connect(self._on_point)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._on_finished)

    # ----- inputs -------------------------------------------------------------------------------------------
    def set_model(self, model: torch.nn.Module, description: str = "", threshold: float = DEFAULT_THRESHOLD) -> None:
        """Measure this model from now on; curves drawn for another are cleared (a run under way is dropped)."""
        self.model, self.description, self.threshold = model, description, threshold
        self.job.forget()
        self._clear(IDLE)

    def set_data_dir(self, folder: str | None) -> None:
        self.data_dir = folder or None

    def compare_with(self, path: str | os.PathLike) -> bool:
        """Put the curves of the checkpoint at `path` beside the model in use; False, saying why, for a bad file."""
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            self.status.setText(f"Could not compare: {error}")
            self.compare.setCurrentText(NOTHING if self.other is None else self.other[0])
            return False
        name = "the built-in model" if Path(path).resolve() == builtin_checkpoint_path().resolve() else Path(path).name
        self.other = (name, checkpoint.model, model_threshold(checkpoint.meta))
        if self.compare.findText(name) < 0:
            self.compare.insertItem(self.compare.count() - 1, name, str(path))
        self.compare.setCurrentText(name)
        self._clear(f"Press Measure to put {name}'s curves (orange) beside the model in use's (blue).")
        return True

    @Slot(int)
    def _on_compare_chosen(self, index: int) -> None:
        choice = self.compare.itemText(index)
        if choice == NOTHING:
            self.other = None
            self._clear(IDLE)
        elif choice == BUILTIN:
            self.compare_with(builtin_checkpoint_path())
        elif choice == CHOOSE:
            start = models_dir() if models_dir().is_dir() else Path.home()
            path, _ = QFileDialog.getOpenFileName(self, "Compare with a model", str(start), MODEL_FILTER)
            if path:
                self.compare_with(path)
            else:
                self.compare.setCurrentText(NOTHING if self.other is None else self.other[0])
        elif self.other is None or choice != self.other[0]:
            self.compare_with(self.compare.itemData(index) or choice)

    # ----- running ------------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Measure in the background; False (saying why) when it cannot start."""
        if self.model is None or self.job.busy:
            if self.model is None:
                self.status.setText("No model to measure.")
            return False
        models, thresholds = [self.model], [self.threshold]
        if self.other is not None:
            models.append(self.other[1])
            thresholds.append(self.other[2])
        self._clear("Reading the MNIST test set…")
        self.measure.setEnabled(False)
        self.stop.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        return self.job.start(robustness_worker(models, thresholds, self.data_dir))

    def shutdown(self) -> None:
        """Stop a run in progress and wait for its thread before the window goes."""
        self.job.join()

    @Slot(object)
    def _on_point(self, event: tuple[Point, int, int]) -> None:
        point, done, total = event
        self.plots.add(point)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        who = "" if self.other is None else (" (model in use)" if point.model == 0 else f" ({self.other[0]})")
        damage = self.plots.charts[point.kind].damage
        self.status.setText(f"Measured {damage.title.lower()} {damage.label(point.level)}{who}: step {done} of "
                            f"{total}, each on the 10,000 test digits…")

    @Slot(object)
    def _on_done(self, curves: Curves) -> None:
        self.curves = curves
        models = "1 model" if self.other is None else f"2 models (with {self.other[0]})"
        self.status.setText(f"{models}, {len(curves.points)} points: every step on all {curves.images:,} MNIST test digits, in {curves.seconds:.1f} s "
                            f"({curves.precision}). \"Not sure\" at each model's own threshold "
                            f"({self._thresholds()}).")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.setText(message)

    @Slot()
    def _on_finished(self) -> None:
        self.measure.setEnabled(True)
        self.stop.setEnabled(False)
        self.progress.hide()
        self.runDone.emit()

    def _thresholds(self) -> str:
        shown = f"model in use {self.threshold:.1%}"
        return shown if self.other is None else f"{shown}, {self.other[0]} {self.other[2]:.1%}"

    def _clear(self, status: str) -> None:
        self.curves = None
        self.plots.clear()
        self.status.setText(status)
