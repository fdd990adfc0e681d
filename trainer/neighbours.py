"""The training digits nearest a picture, as the net sees them: Euclidean distance between the features at one
layer (trainer.features; the last block by default), looked up among all of MNIST's training digits.

How a lookup stays under ~5 ms on one core. The 60,000 x 800 features of the seed Net take 192 MB as float32 and a
distance to each of them a pass over all 192 MB (25 ms measured, one thread, on this project's 2-core Xeon). So:

- The features are kept as float16 (96 MB): their rounding moves a distance by about a thousandth of itself.
- A first pass ranks every training digit in the features' first PROJECTED principal components (128 of 800,
  float32, 31 MB: one matrix product), and only the best CANDIDATES (256) are measured exactly, in all 800
  numbers. The distances shown are those exact ones. For 300 MNIST test digits, 99.8% of the 8 nearest so found
  were among the exact 8 nearest (a miss: an 8th nearest swapped for the 9th or 10th, at almost the same
  distance); the lookup took 2.9 ms of CPU (p50; 64 components: 2.0 ms, 99.4%; 256 candidates of 48: 1.6 ms,
  99.1%), the picture's features 0.7 ms more.

`typical` says how close training digits usually are to each other: the distance from each of TYPICAL_SAMPLE
training digits to its nearest other training digit (its median and 95th percentile, also per label). A drawing
whose nearest training digit is much farther than that is unlike anything the net was trained on.

Pure PyTorch, no Qt: trainer.neighbour_cache builds an index from MNIST (in the app's worker thread) and keeps it
in the per-user cache; the lookups run on the GUI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .evaluation import Stopped
from .features import layer_features
from .inspection import torch_threads

PROJECTED = 128
CANDIDATES = 256
TYPICAL_SAMPLE = 1000
TYPICAL_SEED = 20261203
BLOCK = 32          # queries ranked at once: 32 x 60,000 scores and 32 x 256 x 800 candidates, ~30 MB
HIGH_QUANTILE = 0.95
PROJECT_BLOCK = 1024


@dataclass(frozen=True)
class Neighbour:
    index: int        # in MNIST's training set, 0-based, in the file's order
    label: int
    distance: float   # Euclidean, between the features


@dataclass(frozen=True)
class Typical:
    """How far training digits are from their own nearest other training digit."""
    median: float
    high: float                              # the 95th percentile: 95 in 100 are at most this far
    per_label: tuple[float | None, ...]      # the median for each digit 0-9; None where the sample had none
    sample: int                              # how many training digits were measured


class NeighbourIndex:
    """Features of a set of labelled pictures at one layer of one model, ready for nearest-K lookups."""

    def __init__(self, features: torch.Tensor, labels: torch.Tensor, layer: str, mean: torch.Tensor,
                 basis: torch.Tensor, typical: Typical | None = None):
        """`features`: N x D (kept as float16); `labels`: N digits; `mean` (D) and `basis` (D x P): the
        principal components of the first pass (see principal_components)."""
        self.features = features.to(torch.float16).contiguous()
        self.labels = labels.to(torch.uint8)
        self.layer = layer
        self.mean, self.basis = mean.float(), basis.float().contiguous()
        self.projected = torch.empty(len(features), self.basis.shape[1])
        # In small blocks: large temporary blocks stay in the allocator's keeping afterwards (blocks of 8,192
        # left the idle window 40 MB larger than the index itself).
        for start in range(0, len(features), PROJECT_BLOCK):
            block = self.features[start:start + PROJECT_BLOCK].float()
            self.projected[start:start + PROJECT_BLOCK] = self._project(block)
        self.projected_norms = self.projected.square().sum(1)
        self.typical = typical

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def dimensions(self) -> int:
        return self.features.shape[1]

    @property
    def nbytes(self) -> int:
        """The memory the index holds."""
        return sum(t.numel() * t.element_size() for t in
                   (self.features, self.labels, self.mean, self.basis, self.projected, self.projected_norms))

    def _project(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.mean) @ self.basis

    def nearest(self, queries: torch.Tensor, k: int, exclude: torch.Tensor | None = None) -> list[list[Neighbour]]:
        """For each row of `queries` (M x D features), its `k` nearest (at most the index's size), nearest first.
        `exclude` (M indices) leaves out one training digit per query: a training digit's own place."""
        results = []
        for start in range(0, len(queries), BLOCK):
            block = queries[start:start + BLOCK].float()
            excluded = None if exclude is None else exclude[start:start + BLOCK]
            distances, indices = self._nearest_block(block, k, excluded)
            for row_distances, row_indices in zip(distances.tolist(), indices.tolist()):
                results.append([Neighbour(i, int(self.labels[i]), d) for d, i in zip(row_distances, row_indices)])
        return results

    def _nearest_block(self, queries: torch.Tensor, k: int,
                       exclude: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        # First pass: |p - q|^2 less the query's own |q|^2, the same for every training digit.
        scores = self.projected_norms - 2 * (self._project(queries) @ self.projected.T)
        candidates = scores.topk(min(max(CANDIDATES, k + 1), len(self)), dim=1, largest=False).indices
        exact = (self.features[candidates].float() - queries[:, None]).square().sum(-1).sqrt()
        if exclude is not None:
            exact[candidates == exclude[:, None]] = float("inf")
        kept = exact.topk(min(k, exact.shape[1] - (exclude is not None)), dim=1, largest=False)
        return kept.values, candidates.gather(1, kept.indices)

    def features_of(self, model: nn.Module, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """M x D features of M 28x28 pictures in [0, 1], at this index's layer of `model` (one thread: a few
        pictures gain nothing from a second, see torch_threads)."""
        pictures = torch.as_tensor(np.ascontiguousarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
        with torch_threads(1):
            return layer_features(model, pictures, self.layer)

    def nearest_to_pictures(self, model: nn.Module, images: np.ndarray | torch.Tensor,
                            k: int) -> list[list[Neighbour]]:
        """The `k` nearest training digits of each 28x28 picture, as `model` (the index's model) sees them."""
        with torch_threads(1):
            return self.nearest(self.features_of(model, images), k)

    def measure_typical(self, sample: int = TYPICAL_SAMPLE, stop: threading.Event | None = None) -> Typical:
        """How far `sample` training digits (a fixed random choice) are from their nearest other one."""
        if len(self) < 2:
            raise ValueError(f"a typical distance needs at least 2 training digits, not {len(self)}")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(TYPICAL_SEED))
        chosen = order[:min(sample, len(self))]
        distances = []
        for start in range(0, len(chosen), BLOCK * 4):
            if stop is not None and stop.is_set():
                raise Stopped
            block = chosen[start:start + BLOCK * 4]
            distances += [row[0].distance for row in self.nearest(self.features[block].float(), 1, exclude=block)]
        return typical_of(torch.tensor(distances), self.labels[chosen])


def typical_of(distances: torch.Tensor, labels: torch.Tensor) -> Typical:
    """Typical from each sampled digit's distance to its nearest other one, and the digits' labels."""
    per_label = tuple(float(distances[labels == digit].median()) if bool((labels == digit).any()) else None
                      for digit in range(10))
    return Typical(float(distances.median()), float(torch.quantile(distances, HIGH_QUANTILE)), per_label,
                   len(distances))


def principal_components(features: torch.Tensor, count: int = PROJECTED) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, D x P basis): the `count` directions along which `features` (N x D) vary most, for the first pass.
    From the D x D covariance, summed in blocks so that no float32 copy of all the features is made."""
    n, d = features.shape
    mean = torch.zeros(d, dtype=torch.float64)
    for start in range(0, n, 8192):
        mean += features[start:start + 8192].double().sum(0)
    mean /= max(n, 1)
    covariance = torch.zeros(d, d, dtype=torch.float64)
    for start in range(0, n, 8192):
        centred = features[start:start + 8192].float() - mean.float()
        covariance += (centred.T @ centred).double()
    _values, vectors = torch.linalg.eigh(covariance)  # ascending
    basis = vectors.flip(1)[:, :min(count, d)]
    return mean.float(), basis.float()


def build_index(features: torch.Tensor, labels: torch.Tensor, layer: str, stop: threading.Event | None = None,
                typical_sample: int = TYPICAL_SAMPLE, kind: type[NeighbourIndex] = NeighbourIndex) -> NeighbourIndex:
    """An index (of `kind`) of `features` (N x D, any float type) and their labels, its typical distance measured."""
    mean, basis = principal_components(features)
    index = kind(features, labels, layer, mean, basis)
    if stop is not None and stop.is_set():
        raise Stopped
    index.typical = index.measure_typical(typical_sample, stop)
    return index
