"""Fine-tuning on a person's handwriting: what `trainer finetune` and the "My handwriting" tab both run.

One engine: fine-tuning is `trainer.engine.train` started from a checkpoint's weights (`initial_state`), on a mix
of the person's samples (oversampled; augmented by the engine) and MNIST, so that MNIST is not forgotten.

Measured honestly, with a held-out share: of each digit's samples a share (a third by default) is held out, the
model is fine-tuned on the rest and measured on the held-out ones, before and after. Then the saved model is
fine-tuned afresh from the same checkpoint on all the samples, with the same settings, and measured on the MNIST
test set (reported only, never used to choose anything). So the "after" figure is that of a model that never saw
the samples it was measured on, and the saved model learns from every sample.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from .checkpoint import check_output, checkpoint_filename, load_checkpoint
from .config import ConfigError, Event, TrainConfig
from .data import load_mnist, split_validation
from .devices import pick_device
from .engine import train
from .evaluation import Stopped, evaluate
from .finetune_data import mix, personal_splits, read_personal
from .job import save_run
from .locks import held_output
from .outliers import outlier_pool
from .paths import models_dir
from .personal_set import PersonalSetError, folder_problem, readiness_problem, resolve_personal_dir


@dataclass
class FinetuneSettings:
    epochs: int = 1                # one pass over a mix: one MNIST test pass less than two over half of it
    lr: float = 0.02               # peak of the one-cycle schedule: a fifth of training from scratch
    seed: int = 0
    held_out_share: float = 1 / 3  # of each digit's samples, held out to measure on
    mnist_images: int = 8000       # MNIST training images in every epoch's mix
    personal_share: float = 0.25   # of every epoch's mix: the person's samples, repeated
    data_dir: str | None = None
    device: str = "auto"
    precision: str = "auto"

    def check(self) -> FinetuneSettings:
        TrainConfig(epochs=self.epochs, lr=self.lr, seed=self.seed, device=self.device,
                    precision=self.precision).check()  # the same rules and words as training
        if not 0 < self.held_out_share < 1:
            raise ConfigError(f"The held-out share must be above 0 and below 1, not {self.held_out_share!r}.")
        if not 0 < self.personal_share < 1:
            raise ConfigError(f"The personal share must be above 0 and below 1, not {self.personal_share!r}.")
        if not isinstance(self.mnist_images, int) or self.mnist_images < 1:
            raise ConfigError(f"The MNIST images per epoch must be at least 1, not {self.mnist_images!r}.")
        return self


@dataclass
class SetRead:
    """Reported once the personal set is read, before anything else: what it holds and which files were skipped."""
    folder: Path
    counts: list[int]    # readable samples per digit
    warnings: list[str]  # one line per skipped file


@dataclass
class PhaseStarted:
    """Reported before each engine run (its RunStarted, BatchEnd and EpochEnd events follow)."""
    phase: int       # 1-based
    phases: int
    description: str


@dataclass
class FinetuneResult:
    base: Path
    personal_set: Path
    samples: int = 0                   # readable samples in the set
    held_out: int = 0                  # of which held out to measure on
    warnings: list[str] = field(default_factory=list)  # files skipped, one line each
    personal_accuracy_before: float | None = None  # on the held-out samples: the base model
    personal_accuracy_after: float | None = None   # ... a model fine-tuned on the other samples
    mnist_accuracy_before: float | None = None     # the MNIST test set: the base model
    mnist_accuracy: float | None = None            # ... the saved model
    held_out_paths: list[Path] = field(default_factory=list)  # the held-out samples' files
    stopped: bool = False
    seconds: float = 0.0
    checkpoint: Path | None = None
    model: torch.nn.Module | None = None

    def figures(self) -> dict:
        """The before/after figures, as the checkpoint's metadata and `trainer finetune --json` name them."""
        return {"personal_accuracy_before": self.personal_accuracy_before,
                "personal_accuracy_after": self.personal_accuracy_after,
                "mnist_accuracy_before": self.mnist_accuracy_before, "mnist_accuracy": self.mnist_accuracy}


def default_finetune_path(model_name: str) -> Path:
    return models_dir() / checkpoint_filename(f"{model_name}-personal", None)


def run_finetune(base: str | Path, personal: str | Path | None = None, out: str | Path | None = None,
                 settings: FinetuneSettings | None = None, on_event: Callable[[Event | SetRead | PhaseStarted], None] | None
                 = None, stop: threading.Event | None = None, force: bool = False, download: bool = True,
                 personal_option: str | None = None) -> FinetuneResult:
    """Fine-tune the checkpoint `base` on the personal set in `personal` (see resolve_personal_dir) and save it to
    `out` (or a new file in the per-user models folder, named with its MNIST test accuracy).

    Raises CheckpointError, ConfigError, PersonalSetError, DataError or ValueError (bad device, `out`, or `out`
    being written by another run: trainer.locks.OutputBusy), each with a message for the person, before any
    training; a stop is not an error (`stopped` in the result). `personal_option` names how `personal` was given
    (the command's "--personal"), for the message when it is a file rather than a folder.
    """
    settings = (settings or FinetuneSettings()).check()
    emit = on_event or (lambda event: None)
    stop = stop or threading.Event()
    started = time.perf_counter()
    base = Path(base)
    checkpoint = load_checkpoint(base)
    pick_device(settings.device)
    folder = resolve_personal_dir(personal)
    problem = folder_problem(personal, personal_option)
    if problem:
        raise PersonalSetError(problem)
    data = read_personal(folder)
    result = FinetuneResult(base, folder, samples=len(data), warnings=data.warnings())
    emit(SetRead(folder, data.counts(), result.warnings))
    problem = readiness_problem(data.counts(), folder)
    if problem:
        raise PersonalSetError(problem)
    if out is not None and not Path(out).expanduser().parent.is_dir():
        check_output(Path(out), force=force)  # a folder given with `out` must exist: said before a lock makes it
    # Held until the final save and rename: another run writing the same file is refused before any work. The
    # models folder is digitpad's own and made when missing.
    with held_output(out, default_finetune_path(checkpoint.name), "fine-tuning run") as path:
        path = check_output(path, force=force, create_folder=out is None)
        return _fine_tune_into(path, out is None, checkpoint, base, folder, data, result, settings, on_event, stop,
                               download, started)


def _fine_tune_into(path: Path, rename: bool, checkpoint, base: Path, folder: Path, data, result: FinetuneResult,
                    settings: FinetuneSettings, on_event, stop: threading.Event, download: bool,
                    started: float) -> FinetuneResult:
    emit = on_event or (lambda event: None)
    train_split, test_split = load_mnist(settings.data_dir, download=download)
    # The images training held out stay out of the mix: the new model's "not sure" is calibrated on them.
    train_split, validation = split_validation(train_split, TrainConfig().validation_images)
    splits = personal_splits(data, settings.held_out_share, settings.seed)
    result.held_out = len(splits.held_out)
    result.held_out_paths = splits.held_out_paths

    result.personal_accuracy_before = evaluate(checkpoint.model, splits.held_out).accuracy
    try:
        result.mnist_accuracy_before = evaluate(checkpoint.model, test_split, stop=stop).accuracy
    except Stopped:
        return _stopped(result, started)
    base_config = TrainConfig.from_dict(checkpoint.meta.get("settings") or {})
    # The base model's own recipe (augmentation, outlier exposure, averaging), with fine-tuning's schedule.
    config = TrainConfig(model=checkpoint.name, epochs=settings.epochs, lr=settings.lr, seed=settings.seed,
                         weight_decay=base_config.weight_decay, dropout=base_config.dropout,
                         ema_decay=base_config.ema_decay, thicken=base_config.thicken,
                         elastic=base_config.elastic, outlier_batch=base_config.outlier_batch,
                         low_resolution=base_config.low_resolution, device=settings.device, precision=settings.precision, data_dir=settings.data_dir)
    # Not checked again: `settings` were, at run_finetune's entry, with training's rules; the rest is the base's.
    outliers = outlier_pool() if config.outlier_batch else None  # cached per user, as training's
    initial_state = {name: tensor.clone() for name, tensor in checkpoint.model.state_dict().items()}

    def fine_tune(personal_split, measure_on, phase: int, description: str):
        emit(PhaseStarted(phase, 2, description))
        training = mix(personal_split, train_split, settings.mnist_images, settings.personal_share, settings.seed)
        return train(config, training, measure_on, on_event=on_event, stop=stop, initial_state=initial_state,
                     outlier_images=outliers)

    measured = fine_tune(splits.learn, splits.held_out, 1, f"measuring: learning {len(splits.learn)} samples, "
                                                           f"holding out {len(splits.held_out)}")
    if measured.stopped or measured.model is None:
        return _stopped(result, started)
    result.personal_accuracy_after = evaluate(measured.model, splits.held_out).accuracy

    final = fine_tune(splits.all, test_split, 2, f"the model to keep: learning all {len(splits.all)} samples")
    if final.stopped or final.model is None:
        return _stopped(result, started)
    result.mnist_accuracy = final.final.test_accuracy
    meta = {"base_model": base.name, "base_test_accuracy": checkpoint.test_accuracy,
            "personal_set": str(folder), "personal_samples": len(data), "personal_held_out": len(splits.held_out),
            "personal_counts": data.counts(), **result.figures()}
    # Saved as training saves (trainer.job.save_run): "not sure" calibrated again for the new weights, on the MNIST
    # training images the mix never held (the same held-out ones as training's), then named with its accuracy.
    result.checkpoint, _ = save_run(path, final.model, config, final.history, validation, rename, extra_meta=meta)
    result.model = final.model
    result.seconds = time.perf_counter() - started
    return result


def _stopped(result: FinetuneResult, started: float) -> FinetuneResult:
    result.stopped = True
    result.seconds = time.perf_counter() - started
    return result
