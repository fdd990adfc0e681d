"""How the net's ten probabilities for a piece of ink become a verdict: sure, not sure ("7?"), or not a digit.

The threshold on the highest probability is calibrated for each model after training (trainer.reject) and
stored in its checkpoint; older checkpoints get DEFAULT_THRESHOLD. Below it the answer is not sure; and when even
the two likeliest digits together hold less than DIGIT_MASS, the ink is judged not a digit at all. Pure numpy:
the reader in the app and the calibration in the trainer share it.
"""

from __future__ import annotations

import numpy as np

SURE, UNSURE, NOT_A_DIGIT = "sure", "not sure", "not a digit"
DEFAULT_THRESHOLD = 0.8
DIGIT_MASS = 0.75


def verdict(probabilities: np.ndarray, threshold: float) -> str:
    return str(verdicts(np.asarray(probabilities)[None], threshold)[0])


def verdicts(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The verdict of each row of N x 10 probabilities at once (the robustness curves judge 10,000 a step)."""
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    unsure = np.where(top_two.sum(axis=1) >= DIGIT_MASS, UNSURE, NOT_A_DIGIT)
    return np.where(top_two[:, 1] >= threshold, SURE, unsure)


def model_threshold(meta: dict) -> float:
    """The "not sure" threshold a checkpoint's metadata holds (trainer.reject), or the default for older ones."""
    reject = meta.get("reject") if isinstance(meta.get("reject"), dict) else {}
    return float(reject.get("threshold", DEFAULT_THRESHOLD))
