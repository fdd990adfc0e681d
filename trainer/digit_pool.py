"""More kinds of digit than MNIST's: typeset digits and drawn digits, added to the training images.

A net taught on MNIST alone is unsure of digits written as few of MNIST's writers write them: typeset shapes
(a 1 with a flag and a foot, a bar on the 7), digits drawn on the pad with a mouse, pictures with another pen.
It reads them right but below its "not sure" threshold: 7.7% of typeset digits and 5.8% of digits drawn in
vector fonts were flagged. So training can add, beside the MNIST images (as a share of them, `TrainConfig.
extra_digits`, `trainer train --extra-digits 0.16`; off by default, see docs/recipe.md for why), a pool of

- digits set in matplotlib's typefaces (trainer.synth.typefaces; the STIX fonts are kept out, for measuring),
  at two sizes and four weights, made into MNIST's 28x28 picture as an opened picture is;
- synthetic drawn digits (trainer.synth.digits), two in three read as the pad reads strokes, one as a picture
  drawn with a random pen.

The pool is made once and cached per user (a few seconds the first time), like the outlier pool. Chosen on the
held-out validation images and on kinds never trained on (STIX typefaces, Hershey vector fonts, the picture
battery), never on the MNIST test set: see docs/recipe.md.
"""

from __future__ import annotations

import numpy as np
import torch

from .data import LabelledImages
from .paths import digit_pool_file
from .tensor_cache import cached

POOL_VERSION = 2  # 2: a 1 with a long flag and a foot among the drawn digits (trainer.synth.digits)
DRAWN = 3000
SIZES = (64, 112)
WEIGHTS = (0, 1, 2, 4)  # stroke thickening, in pixels per 64 of the size


def build_pool(seed: int = 0) -> LabelledImages:
    """The pool's pictures (N x 1 x 28 x 28 in [0, 1]) and their digits."""
    # Imported here, not above: the ink pipeline brings scipy.ndimage (0.1-0.4 s), which a run that finds the
    # pool in the cache, or adds no extra digits (the default), never needs.
    from .ink.preprocess import digit_field
    from .ink.redraw import pool_field
    from .synth.digits import random_digit
    from .synth.typefaces import digit_fonts, typeset_digit

    pictures, labels = [], []
    for font in digit_fonts():
        for digit in range(10):
            for weight in WEIGHTS:
                for size in SIZES:
                    ink = typeset_digit(font, digit, size, weight * size // 64)
                    if ink.any():
                        pictures.append(digit_field(ink, normalize=False))
                        labels.append(digit)
    rng = np.random.default_rng(seed)
    for index in range(DRAWN):
        digit = index % 10
        field = pool_field(random_digit(digit, rng), rng, as_the_pad_reads=bool(index % 3))
        if field is not None:
            pictures.append(field)
            labels.append(digit)
    return LabelledImages(torch.from_numpy(np.stack(pictures)).unsqueeze(1).float(), torch.tensor(labels))


def _fits(held) -> bool:
    """Whether a cached pool is whole: pictures and digits, as many of each, in range."""
    if not isinstance(held, dict) or not {"images", "labels"} <= held.keys():
        return False
    images, labels = held["images"], held["labels"]
    return (isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor) and images.ndim == 4
            and images.shape[1:] == (1, 28, 28) and len(images) == len(labels) > 0
            and bool(torch.isfinite(images).all()) and int(labels.min()) >= 0 and int(labels.max()) <= 9)


def digit_pool(seed: int = 0) -> LabelledImages:
    """The pool, from the per-user cache when it is there (loaded safely: tensors only)."""
    def make() -> dict:
        pool = build_pool(seed)
        return {"images": pool.images, "labels": pool.labels}

    held = cached(digit_pool_file(POOL_VERSION, seed), make, _fits)
    return LabelledImages(held["images"], held["labels"])


def with_extra_digits(train: LabelledImages, share: float, seed: int = 0) -> LabelledImages:
    """The training images and, after them, `share` as many pool digits (the pool repeated as needed, in a
    fixed order): 0.16 of 55,000 is 8,800, the pool twice over."""
    count = round(share * len(train))
    if count <= 0:
        return train
    pool = digit_pool()
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))
    index = order.repeat(-(-count // len(pool)))[:count]
    return LabelledImages(torch.cat([train.images, pool.images[index]]), torch.cat([train.labels, pool.labels[index]]))
