"""Reading the personal set, and the model's pass over it, off the GUI thread.

The first read of a set opens every PNG (about a millisecond each: 0.12 s for 100 samples, over a second for
1,000) and the model reads them all; done on the GUI thread, showing the tab would freeze the window that long.
Later reads only open the files that changed (PersonalSet keeps the rest), but still go through here, so the
tab has one way to be filled.
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from trainer.personal_set import PersonalSet, PersonalSetError

from ..reading.predictor import Predictor


class SetReader(QThread):
    """One read of the set (of `digits` only, if given): emits `setRead(data, probabilities)` (probabilities
    None without a model or samples), or `readFailed(message)` (which names the set's folder), then finishes."""

    setRead = Signal(object, object)
    readFailed = Signal(str)

    def __init__(self, personal_set: PersonalSet, predictor: Predictor | None, digits: tuple[int, ...] | None = None):
        super().__init__()
        self.personal_set = personal_set
        self.predictor = predictor
        self.digits = digits

    def run(self) -> None:
        try:
            data = self.personal_set.load() if self.digits is None else self.personal_set.load(digits=self.digits)
            probabilities = (self.predictor.probabilities(data.images)
                             if self.predictor is not None and len(data) else None)
        except PersonalSetError as error:  # its folder is a file: the message names it, and what named it
            self.readFailed.emit(str(error))
            return
        except Exception as error:  # noqa: BLE001 - say it in the tab rather than die silently in a thread
            self.readFailed.emit(f"Could not read the set in {self.personal_set.folder}: {error}")
            return
        self.setRead.emit(data, probabilities)
