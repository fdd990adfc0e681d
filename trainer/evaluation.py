"""How well a model reads a set of digits: loss, accuracy, and the per-digit figures behind them.

One pass of the model over the set gives everything: the engine's test pass after each epoch, `trainer eval`
and the app's Evaluate tab all call `evaluate` and read what they need from its result.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .data import LabelledImages, normalize
from .memory import keep_freed_memory


class Stopped(Exception):
    """A stop was asked for (from another thread) while the work was under way."""


@dataclass
class Evaluation:
    loss: float                  # mean negative log-likelihood
    accuracy: float              # a fraction in [0, 1]
    labels: torch.Tensor         # N, int64: the true digits
    predictions: torch.Tensor    # N, int64
    confidences: torch.Tensor    # N, float32: the probability the model gave its prediction
    log_probs: torch.Tensor | None = None  # N x 10, float32: all ten, as log_probabilities gave them

    @property
    def wrong(self) -> int:
        return int((self.predictions != self.labels).sum())

    def confusion_matrix(self) -> torch.Tensor:
        """10 x 10 counts: rows are the true digits, columns what the model read."""
        matrix = torch.zeros(10, 10, dtype=torch.long)
        matrix.index_put_((self.labels, self.predictions), torch.ones_like(self.labels), accumulate=True)
        return matrix

    def per_class(self) -> dict[str, list[float | None]]:
        """Per digit: accuracy (= recall: of the true d, the share read as d) and precision (of those read as d,
        the share that were d). None where the digit never occurs, or is never predicted."""
        matrix = self.confusion_matrix().double()
        right = matrix.diag()
        true_counts, predicted_counts = matrix.sum(dim=1), matrix.sum(dim=0)
        recall = [float(r / t) if t else None for r, t in zip(right, true_counts)]
        precision = [float(r / p) if p else None for r, p in zip(right, predicted_counts)]
        return {"recall": recall, "precision": precision}


# Blocks of 128: a block's activations (the first conv's 26x26x16 floats a picture) then stay in the CPU's
# cache. Blocks of 1,000 spill them to memory: the 10,000-image test pass, over a tenth of every epoch, took
# 1.55 s on this project's 2-core Xeon, against 0.6-1.0 s now (bench/train_speed.py; docs/speed.md).
EVALUATION_BATCH = 128


def log_probabilities(model: torch.nn.Module, images: torch.Tensor, device: torch.device | str = "cpu",
                      batch_size: int = EVALUATION_BATCH, stop: threading.Event | None = None) -> torch.Tensor:
    """The model's N x 10 log-probabilities for [0, 1] images (normalized here), in float32, in eval mode.

    Float32 whatever the training precision, so the accuracy a run records is the one the app reproduces.
    Raises Stopped between blocks once `stop` is set: a test pass takes a second or two and a Stop should not
    wait for it.
    """
    device = torch.device(device)
    keep_freed_memory()  # each block reuses the last one's memory (trainer.memory)
    model.eval()
    blocks = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            if stop is not None and stop.is_set():
                raise Stopped
            block = normalize(images[start:start + batch_size].to(device))
            blocks.append(model(block.contiguous(memory_format=torch.channels_last)).float().cpu())
    return torch.cat(blocks) if blocks else torch.empty(0, 10)


def evaluate(model: torch.nn.Module, split: LabelledImages, device: torch.device | str = "cpu",
             batch_size: int = EVALUATION_BATCH, stop: threading.Event | None = None) -> Evaluation:
    log_probs = log_probabilities(model, split.images, device, batch_size, stop)
    labels = split.labels.cpu()
    if not len(labels):
        empty = torch.empty(0, dtype=torch.long)
        return Evaluation(0.0, 0.0, labels, empty, torch.empty(0))
    confidences, predictions = log_probs.max(dim=1)
    return Evaluation(
        loss=F.nll_loss(log_probs, labels).item(),
        accuracy=(predictions == labels).float().mean().item(),
        labels=labels, predictions=predictions, confidences=confidences.exp(), log_probs=log_probs)
