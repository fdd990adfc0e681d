"""Calibrating "not sure": the threshold on the net's highest probability below which the pad says it is not
sure (or, when the probability is spread wide, that the ink is not a digit at all).

Set on data the net was not trained on and the MNIST test set never: digits held out of MNIST's training images
(real handwriting) and synthetic digits drawn as the pad draws them, the threshold being the 2nd percentile of
the highest probability of the ones read right, so that about 2 in 100 digits read right are flagged. The share
of synthetic non-digits (the "calibration" family, kinds the net was never taught) flagged at that threshold is
recorded beside it. Stored in the checkpoint's metadata as "reject" and used by digitpad's reader.
"""

from __future__ import annotations

import numpy as np
import torch

from .data import LabelledImages
from .evaluation import log_probabilities
from .ink.redraw import strokes_field
from .synth.digits import random_digit
from .synth.nondigits import FAMILIES, random_from
from .verdicts import DIGIT_MASS

FLAGGED_DIGITS = 0.02
SYNTHETIC = 600


def _probabilities(model: torch.nn.Module, images: torch.Tensor) -> np.ndarray:
    return log_probabilities(model, images).exp().numpy()


def _synthetic(make, count: int) -> torch.Tensor:
    fields = [field for field in (make(i) for i in range(count)) if field is not None]
    return torch.from_numpy(np.stack(fields)).unsqueeze(1)


def calibrate(model: torch.nn.Module, validation: LabelledImages | None, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    drawn = _synthetic(lambda i: strokes_field(random_digit(i % 10, rng)), SYNTHETIC)
    drawn_labels = torch.arange(len(drawn)) % 10
    others = _synthetic(lambda i: strokes_field(random_from("calibration", rng)[1]), SYNTHETIC)
    images, labels = [drawn], [drawn_labels]
    if validation is not None and len(validation):
        images.append(validation.images)
        labels.append(validation.labels)
    digits = _probabilities(model, torch.cat(images))
    right = digits.argmax(axis=1) == torch.cat(labels).numpy()
    threshold = float(np.quantile(digits.max(axis=1)[right], FLAGGED_DIGITS))
    nondigits = _probabilities(model, others).max(axis=1)
    held_out = f"{len(validation):,} MNIST training digits held out of training and " if len(images) > 1 else ""
    return {
        "threshold": threshold,
        "digit_mass": DIGIT_MASS,
        "calibrated_on": f"{held_out}{len(drawn)} synthetic drawn digits",
        "digits_read": float(right.mean()),
        "digits_flagged": float((digits.max(axis=1)[right] < threshold).mean()),
        "nondigits_flagged": float((nondigits < threshold).mean()),
        "nondigit_kinds": ", ".join(FAMILIES["calibration"]),
    }
