"""The Draw tab's nearest examples, measured in the real window and its event loop:

1. making the index of MNIST's 60,000 training digits for a model (their features, the principal components, the
   typical distance), in the worker thread as the app does, from an empty cache; then reading it from the cache;
2. the memory the index adds to the idle window (its resident size, before and after, and what the index holds);
3. the time of each update of the strip while drawing: digits drawn by scripted mouse events, one event per turn
   of the event loop (as a hand's reach the window), the tab reading live as it does for a person; each update is
   the lookup (a forward pass to the last layer and the matrix product) and the tiles' new pictures.

    python bench/nearest_examples_speed.py [--digits 30] [--data-dir DIR] [--model CKPT]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def wait_ready(source, limit_s: float = 900) -> float:
    """Run the event loop until the source's index is ready; the seconds it took."""
    started = time.perf_counter()
    loop = QEventLoop()
    source.changed.connect(lambda: source.state in ("ready", "failed", "missing") and loop.quit())
    QTimer.singleShot(int(limit_s * 1000), loop.quit)
    if source.state not in ("ready", "failed", "missing"):
        loop.exec()
    if source.state != "ready":
        sys.exit(f"the index is not ready: {source.state}: {source.message}")
    return time.perf_counter() - started


def settle(seconds: float = 3) -> None:
    """Let the window finish what it does after a change (painting, the inside view), then collect garbage."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    gc.collect()


def mouse_events(canvas, digits: int):
    """(kind, position, buttons) of a hand drawing `digits` digits, each on a cleared canvas (None: clear)."""
    from digitpad.draw.scripted import to_widget
    from trainer.synth.digits import random_digit

    rng = np.random.default_rng(0)
    left = Qt.MouseButton.LeftButton
    for i in range(digits):
        yield None
        for stroke in random_digit(i % 10, rng):
            points = [QPointF(to_widget(canvas, p)) for p in stroke]
            yield QEvent.Type.MouseButtonPress, points[0], left
            for point in points[1:]:
                yield QEvent.Type.MouseMove, point, left
            yield QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton


def draw_in_event_loop(tab, digits: int, interval_ms: int = 4) -> float:
    """Send the events one per timer tick, so the event loop (the live timer, repaints) runs between them."""
    canvas, events = tab.canvas, mouse_events(tab.canvas, digits)
    loop, timer = QEventLoop(), QTimer()

    def next_event():
        event = next(events, "end")
        if event == "end":
            timer.stop()
            loop.quit()
        elif event is None:
            canvas.clear()
        else:
            kind, point, buttons = event
            button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
            QApplication.sendEvent(canvas, QMouseEvent(kind, point, QPointF(canvas.mapToGlobal(point)), button,
                                                       buttons, Qt.KeyboardModifier.NoModifier))

    timer.timeout.connect(next_event)
    timer.start(interval_ms)
    started = time.perf_counter()
    loop.exec()
    return time.perf_counter() - started


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (f"{len(ms)} updates: median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, "
            f"max {ms[-1]:.2f} ms")


def build(args) -> None:
    """In a process of its own: the window makes the index from an empty cache, in its worker, as the app does."""
    app = QApplication.instance() or QApplication([])
    from digitpad.window import MainWindow

    window = MainWindow(args.model)
    window.show()
    lateness, last = [], [time.perf_counter()]

    def tick():  # a 20 ms timer: how late the window answers while the worker makes the index
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.020))
        last[0] = now

    ticker = QTimer(interval=20, timerType=Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)
    window.draw_tab.set_data_dir(args.data_dir)
    window.draw_tab.nearest.wanted()  # at once, not a second later
    ticker.start()
    made = wait_ready(window.draw_tab.nearest)
    ticker.stop()
    print(f"the window meanwhile, a 20 ms timer: late by {summary(lateness).split(': ', 1)[1]}", flush=True)
    index = window.draw_tab.nearest.index
    print(f"index made in the worker from an empty cache: {made:.1f} s ({len(index):,} digits, {index.dimensions} "
          f"features each)", flush=True)
    window.close()
    app.processEvents()


def measure(args) -> None:
    """In a fresh process, with the index cached: the memory it adds to the idle window, then drawing."""
    app = QApplication.instance() or QApplication([])
    from digitpad.window import MainWindow

    os.environ["DIGITPAD_DATA"] = tempfile.mkdtemp(prefix="no-mnist-")  # MNIST missing: no index, the idle window
    window = MainWindow(args.model)
    tab, source = window.draw_tab, window.draw_tab.nearest
    window.show()
    settle()
    idle = resident_mb()
    tab.set_data_dir(args.data_dir)
    read = wait_ready(source)
    settle()
    with_index = resident_mb()
    print(f"index read from the cache: {read:.2f} s; resident memory of the idle window {idle:.0f} MB without it, "
          f"{with_index:.0f} MB with it (+{with_index - idle:.0f} MB); the index holds "
          f"{source.index.nbytes / 1e6:.0f} MB")
    strip = tab.examples
    strip.update_times.clear()
    strip.update_cpu_times.clear()
    seconds = draw_in_event_loop(tab, args.digits)
    print(f"drawing {args.digits} digits took {seconds:.1f} s; the nearest examples' updates, by the clock: "
          f"{summary(list(strip.update_times))}; in CPU time: {summary(list(strip.update_cpu_times))}")
    settle()
    print(f"resident memory after drawing: {resident_mb():.0f} MB")
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, default=30)
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: $DIGITPAD_DATA, ...)")
    parser.add_argument("--model", help="a checkpoint (default: the built-in model)")
    parser.add_argument("--phase", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        build(args)
    elif args.phase == "measure":
        measure(args)
    else:
        from trainer.data import resolve_data_dir

        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="nearest-bench-")  # empty: the index made afresh
        command = [sys.executable, __file__, "--digits", str(args.digits),
                   "--data-dir", str(resolve_data_dir(args.data_dir))] + (["--model", args.model] if args.model else [])
        for phase in ("build", "measure"):
            subprocess.run(command + ["--phase", phase], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
