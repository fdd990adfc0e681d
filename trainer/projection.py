"""Maps of what a net learnt: a set's features at one layer (trainer.features) projected to two dimensions.

Two maps, as the Evaluate tab's points map shows them:

- PCA: the two directions along which the digits' features vary most. Fitted once per layer (`fit_space`), it is
  kept as its mean and 50 components, so any new picture (the drawing on the pad) goes through exactly the same
  linear map (`LayerSpace.reduce`), in numpy, in well under a millisecond.
- t-SNE (`fit_tsne`): neighbours stay neighbours, so the classes show as islands. t-SNE has no transform for new
  points, and fitting 10,000 digits takes minutes on two cores (165 s measured), so it is fitted on a fixed,
  seeded sample (TSNE_SAMPLE) in the 50-dimension PCA space; every other digit, and the drawing, is placed by an
  out-of-sample step (`place`): the distance-weighted mean of the t-SNE positions of its NEIGHBOURS nearest
  fitted digits in that same space. The view says so.

scikit-learn is imported inside the functions that use it, so that `import trainer` stays fast. The app runs both
fits in a child process (`run_stoppable`): scikit-learn's fit cannot be stopped, and a stopped map (a new model,
the window closing) must end at once, not half a minute later.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .evaluation import Stopped
from .features import layer_features

PCA_DIMENSIONS = 50    # t-SNE's input, and the space the out-of-sample step measures distances in
FIT_BYTES = 100 << 20  # the most feature memory a PCA fit holds at once; wider layers are fitted on a sample
MIN_FIT = 1000         # ...of at least this many digits
CHUNK = 1000           # digits per pass when features are projected chunk by chunk
TSNE_SAMPLE = 2500     # t-SNE of 2,500 digits: 24 s here on two shared cores; 10,000: 165 s
NEIGHBOURS = 10        # fitted digits the out-of-sample step averages
PERPLEXITY = 30.0      # scikit-learn's default, lowered for sets too small for it
SAME = 1e-3            # closer than this in PCA space: the same picture (digits differ by whole units)
POLL_SECONDS = 0.05    # how often the wait for a child process checks its stop


@dataclass
class LayerSpace:
    """One layer's fitted PCA and where every digit of the set lies in it."""

    layer: str
    dims: int                 # numbers per digit at this layer
    mean: np.ndarray          # dims
    components: np.ndarray    # k x dims, the first two the PCA map's axes
    variance: np.ndarray      # k, the share of the variance along each component
    coords: np.ndarray        # N x k float32: every digit of the set in PCA space
    fitted_on: int            # digits the PCA was fitted on (all, or a seeded sample for a wide layer)
    seconds: float            # features, fit and projection of the whole set

    def reduce(self, features: np.ndarray) -> np.ndarray:
        """M x dims features -> M x k coordinates: exactly the PCA every digit of the set went through."""
        return ((np.asarray(features, np.float32) - self.mean) @ self.components.T).astype(np.float32)

    @property
    def positions(self) -> np.ndarray:
        """N x 2: the PCA map."""
        return self.coords[:, :2]


@dataclass
class TsneMap:
    """A t-SNE map of a layer space: every digit's position, and which ones t-SNE itself placed."""

    positions: np.ndarray  # N x 2 float32
    fitted: np.ndarray     # N bools: True where t-SNE placed the digit, False where the out-of-sample step did
    seconds: float

    @property
    def fitted_count(self) -> int:
        return int(self.fitted.sum())

    def place(self, coords: np.ndarray, space: LayerSpace) -> np.ndarray:
        """M x k coordinates of `space` -> M x 2 positions by the out-of-sample step (the drawing's point)."""
        fitted = np.flatnonzero(self.fitted)
        return place(coords, space.coords[fitted], self.positions[fitted])


def fit_space(model: nn.Module, images: torch.Tensor, layer: str, stop: threading.Event | None = None,
              budget: int = FIT_BYTES, seed: int = 0) -> LayerSpace:
    """Fit the PCA of `images`' features at `layer` (N x 1 x 28 x 28 in [0, 1]) and project all of them.

    A layer whose features for the whole set would pass `budget` bytes (the first blocks: 10,816 to 15,488
    numbers per digit) is fitted on a seeded sample of the set, then projected chunk by chunk, so that the set's
    features are never all in memory. Raises Stopped between chunks once `stop` is set."""
    from sklearn.decomposition import PCA

    started = time.perf_counter()
    count = len(images)
    dims = layer_features(model, images[:1], layer).shape[1]
    fit_count = min(count, max(MIN_FIT, budget // (4 * dims)))
    sample = np.arange(count) if fit_count == count else np.sort(
        np.random.default_rng(seed).choice(count, fit_count, replace=False))
    features = layer_features(model, images[torch.from_numpy(sample)], layer, stop=stop).numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # identical pictures have no variance: 0/0, said as 0
        pca = PCA(n_components=min(PCA_DIMENSIONS, *features.shape), random_state=seed).fit(features)
    # a set of one picture has a single component: a second, flat one keeps every map two-dimensional
    missing = max(0, 2 - len(pca.components_))
    space = LayerSpace(layer, dims, pca.mean_.astype(np.float32),
                       np.vstack([pca.components_, np.zeros((missing, dims))]).astype(np.float32),
                       np.concatenate([np.nan_to_num(pca.explained_variance_ratio_), np.zeros(missing)]).astype(
                           np.float32), np.empty(0), fit_count, 0.0)
    if fit_count == count:
        space.coords = space.reduce(features)
    else:
        del features
        space.coords = np.concatenate([space.reduce(layer_features(model, images[start:start + CHUNK], layer,
                                                                   stop=stop).numpy())
                                       for start in range(0, count, CHUNK)])
    space.seconds = time.perf_counter() - started
    return space


def place(coords: np.ndarray, fitted_coords: np.ndarray, fitted_positions: np.ndarray,
          neighbours: int = NEIGHBOURS) -> np.ndarray:
    """The out-of-sample step: each row of `coords` at the mean of the positions of its `neighbours` nearest
    `fitted_coords`, weighted by 1 / distance; a point that is one of them lands exactly on it."""
    # float64: the expanded squared distance cancels, and a digit must find itself at distance ~0
    coords, fitted_coords = np.asarray(coords, np.float64), np.asarray(fitted_coords, np.float64)
    k = min(neighbours, len(fitted_coords))
    placed = np.empty((len(coords), 2), np.float32)
    squared = (fitted_coords ** 2).sum(1)
    for start in range(0, len(coords), CHUNK):  # a chunk's distances to 2,500 fitted digits: 20 MB
        block = coords[start:start + CHUNK]
        distances = np.sqrt(np.maximum((block ** 2).sum(1)[:, None] - 2 * block @ fitted_coords.T + squared, 0))
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(distances, nearest, 1)
        exact = near <= SAME  # on a fitted digit (the same picture): there, not near it
        weights = np.where(exact.any(1, keepdims=True), exact, 1 / np.maximum(near, 1e-6))
        weights /= weights.sum(1, keepdims=True)
        placed[start:start + CHUNK] = (weights[:, :, None] * fitted_positions[nearest]).sum(1)
    return placed


def fit_tsne(space: LayerSpace, sample_size: int | None = None, seed: int = 0) -> TsneMap:
    """t-SNE of the space's PCA coordinates: of all digits when there are at most `sample_size` (TSNE_SAMPLE when
    None), else of a seeded sample of that many, the others placed by the out-of-sample step. ValueError for a set too small for
    t-SNE (under 4 digits). It cannot be stopped: the app runs it in a child process (run_stoppable)."""
    started = time.perf_counter()
    count, sample_size = len(space.coords), sample_size or TSNE_SAMPLE
    if count < 4:
        raise ValueError(f"t-SNE needs at least 4 digits; this set has {count}")
    fitted = np.zeros(count, bool)
    fitted[np.arange(count) if count <= sample_size else
           np.random.default_rng(seed).choice(count, sample_size, replace=False)] = True
    coords = np.ascontiguousarray(space.coords[fitted])
    sample_positions = tsne_positions(coords, seed)
    positions = np.empty((count, 2), np.float32)
    positions[fitted] = sample_positions
    if not fitted.all():
        positions[~fitted] = place(space.coords[~fitted], coords, sample_positions)
    return TsneMap(positions, fitted, time.perf_counter() - started)


def tsne_positions(coords: np.ndarray, seed: int) -> np.ndarray:
    """scikit-learn's t-SNE of `coords` (in the child process): N x 2 float32."""
    from sklearn.manifold import TSNE

    perplexity = min(PERPLEXITY, (len(coords) - 1) / 3)
    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed, n_jobs=-1)
    return tsne.fit_transform(coords).astype(np.float32)


CHILD = """
import pickle, sys
function, arguments = pickle.load(open(sys.argv[1], "rb"))
try:
    outcome = (True, function(*arguments))
except Exception as error:  # raised again in the parent, as it is
    outcome = (False, error)
pickle.dump(outcome, open(sys.argv[2], "wb"))
"""


def run_stoppable(function, arguments: tuple, stop: threading.Event | None = None):
    """`function(*arguments)` in a child Python process: its result, or the exception it raised, or Stopped (the
    child ended at once) when `stop` is set first. `function` must be importable by name (a module-level function)
    and the arguments picklable.

    A plain subprocess rather than multiprocessing's spawn, which runs the parent's main script again in the
    child: a script without a `__main__` guard (a benchmark, a notebook's kernel) would start itself over."""
    with tempfile.TemporaryDirectory(prefix="digitpad-child-") as folder:
        given, result = Path(folder) / "given.pickle", Path(folder) / "result.pickle"
        with open(given, "wb") as file:
            pickle.dump((function, arguments), file)
        # The child finds this very trainer package, also when the parent found it by a path of its own.
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parents[1])] + [p for p in [environment.get("PYTHONPATH")] if p])
        with open(Path(folder) / "errors.txt", "w+b") as errors:
            process = subprocess.Popen([sys.executable, "-c", CHILD, str(given), str(result)], env=environment,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
            try:
                while process.poll() is None:
                    if stop is not None and stop.is_set():
                        raise Stopped
                    time.sleep(POLL_SECONDS)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
            if process.returncode != 0 or not result.exists():
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip().splitlines()
                raise RuntimeError(said[-1] if said else f"the child process ended with code {process.returncode}")
        with open(result, "rb") as file:
            succeeded, outcome = pickle.load(file)
    if not succeeded:
        raise outcome
    return outcome
