"""Reading picture files into grey levels: any format Pillow knows, upright, transparency resolved. Pure Pillow."""

from __future__ import annotations

import math
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..safe_names import printable


class ImageError(Exception):
    """An image file that could not be read; the message names the file and says why."""


# Pictures are decoded at most this large (a digit needs a few hundred pixels across); bigger ones are decoded
# reduced (JPEG's draft mode decodes at 1/2, 1/4 or 1/8 scale directly) or reduced right after decoding.
WORKING_PIXELS = 4_000_000
# Pictures that would decode to more than this are refused: a 168 KB PNG can decode to 12000x12000, and
# decoding and reducing take about twice the decoded size in memory.
MAX_DECODED_BYTES = 128 * 2**20
_BYTES_PER_BAND = {"I": 4, "F": 4, "I;16": 2, "I;16B": 2, "I;16L": 2}


def load_image(path: str | os.PathLike) -> np.ndarray:
    """A picture file as a 2-D float32 array of grey levels in [0, 1] (H x W), upright as the camera meant it."""
    name = printable(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file.") from None
    except OSError as error:
        raise ImageError(f"{name}: could not be read ({error.strerror or error}).") from None
    if stat.S_ISDIR(mode):
        raise ImageError(f"{name} is a folder, not an image file.")
    if not stat.S_ISREG(mode):  # a FIFO or a device would block the read forever, or never end
        raise ImageError(f"{name} is not a regular file (a pipe or a device?); give an image file.")
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning; the size check below says it better
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > WORKING_PIXELS:
                    image.draft(image.mode, _reduced(width, height))  # JPEG only; a no-op elsewhere
                decoded = image.size[0] * image.size[1] * len(image.getbands()) * _BYTES_PER_BAND.get(image.mode, 1)
                if decoded > MAX_DECODED_BYTES:
                    raise ImageError(f"{name} is too large to read: {width}x{height} pixels "
                                     f"({width * height / 1e6:.0f} megapixels, {decoded / 2**20:.0f} MB decoded; "
                                     f"the limit is {MAX_DECODED_BYTES // 2**20} MB). Scale it down first.")
                image.load()
                image = _reduce(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image, or in a format that cannot be read.") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"{name}: could not be read ({error}).") from None
    return to_grayscale(ImageOps.exif_transpose(image))


def _reduced(width: int, height: int) -> tuple[int, int]:
    factor = math.sqrt(width * height / WORKING_PIXELS)
    return max(1, int(width / factor)), max(1, int(height / factor))


def _reduce(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width * height <= WORKING_PIXELS:
        return image
    factor = math.ceil(math.sqrt(width * height / WORKING_PIXELS))
    if image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return image.reduce(factor)


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1]; transparent parts become the background the visible ink stands out from."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255
        # Ink drawn on a transparent sheet: dark ink gets white paper behind it, light ink a black one.
        visible = alpha.sum()
        ink_is_dark = visible == 0 or (grey * alpha).sum() / visible < 0.5
        background = 1.0 if ink_is_dark else 0.0
        return grey * alpha + background * (1 - alpha)
    if image.mode in ("I", "I;16", "F"):  # 16-bit and float scans: scale their own range to [0, 1]
        values = np.asarray(image.convert("F"), dtype=np.float32)
        finite = values[np.isfinite(values)]
        values = np.nan_to_num(values, nan=0.0, posinf=float(finite.max(initial=0)), neginf=float(finite.min(initial=0)))
        low, high = float(values.min()), float(values.max())
        return (values - low) / (high - low) if high > low else np.zeros_like(values)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255
