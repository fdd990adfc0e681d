"""The training job in a QThread: `trainer.job.run_job`, exactly as `trainer train` runs it, reported by signals.

Only Qt signals cross from this thread to the GUI (queued connections). Batch progress is sent in groups, at most
every `update_interval` seconds, so the GUI never waits on training and the charts cost the training next to
nothing. A stop is the job's own `threading.Event`: it exists before the thread starts, so a Stop pressed at any
moment, even while MNIST loads, is seen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QThread, Signal

from trainer.config import BatchEnd, ConfigError, EpochEnd, RunStarted, TrainConfig
from trainer.data import DataError
from trainer.engine import Diverged
from trainer.job import run_job

LOSS_POINTS_PER_EPOCH = 50


@dataclass
class BatchProgress:
    """A group of BatchEnd events, as one signal: the latest position plus the loss points since the last group."""
    epoch: int
    batch: int
    running_loss: float
    points: list[tuple[float, float]]  # (fractional epoch, running loss), thinned to about 50 per epoch


class TrainWorker(QThread):
    """Runs one training job. Signals, in order: runStarted, then batchProgress and epochEnded as it trains, then
    exactly one of jobDone (finished or stopped: JobResult.stopped says which) or jobFailed (a message)."""

    runStarted = Signal(object)     # trainer.config.RunStarted
    batchProgress = Signal(object)  # BatchProgress
    epochEnded = Signal(object)     # trainer.config.EpochEnd
    jobDone = Signal(object)        # trainer.job.JobResult
    jobFailed = Signal(str)         # a message for the person

    def __init__(self, config: TrainConfig, update_interval: float = 0.2):
        super().__init__()
        self.config = config
        self.update_interval = update_interval
        self.stop_event = threading.Event()
        self._batches = 1
        self._points: list[tuple[float, float]] = []
        self._last_emit = 0.0

    def request_stop(self) -> None:
        """Any thread. Takes effect within one batch (or once loading or the test pass in progress ends)."""
        self.stop_event.set()

    def run(self) -> None:  # the worker thread
        try:
            # The GUI reads the data folder itself and offers a Download button: no download from here.
            self.jobDone.emit(run_job(self.config, on_event=self._on_event, stop=self.stop_event, download=False))
        except (ConfigError, DataError, Diverged, ValueError) as error:
            self.jobFailed.emit(str(error))
        except Exception as error:  # disk full while saving, out of memory...: report, never kill the app
            self.jobFailed.emit(f"Training failed: {type(error).__name__}: {error}")

    def _on_event(self, event) -> None:  # the worker thread, once per batch: keep it cheap
        if isinstance(event, RunStarted):
            self._batches = event.batches
            self.runStarted.emit(event)
        elif isinstance(event, EpochEnd):
            self.epochEnded.emit(event)
        elif isinstance(event, BatchEnd):
            stride = max(1, self._batches // LOSS_POINTS_PER_EPOCH)
            last = event.batch == self._batches
            if event.batch % stride == 0 or last:
                self._points.append((event.epoch - 1 + event.batch / self._batches, event.running_loss))
            now = time.monotonic()
            if last or event.batch == 1 or now - self._last_emit >= self.update_interval:
                self._last_emit = now
                points, self._points = self._points, []
                self.batchProgress.emit(BatchProgress(event.epoch, event.batch, event.running_loss, points))
