"""The fine-tuning job in a QThread: `trainer.finetune.run_finetune`, exactly as `trainer finetune` runs it.

Only signals cross to the GUI. Progress is the share of the whole job done (both fine-tunes), sent at most
every `update_interval` seconds. A stop is the job's own threading.Event, set from any thread.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from trainer.checkpoint import CheckpointError
from trainer.config import BatchEnd, ConfigError, RunStarted
from trainer.data import DataError
from trainer.devices import use_all_threads
from trainer.engine import Diverged
from trainer.finetune import FinetuneSettings, PhaseStarted, SetRead, run_finetune
from trainer.personal_set import PersonalSetError


class FinetuneWorker(QThread):
    """Signals, in order: setRead, then phaseStarted and progress as it trains, then exactly one of jobDone
    (finished or stopped: FinetuneResult.stopped says which) or jobFailed (a message for the person)."""

    setRead = Signal(object)       # trainer.finetune.SetRead
    phaseStarted = Signal(object)  # trainer.finetune.PhaseStarted
    progress = Signal(float)       # share of the whole job, 0-1
    jobDone = Signal(object)       # trainer.finetune.FinetuneResult
    jobFailed = Signal(str)

    def __init__(self, base: Path, personal: Path, settings: FinetuneSettings, update_interval: float = 0.2):
        super().__init__()
        self.base, self.personal, self.settings = base, personal, settings
        self.update_interval = update_interval
        self.stop_event = threading.Event()
        self._phase = (1, 2)
        self._batches = 1
        self._epochs = 1
        self._last_emit = 0.0

    def request_stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:  # the worker thread
        use_all_threads()
        try:
            # MNIST is never downloaded from here: the Train tab offers that, with its own progress.
            self.jobDone.emit(run_finetune(self.base, self.personal, settings=self.settings,
                                           on_event=self._on_event, stop=self.stop_event, download=False))
        except DataError as error:
            self.jobFailed.emit(f"{error} Fine-tuning mixes MNIST in, so that the net keeps reading everyone's "
                                f"digits: the Train tab can download it.")
        except (CheckpointError, ConfigError, PersonalSetError, Diverged, ValueError) as error:
            self.jobFailed.emit(str(error))
        except Exception as error:  # disk full while saving, out of memory...: report, never kill the app
            self.jobFailed.emit(f"Fine-tuning failed: {type(error).__name__}: {error}")

    def _on_event(self, event) -> None:  # the worker thread, once per batch: keep it cheap
        if isinstance(event, SetRead):
            self.setRead.emit(event)
        elif isinstance(event, PhaseStarted):
            self._phase = (event.phase, event.phases)
            self.phaseStarted.emit(event)
            self._emit_progress(0.0, force=True)
        elif isinstance(event, RunStarted):
            self._batches, self._epochs = event.batches, event.epochs
        elif isinstance(event, BatchEnd):
            within = ((event.epoch - 1) * self._batches + event.batch) / (self._epochs * self._batches)
            self._emit_progress(within, force=event.batch == self._batches)

    def _emit_progress(self, within: float, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_emit >= self.update_interval:
            self._last_emit = now
            phase, phases = self._phase
            self.progress.emit((phase - 1 + within) / phases)
