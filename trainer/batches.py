"""A batch as the net trains on it, and the images the kept average's BatchNorm statistics are measured on.

`as_trained`: a batch of [0, 1] digits with outlier exposure's non-digits added, then augmented, as the engine
feeds every training batch (trainer.engine). (trainer.outliers is light: it imports the ink pipeline only to make
a new pool.)

`measuring_images`: why the average's statistics are measured. The moving average of the weights also averages
BatchNorm's running statistics, and the two need not match: in the middle of a run, when the weights still
move, a seed of the recipe read 99.08% of the test set (98.76% of the held-out images) at epoch 12, between
99.52% and 99.46%, while the weights it trained read 99.17%. The same averaged weights with their statistics
measured for them read 99.44% of the held-out images. So after each epoch the engine measures the average's
statistics afresh (as torch.optim.swa_utils.update_bn does for an average) on the run's first MEASURED_IMAGES
training digits as its batches show them: outliers added and augmented as that epoch trained, with a fixed draw
of its own, so training's random stream and its weights are what they were. It costs about 0.2 s an epoch on two
threads (0.45 s of one thread's CPU on a loaded machine; a test pass over the 10,000 test images: 1.66 s). On the
digits as they are, the final model read as many right but its held-out loss rose from 0.017 to 0.027:
the statistics of what it was trained on are the ones its weights expect (docs/recipe.md).
"""

from __future__ import annotations

import torch

from .augment import augment_batch, low_resolution, thicken_or_thin
from .config import TrainConfig
from .outliers import outlier_batch

MEASURED_IMAGES = 2048
MEASURING_SEED = 20261203  # plus the run's seed: the draw of augmentations the statistics are measured on


def as_trained(images: torch.Tensor, pool: torch.Tensor | None, config: TrainConfig, outliers: int, augment: bool,
               generator: torch.Generator) -> torch.Tensor:
    """A batch of [0, 1] digits as the net trains on it: `outliers` non-digits from `pool` added, then augmented
    as `config` says when `augment`."""
    if outliers:
        images = torch.cat([images, outlier_batch(pool, images, outliers, generator)])
    if augment:
        images = augment_batch(images, generator, elastic=config.elastic)
        if config.thicken:
            images = thicken_or_thin(images, generator)
        if config.low_resolution:
            images = low_resolution(images, generator, config.low_resolution)
    return images


def measuring_images(images: torch.Tensor, pool: torch.Tensor | None, config: TrainConfig, outliers: int,
                     augment: bool) -> torch.Tensor:
    """The first MEASURED_IMAGES or so of the training `images` in whole batches as trained (each batch of
    `config.batch_size` digits followed by its `outliers`: a last, partial batch would weigh as much as a whole one
    in the average of the batches' statistics, with more outliers in it), always the same for a run's seed."""
    generator = torch.Generator().manual_seed((MEASURING_SEED + config.seed) % 2**63)
    digits = images[:max(config.batch_size, MEASURED_IMAGES - MEASURED_IMAGES % config.batch_size)]
    return torch.cat([as_trained(digits[start:start + config.batch_size], pool, config, outliers, augment, generator)
                      for start in range(0, len(digits), config.batch_size)])
