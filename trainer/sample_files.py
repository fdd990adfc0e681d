"""A personal sample's file: the picture saved for a sample, and reading a sample's file back as the net's 28x28
picture (or why it cannot be read). Pure numpy and Pillow. The set of samples itself is trainer.personal_set.

A sample saved from the pad's strokes is the 28x28 picture the live pad reads for that drawing (dark on light,
16-bit grey, marked `digitpad: net-input` in the PNG), read back exactly as it is. Any other picture (an opened
image saved as a sample, a scan dropped in, a sample saved by an older version: the ink as drawn, cropped with
a margin) goes through the same `preprocess` as an opened picture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .files import replaced_atomically
from .ink.images import ImageError, load_image
from .safe_names import printable

# The margin kept around the ink when a sample is saved, as a share of the ink's longer side (at least 4 px).
MARGIN = 0.12
# The PNG text chunk that marks a sample as the net's own 28x28 picture (see the module's docstring).
NET_INPUT_KEY, NET_INPUT_VALUE = "digitpad", "net-input"


def sample_picture(grey: np.ndarray) -> np.ndarray | None:
    """A picture of a digit as a sample is saved: dark ink on white, cropped to the ink with a margin, uint8.

    `grey` is any picture the pad reads (the canvas's light-on-dark rendering, an opened scan). None when it
    holds no ink. The pixels are the picture's own (inverted if it was light on dark), not MNIST's 28x28: the
    sample keeps the ink as drawn, and the net's view is made from it by `preprocess` when the set is read.
    """
    from .ink.preprocess import as_unit_floats, ink_layer  # see read_sample

    unit = as_unit_floats(grey)
    ink = ink_layer(unit)
    if ink is None:
        return None
    border = np.concatenate([unit[0], unit[-1], unit[:, 0], unit[:, -1]])
    dark_on_light = unit if float(np.median(border)) > 0.5 else 1 - unit
    paper = float(np.median(np.concatenate([dark_on_light[0], dark_on_light[-1],
                                            dark_on_light[:, 0], dark_on_light[:, -1]])))
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    margin = max(4, round(MARGIN * max(bottom - top, right - left)))
    height, width = unit.shape
    crop = dark_on_light[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin]
    # Where the margin reaches past the picture's edge, it is filled with the picture's own paper.
    pad = ((max(0, margin - top), max(0, bottom + margin - height)),
           (max(0, margin - left), max(0, right + margin - width)))
    crop = np.pad(crop, pad, constant_values=paper)
    return np.clip(crop * 255 + 0.5, 0, 255).astype(np.uint8)


def write_png_atomically(path: Path, pixels: np.ndarray, text: dict[str, str] | None = None) -> None:
    """A grey PNG at `path` (8-bit for uint8 pixels, 16-bit for uint16), complete or not at all: written to a
    temporary file, then renamed. `text` goes into the PNG's text chunks."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    with replaced_atomically(path) as temporary, open(temporary, "wb") as file:
        Image.fromarray(np.ascontiguousarray(pixels)).save(file, format="PNG", pnginfo=info)


def net_input_pixels(field: np.ndarray) -> np.ndarray:
    """The net's 28x28 picture (light ink on dark, [0, 1]) as a sample's pixels: dark on light, 16-bit, so
    that reading it back gives the picture to within 1e-5 (8 bits would round it to 1/255)."""
    return np.round((1 - np.clip(field, 0, 1)) * 65535).astype(np.uint16)


def read_net_input(path: Path) -> np.ndarray | None:
    """The 28x28 picture of a sample saved as the net's own input (see `net_input_pixels`), or None when the
    file is not one (any other picture, or not readable: the ordinary path reads it and says what is wrong)."""
    try:
        with Image.open(path) as image:
            if (image.format != "PNG" or image.size != (28, 28)
                    or image.info.get(NET_INPUT_KEY) != NET_INPUT_VALUE or image.mode not in ("I;16", "I")):
                return None
            pixels = np.asarray(image, dtype=np.float32)
    except Exception:
        return None
    return (1 - pixels / 65535).astype(np.float32)


def read_sample(path: Path, key: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """(the 28x28 image, "") or (None, why it could not be read)."""
    if key[1] == 0:
        return None, "an empty file (0 bytes)"
    # Imported here, not above: the ink pipeline brings scipy.ndimage (0.1-0.4 s), and every `trainer` command
    # imports this module (through the personal set's errors) while only fine-tuning reads samples.
    from .ink.preprocess import preprocess

    saved_from_the_pad = read_net_input(path)
    if saved_from_the_pad is not None:
        return saved_from_the_pad, ""
    try:
        image = preprocess(load_image(path))
    except ImageError as error:
        return None, reason_of(error, path)
    except (ValueError, OSError) as error:
        return None, f"could not be read ({error})"
    if image is None:
        return None, "holds no ink (a blank picture)"
    return image, ""


def reason_of(error: ImageError, path: Path) -> str:
    """The image reader's message without the file name it starts with (the warning names the file itself)."""
    text = str(error)
    name = printable(path)
    for prefix in (f"{name}: ", f"{name} "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text
