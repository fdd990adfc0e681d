"""A model's nearest-examples index over MNIST's 60,000 training digits (trainer.neighbours): made once per model,
then kept in the per-user cache folder (neighbours/), so the next start, or `digitpad predict --neighbours`, only
reads it (a second or less, against ~10-20 s to make).

An index is named for what it was made from: the model's weights (their SHA-256, as checkpoints record it, so a
model file overwritten by a new training gets a new index, and two files of the same weights share one), the
layer, and MNIST's training file (its path, size and modification time). Only the KEEP indexes used last are kept
(each 96 MB on disk for the seed Net).

The training pictures themselves are not held in memory: the index reads a shown digit's 784 bytes from MNIST's
file when asked (index.picture), which saves 47 MB.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checkpoint import weights_digest
from .data import DataError, ensure_data, raw_folder, read_split
from .evaluation import Stopped
from .features import last_layer, layer_features
from .files import replaced_atomically
from .inspection import torch_threads
from .neighbours import TYPICAL_SAMPLE, NeighbourIndex, Typical, build_index
from .paths import cache_folder

STORE_VERSION = 1
KEEP = 4
FEATURE_BLOCK = 2048   # pictures per forward pass between progress reports and stop checks
IMAGE_HEADER = 16      # an IDX file of 3 dimensions: magic number and three sizes
PICTURE_BYTES = 28 * 28


@dataclass(frozen=True)
class Progress:
    """Sent while an index is made: `done` of `total` training digits have their features."""
    done: int
    total: int


class TrainingDigits(NeighbourIndex):
    """An index of MNIST's training digits that can also show them: `picture(i)` reads the `i`th from the file."""

    source: Path | None = None

    def picture(self, index: int) -> np.ndarray | None:
        """The `index`th training digit, 28x28 in [0, 1]; None when the file cannot be read any more."""
        if self.source is None or not 0 <= index < len(self):
            return None
        try:
            with open(self.source, "rb") as file:
                file.seek(IMAGE_HEADER + index * PICTURE_BYTES)
                data = file.read(PICTURE_BYTES)
        except OSError:
            return None
        if len(data) != PICTURE_BYTES:
            return None
        return np.frombuffer(data, np.uint8).reshape(28, 28).astype(np.float32) / 255


def images_file(root: Path) -> Path:
    return raw_folder(root) / "train-images-idx3-ubyte"


def index_path(model: nn.Module, layer: str, source: Path) -> Path:
    """Where the index of `model` at `layer` over the training pictures in `source` is kept."""
    stat = source.stat()
    what = f"{STORE_VERSION}|{weights_digest(model.state_dict())}|{layer}|{source.resolve()}|{stat.st_size}|" \
           f"{stat.st_mtime_ns}"
    name = hashlib.sha256(what.encode()).hexdigest()[:24]
    return cache_folder() / "neighbours" / f"neighbours-v{STORE_VERSION}-{name}.pt"


def is_cached(model: nn.Module, data_dir: str | os.PathLike | None = None, layer: str | None = None) -> bool:
    """Whether `training_digits` would read the index from the cache (False also when MNIST is missing)."""
    try:
        source = images_file(ensure_data(data_dir, download=False))
        return index_path(model, layer or last_layer(model), source).is_file()
    except (DataError, OSError):
        return False


def training_digits(model: nn.Module, data_dir: str | os.PathLike | None = None, layer: str | None = None,
                    report: Callable[[Progress], None] | None = None,
                    stop: threading.Event | None = None) -> TrainingDigits:
    """The index of MNIST's training digits (in `data_dir`, else $DIGITPAD_DATA, else the per-user folder; never
    downloaded) as `model` sees them at `layer` (its last block when None): from the cache, else made and cached.

    DataError when MNIST is not there; Stopped once `stop` is set. Run it on a copy of a model that another
    thread reads with: the features are taken with a hook on the model, which would catch that thread's passes."""
    layer = layer or last_layer(model)
    root = ensure_data(data_dir, download=False)
    source = images_file(root)
    path = index_path(model, layer, source)
    # One thread: with the cores busy (a training run, the window), two threads of OpenMP took ten times as long
    # as one, waiting on each other (features of 6,000 digits: 33 s against 2.9 s).
    with torch_threads(1):
        index = _load(path, layer)
        if index is None:
            index = _make(model, root, layer, report, stop)
            _save(index, path)
    index.source = source
    return index


def _make(model: nn.Module, root: Path, layer: str, report, stop) -> TrainingDigits:
    train = read_split(root, train=True)
    if len(train) < 2:
        raise DataError(f"{raw_folder(root)} holds {len(train)} training digit(s); the nearest examples need at "
                        f"least 2.")
    total = len(train)
    features = None
    for start in range(0, total, FEATURE_BLOCK):
        if stop is not None and stop.is_set():
            raise Stopped
        block = layer_features(model, train.images[start:start + FEATURE_BLOCK], layer).to(torch.float16)
        if features is None:  # float16 from the start: no float32 copy of all 60,000 is ever made
            features = torch.empty(total, block.shape[1], dtype=torch.float16)
        features[start:start + len(block)] = block
        if report is not None:
            report(Progress(start + len(block), total))
    return build_index(features, train.labels, layer, stop, TYPICAL_SAMPLE, kind=TrainingDigits)


def _save(index: TrainingDigits, path: Path) -> None:
    typical = index.typical
    stored = {"version": STORE_VERSION, "layer": index.layer, "features": index.features, "labels": index.labels,
              "mean": index.mean, "basis": index.basis,
              "typical": [typical.median, typical.high, float(typical.sample)],
              "typical_per_label": torch.tensor([math.nan if m is None else m for m in typical.per_label])}
    try:
        with replaced_atomically(path) as temporary:
            torch.save(stored, temporary)
    except OSError:  # a read-only cache costs only the time to make the index again next time
        return
    _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the KEEP indexes used last (loading one touches it)."""
    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0
    stored = sorted(folder.glob("neighbours-v*.pt"), key=used, reverse=True)
    for old in stored[KEEP:]:
        try:
            old.unlink(missing_ok=True)
        except OSError:  # in use by another process (Windows), or not ours to remove: kept, no harm
            pass


def _finite(features: torch.Tensor, block: int = 1024) -> bool:
    """No infinity or NaN, checked in blocks: one check of all 60,000 rows makes a 48 MB temporary, which the
    allocator then keeps."""
    return all(bool(torch.isfinite(features[start:start + block]).all()) for start in range(0, len(features), block))


def _load(path: Path, layer: str) -> TrainingDigits | None:
    """The index stored at `path`; None when absent, damaged or from another version (then it is made again)."""
    try:
        stored = torch.load(path, weights_only=True)
        features, labels, mean, basis = stored["features"], stored["labels"], stored["mean"], stored["basis"]
        median, high, sample = stored["typical"]
        per_label = tuple(None if math.isnan(m) else m for m in stored["typical_per_label"].tolist())
        good = (stored["version"] == STORE_VERSION and stored["layer"] == layer and features.ndim == 2
                and features.dtype == torch.float16 and len(labels) == len(features) >= 2
                and mean.shape == (features.shape[1],) and basis.shape[0] == features.shape[1]
                and len(per_label) == 10 and _finite(features))
    except Exception:  # noqa: BLE001 - absent, unreadable, of another shape: made afresh
        return None
    if not good:
        return None
    try:
        os.utime(path)  # used now: kept by _prune before older ones
    except OSError:
        pass
    return TrainingDigits(features, labels, layer, mean, basis, Typical(median, high, per_label, int(sample)))
