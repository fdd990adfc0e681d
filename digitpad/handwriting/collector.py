"""Digit keys on the canvas: type the digit you meant and the drawing is saved as a sample of it.

0-9 with ink on the canvas save all the ink as one sample of that digit in the personal set (a drawing as the
28x28 picture the pad reads for it, see reading.personal), say so in the
notice ("saved as a 7 — 14 samples of 7") with an Undo that takes the save back, and clear the canvas for the
next one; with an empty canvas they do nothing. Ctrl+Z stays the canvas's "undo stroke". The count is of
readable samples, as the My handwriting tab and fine-tuning count them (files that could not be read are
counted apart); it comes a moment after the message, from a set reader's thread, since counting reads the
digit's files that were not read before (0.4 s for 200 samples, the first time). A save that fails keeps the
drawing and says why through `saveFailed`. The collector is given the canvas, the notice and the set, and
knows nothing else of the window; call `shutdown()` before the window closes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence

from trainer.ink.redraw import drawing_field
from trainer.personal_set import PersonalData, PersonalSet, PersonalSetError, Sample
from trainer.safe_names import printable, short_path

from ..worker import WorkerSlot
from .notice import SaveNotice
from .set_reader import set_reader


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
        # The message that a count will complete: (its number, its text, its tooltip, the digit). The number
        # grows with every message, so that a count started for an earlier one is never shown with a later one.
        self._message: tuple[int, str, str, int | None] = (0, "", "", None)
        self._counter = WorkerSlot(self)  # a read of one digit's samples, to count them
        self._counter.done.connect(self._show_count)
        self._counter.finished.connect(self._on_counter_finished)
        self._counting_for = 0  # the number of the message the running count is for
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _say(self, text: str, digit: int | None = None, action: str | None = None, callback=None,
             tooltip: str = "") -> None:
        """Show `text` now; with a `digit`, " — 4 samples of 3" is added once they are counted."""
        self._message = (self._message[0] + 1, text, tooltip, digit)
        self.notice.show_message(text, action, callback, tooltip=tooltip)
        if digit is not None:
            self._count()

    def _count(self) -> None:
        if self._counter.busy:  # one at a time: the running one starts the next when it ends
            return
        self._counting_for, _, _, digit = self._message
        self._counter.start(set_reader(self.personal_set, None, digits=(digit,)))

    @Slot(object)
    def _show_count(self, read: tuple[PersonalData, None]) -> None:
        data, _readings = read
        current, text, tooltip, digit = self._message
        if self._counting_for != current:
            return
        count, unread = tally(data, digit)
        self.notice.amend(f"{text} — {count}", "\n".join(filter(None, [tooltip, *unread])))

    @Slot()
    def _on_counter_finished(self) -> None:
        number, _, _, digit = self._message
        if number != self._counting_for and digit is not None:  # a save or an undo came meanwhile: count for it
            self._count()

    def _dismiss(self) -> None:
        self._message = (self._message[0] + 1, "", "", None)
        self.notice.dismiss()

    def shutdown(self) -> None:
        """Wait for a count under way (a fraction of a second), so that its thread never outlives the window."""
        self._counter.join()

    def save_as(self, digit: int) -> Sample | None:
        """Save the canvas's ink as a sample of `digit` and clear it; None (and nothing done) when it is empty."""
        if self.canvas.is_empty():
            return None
        # A drawing is saved as the picture the live pad reads for it (learning and reading see the same
        # picture); an opened image, as the picture itself.
        strokes = self.canvas.drawing()
        field = drawing_field(self.canvas.strokes(), self.canvas.pen_width) if strokes else None
        ink = None if field is not None else np.array(self.canvas.ink_image(), copy=True)
        kept = "The drawing is still on the pad: type the digit again once that is put right."
        try:
            sample = (self.personal_set.add_field(digit, field) if field is not None
                      else self.personal_set.add(digit, ink))
        except PersonalSetError as error:  # the set's folder is a file: says which, and what named it
            self._dismiss()
            self.saveFailed.emit(f"{error} {kept}")
            return None
        except OSError as error:  # a full disk, a folder not ours to write
            self._dismiss()
            where = printable(error.filename) if error.filename else short_path(self.personal_set.folder)
            self.saveFailed.emit(f"{where}: {error.strerror or error}. {kept}")
            return None
        if sample is None:
            self._say("Nothing saved: no ink found on the canvas.")
            return None
        self.canvas.clear()
        drawn = strokes if field is not None else ink
        self._say(f"saved as {a_digit(digit)}", digit, "Undo", lambda: self.undo_save(sample, drawn),
                  tooltip=printable(sample.path))
        self.sampleSaved.emit(sample)
        return sample

    def undo_save(self, sample: Sample, drawn: np.ndarray | list | None = None) -> None:
        """Take a save back: the sample's file goes, and what was drawn (the strokes, or the opened picture)
        comes back if the canvas is still empty, so typing the right digit saves it again."""
        if self.personal_set.delete(sample) is None:
            self._say(f"{sample.path.name} was already gone.")
            return
        if isinstance(drawn, list) and drawn and self.canvas.is_empty():
            self.canvas.set_drawing(drawn)
        elif isinstance(drawn, np.ndarray) and self.canvas.is_empty():
            grey = drawn.astype(np.float32) / 255 if drawn.dtype == np.uint8 else drawn
            self.canvas.show_picture(grey)
        self._say(f"took back the {sample.digit}", sample.digit)
        self.sampleRemoved.emit(sample)


def tally(data: PersonalData, digit: int) -> tuple[str, list[str]]:
    """("4 samples of 3; 1 file in 3/ could not be read", a line per such file) from a read of the set: its
    readable samples, counted as the tab counts them."""
    text = counted(data.counts()[digit], digit)
    unreadable = data.skipped_counts()[digit]
    if unreadable:
        text += f"; {unreadable} file{'s' if unreadable != 1 else ''} in {digit}/ could not be read"
    return text, [f"could not be read: {printable(path)}: {why}" for path, why in data.skipped]
