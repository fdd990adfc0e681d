"""digitpad: draw a digit and watch a small convolutional net read it."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

BUILTIN_CHECKPOINT = "seed.pt"


def asset_path(name: str) -> Path:
    """Path of a file shipped in assets/. Assets install as plain files, never zipped, so the path stays valid."""
    with as_file(files("digitpad.assets") / name) as path:
        return Path(path)


def builtin_checkpoint_path() -> Path:
    return asset_path(BUILTIN_CHECKPOINT)
