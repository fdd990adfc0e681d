"""The "My handwriting" tab: the personal set, how the model in use reads it, and fine-tuning on it.

The tab builds its parts and wires them; the parts know nothing of each other: the summary (counts, accuracy,
skipped files), the gallery (thumbnails per digit, mistakes outlined), the fine-tune panel and the worker that
runs `trainer.finetune.run_finetune`, the same job as `trainer finetune`. Reading the set (a few hundred small
PNGs, about a millisecond each, then only the files that changed) and the model's pass over it run in a
set reader's thread, only when the tab is shown and the set or the model changed since; `setShown` says when the
tab shows the result.
"""

from __future__ import annotations

import dataclasses
import html

from PySide6.QtCore import QCoreApplication, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from trainer.finetune import FinetuneResult, FinetuneSettings, PhaseStarted
from trainer.foreign import is_foreign
from trainer.personal_set import PersonalSet, Sample, readiness_problem

from .. import builtin_checkpoint_path
from ..reading.predictor import Predictor
from ..worker import WorkerSlot
from .finetune_panel import FinetunePanel
from .gallery import SampleGallery, Shown
from .set_reader import set_reader
from .summary import SetSummary
from .worker import FinetuneJob, finetune_worker

HOW_TO_ADD = ("In the Draw tab, draw a digit and type the digit you meant (0-9): the drawing is saved here as a "
              "sample of it. Select samples and press Delete to remove them.")


class HandwritingTab(QWidget):
    """Signals `modelReady(path)` when the person asks the Draw tab to use a checkpoint, `finetuneFinished()`
    when a fine-tune has ended (done, stopped or failed). Call `shutdown()` before the window closes."""

    modelReady = Signal(str)
    finetuneFinished = Signal()
    setShown = Signal()  # a read of the set (after refresh()) is on screen

    def __init__(self, personal_set: PersonalSet, parent: QWidget | None = None):
        super().__init__(parent)
        self.personal_set = personal_set
        self.settings = FinetuneSettings()  # the fine-tune's; data_dir follows the Train tab's data folder
        self.predictor: Predictor | None = None
        self.job = WorkerSlot(self)  # the fine-tune
        self.last_result: FinetuneResult | None = None
        self.last_error: str | None = None
        self._deleted: list = []  # the last deletion, for Undo delete
        self._dirty = True
        self._reader = WorkerSlot(self)
        self._read_again = False  # the set or the model changed while a read was under way
        self._shown_once = False

        self.summary = SetSummary(self)
        self.gallery = SampleGallery(self)
        self.panel = FinetunePanel(self)
        how = QLabel(HOW_TO_ADD, objectName="howToAdd")
        how.setWordWrap(True)
        how.setStyleSheet("color: palette(placeholder-text);")
        self.delete_button = QPushButton("Delete selected", objectName="deleteSelected", enabled=False)
        self.delete_button.clicked.connect(self.gallery.delete_action.trigger)
        self.gallery.delete_action.enabledChanged.connect(self.delete_button.setEnabled)
        self.undo_delete = QPushButton("Undo delete", objectName="undoDelete", enabled=False)
        self.undo_delete.clicked.connect(self.restore_deleted)

        edit_row = QHBoxLayout()
        edit_row.addWidget(how, 1)
        edit_row.addWidget(self.delete_button)
        edit_row.addWidget(self.undo_delete)
        left = QVBoxLayout()
        left.addWidget(self.summary)
        left.addLayout(edit_row)
        left.addWidget(self.gallery, 1)
        left.addStretch(0)  # takes the room of the gallery while it is hidden (a set that could not be read)
        self.panel.setFixedWidth(340)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(self.panel)

        self.summary.openFolder.connect(self.open_folder)
        self.summary.reload.connect(self.refresh)
        self.gallery.deleteRequested.connect(self.delete_samples)
        self.panel.start.clicked.connect(self.start_finetune)
        self.panel.stop.clicked.connect(self.stop_finetune)
        self.panel.useModel.clicked.connect(self.use_finetuned)
        self.panel.resetModel.clicked.connect(lambda: self.modelReady.emit(str(builtin_checkpoint_path())))
        self._reader.done.connect(self._show_set)
        self._reader.failed.connect(self._show_failure)
        self._reader.finished.connect(self._on_reader_finished)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._on_worker_finished)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ----- what changes from outside ------------------------------------------------------------------------
    def set_predictor(self, predictor: Predictor) -> None:
        """The model in use: fine-tunes start from it, and the set's accuracy and mistakes are its."""
        self.predictor = predictor
        self.panel.set_builtin_in_use(predictor.is_builtin)
        self.set_changed()

    @Slot()
    def set_changed(self) -> None:
        """The set or the model changed: shown again now if the tab is visible, else when it is next shown."""
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def set_data_dir(self, folder: str) -> None:
        self.settings.data_dir = folder or None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    # ----- the set ------------------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read the set again (in a thread) and show it, with what the model in use reads in each sample."""
        self._dirty = False
        if self._reader.busy:
            self._read_again = True
            return
        if not self._shown_once:  # the first read opens every file: a second or more for a large set
            self.summary.show_accuracy(f"Reading the samples in {html.escape(str(self.personal_set.folder))}…")
        self._reader.start(set_reader(self.personal_set, self.predictor))

    @Slot()
    def _on_reader_finished(self) -> None:
        if self._read_again:
            self._read_again = False
            self.refresh()

    @Slot(str)
    def _show_failure(self, message: str) -> None:
        """The set could not be read (its folder is a file, the disk went away): say why, and show no samples
        rather than the last ones read, which may be another set's, nor empty rows that say "draw a 3"."""
        self.gallery.show_samples([])
        self.gallery.hide()
        self.summary.show_unreadable(self.personal_set.folder, message)
        self.panel.ready("Nothing to fine-tune on until the set can be read (see the message on the left).",
                         can_start=False)
        self._shown_once = True
        self.setShown.emit()

    @Slot(object)
    def _show_set(self, read: tuple) -> None:
        data, readings = read
        shown = [Shown(sample, *((int(readings[i].argmax()), float(readings[i].max())) if readings is not None
                                 else (None, None)))
                 for i, sample in enumerate(self._samples(data))]
        self.gallery.show_samples(shown)
        self.gallery.show()
        counts = data.counts()
        self.summary.show_set(self.personal_set.folder, counts, data.skipped, data.ignored)
        self.summary.show_accuracy(self._accuracy_text(shown))
        problem = readiness_problem(counts, self.personal_set.folder)
        if problem is None and self.predictor is not None and is_foreign(self.predictor.model):
            problem = (f"Fine-tuning starts from a digitpad checkpoint; {self.predictor.path.name} was made "
                       f"elsewhere ({self.predictor.model.describe()}), so it cannot be fine-tuned here.")
        self.panel.ready(problem or f"Teaches the model in use your {len(data)} samples, in about a minute. "
                                    f"The model in use is kept as it is; the new one is saved beside it.",
                         can_start=problem is None and self.predictor is not None)
        self._shown_once = True
        self.setShown.emit()

    @staticmethod
    def _samples(data) -> list[Sample]:
        return [Sample(int(label), path) for label, path in zip(data.labels, data.paths)]

    def _accuracy_text(self, shown: list[Shown]) -> str:
        if not shown or self.predictor is None:
            return ""
        wrong = sum(item.wrong for item in shown)
        name = "the built-in model" if self.predictor.is_builtin else self.predictor.path.name
        text = (f"The model in use ({name}) reads <b>{len(shown) - wrong} of {len(shown)}</b> samples right "
                f"(<b>{(len(shown) - wrong) / len(shown):.1%}</b>)"
                + (f"; its {wrong} mistake{'s are' if wrong != 1 else ' is'} outlined in red, with what it read."
                   if wrong else "."))
        meta = self.predictor.meta
        after = meta.get("personal_accuracy_after")
        if meta.get("personal_set") == str(self.personal_set.folder) and after is not None:
            text += (f" It was fine-tuned on this set, so it has learnt most of these; on samples it had not "
                     f"seen it read {after:.1%}.")
        return text

    @Slot(list)
    def delete_samples(self, samples: list) -> None:
        removed = [r for r in (self.personal_set.delete(sample) for sample in samples) if r is not None]
        if removed:
            self._deleted = removed
            self.undo_delete.setEnabled(True)
            self.undo_delete.setToolTip(f"bring back the {len(removed)} sample{'s' if len(removed) > 1 else ''} "
                                        f"just deleted")
        self.refresh()

    @Slot()
    def restore_deleted(self) -> None:
        for removed in self._deleted:
            self.personal_set.restore(removed)
        self._deleted = []
        self.undo_delete.setEnabled(False)
        self.refresh()

    @Slot()
    def open_folder(self) -> None:
        problem = self.personal_set.folder_problem()
        if problem:  # a file where the folder should be: say so again rather than open it
            self._show_failure(problem)
            return
        try:
            self.personal_set.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._show_failure(f"Could not make the set's folder {self.personal_set.folder}: "
                               f"{error.strerror or error}")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.personal_set.folder)))

    # ----- fine-tuning --------------------------------------------------------------------------------------
    @property
    def worker(self):
        """The running fine-tune's Worker, or None."""
        return self.job.worker

    @property
    def is_running(self) -> bool:
        return self.job.busy

    @Slot()
    def start_finetune(self) -> bool:
        if self.is_running or self.predictor is None:
            return False
        self.last_result, self.last_error = None, None
        name = "the built-in model" if self.predictor.is_builtin else self.predictor.path.name
        self.panel.starting(name)
        # A copy: the settings follow the Train tab's data folder as it is typed, the running job must not.
        return self.job.start(finetune_worker(
            FinetuneJob(self.predictor.path, self.personal_set.folder, dataclasses.replace(self.settings))))

    @Slot()
    def stop_finetune(self) -> None:
        if self.is_running:
            self.panel.stopping()
            self.job.stop()

    @Slot()
    def shutdown(self) -> None:
        """Stop the fine-tune, if any, and wait for its thread and the set's reader. Safe at any time, more than
        once."""
        self._read_again = False
        self._reader.join()
        self.job.join()

    @Slot()
    def use_finetuned(self) -> None:
        if self.panel.model_path is not None:
            self.modelReady.emit(str(self.panel.model_path))

    @Slot(object)
    def _on_progress(self, event) -> None:
        if isinstance(event, PhaseStarted):
            self.panel.phase(event)
        elif isinstance(event, float):  # the share of the whole job done
            self.panel.fraction(event)

    @Slot(object)
    def _on_done(self, result: FinetuneResult) -> None:
        self.last_result = result
        self.panel.done(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.panel.failed(message)

    @Slot()
    def _on_worker_finished(self) -> None:
        self.panel.finished()
        self.finetuneFinished.emit()
