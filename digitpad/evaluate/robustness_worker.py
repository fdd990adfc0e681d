"""The robustness curves in a Worker thread: `trainer.robustness.robustness_curves`, the code of `trainer eval
--robustness`, on MNIST's test split read from the data folder (never downloaded: the tab says where it is
missing). Each point is sent as it is measured, `progress((point, done, total))`, so the curves grow while the
run goes; then `done(Curves)`, or `failed(message)`, also when stopped (the points sent so far stay drawn)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence

import torch

from trainer.data import DataError, load_test_split
from trainer.devices import use_all_threads
from trainer.evaluation import Stopped
from trainer.robustness import Curves, robustness_curves

from ..worker import JobFailed, Worker

STOPPED = "Stopped: the curves so far are shown."


def robustness_worker(models: Sequence[torch.nn.Module], thresholds: Sequence[float],
                      data_dir: str | None) -> Worker:
    """The models are copied here, on the calling thread: the Draw tab keeps reading with the originals."""
    models = [copy.deepcopy(model).cpu().eval() for model in models]
    thresholds = list(thresholds)

    def job(report, stop: threading.Event) -> Curves:  # the worker thread
        use_all_threads()
        test = load_test_split(data_dir, download=False)
        try:
            return robustness_curves(models, thresholds, test.images, test.labels, stop=stop,
                                     progress=lambda point, done, total: report((point, done, total)))
        except Stopped:
            raise JobFailed(STOPPED) from None

    return Worker(job, "The robustness run failed", known=(DataError,))
