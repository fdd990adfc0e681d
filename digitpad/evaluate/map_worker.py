"""The points map's two jobs: a layer's PCA (its features over the whole set, seconds), then its t-SNE (about half a
minute). Each runs in a child process (trainer.projection.run_stoppable) that a Worker thread waits on, so that a
stop ends it at once.

A child rather than the Worker's own thread: the app's process then never runs a features pass beside the Draw
tab's reading, nor loads scikit-learn, which brings a second copy of the OpenMP runtime beside torch's. With the
features pass and PCA in a thread, the test process aborted twice in six runs of the Evaluate tab's tests (in an
OpenMP thread, during the features pass, the main thread starting a subprocess); with the child, not once.
"""

from __future__ import annotations

import copy
import threading
import time

import torch

from trainer import projection
from trainer.evaluation import Stopped
from trainer.projection import LayerSpace, fit_space, fit_tsne, run_stoppable

from ..worker import JobFailed, Worker


def space_worker(model: torch.nn.Module, images: torch.Tensor, layer: str) -> Worker:
    """A Worker whose result is the LayerSpace of `images` (N x 1 x 28 x 28 in [0, 1]) at `layer`."""
    model = copy.deepcopy(model).cpu().eval()  # a copy made now: the model in use may change meanwhile

    def job(report, stop: threading.Event) -> LayerSpace:  # the worker thread
        report(f"Reading {len(images):,} digits' features at {layer}…")
        started = time.perf_counter()
        try:
            space = run_stoppable(fit_space, (model, images, layer), stop)
        except Stopped:
            raise JobFailed("The map was stopped.") from None
        space.seconds = time.perf_counter() - started  # what the person waited: the child's start-up too
        return space

    return Worker(job, "The map could not be made", known=(ValueError,))


def tsne_worker(space: LayerSpace) -> Worker:
    """A Worker whose result is (layer, TsneMap) for `space`."""
    def job(report, stop: threading.Event):  # the worker thread
        report("Fitting t-SNE…")
        started = time.perf_counter()
        try:
            # the sample size read here, in the app's process, where the view states it
            tsne = run_stoppable(fit_tsne, (space, projection.TSNE_SAMPLE), stop)
        except Stopped:
            raise JobFailed("The t-SNE map was stopped.") from None
        tsne.seconds = time.perf_counter() - started
        return space.layer, tsne

    return Worker(job, "The t-SNE map could not be made", known=(ValueError,))
