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
    top_two = np.sort(probabilities)[-2:]
    if top_two[1] >= threshold:
        return SURE
    return UNSURE if top_two.sum() >= DIGIT_MASS else NOT_A_DIGIT
