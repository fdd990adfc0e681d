"""Pictures of ink as cameras, scanners and paper make them: uneven light, sensor noise, JPEG, blur, scanner
specks, ruled and squared paper, coloured ballpoint on tinted paper, low-resolution scans enlarged.

Every function takes ink as bright (up to 1) on black, float in [0, 1], and returns the picture a person would
open: grey levels in [0, 1], dark ink on light paper unless said otherwise; `coloured` returns RGB. The photo
bench (bench/photo_lighting.py) and the picture battery (bench/battery.py) share them, so a light is defined in
one place. Pure numpy and Pillow: nothing here reads digits.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

# The share of full light at (y, x), both 0-1 across the picture; `rng` varies a light from one picture to the
# next. These are the photo bench's lights.
LIGHTS = {
    "even": lambda rng, y, x: 0.9 + 0 * x,
    "lamp to one side": lambda rng, y, x: 0.95 - rng.uniform(0.2, 0.45) * (x if rng.random() < 0.5 else y),
    "soft shadow": lambda rng, y, x: 0.92 - 0.35 * np.clip((x + y - rng.uniform(0.8, 1.2)) * 2, 0, 1),
    "hard-edged shadow": lambda rng, y, x: 0.92 - 0.4 * np.clip((x + y - rng.uniform(0.8, 1.2)) * 8, 0, 1),
    "soft vignette": lambda rng, y, x: 0.95 - 0.5 * ((x - 0.5) ** 2 + (y - 0.5) ** 2),
    "strong vignette": lambda rng, y, x: 0.95 - 1.0 * ((x - 0.5) ** 2 + (y - 0.5) ** 2),
}
# A smooth grey gradient across the whole sheet, from near white to mid grey (a page tilted away from the light),
# in any direction.


def gradient(rng: np.random.Generator, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    angle = rng.uniform(0, 2 * np.pi)
    along = (np.cos(angle) * (x - 0.5) + np.sin(angle) * (y - 0.5)) / 0.71 + 0.5  # 0-1 corner to corner
    return 0.95 - rng.uniform(0.3, 0.5) * along


def light_grid(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(y, x), each 0-1 across a picture of `size` (height, width), for the lights above."""
    height, width = size
    y, x = np.mgrid[0:height, 0:width]
    return y / height, x / width


def jpeg(picture: np.ndarray, quality: int) -> np.ndarray:
    """A grey picture in [0, 1] saved as JPEG at `quality` and read back."""
    buffer = io.BytesIO()
    Image.fromarray(to_bytes(picture)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("L"), dtype=np.float32) / 255


def photograph(ink: np.ndarray, paper: np.ndarray, rng: np.random.Generator, quality: int = 75) -> np.ndarray:
    """Ink on paper lit by `paper` (the light at each pixel), with sensor noise, saved as a phone saves it."""
    picture = paper * (1 - 0.85 * ink) + rng.normal(0, 0.015, ink.shape)
    return jpeg(np.clip(picture, 0, 1), quality)


def on_paper(ink: np.ndarray, paper: float = 0.92, pen: float = 0.1) -> np.ndarray:
    """Dark ink (`pen` its grey level) on plain paper."""
    return paper + (pen - paper) * ink


def blur(picture: np.ndarray, radius: float) -> np.ndarray:
    """Out of focus: a Gaussian blur of `radius` pixels."""
    return gaussian_filter(picture.astype(np.float32), radius / 2)  # Pillow's radius is about two sigmas


def salt_and_pepper(picture: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """A scanner's specks: `share` of the pixels turned black or white, single pixels, scattered."""
    noisy = picture.copy()
    hit = rng.random(picture.shape) < share
    noisy[hit] = rng.random(int(hit.sum())) < 0.5
    return noisy


def ruled(size: tuple[int, int], rng: np.random.Generator, squared: bool) -> np.ndarray:
    """Paper with faint blue-grey lines (squared: both ways), at a spacing a digit spans two or three of."""
    height, width = size
    spacing = int(rng.integers(height // 9, height // 6))
    offset = int(rng.integers(spacing))
    level = float(rng.uniform(0.72, 0.82))  # the lines' grey: far lighter than ink
    paper = np.full(size, 0.94, np.float32)
    paper[offset::spacing, :] = level
    if squared:
        paper[:, offset::spacing] = level
    return paper


def coloured(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blue or red ballpoint on yellow or grey paper: an RGB picture in [0, 1], to be read in colour."""
    papers = {"yellow": (0.98, 0.93, 0.62), "grey": (0.78, 0.78, 0.76)}
    pens = {"blue": (0.12, 0.2, 0.62), "red": (0.75, 0.12, 0.12)}
    paper = np.asarray(papers[rng.choice(list(papers))], np.float32)
    pen = np.asarray(pens[rng.choice(list(pens))], np.float32)
    pressure = rng.uniform(0.7, 1.0)  # a ballpoint's line is seldom fully inked
    rgb = paper + (pen - paper) * (pressure * ink)[..., None]
    return np.clip(rgb + rng.normal(0, 0.01, rgb.shape), 0, 1)


def low_resolution(ink: np.ndarray, pixels: int, size: int = 280) -> np.ndarray:
    """A digit scanned at `pixels` x `pixels` (its ink filling the frame, as a low-resolution scan's digits do)
    and enlarged bicubically to `size` x `size`: dark on light."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].astype(np.float32)
    height, width = crop.shape
    scale = pixels / max(height, width)  # the longer side fills the frame, the aspect kept
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    reduced = np.asarray(Image.fromarray(crop).resize(shape, Image.Resampling.BOX), dtype=np.float32)
    frame = np.zeros((pixels, pixels), np.float32)
    top, left = (pixels - shape[1]) // 2, (pixels - shape[0]) // 2
    frame[top:top + shape[1], left:left + shape[0]] = reduced
    small = Image.fromarray(frame)
    large = np.asarray(small.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)
    return 1 - np.clip(large, 0, 1)


def to_bytes(picture: np.ndarray) -> np.ndarray:
    """[0, 1] to uint8, as a picture file holds it (truncated, as the photo bench always has)."""
    return (np.clip(picture, 0, 1) * 255).astype(np.uint8)
