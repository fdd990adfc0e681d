"""Digit keys on the canvas: type the digit you meant and the drawing is saved as a sample of it.

0-9 with ink on the canvas save all the ink as one sample of that digit in the personal set, say so in the
notice ("saved as a 7 — 14 samples of 7") with an Undo that takes the save back, and clear the canvas for the
next one; with an empty canvas they do nothing. Ctrl+Z stays the canvas's "undo stroke". The count is of
readable samples, as the My handwriting tab and fine-tuning count them (files that could not be read are
counted apart). A save that fails keeps the drawing and says why through `saveFailed`. The collector is given
the canvas, the notice and the set, and knows nothing else of the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from trainer.text import printable, short_path

from ..reading.personal import PersonalSet, PersonalSetError, Sample
from .notice import SaveNotice


def counted(count: int, digit: int) -> str:
    return f"{count} sample{'s' if count != 1 else ''} of {digit}"


def a_digit(digit: int) -> str:
    return f"{'an' if digit == 8 else 'a'} {digit}"


class SampleCollector(QObject):
    """Signals `sampleSaved(Sample)` and `sampleRemoved(Sample)` (an undone save) after the set changed, and
    `saveFailed(message)` when a sample could not be saved (the drawing stays on the canvas)."""

    sampleSaved = Signal(object)
    sampleRemoved = Signal(object)
    saveFailed = Signal(str)

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
        kept = "The drawing is still on the pad: type the digit again once that is put right."
        try:
            sample = self.personal_set.add(digit, ink)
        except PersonalSetError as error:  # the set's folder is a file: says which, and what named it
            self.notice.dismiss()
            self.saveFailed.emit(f"{error} {kept}")
            return None
        except OSError as error:  # a full disk, a folder not ours to write
            self.notice.dismiss()
            where = printable(error.filename) if error.filename else short_path(self.personal_set.folder)
            self.saveFailed.emit(f"{where}: {error.strerror or error}. {kept}")
            return None
        if sample is None:
            self.notice.show_message("Nothing saved: no ink found on the canvas.")
            return None
        self.canvas.clear()
        count, unread = self.tally(sample.digit)
        self.notice.show_message(f"saved as {a_digit(digit)} — {count}", "Undo", lambda: self.undo_save(sample, ink),
                                 tooltip="\n".join([printable(sample.path), *unread]))
        self.sampleSaved.emit(sample)
        return sample

    def tally(self, digit: int) -> tuple[str, list[str]]:
        """("4 samples of 3; 1 file in 3/ could not be read", a line per such file): the readable samples, counted
        as the tab counts them (the same read, which opens only the files that changed since the last)."""
        data = self.personal_set.load(digits=(digit,))
        text = counted(data.counts()[digit], digit)
        unreadable = data.skipped_counts()[digit]
        if unreadable:
            text += f"; {unreadable} file{'s' if unreadable != 1 else ''} in {digit}/ could not be read"
        return text, [f"could not be read: {printable(path)}: {why}" for path, why in data.skipped]

    def undo_save(self, sample: Sample, ink: np.ndarray | None = None) -> None:
        """Take a save back: the sample's file goes, and the drawing comes back if the canvas is still empty."""
        if self.personal_set.delete(sample) is None:
            self.notice.show_message(f"{sample.path.name} was already gone.")
            return
        if ink is not None and self.canvas.is_empty():
            # As a picture: typing the right digit saves it again; drawing a stroke replaces it.
            grey = ink.astype(np.float32) / 255 if ink.dtype == np.uint8 else ink
            self.canvas.show_picture(grey)
        count, unread = self.tally(sample.digit)
        self.notice.show_message(f"took back the {sample.digit} — {count}", tooltip="\n".join(unread))
        self.sampleRemoved.emit(sample)
