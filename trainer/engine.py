"""The training engine: the one loop that every front end drives (the CLI, the Train tab, fine-tuning, benchmarks).

Plain, top to bottom, as PyTorch's examples/mnist: for each epoch, shuffle, and for each batch augment, forward,
backward, step; then test the model the run keeps. What happens is reported through `on_event` (RunStarted, then
BatchEnd per batch and EpochEnd per epoch, from trainer.config); a `stop` event set from any other thread ends
the run within one batch. After every epoch the kept model is saved (atomically), so a run that is stopped or
killed leaves its latest complete epoch behind.

The kept model is the final one, not the epoch with the best test accuracy: choosing by the test set and then
reporting that figure would overstate it. With `ema_decay` it is an exponential moving average of the weights
(torch.optim.swa_utils.AveragedModel), which smooths out the last steps' noise at no cost to training.

A short run (a quick try on a few thousand images) has its kept model's BatchNorm statistics measured afresh
after each epoch; see SHORT_RUN_BATCHES.
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
from torch.optim.swa_utils import AveragedModel

from .augment import augment_batch, thicken_or_thin
from .checkpoint import save_checkpoint
from .config import BatchEnd, EpochEnd, Event, RunStarted, TrainConfig
from .data import MnistSplit, normalize
from .devices import pick_device, pick_precision
from .evaluation import Stopped, evaluate
from .model import build_model
from .sgd import NesterovSGD, OneCycle


class Diverged(Exception):
    """The loss or the weights stopped being finite numbers: the run cannot recover and saves nothing more."""


@dataclass
class RunResult:
    history: list[EpochEnd] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    checkpoint: Path | None = None        # where the latest complete epoch was saved, if anywhere
    model: torch.nn.Module | None = None  # the kept model (EMA weights when EMA is on), in eval mode, on the CPU
    reject: dict | None = None            # its calibrated "not sure", when the job made one (trainer.reject)

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


def measure_batchnorm(model: torch.nn.Module, images: torch.Tensor, batch_size: int) -> None:
    """Set `model`'s BatchNorm running statistics to those of its present weights on `images` (as they are, the
    [0, 1] pixels; normalized here), as torch.optim.swa_utils.update_bn does; nothing else in it changes."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or not len(images):
        return
    momenta = [norm.momentum for norm in norms]
    was_training = model.training
    model.eval()  # dropout off: only the BatchNorm layers measure
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average over the batches below
        norm.train()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = normalize(images[start:start + batch_size])
                model(batch.contiguous(memory_format=torch.channels_last))
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        model.train(was_training)


def all_finite(model: torch.nn.Module) -> bool:
    """Whether every weight and statistic of `model` is a finite number."""
    return all(bool(torch.isfinite(t).all()) for t in model.state_dict().values() if t.is_floating_point())


def ema_with_warm_up(decay: float):
    """AveragedModel's EMA update, with the usual warm-up: early on the average follows the weights closely
    (decay (1 + n) / (10 + n)), so an average over a run's first steps is not mostly the random initialization."""
    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
        step_decay = min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1 - step_decay)
        else:  # BatchNorm's batch counters
            for a, c in zip(averaged, current):
                a.copy_(c)
    return update


def train(config: TrainConfig, train_split: MnistSplit, test_split: MnistSplit,
          on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None,
          checkpoint_path: str | Path | None = None, initial_state: dict | None = None,
          checkpoint_meta: dict | None = None, validation_split: MnistSplit | None = None,
          on_epoch_model: Callable[[int, torch.nn.Module], None] | None = None) -> RunResult:
    """Run `config` on the splits; see the module's docstring. `initial_state` starts from trained weights
    (fine-tuning); `checkpoint_meta` is added to every checkpoint's metadata; `validation_split` (images held out
    of training) is measured after each epoch too.

    `on_epoch_model(epoch, model)` is called in this thread with the kept model (in eval mode, on the training
    device) once before training (epoch 0: the starting weights) and after each epoch, once it is tested and
    saved, before its EpochEnd event. It may read the model (the Train tab's filter view takes a snapshot) but
    must not change it, and whatever time it takes is the run's: keep it to milliseconds."""
    config.check()
    emit = on_event or (lambda event: None)
    stop = stop or threading.Event()
    device = pick_device(config.device)
    dtype = pick_precision(config.precision, device)
    torch.manual_seed(config.seed)  # weights' initialization and dropout masks
    generator = torch.Generator().manual_seed(config.seed)  # shuffling and augmentation
    model = build_model(config.model, dropout=config.dropout)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    # channels_last lets oneDNN skip a layout conversion around every conv on the CPU: ~25% faster here.
    model = model.to(device=device, memory_format=torch.channels_last)
    ema = (AveragedModel(model, multi_avg_fn=ema_with_warm_up(config.ema_decay), use_buffers=True)
           if config.ema_decay else None)
    kept = ema.module if ema is not None else model

    n = len(train_split)
    batches = math.ceil(n / config.batch_size)
    # torch.optim.SGD and OneCycleLR, written out (trainer/sgd.py): creating a torch optimizer imports
    # torch._dynamo, over a second of every run and a stall in the app's window.
    optimizer = NesterovSGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    # The schedule divides by the length of each phase, so a very short run (a few batches, e.g. a quick
    # --train-limit try) gets a warm-up of at least one step and a schedule of at least three.
    total_steps = max(3, config.epochs * batches)
    schedule = OneCycle(config.lr, total_steps, pct_start=max(0.2, 2 / total_steps))
    step = 0
    images_all, labels_all = train_split.images.to(device), train_split.labels.to(device)
    path = Path(checkpoint_path) if checkpoint_path else None
    if config.outlier_batch:
        from .outliers import outlier_batch, outlier_pool

        pool = outlier_pool().to(device)

    def diverged(where: str, loss: float) -> Diverged:
        kept_file = (f"The last complete epoch is kept in {path}. " if result.checkpoint
                     else "Nothing was saved. ")
        return Diverged(f"training diverged at {where}: the loss became {loss} and the weights no longer mean "
                        f"anything. {kept_file}Lower the learning rate (this run's peak was {config.lr:g}; the "
                        f"default is {TrainConfig().lr:g}) and train again.")

    result = RunResult()
    started = time.perf_counter()
    emit(RunStarted(config.epochs, batches, n, len(test_split), device.type, "bf16" if dtype else "fp32"))
    if on_epoch_model is not None:
        on_epoch_model(0, kept.eval())
    try:
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            # The last epochs see the digits as they are: the model settles on the real distribution.
            augment = config.augment and epoch <= config.epochs - config.plain_final_epochs
            outliers = config.outlier_batch if epoch >= config.outlier_start else 0
            model.train()
            order = torch.randperm(n, generator=generator).to(device)
            loss_sum, correct = 0.0, 0
            for batch in range(batches):
                if stop.is_set():
                    raise Stopped
                index = order[batch * config.batch_size:(batch + 1) * config.batch_size]
                images, labels = images_all[index], labels_all[index]
                count = len(labels)
                if outliers:
                    images = torch.cat([images, outlier_batch(pool, images, outliers, generator)])
                if augment:
                    images = augment_batch(images, generator, elastic=config.elastic)
                    if config.thicken:
                        images = thicken_or_thin(images, generator)
                images = normalize(images).contiguous(memory_format=torch.channels_last)
                with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                    log_probs = model(images).float()
                # The net ends in log_softmax, which cross_entropy's own log_softmax leaves unchanged.
                digit_loss = F.cross_entropy(log_probs[:count], labels, label_smoothing=config.label_smoothing)
                loss = digit_loss
                if outliers:  # cross-entropy to the uniform distribution over the ten digits
                    loss = loss - config.outlier_weight * log_probs[count:].mean()
                log_probs = log_probs[:count]
                optimizer.zero_grad()
                loss.backward()
                optimizer.lr, optimizer.momentum = schedule.at(min(step, total_steps - 1))
                optimizer.step()
                step += 1
                if ema is not None:
                    ema.update_parameters(model)
                loss_value = loss.item()
                if not math.isfinite(loss_value):
                    raise diverged(f"epoch {epoch}, batch {batch + 1}", loss_value)
                # The figure people see is the digits' loss, as without outliers, comparable with the test loss.
                loss_sum += (digit_loss.item() if outliers else loss_value) * len(labels)
                correct += (log_probs.argmax(dim=1) == labels).sum().item()
                emit(BatchEnd(epoch, batch + 1, loss_sum / min((batch + 1) * config.batch_size, n)))

            if initial_state is None and epoch * batches < SHORT_RUN_BATCHES:
                # Statistics that overflowed while training mean the run diverged (tested as trained, the model
                # answers NaN), which measuring them afresh for the exploded weights would hide.
                if not all_finite(kept):
                    raise diverged(f"the end of epoch {epoch}", math.nan)
                measure_batchnorm(kept, images_all[:BATCHNORM_IMAGES], config.batch_size)
            validation = (evaluate(kept, validation_split, device, stop=stop).accuracy
                          if validation_split is not None and len(validation_split) else None)
            test_started = time.perf_counter()
            evaluation = evaluate(kept, test_split, device, stop=stop)
            if not math.isfinite(evaluation.loss) or evaluation.loss > DIVERGED_LOSS or not all_finite(kept):
                raise diverged(f"the end of epoch {epoch}", evaluation.loss)
            now = time.perf_counter()
            event = EpochEnd(epoch, loss_sum / n, correct / n, evaluation.loss, evaluation.accuracy,
                             optimizer.lr, now - epoch_started, now - test_started, validation)
            result.history.append(event)
            last_state = {name: tensor.detach().clone() for name, tensor in kept.state_dict().items()}
            if path is not None:
                save_checkpoint(path, kept, config, result.history, extra_meta=checkpoint_meta)
                result.checkpoint = path
            if on_epoch_model is not None:
                on_epoch_model(epoch, kept)
            emit(event)
    except Stopped:
        result.stopped = True
    result.seconds = time.perf_counter() - started
    if result.history:
        kept.load_state_dict(last_state)  # a stop mid-epoch keeps the latest complete epoch, as saved
        result.model = kept.to("cpu").eval()
    return result
