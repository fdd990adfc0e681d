""""What it costs" in a Worker thread: the test accuracy with the switched-off channels, and with none off
(trainer.ablation.measure_cost), on a copy of the model made here, on the GUI thread, with a frozen copy of what
is off: the pad keeps reading, and channels toggled meanwhile change nothing in the measurement.

Done with a `CostReport`; MNIST missing is said as the Evaluate tab says it (never downloaded from here).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import torch

from trainer.ablation import Cost, measure_cost
from trainer.data import DataError, load_test_split
from trainer.devices import use_all_threads
from trainer.evaluation import Stopped

from ..worker import JobFailed, Worker


@dataclass
class CostReport:
    description: str   # which channels were off, in words
    cost: Cost
    model: torch.nn.Module  # the model measured (to keep its accuracy with none off for the next measurement)


def cost_worker(model: torch.nn.Module, off: dict[str, tuple[int, ...]], description: str, data_dir: str | None,
                accuracy_all: float | None = None) -> Worker:
    """`off` by hooked module (ChannelSwitch.hooked()); `accuracy_all`, when known, spares the second pass."""
    measured = copy.deepcopy(model).cpu().eval().to(memory_format=torch.channels_last)

    def job(_report, stop: threading.Event) -> CostReport:  # the worker thread
        use_all_threads()
        split = load_test_split(data_dir, download=False)
        try:
            return CostReport(description, measure_cost(measured, split, off, accuracy_all, stop), model)
        except Stopped:
            raise JobFailed("the measurement was stopped.") from None

    return Worker(job, "Measuring what it costs failed", known=(DataError,))
