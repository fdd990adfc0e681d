"""What a model made elsewhere (ONNX, TorchScript, torch.export) adds to the live update and to memory.

In the real window, for the built-in model and then each model file given: the model is opened (its convention
given by --input-range and --ink, remembered as the window would), a 7 is drawn with mouse events driven by a
QTimer inside a running event loop, and the update each finished 7 gets (the Draw tab's `predict_now`: the reading,
the bars, the nearest examples when MNIST is found, the inside view's maps and live saliency) is timed, and then
its two parts alone (the reading; the inside view's update). Prints, per model, the median and 95th percentile of
an update, what the reading read, and the process's resident memory after opening and reading (growth over the
built-in model's).

    python bench/foreign_model_speed.py MODEL... [--input-range mnist] [--ink bright] [--strokes 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.draw.scripted import draw  # noqa: E402
from digitpad.window import MainWindow  # noqa: E402
from trainer.conventions import Convention, file_sha256, remember  # noqa: E402
from trainer.devices import cpu_capability  # noqa: E402

# A 7 in canvas units: the top bar, then the stem.
SEVEN = [[(0.25 + 0.025 * i, 0.22) for i in range(21)] + [(0.75 - 0.0175 * i, 0.22 + 0.028 * i) for i in range(21)]]


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"median {statistics.median(ms):5.1f} ms, p95 {ms[int(len(ms) * 0.95)]:5.1f} ms"


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(window: MainWindow, strokes: int) -> tuple[list[float], dict, str]:
    """Draw the 7 `strokes` times (cleared between) from inside a running event loop; every live update's time."""
    times: list[float] = []
    parts: dict[str, list[float]] = {"reading": [], "inside view": []}
    tab = window.draw_tab
    original = tab.predict_now

    def timed_predict():
        started = time.perf_counter()
        original()
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        window.predictor.read_strokes(tab.canvas.strokes(), tab.canvas.pen_width)
        parts["reading"].append(time.perf_counter() - started)
        started = time.perf_counter()
        tab.inside.show_input(tab.reading.digits[0].image)
        parts["inside view"].append(time.perf_counter() - started)
    loop, left = QEventLoop(), [strokes]
    read = []

    def step():
        if not left[0]:
            loop.quit()
            return
        left[0] -= 1
        tab.canvas.clear()
        draw(tab.canvas, SEVEN)
        timed_predict()  # the update a finished stroke gets
        read.append(tab.reading.text if tab.reading else "")
        QTimer.singleShot(20, step)
    QTimer.singleShot(0, step)
    loop.exec()
    return times, parts, max(set(read), key=read.count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL")
    parser.add_argument("--input-range", default="mnist")
    parser.add_argument("--ink", default="bright")
    parser.add_argument("--strokes", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])  # noqa: F841
    window = MainWindow()
    window.show()
    app.processEvents()
    print(f"{cpu_capability()}; torch {torch.__version__}; load {os.getloadavg()[0]:.2f}; {args.strokes} drawn 7s "
          f"per model")
    base = None
    for path in [None, *args.models]:
        if path is not None:
            remember(file_sha256(path), Convention(args.input_range, args.ink), Path(path).name)
            if not window.use_model(path):
                print(f"{path}: could not be opened")
                continue
        times, parts, read = measure(window, args.strokes)
        memory = resident_mb()
        base = memory if base is None else base
        name = "built-in model" if path is None else Path(path).name
        inside = window.draw_tab.inside
        print(f"{name:<20} update {summary(times)}  read {read!r}  RSS {memory:5.0f} MB ({memory - base:+.0f}); "
              f"{inside.block_count()} map rows, live saliency: {inside.saliency.method or 'none'}")
        for part, part_times in parts.items():
            print(f"{'':<20}   {part + ':':<12} {summary(part_times)}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
