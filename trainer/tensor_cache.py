"""Tensors made once and kept in the per-user cache folder (trainer.paths): outlier exposure's non-digits, the
calibration's drawings. Loaded safely (`weights_only`: tensors and plain containers, no code), checked by the
caller's `fits`, and made afresh when absent, from another version, damaged or not what `fits` expects.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from .files import replaced_atomically

T = TypeVar("T")


def cached(path: Path, make: Callable[[], T], fits: Callable[[object], bool], keep: bool = True) -> T:
    """What `path` holds when `fits` accepts it; otherwise `make()`, written to `path` (atomically) with `keep`.
    A cache that cannot be written (read-only) only costs making it again next time."""
    try:
        held = torch.load(path, weights_only=True)
        if fits(held):
            return held
    except Exception:  # absent, from another version, damaged: made afresh
        pass
    made = make()
    if keep:
        try:
            with replaced_atomically(path) as temporary:
                torch.save(made, temporary)
        except OSError:
            pass
    return made
