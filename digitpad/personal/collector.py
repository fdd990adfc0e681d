"""Digit keys on the canvas: type the digit you meant and the drawing is saved as a sample of it.

0-9 with ink on the canvas save all the ink as one sample of that digit in the personal set, say so in the
notice ("saved as a 7 — 14 samples of 7") with an Undo that takes the save back, and clear the canvas for the
next one; with an empty canvas they do nothing. Ctrl+Z stays the canvas's "undo stroke". The collector is
given the canvas, the notice and the set, and knows nothing else of the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from trainer.text import printable

from ..reading.personal import PersonalSet, Sample
from .notice import SaveNotice


def counted(count: int, digit: int) -> str:
    return f"{count} sample{'s' if count != 1 else ''} of {digit}"


def a_digit(digit: int) -> str:
    return f"{'an' if digit == 8 else 'a'} {digit}"


class SampleCollector(QObject):
    """Signals `sampleSaved(Sample)` and `sampleRemoved(Sample)` (an undone save) after the set changed."""

    sampleSaved = Signal(object)
    sampleRemoved = Signal(object)

    def __init__(self, canvas, personal_set: PersonalSet, notice: SaveNotice, parent: QObject | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.personal_set = personal_set
        self.notice = notice
        self.actions: list[QAction] = []
        for digit in range(10):
            action = QAction(f"Save as {digit}", canvas, objectName=f"saveAs{digit}")
            action.setShortcut(QKeySequence(Qt.Key(Qt.Key.Key_0 + digit)))
            # Window-wide while the canvas is shown (the Draw tab), like its Clear and Undo stroke.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, d=digit: self.save_as(d))
            self.actions.append(action)
        canvas.addActions(self.actions)

    def save_as(self, digit: int) -> Sample | None:
        """Save the canvas's ink as a sample of `digit` and clear it; None (and nothing done) when it is empty."""
        if self.canvas.is_empty():
            return None
        ink = np.array(self.canvas.ink_image(), copy=True)
        try:
            sample = self.personal_set.add(digit, ink)
        except OSError as error:
            self.notice.show_message(f"Could not save the sample: {error.strerror or error}",
                                     tooltip=str(self.personal_set.folder))
            return None
        if sample is None:
            self.notice.show_message("Nothing saved: no ink found on the canvas.")
            return None
        self.canvas.clear()
        count = self.personal_set.counts()[digit]
        self.notice.show_message(f"saved as {a_digit(digit)} — {counted(count, digit)}", "Undo",
                                 lambda: self.undo_save(sample, ink), tooltip=printable(sample.path))
        self.sampleSaved.emit(sample)
        return sample

    def undo_save(self, sample: Sample, ink: np.ndarray | None = None) -> None:
        """Take a save back: the sample's file goes, and the drawing comes back if the canvas is still empty."""
        if self.personal_set.delete(sample) is None:
            self.notice.show_message(f"{sample.path.name} was already gone.")
            return
        if ink is not None and self.canvas.is_empty():
            # As a picture: typing the right digit saves it again; drawing a stroke replaces it.
            grey = ink.astype(np.float32) / 255 if ink.dtype == np.uint8 else ink
            self.canvas.show_picture(grey)
        count = self.personal_set.counts()[sample.digit]
        self.notice.show_message(f"took back the {sample.digit} — {counted(count, sample.digit)}")
        self.sampleRemoved.emit(sample)
