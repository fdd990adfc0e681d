"""Pictures as a phone photographs paper: light falling unevenly across the sheet."""

import numpy as np

# The share of full light at (y, x), both 0-1 across the picture.
UNEVEN_LIGHT = {
    "lamp to one side": lambda y, x: 1.0 - 0.45 * x,
    "soft shadow": lambda y, x: 1.0 - 0.4 * np.clip((x + y - 0.9) * 2, 0, 1),
    "shadow": lambda y, x: 1.0 - 0.45 * np.clip((x + y - 1.1) * 5, 0, 1),
    "vignette": lambda y, x: 1.0 - ((x - 0.5) ** 2 + (y - 0.5) ** 2),
}


def under(light, picture: np.ndarray) -> np.ndarray:
    """A dark-on-light uint8 picture photographed under `light`, with a little sensor noise."""
    height, width = picture.shape
    y, x = np.mgrid[0:height, 0:width]
    lit = picture * light(y / height, x / width) + np.random.default_rng(2).normal(0, 2, picture.shape)
    return np.clip(lit, 0, 255).astype(np.uint8)
