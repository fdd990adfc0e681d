"""Where the nearest examples come from: the index of MNIST's training digits for the model in use
(trainer.neighbour_store), made or read from the cache in a worker thread, then looked up on the GUI thread.

States: NO_MODEL, MISSING (MNIST is not where the data folder points; `message` says where and how to get it),
BUSY (made or read; `progress` counts the training digits done), READY, FAILED (`message` says why). `changed`
is signalled whenever the state or the progress changes.
"""

from __future__ import annotations

import copy
import time

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from torch import nn

from trainer.data import DataError, missing_files, raw_folder, resolve_data_dir
from trainer.neighbour_store import Progress, TrainingDigits, training_digits
from trainer.neighbours import Neighbour

from ..worker import Worker, WorkerSlot

NO_MODEL, MISSING, BUSY, READY, FAILED = "no model", "missing", "busy", "ready", "failed"
SHOWN = 8


class NearestSource(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.model: nn.Module | None = None
        self.data_dir: str | None = None
        self.index: TrainingDigits | None = None
        self.state, self.message = NO_MODEL, ""
        self.progress = Progress(0, 0)
        self.seconds: float | None = None  # how long the index took to make or read
        self._started = 0.0
        self._closed = False  # shut down: nothing more starts
        self.slot = WorkerSlot(self)
        self.slot.progress.connect(self._on_progress)
        self.slot.done.connect(self._on_done)
        self.slot.failed.connect(self._on_failed)
        self.slot.finished.connect(self._on_finished)

    def set_model(self, model: nn.Module | None) -> None:
        """Look up with this model from now on: its index is made (or read) afresh."""
        self.model = model
        self._restart()

    def set_data_dir(self, folder: str | None) -> None:
        """The folder that holds MNIST ('' or None: $DIGITPAD_DATA, else the per-user cache folder)."""
        folder = folder or None
        if folder != self.data_dir:
            self.data_dir = folder
            self._restart()

    def check_again(self) -> None:
        """When MNIST was missing: look again (it may have been downloaded since). A few file checks."""
        if self.state == MISSING and not missing_files(resolve_data_dir(self.data_dir)):
            self._restart()

    def nearest(self, image: np.ndarray, count: int = SHOWN) -> list[Neighbour] | None:
        """The `count` training digits nearest a 28x28 picture, nearest first; None until the index is ready."""
        if self.index is None or self.model is None:
            return None
        return self.index.nearest_to_pictures(self.model, image[None], count)[0]

    def shutdown(self) -> None:
        """Stop making an index and wait for its thread (the window is closing). Nothing starts after it: not
        even the next model's index, which the end of a forgotten job would otherwise start."""
        self._closed = True
        self.slot.join()

    def _restart(self) -> None:
        self.index = None  # frees the old model's 127 MB at once
        if self.slot.busy:  # the running job is for another model or folder: its result is dropped
            self.slot.forget()
            self._set(BUSY)
        else:
            self._start()

    def _start(self) -> None:
        if self._closed:
            return
        if self.model is None:
            self._set(NO_MODEL)
            return
        root = resolve_data_dir(self.data_dir)
        missing = missing_files(root)
        if missing:
            self._set(MISSING, f"The nearest examples need MNIST's training digits, which are not in "
                               f"{raw_folder(root)}. Download MNIST in the Train tab (or choose the folder that "
                               f"holds it there), or set DIGITPAD_DATA to the folder that holds MNIST/raw/.")
            return
        model, folder = copy.deepcopy(self.model), self.data_dir  # a copy: the features are taken with a hook

        def job(report, stop):
            return training_digits(model, folder, report=report, stop=stop)

        self.progress, self._started = Progress(0, 0), time.perf_counter()
        self.slot.start(Worker(job, "Finding the nearest examples failed", known=(DataError,)))
        self._set(BUSY)

    def _set(self, state: str, message: str = "") -> None:
        self.state, self.message = state, message
        self.changed.emit()

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        self.progress = progress
        self.changed.emit()

    @Slot(object)
    def _on_done(self, index: TrainingDigits) -> None:
        self.index, self.seconds = index, time.perf_counter() - self._started
        self._set(READY)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._set(FAILED, message)

    @Slot()
    def _on_finished(self) -> None:
        if self.state == BUSY and self.index is None and not self.slot.busy:  # a forgotten job ended: the next
            self._start()
