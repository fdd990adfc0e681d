"""The points map's two jobs, each in a Worker thread: a layer's PCA (its features over the whole set, seconds),
then its t-SNE (about half a minute, in a child process that a stop ends at once).

Each job is given its own copy of the model, made here on the calling thread: trainer.features reads a layer
through a forward hook, and a hook on a model that another thread runs at the same time (the map's live point)
would catch that thread's pictures too.
"""

from __future__ import annotations

import copy
import threading

import torch

from trainer.devices import use_all_threads
from trainer.evaluation import Stopped
from trainer.projection import LayerSpace, fit_space, fit_tsne

from ..worker import JobFailed, Worker


def space_worker(model: torch.nn.Module, images: torch.Tensor, layer: str) -> Worker:
    """A Worker whose result is the LayerSpace of `images` (N x 1 x 28 x 28 in [0, 1]) at `layer`."""
    model = copy.deepcopy(model).cpu().eval()

    def job(report, stop: threading.Event) -> LayerSpace:  # the worker thread
        use_all_threads()
        report(f"Reading {len(images):,} digits' features at {layer}…")
        try:
            return fit_space(model, images, layer, stop=stop)
        except Stopped:
            raise JobFailed("The map was stopped.") from None

    return Worker(job, "The map could not be made")


def tsne_worker(space: LayerSpace) -> Worker:
    """A Worker whose result is (layer, TsneMap) for `space`."""
    def job(report, stop: threading.Event):  # the worker thread
        report("Fitting t-SNE…")
        try:
            return space.layer, fit_tsne(space, stop=stop)
        except Stopped:
            raise JobFailed("The t-SNE map was stopped.") from None

    return Worker(job, "The t-SNE map could not be made", known=(ValueError,))
