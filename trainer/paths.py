"""Every per-user folder digitpad and the trainer write to, in one place, as platformdirs places them for the
system (on Linux following XDG_DATA_HOME and XDG_CACHE_HOME). Standard library and platformdirs only, so the pure
modules can use it.

- The data folder (on Linux ~/.local/share/digitpad) holds what a person would miss: trained models (`models/`)
  and their handwriting (`personal/`).
- The cache folder (on Linux ~/.cache/digitpad) holds what can be made or fetched again: MNIST as downloaded
  (`mnist/`), the pools training adds to it (`outliers-*.pt`, `digits-*.pt`) and the drawings "not sure" is
  calibrated on (`calibration-*.pt`), each named for the version of the code that made it, so a newer version
  makes its own instead of reading an older one's.

The environment variables that point elsewhere ($DIGITPAD_DATA, $DIGITPAD_PERSONAL) are read where each folder
is resolved (trainer.data, trainer.personal_set); these are the defaults they replace.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "digitpad"


def data_folder() -> Path:
    """The per-user data folder: what a person would miss if it were deleted."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_folder() -> Path:
    """The per-user cache folder: what can be made or downloaded again, deleted at will."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


def models_dir() -> Path:
    """Where trained models go by default, so they outlive any working directory."""
    return data_folder() / "models"


def default_personal_dir() -> Path:
    """The personal set's default folder, beside `models/`."""
    return data_folder() / "personal"


def default_data_dir() -> Path:
    """Where MNIST is downloaded when no folder is given."""
    return cache_folder() / "mnist"


def outlier_pool_file(version: int, size: int, seed: int) -> Path:
    """The cached non-digit pictures of outlier exposure (trainer.outliers)."""
    return cache_folder() / f"outliers-v{version}-{size}-{seed}.pt"


def digit_pool_file(version: int, seed: int) -> Path:
    """The cached typeset and drawn digits added to MNIST's (trainer.digit_pool)."""
    return cache_folder() / f"digits-v{version}-{seed}.pt"


def calibration_drawings_file(version: int, count: int, seed: int) -> Path:
    """The cached synthetic drawings "not sure" is calibrated on (trainer.calibration_drawings)."""
    return cache_folder() / f"calibration-v{version}-{count}-{seed}.pt"
