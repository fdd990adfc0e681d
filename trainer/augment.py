"""Augmentation on whole batches, as the speed-run trainers do it: one affine_grid/grid_sample per batch.

Per-sample PIL transforms in a DataLoader cost more than the seed Net's own arithmetic; one batched call costs
about 0.3 ms for 128 images here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_batch(images: torch.Tensor, generator: torch.Generator, max_rotation: float = 10.0,
                  max_shift: float = 0.1, max_scale: float = 0.1, elastic: bool = False) -> torch.Tensor:
    """Per-image random rotation (degrees), shift (fraction of the width) and scale, and with `elastic` a
    smooth random bending, in one grid_sample.

    Works on [0, 1] images before normalization, so the zeros grid_sample pads with are true background.
    """
    n = images.shape[0]

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * limit

    angle = uniform(math.radians(max_rotation))
    scale = 1 + uniform(max_scale)
    shift_x, shift_y = uniform(2 * max_shift), uniform(2 * max_shift)  # affine_grid spans [-1, 1]: width 2
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin, shift_x], dim=1),
        torch.stack([sin, cos, shift_y], dim=1),
    ], dim=1)
    # Drawn on the CPU generator, so runs repeat exactly; moved to where the images live (a GPU, say).
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if elastic:
        grid = elastic_grid(grid, generator)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def thicken_or_thin(images: torch.Tensor, generator: torch.Generator, strength: float = 0.7) -> torch.Tensor:
    """Per image, strokes made thicker or thinner by a random amount: a blend towards the grey-level dilation
    (3x3 maximum) or erosion (3x3 minimum). Pens differ; MNIST's strokes are 1 to 4 pixels wide."""
    amount = (torch.rand(images.shape[0], 1, 1, 1, generator=generator) * 2 - 1).to(images) * strength
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    return torch.where(amount > 0, images + amount * (dilated - images), images - amount * (eroded - images))


def low_resolution(images: torch.Tensor, generator: torch.Generator, share: float,
                   digit_pixels: tuple[int, int] = (7, 14)) -> torch.Tensor:
    """A random `share` of the images as a low-resolution scan enlarged would come to the net: the digit's
    20-pixel box shrunk to 7-14 pixels (one size per batch, by averaging), enlarged back bicubically, its ink
    stretched to full again and faint ringing dropped, as digitpad's reading of a picture does.

    MNIST's digits were made from sharp scans: without this the net is unsure of every soft, blocky digit (a
    scan at 8 pixels enlarged: a quarter of those it read right were flagged "not sure").
    """
    n = images.shape[0]
    chosen = torch.rand(n, generator=generator) < share
    if not chosen.any():
        return images
    pixels = int(torch.randint(digit_pixels[0], digit_pixels[1] + 1, (1,), generator=generator))
    size = images.shape[-1]
    small = F.interpolate(images[chosen.to(images.device)], size=round(size * pixels / 20), mode="area")
    enlarged = F.interpolate(small, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
    enlarged = enlarged / enlarged.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    enlarged = torch.where(enlarged < 0.25, torch.zeros_like(enlarged), enlarged)
    degraded = images.clone()
    degraded[chosen.to(images.device)] = enlarged.to(images.dtype)
    return degraded


def elastic_grid(grid: torch.Tensor, generator: torch.Generator, strength: float = 0.06) -> torch.Tensor:
    """A sampling grid (N x H x W x 2, as affine_grid makes) bent by a smooth random displacement field: the
    elastic distortion of Simard et al., as one low-resolution noise field upsampled per batch."""
    n, height, width, _ = grid.shape
    noise = (torch.rand(n, 2, 4, 4, generator=generator) * 2 - 1).to(grid) * strength
    field = F.interpolate(noise, size=(height, width), mode="bicubic", align_corners=True)
    return grid + field.permute(0, 2, 3, 1)
