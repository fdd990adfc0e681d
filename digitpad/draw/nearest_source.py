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
import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from torch import nn

from trainer.data import DataError, missing_files, normalize, raw_folder, resolve_data_dir
from trainer.foreign import FEATURES_NOTE, is_foreign
from trainer.inspection import torch_threads
from trainer.neighbour_store import Progress, TrainingDigits, training_digits
from trainer.neighbours import Neighbour

from ..worker import Worker, WorkerSlot

NO_MODEL, MISSING, BUSY, READY, FAILED = "no model", "missing", "busy", "ready", "failed"
SHOWN = 8
# The index is read (or made) a moment after the model is set, so that the window opens and paints first; a digit
# to show starts it at once.
START_DELAY_MS = 1000


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
        self._delay = QTimer(self, singleShot=True, interval=START_DELAY_MS)
        self._delay.timeout.connect(self._restart_now)
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

    def wanted(self) -> None:
        """A digit is waiting for its examples: start at once what was to start in a moment; and when MNIST was
        missing, look again (it may have been downloaded since: a few file checks)."""
        if self._delay.isActive():
            self._restart_now()
        elif self.state == MISSING and not missing_files(resolve_data_dir(self.data_dir)):
            self._restart()
            self._restart_now()

    def nearest(self, image: np.ndarray, count: int = SHOWN) -> list[Neighbour] | None:
        """The `count` training digits nearest a 28x28 picture, nearest first; None until the index is ready."""
        if self.index is None or self.model is None:
            return None
        return self.index.nearest_to_pictures(self.model, image[None], count)[0]

    def confidences(self, neighbours: list[Neighbour]) -> list[float]:
        """How sure the net is of each of these training digits: its highest probability (one forward pass)."""
        if self.index is None or self.model is None or not neighbours:
            return []
        pictures = [picture for picture in map(self.index.picture, (n.index for n in neighbours))
                    if picture is not None]
        if not pictures:
            return []
        with torch.inference_mode(), torch_threads(1):
            was_training = self.model.training
            self.model.eval()
            log_probabilities = self.model(normalize(torch.from_numpy(np.stack(pictures))).unsqueeze(1))
            self.model.train(was_training)
        return log_probabilities.exp().max(1).values.tolist()

    def shutdown(self) -> None:
        """Stop making an index and wait for its thread (the window is closing). Nothing starts after it: not
        even the next model's index, which the end of a forgotten job would otherwise start."""
        self._closed = True
        self._delay.stop()
        self.slot.join()

    def _restart(self) -> None:
        """The model or the folder changed: drop the index, say at once what comes, start in a moment."""
        self.index = None  # frees the old model's 127 MB at once
        if self.slot.busy:  # the running job is for another model or folder: its result is dropped
            self.slot.forget()
        if self._can_start():
            self._set(BUSY)
            self._delay.start()  # (or, while a forgotten job ends, when it has: _on_finished)

    def _restart_now(self) -> None:
        self._delay.stop()
        if not self.slot.busy and self._can_start():
            self._start()

    def _can_start(self) -> bool:
        """Whether there is a model and MNIST to make an index of; if not, the state says which is missing."""
        if self.model is None:
            self._set(NO_MODEL)
            return False
        if is_foreign(self.model):
            self._set(FAILED, f"The nearest training digits are not shown: finding them {FEATURES_NOTE}.")
            return False
        root = resolve_data_dir(self.data_dir)
        if missing_files(root):
            self._set(MISSING, f"The nearest examples need MNIST's training digits, which are not in "
                               f"{raw_folder(root)}. Download MNIST in the Train tab (or choose the folder that "
                               f"holds it there), or set DIGITPAD_DATA to the folder that holds MNIST/raw/.")
            return False
        return True

    def _start(self) -> None:
        if self._closed:
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
        # A forgotten job ended: the next one starts, unless it is still to start in a moment.
        if self.state == BUSY and self.index is None and not self.slot.busy and not self._delay.isActive():
            self._start()
