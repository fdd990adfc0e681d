"""One evaluation in a Worker thread: `trainer.evaluation.evaluate`, the same code as `trainer eval` and the engine's
test pass, on a copy of the model (the Draw tab keeps reading with the original meanwhile).

The set is MNIST's test split, read from a data folder, or any labelled set: given as a split, or read in the
thread by a `load` function (a personal handwriting set: the first read opens every file, over a second for
1,000 samples, which must not freeze the window). Signals only cross to the GUI: `progress(text)`, the stage it
is at, as it goes, then exactly one of `done(EvaluationReport)` or `failed(message)`.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from trainer.ablation import zeroed
from trainer.data import DataError, LabelledImages, load_test_split
from trainer.devices import use_all_threads
from trainer.evaluation import Evaluation, Stopped, evaluate

from ..worker import JobFailed, Worker


class SetUnavailable(Exception):
    """A `load` function's set cannot be evaluated (e.g. it holds no samples); the message says why and what to do."""


@dataclass
class EvaluationReport:
    set_name: str           # "the MNIST test set", or the name given with another set
    split: LabelledImages       # the images (N x 1 x 28 x 28 in [0, 1]) and labels evaluated
    evaluation: Evaluation
    load_seconds: float     # reading the set (0 for a set given in memory)
    seconds: float          # running the model over it
    switched_off: str = ""  # the channels switched off for it, in words ("" for none)


def evaluation_worker(model: torch.nn.Module, data_dir: str | None = None, split: LabelledImages | None = None,
                      set_name: str = "the MNIST test set",
                      load: Callable[[], tuple[LabelledImages, str]] | None = None,
                      switched_off: tuple[dict, str] = ({}, "")) -> Worker:
    """A Worker that evaluates on `split` when given; else on what `load()` returns, (split, its name), called in
    the thread (it may raise SetUnavailable); else on MNIST's test split read from `data_dir` (never downloaded:
    the tab says where MNIST is missing instead). It reports stages (text) as it goes, then done(EvaluationReport)
    or failed(message). A stop ends the evaluation at its next block of images (EVALUATION_BATCH, 128).
    `switched_off`: (channels by hooked module, as ChannelSwitch.hooked() gives them; the same in words): those
    channels are zeroed in the copy (the inside view's switched-off channels).

    The model is copied here, on the calling thread."""
    # channels_last, as the engine trains it: the test pass's inputs are channels_last, and oneDNN then skips a
    # layout conversion around every convolution (about 30% faster here).
    model = copy.deepcopy(model).cpu().eval().to(memory_format=torch.channels_last)

    def job(report, stop: threading.Event) -> EvaluationReport:  # the worker thread
        use_all_threads()
        started = time.perf_counter()
        chosen, name = split, set_name
        if chosen is None and load is not None:
            report(f"Reading {name}…")
            chosen, name = load()
        elif chosen is None:
            report("Reading the MNIST test set…")
            chosen = load_test_split(data_dir, download=False)
        loaded = time.perf_counter()
        report(f"Running the model on {len(chosen):,} images…")
        try:
            with zeroed(model, switched_off[0]):
                evaluation = evaluate(model, chosen, stop=stop)
        except Stopped:
            raise JobFailed("The evaluation was stopped.") from None
        return EvaluationReport(name, chosen, evaluation, loaded - started, time.perf_counter() - loaded,
                                switched_off[1])

    return Worker(job, "The evaluation failed", known=(DataError, SetUnavailable))
