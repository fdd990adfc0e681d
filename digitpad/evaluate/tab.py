"""The Evaluate tab: how the model in use reads the 10,000 MNIST test digits, and which ones it gets wrong.

Evaluate runs `trainer.evaluation.evaluate` (the code of `trainer eval`) in a background worker on the MNIST
folder the Train tab uses, then shows the accuracy, the confusion matrix (click a cell for its digits), the
mistakes from the most confident down, and per-digit precision and recall. Clicking a digit signals
`digitChosen(image)` (28 x 28 floats in [0, 1]) for the window to open it in the Draw tab.

A second page holds the robustness curves (robustness.py), which run on their own. The tab builds its parts and
wires them; they know nothing of each other. Any other labelled set (a personal handwriting set) goes through the
same worker and views with `evaluate_set(images, labels, name)`, or with `evaluate_loaded(load, name)` when
reading the set takes time and belongs in the worker's thread too. Channels switched off in the inside view are
off in its evaluations too (`switched_off`, a note that says so).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trainer.data import LabelledImages, as_split, missing_files, raw_folder, resolve_data_dir
from trainer.verdicts import DEFAULT_THRESHOLD

from ..worker import Worker, WorkerSlot
from .confusion import ConfusionMatrixView
from .gallery import DigitGallery
from .per_class import PerClassTable
from .robustness import RobustnessChart
from .switched_off import SwitchedOffNote
from .points_map import PointsMap
from .worker import EvaluationReport, evaluation_worker

CELL_HINT = "Click a cell of the matrix to see exactly those digits here."


class EvaluateTab(QWidget):
    digitChosen = Signal(object)  # a 28 x 28 float32 array in [0, 1]
    evaluationDone = Signal()     # results shown (or a failure said), and ready for the next run
    personalRequested = Signal()  # "Evaluate on my handwriting": the window hands over the set (evaluate_set)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model: torch.nn.Module | None = None
        self.data_dir: str | None = None
        self.job = WorkerSlot(self)
        self.report: EvaluationReport | None = None
        self._reported = False  # the running evaluation has shown its results or said why not

        self.run = QPushButton("Evaluate on the MNIST test set", objectName="runEvaluation")
        self.run.setToolTip("Run the model in use on MNIST's 10,000 test digits (a few seconds, in the background)")
        self.run.clicked.connect(lambda: self.run_evaluation())
        self.runPersonal = QPushButton("Evaluate on my handwriting", objectName="runPersonal")
        self.runPersonal.setToolTip("Run the model in use on your own samples (the My handwriting tab's set)")
        self.runPersonal.clicked.connect(self.personalRequested)
        self.progress = QProgressBar(objectName="evalProgress")
        self.progress.setRange(0, 0)  # busy: evaluate() runs as one pass
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.status = QLabel(objectName="evalStatus")
        self.model_label = QLabel(objectName="evalModel")
        self.model_label.setWordWrap(True)
        self.message = QLabel(objectName="evalMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setStyleSheet("#evalMessage { background: #fff4e5; border: 1px solid #f0a030; padding: 6px; }")
        self.message.hide()
        self.switched_off = SwitchedOffNote(self)  # the window hands over the inside view's switched-off channels
        self.accuracy = QLabel(objectName="evalAccuracy")
        font = QFont(self.font())
        font.setPixelSize(28)
        font.setBold(True)
        self.accuracy.setFont(font)
        self.summary = QLabel(objectName="evalSummary")
        self.summary.setWordWrap(True)

        self.matrix = ConfusionMatrixView(self)
        self.per_class = PerClassTable(self)
        self.cell_title = QLabel(CELL_HINT, objectName="cellGalleryTitle")
        self.cell_gallery = DigitGallery("cellGallery", self)
        self.mistakes_title = QLabel("Mistakes, the most confident first", objectName="mistakesTitle")
        self.mistakes = DigitGallery("mistakes", self)
        self.robustness = RobustnessChart(self)  # a page of its own, with its own Measure and Stop
        self.points_map = PointsMap(self)  # a map of what it learnt: a clicked dot opens in the galleries
        self.points_map.digitClicked.connect(self.show_digit)

        self._lay_out()

        self.job.progress.connect(self.status.setText)  # the stage it is at
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._on_finished)
        self.matrix.cellClicked.connect(self.show_cell)
        for gallery in (self.cell_gallery, self.mistakes):
            gallery.digitClicked.connect(self._on_digit_clicked)
        self._clear("No model yet.")

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.run)
        top.addWidget(self.runPersonal)
        top.addWidget(self.progress)
        top.addWidget(self.status, 1)
        result = QHBoxLayout()
        result.addWidget(self.accuracy)
        result.addWidget(self.summary, 1)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.matrix, 1)
        left_layout.addWidget(self.per_class)
        right = QWidget(self)
        right_layout = QGridLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.cell_title, 0, 0)
        right_layout.addWidget(self.cell_gallery, 1, 0)
        right_layout.addWidget(self.mistakes_title, 2, 0)
        right_layout.addWidget(self.mistakes, 3, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.points_map)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        for index in range(3):
            splitter.setStretchFactor(index, 1)
        splitter.setSizes([620, 420, 280])  # shares of the width: the per-digit table keeps room for its figures
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.model_label)
        layout.addWidget(self.message)
        layout.addWidget(self.switched_off)
        layout.addLayout(result)
        views = QTabWidget(objectName="evaluateViews")
        views.addTab(splitter, "Confusion and mistakes")
        views.addTab(self.robustness, "Robustness")
        layout.addWidget(views, 1)

    # ----- inputs -------------------------------------------------------------------------------------------
    def set_model(self, model: torch.nn.Module, description: str = "", threshold: float = DEFAULT_THRESHOLD) -> None:
        """Evaluate this model (whose "not sure" threshold is `threshold`) from now on; results shown for another
        model are cleared."""
        self.model = model
        self.robustness.set_model(model, description, threshold)
        self.model_label.setText(f"Model: {description}" if description else "")
        self._forget_worker()
        self._clear("Press Evaluate to see how this model reads the MNIST test set.")

    @Slot(str)
    def set_data_dir(self, folder: str | None) -> None:
        """The folder that holds MNIST, as the Train tab's setting says ('' or None: $DIGITPAD_DATA, else the
        per-user cache folder)."""
        self.data_dir = folder or None
        self.robustness.set_data_dir(self.data_dir)
        self._check_data()

    # ----- running ------------------------------------------------------------------------------------------
    @Slot()
    def run_evaluation(self) -> bool:
        """Evaluate the model on MNIST's test set in the background; False (saying why) when it cannot start."""
        if not self._check_data():
            return False
        return self._start(self._worker(data_dir=self.data_dir))

    def evaluate_set(self, images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, name: str) -> bool:
        """The hook for another labelled set (a personal handwriting set): N x 28 x 28 (or N x 1 x 28 x 28) images
        in [0, 1], like the net's input, and N digits; shown as for MNIST, under `name`."""
        split = as_split(images, labels)
        return self._start(self._worker(split=split, set_name=name))

    def evaluate_loaded(self, load: Callable[[], tuple[np.ndarray, np.ndarray, str]], name: str) -> bool:
        """As evaluate_set, but the set is read in the worker's thread: `load()` returns (images, labels, the
        name to show) or raises worker.SetUnavailable, whose message the tab shows. `name` is shown meanwhile."""
        def split_and_name() -> tuple[LabelledImages, str]:
            images, labels, shown = load()
            return as_split(images, labels), shown

        return self._start(self._worker(set_name=name, load=split_and_name))

    def _worker(self, **options) -> Worker | None:  # with the inside view's switched-off channels; None: no model
        model = self.model
        return None if model is None else evaluation_worker(model, switched_off=self.switched_off.off, **options)

    @property
    def worker(self) -> Worker | None:
        """The running evaluation's Worker, or None."""
        return self.job.worker

    def _start(self, worker: Worker | None) -> bool:
        if worker is None or self.job.busy:
            self.status.setText("No model to evaluate." if worker is None else self.status.text())
            return False
        self._clear("")
        self.run.setEnabled(False)
        self.progress.show()
        self._reported = False
        return self.job.start(worker)

    def shutdown(self) -> None:
        """Stop an evaluation in progress and wait for its thread (a fraction of a second) before the window goes."""
        self.job.join()
        self.robustness.shutdown()
        self.points_map.shutdown()

    def _forget_worker(self) -> None:
        """A result still to come is about the previous model: it is stopped, and dropped if it still comes."""
        self.job.forget()

    # ----- results ------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_done(self, report: EvaluationReport) -> None:
        self.report = report
        result = report.evaluation
        self.accuracy.setText(f"{result.accuracy:.2%}")
        without = f", <b>with channels switched off</b> ({report.switched_off})" if report.switched_off else ""
        self.summary.setText(f"accuracy on {report.set_name} ({len(report.split):,} images){without}: "
                             f"{result.wrong:,} wrong, loss {result.loss:.4f}; the model ran in {report.seconds:.1f} s")
        self.status.setText("Done.")
        images = report.split.images[:, 0].numpy()
        labels, predictions = result.labels.numpy(), result.predictions.numpy()
        confidences = result.confidences.numpy()
        for gallery in (self.cell_gallery, self.mistakes):
            gallery.set_set(images, labels, predictions, confidences)
        wrong = np.flatnonzero(labels != predictions)
        self.mistakes.show_indices(wrong[np.argsort(-confidences[wrong], kind="stable")])
        self.mistakes_title.setText(f"Mistakes: {len(wrong):,}, the most confident first")
        self.matrix.set_matrix(result.confusion_matrix().numpy())
        per_class = result.per_class()
        self.per_class.set_figures(np.bincount(labels, minlength=10).tolist(), per_class["recall"],
                                   per_class["precision"])
        self.points_map.set_set(self.model, report.split.images, labels, predictions, confidences)
        self._reported = True

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.setText("The evaluation did not run.")
        self.message.setText(message)
        self.message.show()
        self._reported = True

    @Slot()
    def _on_finished(self) -> None:
        self.run.setEnabled(True)
        self.progress.hide()
        # Said once the worker's thread has ended, so that a run asked for at this signal is never refused as
        # "one is still running" (a forgotten run, about a model gone, says nothing).
        if self._reported:
            self._reported = False
            self.evaluationDone.emit()

    @Slot(int, int)
    def show_cell(self, true_digit: int, predicted: int) -> None:
        """Fill the cell gallery with exactly the digits of one cell of the matrix."""
        if self.report is None:
            return
        result = self.report.evaluation
        labels, predictions = result.labels.numpy(), result.predictions.numpy()
        confidences = result.confidences.numpy()
        members = np.flatnonzero((labels == true_digit) & (predictions == predicted))
        # Right answers: the shakiest first; mistakes: the most confident first. Either way the interesting ones.
        order = np.argsort(confidences[members] if true_digit == predicted else -confidences[members], kind="stable")
        self.matrix.select(true_digit, predicted)
        self.cell_gallery.show_indices(members[order])
        what = f"{true_digit}s read as {predicted}" if true_digit != predicted else f"{true_digit}s read right"
        first = "the least sure first" if true_digit == predicted else "the most confident first"
        self.cell_title.setText(f"{what}: {len(members):,}" + (f", {first}" if len(members) > 1 else ""))

    @Slot(int)
    def show_digit(self, index: int) -> None:
        """One digit of the set (a dot clicked on the map): its cell's gallery, and the mistakes when it is one,
        with it selected and in view."""
        if self.report is not None:
            result = self.report.evaluation
            self.show_cell(int(result.labels[index]), int(result.predictions[index]))
            for gallery in (self.cell_gallery, self.mistakes):
                gallery.select_index(index)

    @Slot(int)
    def _on_digit_clicked(self, index: int) -> None:
        if self.report is not None:
            self.digitChosen.emit(self.report.split.images[index, 0].numpy().copy())

    def _clear(self, status: str) -> None:
        self.report = None
        self.accuracy.setText("")
        self.summary.setText("")
        self.status.setText(status)
        self.matrix.set_matrix(None)
        self.per_class.clear_figures()
        for gallery in (self.cell_gallery, self.mistakes):
            gallery.show_indices([])
        self.cell_title.setText(CELL_HINT)
        self.mistakes_title.setText("Mistakes, the most confident first")
        self.points_map.clear("The map of the digits comes with an evaluation.")
        self._check_data()

    def _check_data(self) -> bool:
        """Say plainly when MNIST is not where the Train tab's setting points; True when it is there."""
        root = resolve_data_dir(self.data_dir)
        missing = missing_files(root)
        if missing:
            self.message.setText(f"<b>MNIST is not in {raw_folder(root)}</b> (missing: {', '.join(missing)}). "
                                 f"Choose the data folder in the Train tab (or download MNIST there), or set "
                                 f"DIGITPAD_DATA to the folder that holds MNIST/raw/.")
        self.message.setVisible(bool(missing))
        return not missing
