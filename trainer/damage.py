"""Damage done to digits step by step, for the robustness curves (trainer.robustness): noise, rotation, shift,
thicker and thinner strokes, blur and low resolution.

Each kind damages a whole batch at once as tensor operations (N x 1 x 28 x 28 in [0, 1], the net's input), so
that 10,000 test images take milliseconds a level rather than a Python loop's seconds. What is random (the noise,
the way each digit turns or moves) is drawn from a generator the caller seeds, so a run gives the same damaged
images every time, and two models compared are shown exactly the same ones. Level 0 is always no damage at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

SIDE = 28


@dataclass(frozen=True)
class Damage:
    key: str                # "noise": the JSON name
    title: str              # "Noise": what the chart is called
    axis: str               # what the level measures, for the chart's axis: short, for a chart a quarter wide
    levels: tuple[float, ...]
    apply: Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]
    unit: str = ""          # written after a level: "°", " px"
    reverse: bool = False   # the level falls as the damage grows (resolution): the axis runs backwards

    def label(self, level: float) -> str:
        return f"{level:g}{self.unit}"

    def __call__(self, images: torch.Tensor, level: float, generator: torch.Generator) -> torch.Tensor:
        """The images damaged to `level`; level 0 (resolution: full) gives them back untouched."""
        return images if level == self.levels[0] else self.apply(images, level, generator)


def _noise(images: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return (images + sigma * noise).clamp_(0, 1)


def _moved(images: torch.Tensor, angles: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Each image turned by its angle (radians) about the centre and moved by its (dx, dy) in pixels."""
    cos, sin = angles.cos(), angles.sin()
    # affine_grid maps each output pixel to where it is read from: the inverse of the motion.
    theta = torch.stack([torch.stack([cos, sin, -shifts[:, 0] * 2 / SIDE], 1),
                         torch.stack([-sin, cos, -shifts[:, 1] * 2 / SIDE], 1)], 1).to(images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _rotation(images: torch.Tensor, degrees: float, generator: torch.Generator) -> torch.Tensor:
    # Half the digits turn one way, half the other: a net may lean one way more than the other.
    signs = torch.randint(0, 2, (len(images),), generator=generator) * 2 - 1
    return _moved(images, signs * math.radians(degrees), torch.zeros(len(images), 2))


def _shift(images: torch.Tensor, pixels: float, generator: torch.Generator) -> torch.Tensor:
    directions = torch.rand(len(images), generator=generator) * 2 * math.pi
    shifts = pixels * torch.stack([directions.cos(), directions.sin()], 1)
    return _moved(images, torch.zeros(len(images)), shifts)


def _grown(images: torch.Tensor, step: int) -> torch.Tensor:
    """One pixel more on each side: a 3 x 3 maximum, a square and a cross in turn so that a few steps together
    grow strokes about as a round pen would (an octagon) rather than as a square one."""
    square = F.max_pool2d(images, 3, stride=1, padding=1)
    if step % 2:
        return square
    across = F.max_pool2d(images, (1, 3), stride=1, padding=(0, 1))
    return torch.maximum(across, F.max_pool2d(images, (3, 1), stride=1, padding=(1, 0)))


def _morphology(images: torch.Tensor, pixels: float, thicker: bool) -> torch.Tensor:
    """Strokes grown (a maximum around each pixel) or shrunk (a minimum) by `pixels` on each side: whole pixels
    step by step, and a part of a pixel as that share of the way to the next step."""
    whole, part = int(pixels), pixels - int(pixels)
    sign = 1 if thicker else -1  # a minimum is the maximum of the negated picture
    current = sign * images
    for step in range(1, whole + 1):
        current = _grown(current, step)
    if part:
        current = torch.lerp(current, _grown(current, whole + 1), part)
    return sign * current


def _thicker(images: torch.Tensor, pixels: float, _generator: torch.Generator) -> torch.Tensor:
    return _morphology(images, pixels, thicker=True)


def _thinner(images: torch.Tensor, pixels: float, _generator: torch.Generator) -> torch.Tensor:
    return _morphology(images, pixels, thicker=False)


def _blur(images: torch.Tensor, sigma: float, _generator: torch.Generator) -> torch.Tensor:
    """A Gaussian blur as two products with a 28 x 28 matrix (rows, then columns): a batched matrix product is
    far faster on a CPU than a one-channel convolution, and the same thing, black beyond the border."""
    offsets = torch.arange(SIDE, dtype=images.dtype)
    weights = torch.exp(-(offsets[:, None] - offsets[None, :]) ** 2 / (2 * sigma ** 2))
    weights = weights / weights.sum(dim=1, keepdim=True).max()  # the ink a full row holds is kept
    weights[weights < 1e-6] = 0  # denormal floats far off the centre add nothing and slow the product
    return (weights @ images @ weights.T).clamp_(0, 1)


def _low_resolution(images: torch.Tensor, pixels: float, _generator: torch.Generator) -> torch.Tensor:
    """Shrunk to pixels x pixels (each averaging the area it covers), then blown back up to 28 x 28 as blocks."""
    small = F.interpolate(images, size=(int(pixels), int(pixels)), mode="area")
    return F.interpolate(small, size=(SIDE, SIDE), mode="nearest")


DAMAGES: tuple[Damage, ...] = (
    Damage("noise", "Noise", "noise (std)", (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6), _noise),
    Damage("rotation", "Rotation", "turned (degrees)", (0, 15, 30, 45, 60, 75, 90), _rotation, "°"),
    Damage("shift", "Shift", "moved (pixels)", (0, 1, 2, 3, 4, 5, 6), _shift, " px"),
    Damage("thicker", "Thicker strokes", "grown (px a side)", (0, 0.5, 1, 1.5, 2, 2.5, 3),
           _thicker, " px"),
    Damage("thinner", "Thinner strokes", "shrunk (px a side)", (0, 0.25, 0.5, 0.75, 1, 1.25, 1.5),
           _thinner, " px"),
    Damage("blur", "Blur", "blur sigma (pixels)", (0, 0.5, 1, 1.5, 2, 2.5, 3), _blur, " px"),
    Damage("resolution", "Low resolution", "pixels across", (28, 20, 16, 12, 10, 8, 6),
           _low_resolution, " px", reverse=True),
)
DAMAGE_KEYS = tuple(damage.key for damage in DAMAGES)
