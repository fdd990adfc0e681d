"""Reading the personal set, and the model's pass over it, off the GUI thread.

The first read of a set opens every PNG (about a millisecond each: 0.12 s for 100 samples, over a second for
1,000) and the model reads them all; done on the GUI thread, showing the tab would freeze the window that long.
Later reads only open the files that changed (PersonalSet keeps the rest), but still go through here, so the
tab has one way to be filled.
"""

from __future__ import annotations

from trainer.personal_set import PersonalSet, PersonalSetError

from ..reading.predictor import Predictor
from ..worker import Worker


def set_reader(personal_set: PersonalSet, predictor: Predictor | None, digits: tuple[int, ...] | None = None) -> Worker:
    """A Worker for one read of the set (of `digits` only, if given): done((data, probabilities)), probabilities
    None without a model or samples, or failed(message), which names the set's folder (a PersonalSetError, for a
    folder that is a file, names it and what named it)."""
    def job(_report, _stop) -> tuple:  # the worker thread
        data = personal_set.load() if digits is None else personal_set.load(digits=digits)
        probabilities = predictor.probabilities(data.images) if predictor is not None and len(data) else None
        return data, probabilities

    return Worker(job, f"Could not read the set in {personal_set.folder}", known=(PersonalSetError,))
