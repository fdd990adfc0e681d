"""Robustness curves: how a model's accuracy, and the share of digits it flags "not sure", change as the test
digits are damaged step by step (trainer.damage: noise, rotation, shift, thicker and thinner strokes, blur,
low resolution). What `trainer eval --robustness` prints and the Evaluate tab's robustness chart draws.

Every model compared reads exactly the same damaged images (each step's randomness comes from a fixed seed), so
the curves of two models differ only by the models. "Not sure" is the app's own verdict (trainer.verdicts) at
each model's calibrated threshold: a digit is flagged when its highest probability falls below it, whether it is
then judged "not sure" or "not a digit" (that part is counted apart too).

Where the CPU does bf16 natively the models run under bf16 autocast, as training does: twice as fast, which is
what brings 2 models x 43 passes over 10,000 images under a minute on 2 cores. The undamaged point then differs
from `trainer eval`'s float32 figure by a digit or two in 10,000 (docs/robustness.md).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch

from .damage import DAMAGES, Damage
from .devices import pick_precision
from .evaluation import Stopped, log_probabilities
from .verdicts import NOT_A_DIGIT, SURE, verdicts

SEED = 2020
# Damaged a block at a time, so that the few damaged copies alive at once stay small (10,000 images are 31 MB).
CHUNK = 2000
EXAMPLE = 0  # the test image shown damaged at each level (MNIST's first: a 7)


@dataclass
class Point:
    model: int                  # which of the models compared
    kind: str                   # a Damage's key
    level: float
    accuracy: float             # share read right
    not_sure: float             # share whose highest probability is under the model's threshold
    not_a_digit: float          # the part of those judged not a digit at all
    example: np.ndarray | None = field(default=None, repr=False)  # 28 x 28: the EXAMPLE image so damaged

    def as_json(self) -> dict:
        return {"level": self.level, "accuracy": self.accuracy, "not_sure": self.not_sure,
                "not_a_digit": self.not_a_digit}


@dataclass
class Curves:
    points: list[Point]
    images: int
    precision: str              # "bf16" or "fp32"
    seconds: float

    def curve(self, model: int, kind: str) -> list[Point]:
        return [p for p in self.points if p.model == model and p.kind == kind]

    def as_json(self, model: int = 0) -> list[dict]:
        """One model's curves: a damage kind each, with its levels in order."""
        return [{"kind": d.key, "title": d.title, "axis": d.axis,
                 "levels": [p.as_json() for p in self.curve(model, d.key)]} for d in DAMAGES]


Progress = Callable[[Point, int, int], None]  # (the point just measured, steps done, steps in all)


def steps(models: int, damages: Sequence[Damage] = DAMAGES) -> int:
    """The passes of a model over the set: the undamaged one, shared by every kind, then each damaged level."""
    return models * (1 + sum(len(d.levels) - 1 for d in damages))


def _precision() -> tuple[str, torch.dtype | None]:
    dtype = pick_precision("auto", torch.device("cpu"))
    return ("bf16" if dtype is not None else "fp32"), dtype


def _tally(log_probs: torch.Tensor, labels: torch.Tensor, threshold: float) -> np.ndarray:
    """[right, flagged, not a digit] counts of a block."""
    probabilities = log_probs.exp().numpy()
    judged = verdicts(probabilities, threshold)
    right = int((log_probs.argmax(dim=1) == labels).sum())
    return np.array([right, int((judged != SURE).sum()), int((judged == NOT_A_DIGIT).sum())])


def _measure(models, thresholds, damage, level, seed, images, labels, stop, dtype) -> tuple[list, np.ndarray]:
    """Each model's counts on the images damaged to `level`, and the example image so damaged."""
    generator = torch.Generator().manual_seed(seed)
    counts = [np.zeros(3, dtype=np.int64) for _ in models]
    example = None
    autocast = torch.autocast("cpu", dtype=dtype) if dtype is not None else nullcontext()
    for start in range(0, len(images), CHUNK):
        if stop is not None and stop.is_set():
            raise Stopped
        damaged = damage(images[start:start + CHUNK], level, generator)
        if example is None:
            example = damaged[EXAMPLE, 0].numpy().copy()
        block = labels[start:start + CHUNK]
        with autocast:
            for model, threshold, count in zip(models, thresholds, counts):
                count += _tally(log_probabilities(model, damaged, stop=stop), block, threshold)
    return counts, example


def robustness_curves(models: Sequence[torch.nn.Module], thresholds: Sequence[float], images: torch.Tensor,
                      labels: torch.Tensor, stop: threading.Event | None = None, progress: Progress | None = None,
                      damages: Sequence[Damage] = DAMAGES) -> Curves:
    """The curves of each model (N x 1 x 28 x 28 images in [0, 1], N labels), each with its "not sure" threshold.

    `progress(point, done, total)` follows every point as it is measured (the undamaged point once for each
    kind); Stopped is raised within a block of images (128) of `stop` being set. The models are copied, so the
    caller's may keep reading meanwhile."""
    if not len(images):
        raise ValueError("there are no images to damage")
    started = time.perf_counter()
    name, dtype = _precision()
    models = [copy.deepcopy(m).cpu().eval().to(memory_format=torch.channels_last) for m in models]
    labels = labels.cpu()
    points: list[Point] = []
    total, done = steps(len(models), damages), 0

    def record(counts: list[np.ndarray], damage: Damage, level: float, example: np.ndarray) -> None:
        nonlocal done
        for index, (right, flagged, nondigit) in enumerate(counts):
            point = Point(index, damage.key, float(level), float(right / len(images)),
                          float(flagged / len(images)), float(nondigit / len(images)), example)
            points.append(point)
            done += 1 if level != damage.levels[0] or damage is damages[0] else 0
            if progress is not None:
                progress(point, done, total)

    clean, example = _measure(models, thresholds, damages[0], damages[0].levels[0], SEED, images, labels, stop, dtype)
    for kind, damage in enumerate(damages):
        record(clean, damage, damage.levels[0], example)
        for index, level in enumerate(damage.levels[1:], start=1):
            counts, damaged = _measure(models, thresholds, damage, level, SEED + 100 * kind + index, images,
                                       labels, stop, dtype)
            record(counts, damage, level, damaged)
    return Curves(points, len(images), name, time.perf_counter() - started)
