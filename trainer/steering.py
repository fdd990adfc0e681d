"""Steering a run while it trains: pause and resume, one more epoch, a learning-rate multiplier, augmentation on
or off. A front end (the Train tab) asks from its own thread; the engine applies what was asked between two
batches and reports each applied change as a `Steered` event (trainer.config), which the window marks on its
charts and the job records in the checkpoint's metadata ("steering"), so that the run can be repeated:
`Steering.replaying(changes)` applies the same changes at the same batches, and `trainer train --steering FILE`
does that from a checkpoint or a JSON file.

Thread-safe by construction: requests go through a lock-guarded list, read by the engine's thread only, and a
pause waits on a threading.Event (which releases the GIL: the window stays free) woken by resume, checking the
run's stop a few times a second, so that Stop and closing the window still end a paused run.

No request, no cost: the engine's check between batches reads one attribute (see docs/recipe.md, "Steering").
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

from .config import Steered

LR_MULTIPLIER_RANGE = (0.1, 3.0)
KINDS = ("lr_multiplier", "augment", "epochs", "pause", "resume")
REPLAYED = ("lr_multiplier", "augment", "epochs")  # pauses change no weight
# A recorded "epochs" change above this is taken for a damaged record, not a run to replay.
MAX_EPOCHS = 10_000
STOP_CHECK_SECONDS = 0.1  # how soon a paused run sees a stop


class Steering:
    """What the person has asked a run to change, and what the run has changed (`log`, for the metadata).

    Any thread: `pause()`, `resume()`, `one_more_epoch()`, `set_lr_multiplier(x)`, `set_augment(on)`.
    The engine's thread: `apply(epoch, batch, stop)` between batches, `lr_multiplier`, `augment` (None: as the
    settings say), `epochs` (the run's total, once the engine has set it with `start(epochs)`)."""

    def __init__(self, script: list[Steered] | None = None):
        self._lock = threading.Lock()
        self._requests: list[tuple[str, object]] = []
        self._wake = threading.Event()
        self._script = sorted(script or [], key=lambda change: (change.epoch, change.batch))
        self.lr_multiplier = 1.0
        self.augment: bool | None = None
        self.epochs, self._emit, self._schedule, self._batches = 0, None, None, 1
        self.log: list[Steered] = []
        self._late: list[Steered] = []  # replayed changes made after the batch they were recorded before
        self.paused_seconds = 0.0  # in all, so far: the engine leaves it out of the epochs' times

    @classmethod
    def replaying(cls, changes: list[Steered]) -> Steering:
        """A steering that makes the changes a run recorded, at the batches it made them (pauses left out)."""
        return cls([change for change in changes if change.what in REPLAYED])

    @property
    def off_script(self) -> list[Steered]:
        """The replayed changes not made where they were recorded: made later (this run had fewer batches an
        epoch than the steered one) or never (it ended first)."""
        return self._late + self._script

    # ----- requests: any thread ------------------------------------------------------------------------------
    def _ask(self, what: str, value=None) -> None:
        with self._lock:
            self._requests.append((what, value))

    def pause(self) -> None:
        self._ask("pause")

    def resume(self) -> None:
        self._ask("resume")
        self._wake.set()

    def one_more_epoch(self) -> None:
        self._ask("epochs")

    def set_lr_multiplier(self, multiplier: float) -> None:
        low, high = LR_MULTIPLIER_RANGE
        if not low <= multiplier <= high:
            raise ValueError(f"the learning-rate multiplier must be from {low:g} to {high:g}, not {multiplier!r}")
        self._ask("lr_multiplier", float(multiplier))

    def set_augment(self, on: bool) -> None:
        self._ask("augment", bool(on))

    # ----- the engine's thread -------------------------------------------------------------------------------
    def start(self, epochs: int, emit=None, schedule: StretchedSchedule | None = None, batches: int = 1) -> None:
        """A run of `epochs` epochs of `batches` batches starts; each change is reported to `emit` as it is made,
        and one more epoch stretches `schedule`'s rest."""
        self.epochs, self._emit, self._schedule, self._batches = epochs, emit, schedule, batches

    def apply(self, epoch: int, batch: int, stop: threading.Event, step: int = 0) -> None:
        """Apply what is due before batch `batch` of epoch `epoch` (optimizer step `step` of the run), reporting
        each change to `emit` as it takes effect."""
        if not self._requests and not self._script:  # the common case: one read, no lock, no call
            return
        for change in self.changes(epoch, batch, stop, step):
            if self._emit is not None:
                self._emit(change)

    def changes(self, epoch: int, batch: int, stop: threading.Event, step: int = 0) -> Iterator[Steered]:
        """`apply`, yielding each change as it takes effect.
        A pause yields its change, then waits (in the engine's thread) until resumed, or stopped: then the run's
        stop ends it. What is asked while paused is applied on resuming, before the next batch."""
        while self._script and (self._script[0].epoch, self._script[0].batch) <= (epoch, batch):
            change = self._script.pop(0)
            if (change.epoch, change.batch) != (epoch, batch):
                self._late.append(change)
            yield self._record(change.what, epoch, batch, change.value, step)
        while True:
            with self._lock:
                if not self._requests:
                    return
                what, value = self._requests.pop(0)
            if what == "pause":
                yield self._record("pause", epoch, batch, None)
                seconds = self._wait(stop)
                if seconds is None:
                    return
                yield self._record("resume", epoch, batch, round(seconds, 3))
            elif what != "resume":  # a resume with nothing paused has nothing to do
                yield self._record(what, epoch, batch, value, step)

    def _wait(self, stop: threading.Event) -> float | None:
        """Wait, paused, until a resume is asked (the seconds paused) or the run is stopped (None)."""
        started = time.perf_counter()
        while not stop.is_set():
            with self._lock:
                if ("resume", None) in self._requests:
                    self._requests.remove(("resume", None))
                    seconds = time.perf_counter() - started
                    self.paused_seconds += seconds
                    return seconds
            self._wake.wait(STOP_CHECK_SECONDS)  # a plain wait: no busy loop, and the GIL is free
            self._wake.clear()
        self.paused_seconds += time.perf_counter() - started
        return None

    def _record(self, what: str, epoch: int, batch: int, value, step: int = 0) -> Steered:
        if what == "lr_multiplier":
            self.lr_multiplier = value
        elif what == "augment":
            self.augment = value
        elif what == "epochs":
            value = self.epochs + 1 if value is None else value
            self.epochs = value
            if self._schedule is not None:  # the schedule's rest, stretched to end at the new last batch
                self._schedule.extend_to(step, max(3, value * self._batches))
        change = Steered(what, epoch, batch, value)
        self.log.append(change)
        return change

    def meta(self) -> dict:
        """What a checkpoint records (trainer.metadata): the changes, and the run's total epochs with them."""
        if not self.log:
            return {}
        return {"steering": [vars(change).copy() for change in self.log], "epochs": self.epochs}


class StretchedSchedule:
    """A schedule (trainer.sgd.OneCycle) whose remaining part can be stretched over more steps: one more epoch
    continues the schedule from where it is, slower, to end at its final (lowest) rate at the new last batch.
    No jump in the rate when it is asked, and the run still ends annealed; asked for at the very end, the extra
    epoch runs at the final rate, which is small (raise the multiplier to train harder)."""

    def __init__(self, schedule, total_steps: int):
        self.schedule, self.total_steps = schedule, total_steps
        self.end = total_steps - 1         # the schedule's last position
        self.knot = (0, 0.0, 1.0)          # (step, position there, positions per step from there)

    def position(self, step: int) -> float:
        start, where, rate = self.knot
        return min(self.end, where + (step - start) * rate)

    def at(self, step: int) -> tuple[float, float]:
        return self.schedule.at(self.position(step))

    def extend_to(self, step: int, total_steps: int) -> None:
        """From `step` on, the rest of the schedule is spread to end at step `total_steps` - 1."""
        where = self.position(step)
        self.total_steps = total_steps
        remaining_steps = max(1, self.total_steps - 1 - step)
        self.knot = (step, where, (self.end - where) / remaining_steps)


def parse_changes(changes, source: str) -> list[Steered]:
    """Recorded changes (a list of {"what", "epoch", "batch", "value"}, as a checkpoint's metadata or a JSON file
    holds them) as Steered; ValueError naming `source` and what is wrong."""
    if not isinstance(changes, list):  # a ValueError, as all bad input: the command says it as it is
        example = '[{"what": "lr_multiplier", "epoch": 2, "batch": 1, "value": 0.5}, ...]'
        raise ValueError(f"{source} holds no list of changes; write {example} (see docs/recipe.md, Steering)")  # noqa: TRY004
    for item in changes:
        problem = check_change(item)
        if problem:
            raise ValueError(f"{source}: the change {json.dumps(item)[:80]} is wrong: {problem}")
    return [Steered(item["what"], item["epoch"], item["batch"], item.get("value")) for item in changes]


def check_change(item) -> str | None:
    """What is wrong with one recorded change (a dict), or None when it is sound."""
    if not isinstance(item, dict) or item.get("what") not in KINDS:
        return f"each change needs \"what\", one of {', '.join(KINDS)}"
    unknown = sorted(set(item) - {"what", "epoch", "batch", "value"})
    if unknown:
        return f"a change holds \"what\", \"epoch\", \"batch\" and \"value\" only, not {', '.join(map(repr, unknown))}"
    if not all(isinstance(item.get(key), int) and not isinstance(item.get(key), bool) and item[key] >= 1
               for key in ("epoch", "batch")):
        return "\"epoch\" and \"batch\" must be whole numbers from 1"
    value, what = item.get("value"), item["what"]
    low, high = LR_MULTIPLIER_RANGE
    if what == "lr_multiplier" and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                        and low <= value <= high):
        return f"an lr_multiplier's value must be a number from {low:g} to {high:g}"
    if what == "augment" and not isinstance(value, bool):
        return "an augment's value must be true or false"
    if what == "epochs" and not (isinstance(value, int) and not isinstance(value, bool)
                                 and item["epoch"] <= value <= MAX_EPOCHS):
        return (f"an epochs change's value must be the new total, a whole number from the epoch it was made in "
                f"to {MAX_EPOCHS}")
    return None
