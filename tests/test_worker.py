"""The one helper every background job runs in: digitpad.worker's Worker (a thread that runs a job and says how
it ended) and WorkerSlot (one worker at a time: start, stop, join, forget). Waited for with qtbot.waitSignal and
waitUntil only: in PySide6 QTest.qWait holds the GIL and would starve the worker's thread."""

import threading

import pytest

from digitpad.worker import JobFailed, Worker, WorkerSlot


class Known(Exception):
    pass


def record(source) -> dict:
    """Every signal of a Worker or WorkerSlot, as it comes, with the thread it came on."""
    seen = {"progress": [], "done": [], "failed": [], "order": [], "threads": set()}
    for name in ("progress", "done", "failed"):
        def note(value, name=name):
            seen[name].append(value)
            seen["order"].append(name)
            seen["threads"].add(threading.current_thread())
        getattr(source, name).connect(note)
    return seen


def run_to_end(qtbot, job, **kwargs) -> dict:
    slot = WorkerSlot()
    seen = record(slot)
    with qtbot.waitSignal(slot.finished, timeout=10_000):
        assert slot.start(Worker(job, "The test job failed", **kwargs))
    assert not slot.busy
    return seen


def test_a_job_reports_its_events_then_its_result_once_on_the_gui_thread(qtbot):
    def job(report, stop):
        for step in range(3):
            report(step)
        return "result"

    seen = run_to_end(qtbot, job)
    assert seen["progress"] == [0, 1, 2] and seen["done"] == ["result"] and seen["failed"] == []
    assert seen["order"] == ["progress"] * 3 + ["done"]
    assert seen["threads"] == {threading.main_thread()}  # a lambda connected to the slot runs on the GUI thread


@pytest.mark.parametrize("error, message", [
    (Known("the folder is a file"), "the folder is a file"),
    (JobFailed("said as it is"), "said as it is"),
    (OSError(28, "No space left on device"), "The test job failed: OSError: [Errno 28] No space left on device"),
    (ZeroDivisionError("division by zero"), "The test job failed: ZeroDivisionError: division by zero"),
])
def test_an_exception_becomes_one_failed_message_and_no_result(qtbot, error, message):
    def job(report, stop):
        report("before")
        raise error

    seen = run_to_end(qtbot, job, known=(Known,))
    assert seen["failed"] == [message] and seen["done"] == []
    assert seen["order"] == ["progress", "failed"]


def test_stop_reaches_the_job_and_it_ends_with_what_it_had(qtbot):
    started = threading.Event()

    def job(report, stop):
        started.set()
        assert stop.wait(10), "the stop never came"
        return "stopped early"

    slot = WorkerSlot()
    seen = record(slot)
    assert slot.start(Worker(job, "The test job failed"))
    qtbot.waitUntil(started.is_set)
    with qtbot.waitSignal(slot.finished, timeout=10_000):
        slot.stop()
    assert seen["done"] == ["stopped early"] and seen["failed"] == []


def test_one_worker_at_a_time(qtbot):
    release = threading.Event()
    slot = WorkerSlot()
    first = Worker(lambda report, stop: release.wait(10), "The test job failed")
    second = Worker(lambda report, stop: None, "The test job failed")
    assert slot.start(first)
    assert not slot.start(second) and not second.isRunning() and slot.worker is first
    with qtbot.waitSignal(slot.finished, timeout=10_000):
        release.set()
    assert slot.worker is None and slot.start(second)
    qtbot.waitUntil(lambda: not slot.busy)


def test_join_stops_the_job_and_waits_for_its_thread(qtbot):
    ended = []

    def job(report, stop):
        stop.wait(10)
        ended.append(stop.is_set())
        return None

    slot = WorkerSlot()
    assert slot.start(Worker(job, "The test job failed"))
    worker = slot.worker
    slot.join()  # as closing the window does: no event loop runs meanwhile
    assert worker.isFinished() and ended == [True]
    slot.join()  # again, and with nothing running: nothing happens
    qtbot.waitUntil(lambda: not slot.busy)
    slot.join()


def test_a_forgotten_job_is_stopped_and_what_it_still_says_is_dropped(qtbot):
    def job(report, stop):
        stop.wait(10)
        report("late")
        return "about something gone"

    slot = WorkerSlot()
    seen = record(slot)
    assert slot.start(Worker(job, "The test job failed"))
    with qtbot.waitSignal(slot.finished, timeout=10_000):
        slot.forget()
    assert seen["order"] == []
    # The next job's signals come through again.
    with qtbot.waitSignal(slot.finished, timeout=10_000):
        assert slot.start(Worker(lambda report, stop: "next", "The test job failed"))
    assert seen["done"] == ["next"]
