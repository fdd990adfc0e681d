"""The moving average of the weights (EMA) that a run keeps as its model: what torch.optim.swa_utils'
AveragedModel computes with the warm-up below, on lists of tensors gathered once.

AveragedModel gathered its parameters and buffers and grouped them by device and type at every step (0.28 ms
of Python a batch, 0.1 s an epoch); the arithmetic is the same `torch._foreach_lerp_` of each float tensor and
copy of each counter, so the average comes out the same to the last bit (tests/test_averaging.py checks it
against AveragedModel).

Also here, `measure_batchnorm`: a model's BatchNorm statistics measured afresh for its present weights, as
swa_utils.update_bn does for an average (the engine does it for a run's average after each epoch, and for a
quick try's kept model).
"""

from __future__ import annotations

import copy
import itertools

import torch

from .data import normalize


def warm_up_decay(decay: float, n_averaged: int) -> float:
    """The decay at the step after `n_averaged` averaged ones: early on the average follows the weights closely
    ((1 + n) / (10 + n)), so an average over a run's first steps is not mostly the random initialization."""
    return min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))


def _tensors(model: torch.nn.Module) -> list[torch.Tensor]:
    return [t.detach() for t in itertools.chain(model.parameters(), model.buffers())]


class WeightAverage:
    """`module`: a copy of `model` whose weights and buffers (BatchNorm's statistics too) follow `model`'s as
    their exponential moving average, one `update()` after each optimizer step; the first copies them."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.module = copy.deepcopy(model)
        self.decay = decay
        self.n_averaged = 0
        self._pairs = list(zip(_tensors(self.module), _tensors(model), strict=True))
        floats = [(a, c) for a, c in self._pairs if a.is_floating_point()]
        self._averaged, self._current = [a for a, _ in floats], [c for _, c in floats]
        self._counters = [(a, c) for a, c in self._pairs if not a.is_floating_point()]  # BatchNorm's batch counts

    @torch.no_grad()
    def update(self) -> None:
        if self.n_averaged == 0:
            for averaged, current in self._pairs:
                averaged.copy_(current)
        else:
            torch._foreach_lerp_(self._averaged, self._current, 1 - warm_up_decay(self.decay, self.n_averaged))
            for averaged, current in self._counters:
                averaged.copy_(current)
        self.n_averaged += 1


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
