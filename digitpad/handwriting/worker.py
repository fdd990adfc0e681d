"""The fine-tuning job in a Worker thread: `trainer.finetune.run_finetune`, exactly as `trainer finetune` runs it.

Only signals cross to the GUI. Progress is the share of the whole job done (both fine-tunes), sent at most
every `update_interval` seconds. A stop is the Worker's threading.Event, set from any thread.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from trainer.checkpoint import CheckpointError
from trainer.config import BatchEnd, ConfigError, RunStarted
from trainer.data import DataError
from trainer.devices import use_all_threads
from trainer.engine import Diverged
from trainer.finetune import FinetuneSettings, PhaseStarted, SetRead, run_finetune
from trainer.personal_set import PersonalSetError

from ..worker import JobFailed, Worker


class FinetuneJob:
    """Runs one fine-tune in a Worker (see `finetune_worker`). Reports, in order: SetRead, then PhaseStarted and
    the share of the whole job done (a float, 0-1) as it trains; returns the FinetuneResult (finished or stopped:
    FinetuneResult.stopped says which)."""

    def __init__(self, base: Path, personal: Path, settings: FinetuneSettings, update_interval: float = 0.2):
        self.base, self.personal, self.settings = base, personal, settings
        self.update_interval = update_interval
        self._report = None
        self._phase = (1, 2)
        self._batches = 1
        self._epochs = 1
        self._last_emit = 0.0

    def __call__(self, report, stop: threading.Event):  # the worker thread
        use_all_threads()
        self._report = report
        try:
            # MNIST is never downloaded from here: the Train tab offers that, with its own progress.
            return run_finetune(self.base, self.personal, settings=self.settings, on_event=self._on_event,
                                stop=stop, download=False)
        except DataError as error:
            raise JobFailed(f"{error} Fine-tuning mixes MNIST in, so that the net keeps reading everyone's "
                            f"digits: the Train tab can download it.") from error

    def _on_event(self, event) -> None:  # the worker thread, once per batch: keep it cheap
        if isinstance(event, SetRead):
            self._report(event)
        elif isinstance(event, PhaseStarted):
            self._phase = (event.phase, event.phases)
            self._report(event)
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
            self._report((phase - 1 + within) / phases)


def finetune_worker(job: FinetuneJob) -> Worker:
    """A Worker that runs `job`: done(FinetuneResult), or failed(a message for the person)."""
    return Worker(job, "Fine-tuning failed",
                  known=(CheckpointError, ConfigError, PersonalSetError, Diverged, ValueError))
