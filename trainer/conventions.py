"""The input convention of a model made elsewhere: the range its pixels are scaled to and which way its ink runs,
and the per-user record of the convention chosen for each model file (keyed by the file's SHA-256, so a renamed
or moved copy is still known and a changed file is asked about again).

Standard library only: the window, `digitpad predict` and trainer.foreign share it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .files import replaced_atomically
from .paths import data_folder

# The pixel ranges a model may expect, from a picture in [0, 1]: as is, MNIST-normalised (pytorch/examples and
# digitpad's own nets: (x - 0.1307) / 0.3081), or scaled to [-1, 1] ((x - 0.5) / 0.5, torchvision's Normalize(0.5,
# 0.5) and most GAN-era code).
RANGES = {"unit": "[0, 1]", "mnist": "MNIST-normalised, (x - 0.1307) / 0.3081", "symmetric": "[-1, 1]"}
# Which way the ink runs: MNIST's bright ink on a dark ground, or dark ink on a bright ground (paper as scanned).
INKS = {"bright": "bright ink on dark (as MNIST)", "dark": "dark ink on bright (as paper)"}


class ConventionError(ValueError):
    """A convention's name is not one of RANGES or INKS; the message lists the ones there are."""


@dataclass(frozen=True)
class Convention:
    input_range: str = "mnist"
    ink: str = "bright"

    def __post_init__(self):
        if not isinstance(self.input_range, str) or self.input_range not in RANGES:
            raise ConventionError(f"unknown input range {self.input_range!r}: one of {', '.join(RANGES)}")
        if not isinstance(self.ink, str) or self.ink not in INKS:
            raise ConventionError(f"unknown ink {self.ink!r}: one of {', '.join(INKS)}")

    def describe(self) -> str:
        return f"{RANGES[self.input_range]}, {INKS[self.ink]}"

    def flags(self) -> str:
        """What to pass to `digitpad predict` for it."""
        return f"--input-range {self.input_range} --ink {self.ink}"

    def as_dict(self) -> dict:
        return {"input_range": self.input_range, "ink": self.ink}


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def conventions_file() -> Path:
    """The record: $DIGITPAD_CONVENTIONS, else conventions.json in the per-user data folder (a person would have
    to answer again if it were lost)."""
    return Path(os.environ.get("DIGITPAD_CONVENTIONS") or data_folder() / "conventions.json")


def _records() -> dict:
    try:
        records = json.loads(conventions_file().read_text(encoding="utf-8"))
    except FileNotFoundError:  # none yet: nothing is remembered
        return {}
    except (OSError, ValueError):  # unreadable or damaged: nothing is remembered (it is asked again)
        return _set_aside()
    return records if isinstance(records, dict) else _set_aside()


def _set_aside() -> dict:
    """A record that cannot be read is moved to conventions.json.bad rather than written over by the next answer,
    so a person (or the next engineer) can still see what it held."""
    path = conventions_file()
    try:
        path.replace(path.with_name(path.name + ".bad"))
    except OSError:
        pass
    return {}


def remembered(sha256: str) -> Convention | None:
    """The convention chosen before for the file with this digest, or None."""
    entry = _records().get(sha256)
    try:
        return Convention(entry["input_range"], entry["ink"]) if isinstance(entry, dict) else None
    except (KeyError, ConventionError):
        return None


def remember(sha256: str, convention: Convention, name: str = "") -> None:
    """Keep the choice for next time; OSError when the folder cannot be written (the caller says so)."""
    records = _records()
    records[sha256] = {**convention.as_dict(), "file": name}
    path = conventions_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as temporary:
        temporary.write_text(json.dumps(records, indent=1, sort_keys=True), encoding="utf-8")
