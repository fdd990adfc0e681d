"""The one training loop of the project. The `trainer` CLI and the GUI's Train tab both drive it.

It reports through a single `on_event` callback (BatchEnd within an epoch, EpochEnd after each), can be stopped
from another thread within one batch, and saves the best model so far atomically after every epoch that
improves it, so a run that is stopped or killed still leaves its best checkpoint behind.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from .data import MnistSplit, augment_batch, normalize
from .model import build_model


@dataclass
class TrainConfig:
    model: str = "seed"
    epochs: int = 20
    batch_size: int = 128
    lr: float = 0.1              # peak learning rate of the one-cycle schedule
    weight_decay: float = 1e-4
    seed: int = 0
    augment: bool = True
    train_limit: int | None = None
    device: str = "auto"         # auto, cpu, cuda, mps
    precision: str = "auto"      # auto (bf16 where the hardware has it), bf16, fp32
    data_dir: str | None = None


@dataclass
class BatchEnd:
    epoch: int          # 1-based
    epochs: int
    batch: int          # 1-based
    batches: int
    running_loss: float  # mean training loss over this epoch's batches so far


@dataclass
class EpochEnd:
    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    lr: float
    seconds: float
    is_best: bool


@dataclass
class RunResult:
    history: list[EpochEnd] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    checkpoint: Path | None = None
    model: torch.nn.Module | None = None  # the best weights, in eval mode

    @property
    def best(self) -> EpochEnd | None:
        return max(self.history, key=lambda e: e.test_accuracy, default=None)


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    predictions: torch.Tensor  # N, int64


class Stopped(Exception):
    pass


class Diverged(Exception):
    """The loss or the weights stopped being finite numbers: the run cannot recover and saves nothing more."""


def pick_device(name: str = "auto") -> torch.device:
    """The device to train on; ValueError, saying why, for a name torch doesn't know or a device not present."""
    if name != "auto":
        try:
            device = torch.device(name)
        except RuntimeError:
            raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from None
        present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        if not present.get(device.type, False):
            raise ValueError(f"device {name!r} is not available on this machine; use --device auto or cpu")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain float32.

    bf16 autocast makes a CPU epoch about 20% faster where oneDNN has native bf16 (AVX-512 BF16, AMX), mostly by
    halving the memory traffic of the BatchNorm/ReLU/Dropout layers; elsewhere it would be emulated and slower.
    """
    if name == "fp32":
        return None
    if name == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        try:
            return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else None
        except (AttributeError, RuntimeError):
            return None
    return None


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    # channels_last lets oneDNN skip a layout conversion around every conv on the CPU: ~25% faster here.
    return model.to(device=device, memory_format=torch.channels_last)


def evaluate(model: torch.nn.Module, split: MnistSplit, device: torch.device | str = "cpu",
             dtype: torch.dtype | None = None, batch_size: int = 1000,
             stop: threading.Event | None = None) -> EvalResult:
    """Loss and accuracy over `split`; raises Stopped between blocks once `stop` is set."""
    device = torch.device(device)
    model.eval()
    total_loss, predictions = 0.0, []
    with torch.no_grad():
        for start in range(0, len(split), batch_size):
            if stop is not None and stop.is_set():  # the test pass takes seconds: a Stop should not wait for it
                raise Stopped
            images = normalize(split.images[start:start + batch_size].to(device))
            labels = split.labels[start:start + batch_size].to(device)
            with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                log_probs = model(images.contiguous(memory_format=torch.channels_last)).float()
            total_loss += F.nll_loss(log_probs, labels, reduction="sum").item()
            predictions.append(log_probs.argmax(dim=1).cpu())
    predictions = torch.cat(predictions) if predictions else torch.empty(0, dtype=torch.long)
    accuracy = (predictions == split.labels).float().mean().item() if len(split) else 0.0
    return EvalResult(total_loss / max(len(split), 1), accuracy, predictions)


class TrainingRun:
    """One training run. Call `run()` (in any thread); `stop()` may be called from any other thread."""

    def __init__(self, config: TrainConfig, train: MnistSplit, test: MnistSplit,
                 on_event: Callable[[BatchEnd | EpochEnd], None] | None = None,
                 checkpoint_path: str | Path | None = None):
        self.config = config
        self.train_split, self.test_split = train, test
        self.on_event = on_event or (lambda event: None)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self._stop = threading.Event()
        self._saved = False

    def stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _diverged_message(self, where: str, loss: float) -> str:
        kept = (f"The last good checkpoint is kept: {self.checkpoint_path}. " if self.checkpoint_path
                and self.checkpoint_path.exists() and self._saved else "Nothing was saved. ")
        return (f"training diverged at {where}: the loss became {loss} and the weights stop meaning anything. "
                f"{kept}Lower the learning rate (this run's peak was {self.config.lr:g}; the default is "
                f"{TrainConfig().lr:g}) and train again.")

    def run(self) -> RunResult:
        from .checkpoint import save_checkpoint  # checkpoint imports this module for its types

        config = self.config
        device = pick_device(config.device)
        dtype = pick_precision(config.precision, device)
        torch.manual_seed(config.seed)  # weights' initialization and dropout masks
        generator = torch.Generator().manual_seed(config.seed)  # shuffling and augmentation
        model = prepare_model(build_model(config.model), device)

        n = len(self.train_split)
        batches = (n + config.batch_size - 1) // config.batch_size
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, nesterov=True,
                                    weight_decay=config.weight_decay)
        # OneCycleLR divides by the length of each phase, so a very short run (a few batches, e.g. a quick
        # --train-limit try) gets a warm-up of at least one step and a schedule of at least three.
        total_steps = max(3, config.epochs * batches)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=max(0.2, 2 / total_steps))
        images_all = self.train_split.images.to(device)
        labels_all = self.train_split.labels.to(device)

        result = RunResult()
        best_state, best_accuracy = None, -1.0
        started = time.perf_counter()
        try:
            for epoch in range(1, config.epochs + 1):
                epoch_started = time.perf_counter()
                model.train()
                order = torch.randperm(n, generator=generator).to(device)
                loss_sum, correct = 0.0, 0
                for batch in range(batches):
                    if self._stop.is_set():
                        raise Stopped
                    index = order[batch * config.batch_size:(batch + 1) * config.batch_size]
                    images, labels = images_all[index], labels_all[index]
                    if config.augment:
                        images = augment_batch(images, generator)
                    images = normalize(images).contiguous(memory_format=torch.channels_last)
                    with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                        log_probs = model(images)
                    loss = F.nll_loss(log_probs.float(), labels)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    schedule.step()
                    loss_value = loss.item()
                    if not math.isfinite(loss_value):
                        raise Diverged(self._diverged_message(f"epoch {epoch}, batch {batch + 1}", loss_value))
                    loss_sum += loss_value * len(labels)
                    correct += (log_probs.argmax(dim=1) == labels).sum().item()
                    seen = min((batch + 1) * config.batch_size, n)
                    self.on_event(BatchEnd(epoch, config.epochs, batch + 1, batches, loss_sum / seen))

                # Evaluated in float32 whatever the training precision, so the accuracy recorded here is the
                # one `trainer eval` and the drawing pad reproduce.
                evaluation = evaluate(model, self.test_split, device, stop=self._stop)
                if not math.isfinite(evaluation.loss) or not all(
                        bool(torch.isfinite(p).all()) for p in model.state_dict().values() if p.is_floating_point()):
                    raise Diverged(self._diverged_message(f"the end of epoch {epoch}", evaluation.loss))
                is_best = evaluation.accuracy > best_accuracy
                event = EpochEnd(epoch, config.epochs, loss_sum / n, correct / n, evaluation.loss,
                                 evaluation.accuracy, optimizer.param_groups[0]["lr"],
                                 time.perf_counter() - epoch_started, is_best)
                result.history.append(event)
                if is_best:
                    best_accuracy = evaluation.accuracy
                    best_state = copy.deepcopy(model.state_dict())
                    if self.checkpoint_path:
                        save_checkpoint(self.checkpoint_path, model, config, result.history)
                        result.checkpoint = self.checkpoint_path
                        self._saved = True
                self.on_event(event)
        except Stopped:
            result.stopped = True
        result.seconds = time.perf_counter() - started
        if best_state is not None:
            model.load_state_dict(best_state)
            if self.checkpoint_path and result.checkpoint:
                # Rewrite the best checkpoint with the complete history (also the epochs after the best one).
                save_checkpoint(self.checkpoint_path, model, config, result.history, stopped=result.stopped)
            result.model = model.eval()
        return result


def history_as_dicts(history: list[EpochEnd]) -> list[dict]:
    return [asdict(epoch) for epoch in history]
