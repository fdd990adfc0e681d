"""The training job in a Worker thread: `trainer.job.run_job`, exactly as `trainer train` runs it, reported by the
worker's `progress` signal.

Only Qt signals cross from this thread to the GUI (queued connections). Batch progress is sent in groups, at most
every `update_interval` seconds, so the GUI never waits on training and the charts cost the training next to
nothing. A stop is the Worker's `threading.Event`, handed to the job: it exists before the thread starts, so a Stop
pressed at any moment, even while MNIST loads, is seen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from trainer.config import (
    BatchEnd,
    ConfigError,
    EpochEnd,
    RunStarted,
    Steered,
    TrainConfig,
)
from trainer.data import DataError, load_test_split
from trainer.devices import use_all_threads
from trainer.engine import Diverged
from trainer.inspection import take_snapshot
from trainer.job import run_job
from trainer.steering import Steering

from ..worker import Worker

LOSS_POINTS_PER_EPOCH = 50
SNAPSHOT_DIGIT = 0  # the test image whose feature maps the filter view follows: MNIST's first, a 7


@dataclass
class BatchProgress:
    """A group of BatchEnd events, as one signal: the latest position plus the loss points since the last group."""
    epoch: int
    batch: int
    running_loss: float
    points: list[tuple[float, float]]  # (fractional epoch, running loss), thinned to about 50 per epoch


class TrainJob:
    """Runs one training job in a Worker (see `train_worker`). Reports, in order: RunStarted, then BatchProgress and
    EpochEnd as it trains; returns the JobResult (finished or stopped: JobResult.stopped says which).

    With `snapshots` on, it also reports a trainer.inspection.Snapshot (first filters and the first block's maps
    of one fixed test digit: numpy arrays of a few kilobytes) of the starting weights, then of every epoch's
    model, taken in the worker's thread just before that epoch's EpochEnd: a few milliseconds an epoch.

    `steering` (trainer.steering) takes the tab's asks; each change the run makes is reported (Steered) as it is
    made, after the loss points before it."""

    def __init__(self, config: TrainConfig, update_interval: float = 0.2, snapshots: bool = True,
                 steering: Steering | None = None):
        self.config = config
        self.steering = steering
        self.update_interval = update_interval
        self.snapshots = snapshots
        self.snapshot_error: str | None = None
        self._digit = None
        self._report = None
        self._batches = 1
        self._points: list[tuple[float, float]] = []
        self._last_emit = 0.0
        self._last_batch: BatchEnd | None = None

    def __call__(self, report, stop: threading.Event):  # the worker thread
        use_all_threads()
        self._report = report
        # The GUI reads the data folder itself and offers a Download button: no download from here.
        return run_job(self.config, on_event=self._on_event, stop=stop, download=False,
                       on_epoch_model=self._on_epoch_model if self.snapshots else None, steering=self.steering)

    def _on_event(self, event) -> None:  # the worker thread, once per batch: keep it cheap
        if isinstance(event, RunStarted):
            self._batches = event.batches
            self._report(event)
        elif isinstance(event, EpochEnd):
            self._report(event)
        elif isinstance(event, Steered):  # rare: at once, with the batches before it (a pause may follow)
            if self._points and self._last_batch is not None:
                last, (points, self._points) = self._last_batch, (self._points, [])
                self._report(BatchProgress(last.epoch, last.batch, last.running_loss, points))
            self._report(event)
        elif isinstance(event, BatchEnd):
            self._last_batch = event
            stride = max(1, self._batches // LOSS_POINTS_PER_EPOCH)
            last = event.batch == self._batches
            if event.batch % stride == 0 or last:
                self._points.append((event.epoch - 1 + event.batch / self._batches, event.running_loss))
            now = time.monotonic()
            if last or event.batch == 1 or now - self._last_emit >= self.update_interval:
                self._last_emit = now
                points, self._points = self._points, []
                self._report(BatchProgress(event.epoch, event.batch, event.running_loss, points))

    def _on_epoch_model(self, epoch: int, model) -> None:  # the worker thread, once per epoch
        if self.snapshot_error is not None:
            return
        try:
            started = time.perf_counter()
            if self._digit is None:  # the job has loaded MNIST by now: the folder is known to be good
                self._digit = load_test_split(self.config.data_dir, download=False).images[SNAPSHOT_DIGIT, 0]
            snapshot = take_snapshot(model, epoch, self._digit)
            snapshot.seconds = time.perf_counter() - started  # all it cost the training, reading the digit included
            self._report(snapshot)
        except Exception as error:  # a view of the training must never end the training
            self.snapshot_error = f"{type(error).__name__}: {error}"


def train_worker(job: TrainJob) -> Worker:
    """A Worker that runs `job`: done(JobResult), or failed(a message for the person)."""
    return Worker(job, "Training failed", known=(ConfigError, DataError, Diverged, ValueError))
