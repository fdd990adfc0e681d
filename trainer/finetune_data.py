"""What fine-tuning trains and measures on: a person's samples as tensors, held-out samples, and the mix with MNIST.

A person gives a hundred samples or so; trained on alone, the net would forget MNIST within an epoch. So every
epoch is a mix: a fixed number of MNIST training images, and the personal samples repeated until they make up
a set share of it (oversampling). The engine's batch augmentation (rotation, shift, scale) then makes each
repeat a slightly different picture.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import torch

from .data import LabelledImages, as_split
from .personal_set import PersonalData, PersonalSet


@dataclass
class PersonalSplits:
    """A personal set, read: all its samples, and the same split into samples to learn from and held out."""
    data: PersonalData    # what was read, with the files that were skipped
    all: LabelledImages
    learn: LabelledImages
    held_out: LabelledImages
    held_out_paths: list  # the files of the held-out samples, in held_out's order


def read_personal(folder: str | os.PathLike | None) -> PersonalData:
    """The personal set's readable samples (see trainer.personal_set; unreadable files are skipped)."""
    return PersonalSet(folder).load()


def hold_out(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (learn, held out): of each digit's n samples, round(n * share) are held out, at least one and at
    most n - 1, chosen at random (seeded); a digit with a single sample is only learnt from."""
    rng = np.random.default_rng(seed)
    learn, held = [], []
    for digit in range(10):
        index = np.flatnonzero(labels == digit)
        if len(index) == 0:
            continue
        index = rng.permutation(index)
        n_held = 0 if len(index) < 2 else min(len(index) - 1, max(1, round(len(index) * share)))
        held += index[:n_held].tolist()
        learn += index[n_held:].tolist()
    return np.array(sorted(learn), np.int64), np.array(sorted(held), np.int64)


def personal_splits(data: PersonalData, held_out_share: float, seed: int) -> PersonalSplits:
    learn, held = hold_out(data.labels, held_out_share, seed)
    whole = as_split(data.images, data.labels)
    return PersonalSplits(data, whole, LabelledImages(whole.images[learn], whole.labels[learn]),
                          LabelledImages(whole.images[held], whole.labels[held]), [data.paths[i] for i in held])


def mix(personal: LabelledImages, mnist: LabelledImages, mnist_images: int, personal_share: float,
        seed: int) -> LabelledImages:
    """`mnist_images` MNIST training images chosen at random (seeded), and the personal samples repeated
    until they are about `personal_share` of the whole (each at least once)."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(mnist), generator=generator)[:mnist_images]
    target = personal_share / (1 - personal_share) * len(chosen)
    repeats = max(1, math.ceil(target / max(1, len(personal))))
    images = torch.cat([mnist.images[chosen], personal.images.repeat(repeats, 1, 1, 1)])
    labels = torch.cat([mnist.labels[chosen], personal.labels.repeat(repeats)])
    return LabelledImages(images, labels)
