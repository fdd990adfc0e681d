"""The synthetic drawings "not sure" is calibrated on (trainer.reject): digits drawn as the pad draws them, the
same kind of digits scanned at 8-16 pixels and enlarged (read as a picture is), and non-digits of the
"calibration" family, made once and kept in the per-user cache, as the outlier pool is.

Drawing them takes 0.5 s of every run's end (1,200 drawings rendered and read as the pad reads them) and gives
the same pictures every time, so a run reads them from the cache. The calibrated threshold is a figure the
checkpoint records: it must come from the drawings the code of the day draws. So the cache names what made it,
the version below and a digest of the code that draws (trainer/ink, trainer/synth) and of the libraries it
draws with, and is made again when any of them changes: a stale cache would shift the threshold without a word.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from .paths import calibration_drawings_file
from .tensor_cache import cached

DRAWINGS_VERSION = 2
KINDS = ("digits", "others", "scanned")
DRAWING_CODE = ("ink", "synth")  # the folders of trainer/ whose code draws them


def _stacked(fields: list) -> torch.Tensor:
    return torch.from_numpy(np.stack([field for field in fields if field is not None])).unsqueeze(1)


def draw(count: int, seed: int) -> dict[str, torch.Tensor]:
    """`count` digits (0 to 9 in turn), `count` non-digits and `count` scanned digits (0 to 9 in turn), each
    N x 1 x 28 x 28 in [0, 1] (fewer where a drawing left no ink), from one random stream, in that order."""
    # Imported here, not above: the ink pipeline brings scipy.ndimage (0.1-0.4 s), which a run that finds the
    # drawings in the cache never needs.
    from .ink.redraw import strokes_field
    from .synth.digits import random_digit
    from .synth.nondigits import random_from

    rng = np.random.default_rng(seed)
    digits = _stacked([strokes_field(random_digit(i % 10, rng)) for i in range(count)])
    others = _stacked([strokes_field(random_from("calibration", rng)[1]) for _ in range(count)])
    scanned = _stacked([_scanned(i % 10, rng) for i in range(count)])
    return {"digits": digits, "others": others, "scanned": scanned}


def _scanned(digit: int, rng: np.random.Generator) -> np.ndarray | None:
    """A synthetic digit drawn with a pen of 4-10% of its height, scanned at 8-16 pixels, enlarged to 112 and read
    as a picture (preprocess): soft and blocky, as an old form's digits."""
    from .ink.preprocess import preprocess
    from .ink.render import render
    from .synth.digits import random_digit
    from .synth.pictures import low_resolution

    ink = render(random_digit(digit, rng), 96, float(rng.uniform(0.04, 0.1)))
    return preprocess(low_resolution(ink, int(rng.integers(8, 17)), 112))


def drawing_code_digest() -> str:
    """SHA-256 of the code that draws the calibration's pictures and of the versions of what it draws with."""
    import PIL
    import scipy

    digest = hashlib.sha256(f"{DRAWINGS_VERSION}|numpy {np.__version__}|scipy {scipy.__version__}|"
                            f"Pillow {PIL.__version__}|".encode())
    package = Path(__file__).parent
    for folder in DRAWING_CODE:
        for source in sorted((package / folder).glob("*.py")):
            digest.update(f"{folder}/{source.name}|".encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def calibration_drawings(count: int, seed: int, keep: bool = True) -> dict[str, torch.Tensor]:
    """What `draw(count, seed)` gives, from the per-user cache when it holds that (loaded safely: tensors
    only); drawn otherwise and, with `keep`, cached for the next run."""
    made_by = drawing_code_digest()

    def fits(held) -> bool:
        return (isinstance(held, dict) and held.get("made_by") == made_by
                and all(isinstance(held.get(kind), torch.Tensor) and held[kind].ndim == 4
                        and held[kind].shape[1:] == (1, 28, 28) and 0 < len(held[kind]) <= count
                        and bool(torch.isfinite(held[kind]).all()) for kind in KINDS))

    held = cached(calibration_drawings_file(DRAWINGS_VERSION, count, seed),
                  lambda: {**draw(count, seed), "made_by": made_by}, fits, keep)
    return {kind: held[kind] for kind in KINDS}
