"""Calibrating "not sure": the threshold on the net's highest probability below which the pad says it is not
sure (or, when the probability is spread wide, that the ink is not a digit at all).

Set on data the net was not trained on and the MNIST test set never, in kinds: digits held out of MNIST's
training images (real handwriting), synthetic digits drawn as the pad draws them, and synthetic digits scanned at
8 to 16 pixels and enlarged, read as a picture is (trainer.calibration_drawings). The threshold is the highest
that flags at most FLAGGED_DIGITS of the digits read right in *every* kind: one set on MNIST and the pad's
drawings alone (2 in 100 flagged there) flagged a quarter of the low-resolution scans it read right. The share of
synthetic non-digits (the "calibration" family, kinds the net was never taught) flagged at that threshold is
recorded beside it, with each kind's share of flagged digits. Stored in the checkpoint's metadata as "reject" and
used by digitpad's reader.
"""

from __future__ import annotations

import numpy as np
import torch

from .calibration_drawings import calibration_drawings
from .data import LabelledImages
from .evaluation import log_probabilities
from .synth.nondigits import FAMILIES
from .verdicts import DIGIT_MASS

# 1.5 in 100, not 2: with 2 the built-in model flagged 3.5% of the picture battery's 8-pixel scans it read right
# (threshold 91.4%); with 1.5, 2.9% and at most 2.9% on any row (threshold 89.3%), while never-seen non-digits
# drawn on the pad stayed flagged 90.8-92.3% (bench/reading_quality.py at 89.0% and 91.4%).
FLAGGED_DIGITS = 0.015
SYNTHETIC = 600
MNIST_KIND = "MNIST training digits held out of training"
DRAWN_KIND = "synthetic digits drawn on the pad"
SCANNED_KIND = "synthetic digits scanned at 8-16 pixels and enlarged"


def _probabilities(model: torch.nn.Module, images: torch.Tensor) -> np.ndarray:
    return log_probabilities(model, images).exp().numpy()


def calibrate(model: torch.nn.Module, validation: LabelledImages | None, seed: int = 1,
              validation_log_probs: torch.Tensor | None = None) -> dict:
    """The "reject" metadata for `model` (see the module's docstring). `validation_log_probs` are the model's
    log-probabilities for `validation`, as log_probabilities gives them, when the caller has them already (the
    training engine's last test pass on the CPU): the same numbers, not computed twice."""
    drawings = calibration_drawings(SYNTHETIC, seed)  # the same pictures every run: cached per user
    kinds = {DRAWN_KIND: drawings["digits"], SCANNED_KIND: drawings["scanned"]}
    log_probs = {name: log_probabilities(model, images) for name, images in kinds.items()}
    labels = {name: torch.arange(len(images)) % 10 for name, images in kinds.items()}
    if validation is not None and len(validation):
        if validation_log_probs is None or validation_log_probs.shape != (len(validation), 10):
            validation_log_probs = log_probabilities(model, validation.images)
        log_probs = {MNIST_KIND: validation_log_probs, **log_probs}
        labels = {MNIST_KIND: validation.labels, **labels}
    tops, read = {}, {}
    for name, kind_log_probs in log_probs.items():
        digits = kind_log_probs.exp().numpy()
        right = digits.argmax(axis=1) == labels[name].numpy()
        tops[name], read[name] = digits.max(axis=1)[right], float(right.mean())
    # The highest threshold that flags at most FLAGGED_DIGITS of the right digits of every kind.
    threshold = min(float(np.quantile(top, FLAGGED_DIGITS)) for top in tops.values() if len(top))
    every = np.concatenate(list(tops.values()))
    nondigits = _probabilities(model, drawings["others"]).max(axis=1)
    return {
        "threshold": threshold,
        "digit_mass": DIGIT_MASS,
        "calibrated_on": ", ".join(f"{len(labels[name]):,} {name}" for name in log_probs),
        "digits_read": float(np.mean(list(read.values()))),
        "digits_flagged": float((every < threshold).mean()),
        "kinds_flagged": {name: float((top < threshold).mean()) for name, top in tops.items()},
        "nondigits_flagged": float((nondigits < threshold).mean()),
        "nondigit_kinds": ", ".join(FAMILIES["calibration"]),
    }
