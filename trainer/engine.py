"""The training engine: the one loop that every front end drives (the CLI, the Train tab, fine-tuning, benchmarks).

Plain, top to bottom, as PyTorch's examples/mnist: for each epoch, shuffle, and for each batch augment, forward,
backward, step; then test the model the run keeps. What happens is reported through `on_event` (RunStarted, then
BatchEnd per batch and EpochEnd per epoch, from trainer.config); a `stop` event set from any other thread ends
the run within one batch. The engine writes no file: after every epoch it hands the kept model and the history to
`on_epoch`, where the job (trainer.job) saves it, so a run that is stopped or killed leaves its latest complete
epoch behind.

The kept model is the final one, not the epoch with the best test accuracy: choosing by the test set and then
reporting that figure would overstate it. With `ema_decay` it is an exponential moving average of the weights
(trainer.averaging, as torch.optim.swa_utils.AveragedModel computes it), which smooths out the last steps'
noise at no cost to training.

With the average, its BatchNorm statistics are measured afresh for its weights after each epoch, as
torch.optim.swa_utils.update_bn does for an average (trainer/batches.py); a quick try's kept model has its own
measured too (SHORT_RUN_BATCHES). Fine-tuning keeps the statistics it started with.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from .averaging import WeightAverage, measure_batchnorm
from .batches import as_trained, measuring_images
from .config import BatchEnd, ConfigError, EpochEnd, Event, RunStarted, TrainConfig
from .data import LabelledImages, normalize
from .devices import pick_device, pick_precision
from .evaluation import Stopped, evaluate
from .memory import keep_freed_memory
from .model import build_model
from .sgd import NesterovSGD, OneCycle
from .steering import Steering, StretchedSchedule


class Diverged(Exception):
    """The loss or the weights stopped being finite numbers: the run cannot recover. The engine writes no file,
    so its message says nothing was saved; a caller that saved epochs (trainer.job) re-raises it with `kept_in`."""

    def __init__(self, where: str, loss: float, lr: float, kept: Path | None = None):
        self.where, self.loss, self.lr, self.kept = where, loss, lr, kept
        kept_file = f"The last complete epoch is kept in {kept}. " if kept else "Nothing was saved. "
        super().__init__(f"training diverged at {where}: the loss became {loss} and the weights no longer mean "
                         f"anything. {kept_file}Lower the learning rate (this run's peak was {lr:g}; the "
                         f"default is {TrainConfig().lr:g}) and train again.")

    def kept_in(self, path: Path | None) -> Diverged:
        """The same message, saying where the latest complete epoch was saved (None: nowhere)."""
        return Diverged(self.where, self.loss, self.lr, path)


@dataclass
class RunResult:
    """What a run did: the engine fills the first four, and a job (trainer.job) what it saved."""
    history: list[EpochEnd] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0                  # the engine's: training and test passes
    model: torch.nn.Module | None = None  # the kept model (EMA weights when EMA is on), in eval mode, on the CPU
    load_seconds: float = 0.0             # the job's: reading MNIST
    train_images: int = 0
    checkpoint: Path | None = None        # the job's saved model (named with its accuracy), None when no epoch ended
    reject: dict | None = None            # its calibrated "not sure", saved with it (trainer.reject)
    # The kept model's log-probabilities for the held-out images, from its last test pass when that ran on the
    # CPU (as the calibration would compute them): the calibration reads them instead of a second pass.
    validation_log_probs: torch.Tensor | None = None
    steering: list = field(default_factory=list)  # the Steered changes made while it trained; `epochs`: its total
    epochs: int = 0

    @property
    def final(self) -> EpochEnd | None:
        return self.history[-1] if self.history else None


# Below this many batches in all, the BatchNorm layers' running statistics (a moving average with momentum 0.1)
# are not those of the weights kept: after a 1-epoch run on 2,000 MNIST images (16 batches, the one-cycle schedule
# squeezed into them) they still held the start's and the first batches' figures, and the model read 12% of the
# test set while it had read 45% of its own last training batches. Measured afresh for the kept weights, the
# same model reads 71%. Longer runs (MNIST's 60,000 images make 469 batches an epoch) never come here: their
# recipe, and their figures, are unchanged; nor does fine-tuning, which starts from trained weights and the
# statistics that go with them.
SHORT_RUN_BATCHES = 200
# Measured on the run's first training images, as they are, at most this many: a forward pass over them costs
# about a third of training on them, and a few thousand pin down each channel's mean and variance.
BATCHNORM_IMAGES = 5000


# A test loss this far above guessing among the ten digits (ln 10 = 2.3) comes only from exploded weights. (Before
# short runs' BatchNorm statistics were measured afresh, such weights met stale statistics and the loss overflowed
# to NaN; measured for them, BatchNorm scales them back and the loss, though absurd, stays a number.)
DIVERGED_LOSS = 100 * math.log(10)


def all_finite(model: torch.nn.Module) -> bool:
    """Whether every weight and statistic of `model` is a finite number."""
    return all(bool(torch.isfinite(t).all()) for t in model.state_dict().values() if t.is_floating_point())


@dataclass
class _Run:
    """What one run sets up before its first batch: the net, its average, the optimizer and schedule."""
    model: torch.nn.Module
    ema: WeightAverage | None
    optimizer: NesterovSGD
    schedule: StretchedSchedule
    batches: int
    device: torch.device
    dtype: torch.dtype | None
    pool: torch.Tensor | None = None  # outlier exposure's images (trainer.outliers), when on
    step: int = 0
    augmented: bool = True  # whether the last batch trained was augmented (steering can switch it)
    measuring: dict = field(default_factory=dict)  # (augmented, outliers): trainer.batches.measuring_images
    # Fine-tuning keeps the trained model's BatchNorm statistics (these layers stay in eval mode while it trains).
    # Its few dozen batches, a quarter of them one person's digits, otherwise replaced MNIST's statistics with the
    # mix's (momentum 0.1). Quick fine-tunes (one epoch, 2,000 MNIST images) on drawn sets of flagged 1s and 7s,
    # measured on the 5,000 training digits every run holds out: the built-in model kept 98.66-98.84% (3 sets)
    # with the statistics updated, 99.06-99.08% with them kept; the low-resolution recipe's model 98.50-98.80%
    # against 99.22-99.30% (5 sets). The person's held-out digits were learnt either way (bench/finetune_quality.py).
    frozen_norms: list = field(default_factory=list)

    @property
    def kept(self) -> torch.nn.Module:
        """The model the run keeps, tests and hands back: the average when EMA is on."""
        return self.ema.module if self.ema is not None else self.model


def _set_up(config: TrainConfig, n: int, initial_state: dict | None, outlier_images: torch.Tensor | None) -> _Run:
    device = pick_device(config.device)
    dtype = pick_precision(config.precision, device)
    keep_freed_memory()  # each batch's activations reuse the last one's memory: no page faults (trainer.memory)
    torch.manual_seed(config.seed)  # weights' initialization and dropout masks
    model = build_model(config.model, dropout=config.dropout)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    # channels_last lets oneDNN skip a layout conversion around every conv on the CPU: ~25% faster here.
    model = model.to(device=device, memory_format=torch.channels_last)
    ema = WeightAverage(model, config.ema_decay) if config.ema_decay else None
    batches = math.ceil(n / config.batch_size)
    # torch.optim.SGD and OneCycleLR, written out (trainer/sgd.py): creating a torch optimizer imports
    # torch._dynamo, over a second of every run and a stall in the app's window.
    optimizer = NesterovSGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    # The schedule divides by the length of each phase, so a very short run (a few batches, e.g. a quick
    # --train-limit try) gets a warm-up of at least one step and a schedule of at least three.
    total_steps = max(3, config.epochs * batches)
    schedule = StretchedSchedule(OneCycle(config.lr, total_steps, pct_start=max(0.2, 2 / total_steps)), total_steps)
    pool = None
    if config.outlier_batch:
        if outlier_images is None:  # read from the cache a job filled, or made here; never written from here
            from .outliers import outlier_pool

            outlier_images = outlier_pool(keep=False)
        pool = outlier_images.to(device)
    frozen = ([m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
              if initial_state is not None else [])
    return _Run(model, ema, optimizer, schedule, batches, device, dtype, pool, frozen_norms=frozen)


def _train_epoch(run: _Run, config: TrainConfig, epoch: int, images_all: torch.Tensor, labels_all: torch.Tensor,
                 generator: torch.Generator, stop: threading.Event, emit, steering: Steering) -> tuple[float, float]:
    """One pass over the shuffled training images; returns the epoch's mean digit loss and accuracy."""
    # The last epochs see the digits as they are: the model settles on the real distribution.
    planned_augment = config.augment and epoch <= steering.epochs - config.plain_final_epochs
    outliers = config.outlier_batch if epoch >= config.outlier_start else 0
    n = len(labels_all)
    run.model.train()
    for norm in run.frozen_norms:
        norm.eval()
    order = torch.randperm(n, generator=generator).to(run.device)
    loss_sum, correct = 0.0, 0
    for batch in range(run.batches):
        steering.apply(epoch, batch + 1, stop, run.step)  # a pause waits here
        if stop.is_set():
            raise Stopped
        augment = planned_augment if steering.augment is None else steering.augment
        run.augmented = augment
        index = order[batch * config.batch_size:(batch + 1) * config.batch_size]
        images, labels = images_all[index], labels_all[index]
        count = len(labels)
        images = as_trained(images, run.pool, config, outliers, augment, generator)
        images = normalize(images).contiguous(memory_format=torch.channels_last)
        with torch.autocast(run.device.type, dtype=run.dtype or torch.float32, enabled=run.dtype is not None):
            log_probs = run.model(images).float()
        # The net ends in log_softmax, which cross_entropy's own log_softmax leaves unchanged.
        digit_loss = F.cross_entropy(log_probs[:count], labels, label_smoothing=config.label_smoothing)
        loss = digit_loss
        if outliers:  # cross-entropy to the uniform distribution over the ten digits
            loss = loss - config.outlier_weight * log_probs[count:].mean()
        run.optimizer.zero_grad()
        loss.backward()
        lr, run.optimizer.momentum = run.schedule.at(run.step)
        run.optimizer.lr = lr * steering.lr_multiplier
        run.optimizer.step()
        run.step += 1
        if run.ema is not None:
            run.ema.update()
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise Diverged(f"epoch {epoch}, batch {batch + 1}", loss_value, config.lr)
        # The figure people see is the digits' loss, as without outliers, comparable with the test loss.
        loss_sum += (digit_loss.item() if outliers else loss_value) * count
        correct += (log_probs[:count].argmax(dim=1) == labels).sum().item()
        emit(BatchEnd(epoch, batch + 1, loss_sum / min((batch + 1) * config.batch_size, n)))
    return loss_sum / n, correct / n


def _measure_average_batchnorm(run: _Run, config: TrainConfig, epoch: int, images_all: torch.Tensor) -> None:
    """The kept average's BatchNorm statistics measured for its weights (see trainer.batches)."""
    outliers = config.outlier_batch if epoch >= config.outlier_start else 0
    key = (run.augmented, outliers)
    if key not in run.measuring:
        run.measuring[key] = measuring_images(images_all, run.pool, config, outliers, run.augmented)
    measure_batchnorm(run.kept, run.measuring[key], config.batch_size + outliers)


def _test_epoch(run: _Run, config: TrainConfig, epoch: int, images_all: torch.Tensor, test_split: LabelledImages,
                validation_split: LabelledImages | None, fine_tuning: bool, stop: threading.Event):
    """Measure the kept model after an epoch: (validation Evaluation or None, test Evaluation). Raises Diverged."""
    kept = run.kept
    short = epoch * run.batches < SHORT_RUN_BATCHES
    if not fine_tuning and (short or run.ema is not None):
        # Statistics that overflowed while training mean the run diverged (tested as trained, the model
        # answers NaN), which measuring them afresh for the exploded weights would hide.
        if not all_finite(kept):
            raise Diverged(f"the end of epoch {epoch}", math.nan, config.lr)
        if short:
            measure_batchnorm(kept, images_all[:BATCHNORM_IMAGES], config.batch_size)
        else:
            _measure_average_batchnorm(run, config, epoch, images_all)
    validation = (evaluate(kept, validation_split, run.device, stop=stop)
                  if validation_split is not None and len(validation_split) else None)
    evaluation = evaluate(kept, test_split, run.device, stop=stop)
    if not math.isfinite(evaluation.loss) or evaluation.loss > DIVERGED_LOSS or not all_finite(kept):
        raise Diverged(f"the end of epoch {epoch}", evaluation.loss, config.lr)
    return validation, evaluation


def _epoch(run: _Run, config: TrainConfig, epoch: int, training: tuple, stop: threading.Event, emit,
           steering: Steering, testing: tuple) -> tuple[EpochEnd, object]:
    """Train and test one epoch: its EpochEnd (its time leaves a pause out) and the validation Evaluation."""
    started, paused = time.perf_counter(), steering.paused_seconds
    train_loss, train_accuracy = _train_epoch(run, config, epoch, *training, stop, emit, steering)
    test_started = time.perf_counter()
    validation, evaluation = _test_epoch(run, config, epoch, training[0], *testing, stop)
    now = time.perf_counter()
    return EpochEnd(epoch, train_loss, train_accuracy, evaluation.loss, evaluation.accuracy, run.optimizer.lr,
                    now - started - (steering.paused_seconds - paused), now - test_started,
                    validation.accuracy if validation is not None else None), validation


def train(config: TrainConfig, train_split: LabelledImages, test_split: LabelledImages,
          on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None,
          initial_state: dict | None = None, validation_split: LabelledImages | None = None,
          on_epoch: Callable[[torch.nn.Module, list[EpochEnd]], None] | None = None,
          outlier_images: torch.Tensor | None = None, steering: Steering | None = None) -> RunResult:
    """Run `config` on the splits; see the module's docstring. Writes no file: saving is the caller's, in `on_epoch`.

    `config` is taken as checked: run_job and run_finetune check it once, at their entry, with the person's words
    (TrainConfig.check). A direct caller (a test, a benchmark) with settings of its own calls config.check() first;
    settings that would not even make a run (no epochs, no batch size) are refused here with a ConfigError.

    `initial_state` starts from trained weights (fine-tuning); `validation_split` (images held out of training) is
    measured after each epoch too; `outlier_images` are outlier exposure's non-digits (the job passes them from
    trainer.outliers.outlier_pool's cache; without them the engine reads that cache or makes them, writing nothing).
    `steering` (trainer.steering) changes the run between batches; each change is reported as a Steered event.

    `on_epoch(model, history)` is called in this thread with the kept model (in eval mode, on the training device)
    once before training (history empty: the starting weights) and after each epoch, once it is tested, before
    its EpochEnd event: the job saves it there, the Train tab's filter view takes a snapshot. It may read the model
    but must not change it, and the time it takes is the run's."""
    if not (isinstance(config.epochs, int) and config.epochs >= 1
            and isinstance(config.batch_size, int) and config.batch_size >= 1):
        raise ConfigError(f"engine.train was given unchecked settings (epochs {config.epochs!r}, batch size "
                          f"{config.batch_size!r}); call TrainConfig.check() before training")
    emit, stop, steering = on_event or (lambda event: None), stop or threading.Event(), steering or Steering()
    run = _set_up(config, len(train_split), initial_state, outlier_images)
    steering.start(config.epochs, emit, run.schedule, run.batches)  # one more epoch stretches the schedule's rest
    generator = torch.Generator().manual_seed(config.seed)  # shuffling and augmentation
    images_all, labels_all = train_split.images.to(run.device), train_split.labels.to(run.device)
    result = RunResult()
    started = time.perf_counter()
    emit(RunStarted(config.epochs, run.batches, len(train_split), len(test_split), run.device.type,
                    "bf16" if run.dtype else "fp32"))
    if on_epoch is not None:
        on_epoch(run.kept.eval(), result.history)
    epoch = 0
    try:
        while epoch < steering.epochs:  # one more epoch, asked for while it trains, adds to it
            epoch += 1
            event, validation = _epoch(run, config, epoch, (images_all, labels_all, generator), stop, emit, steering,
                                       (test_split, validation_split, initial_state is not None))
            result.history.append(event)
            # A copy of the epoch's weights: a stop in the next epoch hands back these, not the average moved on.
            last_state = {name: tensor.detach().clone() for name, tensor in run.kept.state_dict().items()}
            if validation is not None and run.device.type == "cpu":  # the calibration's figures, as it computes them
                result.validation_log_probs = validation.log_probs
            if on_epoch is not None:
                on_epoch(run.kept, result.history)
            emit(event)
            steering.apply(epoch + 1, 1, stop, run.step)  # what was asked during the test pass
    except Stopped:
        result.stopped = True
    result.seconds = time.perf_counter() - started - steering.paused_seconds
    result.steering, result.epochs = steering.log, steering.epochs
    if result.history:
        run.kept.load_state_dict(last_state)  # a stop mid-epoch keeps the latest complete epoch, as saved
        result.model = run.kept.to("cpu").eval()
    return result
