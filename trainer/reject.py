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

from .calibration_drawings import calibration_drawings
from .data import LabelledImages
from .evaluation import log_probabilities
from .synth.nondigits import FAMILIES
from .verdicts import DIGIT_MASS

FLAGGED_DIGITS = 0.02
SYNTHETIC = 600


def _probabilities(model: torch.nn.Module, images: torch.Tensor) -> np.ndarray:
    return log_probabilities(model, images).exp().numpy()


def calibrate(model: torch.nn.Module, validation: LabelledImages | None, seed: int = 1,
              validation_log_probs: torch.Tensor | None = None) -> dict:
    """The "reject" metadata for `model` (see the module's docstring). `validation_log_probs` are the model's
    log-probabilities for `validation`, as log_probabilities gives them, when the caller has them already (the
    training engine's last test pass on the CPU): the same numbers, not computed twice."""
    drawings = calibration_drawings(SYNTHETIC, seed)  # the same pictures every run: cached per user
    drawn, others = drawings["digits"], drawings["others"]
    drawn_labels = torch.arange(len(drawn)) % 10
    log_probs, labels = [log_probabilities(model, drawn)], [drawn_labels]
    if validation is not None and len(validation):
        if validation_log_probs is None or validation_log_probs.shape != (len(validation), 10):
            validation_log_probs = log_probabilities(model, validation.images)
        log_probs.append(validation_log_probs)
        labels.append(validation.labels)
    # One tensor, then exp: each probability comes out as it did when the digits were one pass (an element's
    # exp may differ in the last bit between torch's vectorized loop and its tail).
    digits = torch.cat(log_probs).exp().numpy()
    right = digits.argmax(axis=1) == torch.cat(labels).numpy()
    threshold = float(np.quantile(digits.max(axis=1)[right], FLAGGED_DIGITS))
    nondigits = _probabilities(model, others).max(axis=1)
    held_out = f"{len(validation):,} MNIST training digits held out of training and " if len(labels) > 1 else ""
    return {
        "threshold": threshold,
        "digit_mass": DIGIT_MASS,
        "calibrated_on": f"{held_out}{len(drawn)} synthetic drawn digits",
        "digits_read": float(right.mean()),
        "digits_flagged": float((digits.max(axis=1)[right] < threshold).mean()),
        "nondigits_flagged": float((nondigits < threshold).mean()),
        "nondigit_kinds": ", ".join(FAMILIES["calibration"]),
    }
