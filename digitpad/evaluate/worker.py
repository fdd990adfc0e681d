"""One evaluation in a QThread: `trainer.evaluation.evaluate`, the same code as `trainer eval` and the engine's
test pass, on a copy of the model (the Draw tab keeps reading with the original meanwhile).

The set is MNIST's test split, read from a data folder, or any labelled set: given as a split, or read in the
thread by a `load` function (a personal handwriting set: the first read opens every file, over a second for
1,000 samples, which must not freeze the window). Signals only cross to the GUI: `stage(text)` as it goes,
then exactly one of `done(EvaluationReport)` or `failed(message)`.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from PySide6.QtCore import QThread, Signal

from trainer.data import DataError, MnistSplit, load_test_split
from trainer.devices import use_all_threads
from trainer.evaluation import Evaluation, Stopped, evaluate


class SetUnavailable(Exception):
    """A `load` function's set cannot be evaluated (e.g. it holds no samples); the message says why and what to do."""


@dataclass
class EvaluationReport:
    set_name: str           # "the MNIST test set", or the name given with another set
    split: MnistSplit       # the images (N x 1 x 28 x 28 in [0, 1]) and labels evaluated
    evaluation: Evaluation
    load_seconds: float     # reading the set (0 for a set given in memory)
    seconds: float          # running the model over it


class EvaluationWorker(QThread):
    stage = Signal(str)
    done = Signal(object)   # EvaluationReport
    failed = Signal(str)

    def __init__(self, model: torch.nn.Module, data_dir: str | None = None, split: MnistSplit | None = None,
                 set_name: str = "the MNIST test set", load: Callable[[], tuple[MnistSplit, str]] | None = None):
        """Evaluate on `split` when given; else on what `load()` returns, (split, its name), called in the thread
        (it may raise SetUnavailable); else on MNIST's test split read from `data_dir` (never downloaded: the
        tab says where MNIST is missing instead). The model is copied here, on the calling thread."""
        super().__init__()
        # channels_last, as the engine trains it: the test pass's inputs are channels_last, and oneDNN then skips a
        # layout conversion around every convolution (about 30% faster here).
        self.model = copy.deepcopy(model).cpu().eval().to(memory_format=torch.channels_last)
        self.data_dir, self.split, self.set_name, self.load = data_dir, split, set_name, load
        self.stop_event = threading.Event()

    def request_stop(self) -> None:
        """Any thread: the evaluation ends at its next block of images (EVALUATION_BATCH, 128), reporting nothing."""
        self.stop_event.set()

    def run(self) -> None:  # the worker thread
        use_all_threads()
        try:
            started = time.perf_counter()
            split, set_name = self.split, self.set_name
            if split is None and self.load is not None:
                self.stage.emit(f"Reading {set_name}…")
                split, set_name = self.load()
            elif split is None:
                self.stage.emit("Reading the MNIST test set…")
                split = load_test_split(self.data_dir, download=False)
            loaded = time.perf_counter()
            self.stage.emit(f"Running the model on {len(split):,} images…")
            evaluation = evaluate(self.model, split, stop=self.stop_event)
            self.done.emit(EvaluationReport(set_name, split, evaluation, loaded - started,
                                            time.perf_counter() - loaded))
        except Stopped:
            self.failed.emit("The evaluation was stopped.")
        except (DataError, SetUnavailable) as error:
            self.failed.emit(str(error))
        except Exception as error:  # out of memory, a broken model...: report, never kill the app
            self.failed.emit(f"The evaluation failed: {type(error).__name__}: {error}")
