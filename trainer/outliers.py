"""Outlier exposure (Hendrycks et al., 2019): with every batch of digits the net also sees ink that is not a
digit, and learns to spread its probability evenly over the ten digits for it. Its highest probability then
tells digits from scribbles, letters and doodles, which a net trained on digits alone reads as digits with
confidence. The ten outputs stay as they are.

The non-digits are drawn strokes (trainer.synth, the "train" family), read as the pad reads a digit, made once
into a pool (cached per user: a few seconds the first time) and varied per batch by the same augmentation as the
digits; half of each outlier batch is made on the fly from the digits themselves: two of them overlapping.
"""

from __future__ import annotations

import numpy as np
import torch

from .paths import outlier_pool_file
from .tensor_cache import cached

POOL_VERSION = 4  # 4: the crossed-out and overlaid digits can be a 1 with a long flag and a foot
POOL_SIZE = 3000


def build_pool(size: int = POOL_SIZE, seed: int = 0, family: str = "train") -> torch.Tensor:
    """`size` non-digit pictures, N x 1 x 28 x 28 in [0, 1], read as the pad reads ink."""
    # Imported here, not above: the ink pipeline brings scipy.ndimage (0.1-0.4 s), which a run that finds the
    # pool in the cache, and the engine's outlier_batch, never need.
    from .ink.redraw import pool_field
    from .synth.nondigits import random_from

    rng = np.random.default_rng(seed)
    pictures = []
    while len(pictures) < size:
        _, strokes = random_from(family, rng)
        # two in three as the pad reads strokes, one as a picture with a random pen
        field = pool_field(strokes, rng, as_the_pad_reads=bool(len(pictures) % 3))
        if field is not None:
            pictures.append(field)
    return torch.from_numpy(np.stack(pictures)).unsqueeze(1)


def outlier_pool(size: int = POOL_SIZE, seed: int = 0, keep: bool = True) -> torch.Tensor:
    """The pool, from the per-user cache when it is there (loaded safely: tensors only); made afresh otherwise and,
    with `keep`, cached for the next run (the training engine, which writes no file, passes keep=False)."""
    def fits(pool) -> bool:
        return isinstance(pool, torch.Tensor) and pool.shape == (size, 1, 28, 28) and bool(torch.isfinite(pool).all())

    return cached(outlier_pool_file(POOL_VERSION, size, seed), lambda: build_pool(size, seed), fits, keep)


def _shifted(image: torch.Tensor, columns: int) -> torch.Tensor:
    """The image moved sideways by `columns` (right when positive), what leaves the field dropped."""
    moved = torch.roll(image, shifts=columns, dims=-1)
    if columns > 0:
        moved[..., :columns] = 0
    elif columns < 0:
        moved[..., columns:] = 0
    return moved


def outlier_batch(pool: torch.Tensor, digits: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` non-digit pictures: half from the pool, half overlays of two of the batch's digits shifted apart
    by a third to a half of the field, then centred again."""
    from_pool = pool[torch.randint(len(pool), (count - count // 2,), generator=generator)]
    pairs = torch.randint(len(digits), (count // 2, 2), generator=generator)
    shifts = torch.randint(9, 14, (count // 2,), generator=generator) * (torch.randint(0, 2, (count // 2,),
                                                                                      generator=generator) * 2 - 1)
    overlays = []
    for (first, second), shift in zip(pairs.tolist(), shifts.tolist()):
        both = torch.maximum(digits[first], _shifted(digits[second], shift))
        overlays.append(_shifted(both, -(shift // 2)))
    return torch.cat([from_pool.to(digits)] + ([torch.stack(overlays)] if overlays else []))
