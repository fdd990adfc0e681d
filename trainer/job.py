"""One training job, as both front ends run it: `trainer train` and the Train tab are thin callers of `run_job`.

A job checks the settings (once: the engine takes them as checked) and where the checkpoint goes (before minutes
of work, not after), loads MNIST, runs the engine, which writes no file, saving the model in the engine's
`on_epoch` after every epoch, and ends with `save_run`: "not sure" calibrated, saved, and the file named after
the final test accuracy. Fine-tuning ends with the same `save_run`. A `stop` event
set from any thread (Ctrl-C in the CLI, Stop or closing the window in the app) ends it at the next batch, or
after loading; the latest complete epoch stays saved.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import torch

from .checkpoint import check_output, checkpoint_filename, rename_with_accuracy, save_checkpoint
from .config import EpochEnd, Event, TrainConfig
from .data import LabelledImages, load_mnist, split_validation
from .devices import pick_device
from .digit_pool import with_extra_digits
from .engine import Diverged, RunResult, train
from .locks import held_output
from .outliers import outlier_pool
from .paths import models_dir
from .reject import calibrate
from .steering import Steering

# One result for a run, whoever runs it: the engine's, with what the job saved (checkpoint, reject) filled in.
JobResult = RunResult


def save_run(path: Path, model: torch.nn.Module, config: TrainConfig, history: list[EpochEnd],
             validation: LabelledImages | None, rename: bool, extra_meta: dict | None = None,
             validation_log_probs: torch.Tensor | None = None) -> tuple[Path, dict]:
    """The final save of a run, training's and fine-tuning's alike: "not sure" calibrated for these weights, on
    data they never trained on (trainer.reject; `validation_log_probs`: the model's for `validation`, when the
    run has them), saved with them, then the file named with the final test accuracy when the person gave no
    name (`rename`). Returns where it lies and the calibration."""
    reject = calibrate(model, validation, validation_log_probs=validation_log_probs)
    save_checkpoint(path, model, config, history, extra_meta={**(extra_meta or {}), "reject": reject})
    return (rename_with_accuracy(path, history[-1].test_accuracy) if rename else path), reject


def default_checkpoint_path(config: TrainConfig) -> Path:
    """In the per-user models folder, named after model and date; the accuracy is appended at the end."""
    return models_dir() / checkpoint_filename(config.model, None)


def run_job(config: TrainConfig, out: str | Path | None = None, on_event: Callable[[Event], None] | None = None,
            stop: threading.Event | None = None, force: bool = False, download: bool = True,
            on_epoch_model: Callable[[int, torch.nn.Module], None] | None = None,
            steering: Steering | None = None) -> JobResult:
    """Train as `config` says and save to `out` (or a new file in the per-user models folder).
    `steering` (trainer.steering): changes asked while it trains, or replayed; each checkpoint records those made
    (metadata "steering", and "epochs": the total with one more epoch).
    `on_epoch_model(epoch, model)` sees the model before training (epoch 0) and after each epoch, once saved, as
    the engine's `on_epoch` (see there). The settings are checked here, once: the engine takes them as checked.

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
        return _train_into(path, out is None, config, on_event, stop or threading.Event(), download, on_epoch_model,
                           steering or Steering())


def _train_into(path: Path, rename: bool, config: TrainConfig, on_event, stop: threading.Event, download: bool,
                on_epoch_model, steering: Steering) -> RunResult:
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
    # Outlier exposure's non-digits, from the per-user cache (made and kept there the first time): the engine
    # writes no file.
    outliers = outlier_pool() if config.outlier_batch else None
    load_seconds = time.perf_counter() - started
    if stop.is_set():
        return RunResult(stopped=True, load_seconds=load_seconds, train_images=len(train_split))

    saved = None  # where the latest complete epoch lies, once one is saved (an old file --force replaces is not)

    def on_epoch(model: torch.nn.Module, history: list[EpochEnd]) -> None:
        nonlocal saved
        # Every complete epoch is saved (atomically) as it ends: a run stopped or killed keeps the latest one.
        if history:
            saved = save_checkpoint(path, model, config, history, extra_meta=steering.meta())
        if on_epoch_model is not None:
            on_epoch_model(len(history), model)

    try:
        result = train(config, train_split, test_split, on_event=on_event, stop=stop, validation_split=validation,
                       on_epoch=on_epoch, outlier_images=outliers, steering=steering)
    except Diverged as error:  # the engine saves nothing; say whether an earlier epoch is kept, and where
        raise error.kept_in(saved) from None
    result.load_seconds, result.train_images = load_seconds, len(train_split)
    if result.history:
        # The epoch saved last is this model: the final save adds its "not sure" and its name.
        result.checkpoint, result.reject = save_run(path, result.model, config, result.history, validation, rename,
                                                    extra_meta=steering.meta(),
                                                    validation_log_probs=result.validation_log_probs)
    return result
