"""One way to run long work off the GUI thread: a `Worker` thread runs a job, a `WorkerSlot` holds one at a time.

A job is a function `job(report, stop)`: `report(event)` sends an intermediate event (any object) to the GUI,
`stop` is a threading.Event it checks when it can; what it returns is the result. The Worker emits `progress`
for each event, then exactly one of `done(result)` or `failed(message)`: an exception of a known type, or
JobFailed, becomes its own message; any other, "<what> failed: Type: message", so that a full disk or a broken
model is said in the window rather than killing the app from a thread.

A QThread of our own rather than superqt's thread_worker: that runs in the global QThreadPool, where one job
cannot be joined on its own, and the window must stop and join a running job before it closes (also on Ctrl-C).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

Job = Callable[[Callable[[object], None], threading.Event], object]


class JobFailed(Exception):
    """Raised by a job: its message is said to the person as it is."""


class Worker(QThread):
    """Runs `job` once in its own thread. Signals: `progress(event)` any number of times, then exactly one of
    `done(result)` or `failed(message)`, then QThread's `finished`."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Job, failure: str, known: tuple[type[Exception], ...] = ()):
        """`failure` begins the message of an unexpected exception ("Training failed"); `known` exceptions are
        said by their own message."""
        super().__init__()
        self.job, self.failure, self.known = job, failure, (JobFailed, *known)
        # Exists before the thread starts, so that a stop asked at any moment is seen.
        self.stop_event = threading.Event()

    def request_stop(self) -> None:
        """Any thread. The job ends when it next checks; one that never checks runs to its end."""
        self.stop_event.set()

    def run(self) -> None:  # the worker thread
        try:
            result = self.job(self.progress.emit, self.stop_event)
        except self.known as error:
            message = str(error)
        except Exception as error:  # noqa: BLE001 - say it in the window rather than die silently in a thread
            message = f"{self.failure}: {type(error).__name__}: {error}"
        else:
            self.done.emit(result)
            return
        self.failed.emit(message)


class WorkerSlot(QObject):
    """At most one Worker at a time, and its bookkeeping: start, stop, join, forget, and cleaning up after it.

    Its own signals `progress`, `done`, `failed` repeat the running worker's on the GUI thread (so that any
    callable connected to them, a lambda too, runs there); `finished` follows once the thread has ended and the
    slot is free again (also for a forgotten worker)."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.worker: Worker | None = None
        self._forgotten = False

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def start(self, worker: Worker) -> bool:
        """Start `worker`; False (and it is not started) while another one still runs."""
        if self.worker is not None:
            return False
        self.worker, self._forgotten = worker, False
        # Slots of this object, which lives on the GUI thread: queued there from the worker's thread.
        worker.progress.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        worker.start()
        return True

    def stop(self) -> None:
        """Ask the running job to end; `finished` follows when it has."""
        if self.worker is not None:
            self.worker.request_stop()

    def join(self) -> None:
        """Stop the running job, if any, and wait for its thread. Safe at any time, more than once."""
        worker = self.worker
        if worker is not None:
            worker.request_stop()
            worker.wait()

    def forget(self) -> None:
        """Stop the running job and drop what it still reports (it is about something gone); `finished` still
        comes, and a new worker can start only after it."""
        if self.worker is not None:
            self.worker.request_stop()
            self._forgotten = True

    # A worker's signals arrive in the order sent, its done or failed before its finished; a forgotten worker's
    # therefore all arrive before the slot is free for the next one, and the flag covers exactly them.
    @Slot(object)
    def _on_progress(self, event: object) -> None:
        if not self._forgotten:
            self.progress.emit(event)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        if not self._forgotten:
            self.done.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._forgotten:
            self.failed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self.finished.emit()
