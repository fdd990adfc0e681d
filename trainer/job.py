"""One training job, as both front ends run it: `trainer train` and the Train tab are thin callers of `run_job`.

A job checks the settings and where the checkpoint goes (before minutes of work, not after), loads MNIST, runs
the engine, saving after every epoch, and names the checkpoint after its final test accuracy. A `stop` event
set from any thread (Ctrl-C in the CLI, Stop or closing the window in the app) ends it at the next batch, or
after loading; the latest complete epoch stays saved.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from .checkpoint import check_output, checkpoint_filename, rename_with_accuracy, save_checkpoint
from .config import EpochEnd, Event, TrainConfig
from .data import load_mnist, split_validation
from .devices import pick_device
from .digit_pool import with_extra_digits
from .engine import train
from .locks import held_output
from .paths import models_dir
from .reject import calibrate

@dataclass
class JobResult:
    history: list[EpochEnd] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0            # the engine's: training and test passes
    load_seconds: float = 0.0       # reading MNIST
    train_images: int = 0
    checkpoint: Path | None = None  # the saved model (renamed with its accuracy), or None when no epoch completed
    model: torch.nn.Module | None = None
    reject: dict | None = None      # the calibrated "not sure" saved with the model (trainer.reject)

    @property
    def final(self) -> EpochEnd | None:
        return self.history[-1] if self.history else None


def default_checkpoint_path(config: TrainConfig) -> Path:
    """In the per-user models folder, named after model and date; the accuracy is appended at the end."""
    return models_dir() / checkpoint_filename(config.model, None)


def run_job(config: TrainConfig, out: str | Path | None = None, on_event: Callable[[Event], None] | None = None,
            stop: threading.Event | None = None, force: bool = False, download: bool = True,
            on_epoch_model: Callable[[int, torch.nn.Module], None] | None = None) -> JobResult:
    """Train as `config` says and save to `out` (or a new file in the per-user models folder).
    `on_epoch_model(epoch, model)` goes to the engine's `train` (see there): the model after each epoch.

    Raises ConfigError, ValueError (bad device; `out` not writable, in the way, or being written by another run:
    trainer.locks.OutputBusy), DataError and the engine's Diverged, each with a message for the person; a stop
    is not an error (`stopped` in the result).
    """
    config.check()
    pick_device(config.device)  # an absent GPU fails now, not after the data is loaded
    if out is not None and not Path(out).expanduser().parent.is_dir():
        check_output(Path(out), force=force)  # a folder given with `out` must exist: said before a lock makes it
    # Held until the final save and rename: another run writing the same file is refused before any work. The
    # models folder is digitpad's own and made when missing.
    with held_output(out, default_checkpoint_path(config), "training run") as path:
        path = check_output(path, force=force, create_folder=out is None)
        return _train_into(path, out is None, config, on_event, stop or threading.Event(), download, on_epoch_model)


def _train_into(path: Path, rename: bool, config: TrainConfig, on_event, stop: threading.Event, download: bool,
                on_epoch_model) -> JobResult:
    started = time.perf_counter()
    train_split, test_split = load_mnist(config.data_dir, download=download)
    train_split, validation = split_validation(train_split, config.validation_images)
    held_out = len(validation) if validation is not None else 0
    if held_out != config.validation_images:
        # A small set gives up at most a sixth of its images: the checkpoint's settings say how many it did.
        config = replace(config, validation_images=held_out)
    if config.train_limit is not None:
        train_split = train_split.head(config.train_limit)
    # Typeset and drawn digits beside MNIST's (trainer/digit_pool.py), so the net is sure of more than MNIST's hands.
    train_split = with_extra_digits(train_split, config.extra_digits, config.seed)
    load_seconds = time.perf_counter() - started
    if stop.is_set():
        return JobResult(stopped=True, load_seconds=load_seconds, train_images=len(train_split))

    result = train(config, train_split, test_split, on_event=on_event, stop=stop, checkpoint_path=path,
                   validation_split=validation, on_epoch_model=on_epoch_model)
    checkpoint = result.checkpoint
    if checkpoint is not None:
        # "Not sure" is calibrated for the model kept, on data it never trained on, and saved with it.
        reject = calibrate(result.model, validation)
        save_checkpoint(checkpoint, result.model, config, result.history, extra_meta={"reject": reject})
        result.reject = reject
    if checkpoint is not None and rename:
        checkpoint = rename_with_accuracy(checkpoint, result.final.test_accuracy)
    return JobResult(result.history, result.stopped, result.seconds, load_seconds, len(train_split), checkpoint,
                     result.model, result.reject)
