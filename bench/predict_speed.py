"""Live prediction cost: what the Draw tab does on the GUI thread each time it reads the canvas.

A "7" is drawn on a real DrawingCanvas (offscreen) with the points a mouse would send; then each step of a live
prediction is timed many times: rendering the strokes for the net, preprocessing, and one forward pass. The goal
is a median under 5 ms for the whole, so that prediction can follow every pen move.

    python bench/predict_speed.py [--repeat 500] [--canvas 480] [--model CKPT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad import builtin_checkpoint_path  # noqa: E402
from digitpad.canvas import DrawingCanvas  # noqa: E402
from digitpad.predict import Predictor  # noqa: E402
from digitpad.preprocess import preprocess  # noqa: E402


def draw_seven(canvas: DrawingCanvas) -> None:
    """A bar and a diagonal in one stroke, sampled as a mouse at 125 Hz would sample a one-second stroke."""
    corners = [(0.28, 0.2), (0.72, 0.2), (0.42, 0.82)]
    side = canvas.width()
    points = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        points += [(x0 + (x1 - x0) * i / 60, y0 + (y1 - y0) * i / 60) for i in range(60)]
    canvas.begin_stroke(QPointF(points[0][0] * side, points[0][1] * side))
    for x, y in points[1:]:
        canvas.extend_stroke(QPointF(x * side, y * side))
    canvas.end_stroke()


def median_ms(step, repeat: int) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--canvas", type=int, default=480, help="canvas side in pixels (default: %(default)s)")
    parser.add_argument("--model", default=str(builtin_checkpoint_path()))
    args = parser.parse_args()

    app = QApplication([])  # noqa: F841 (widgets need it)
    canvas = DrawingCanvas()
    canvas.resize(args.canvas, args.canvas)
    draw_seven(canvas)
    predictor = Predictor.load(args.model)
    ink = canvas.ink_image()
    net_input = preprocess(ink)
    predictor.probabilities(net_input)  # the first call pays for torch's one-off setup

    steps = {
        "render strokes for the net": canvas.ink_image,
        "preprocess": lambda: preprocess(ink),
        "inference": lambda: predictor.probabilities(net_input),
        "preprocess + inference": lambda: predictor.predict(ink),
        "whole live prediction": lambda: predictor.predict(canvas.ink_image()),
    }
    print(f"canvas {args.canvas}x{args.canvas}, net image {ink.shape[1]}x{ink.shape[0]}, {args.repeat} runs each, "
          f"read as {predictor.predict(ink).digit}")
    for name, step in steps.items():
        median, p90 = median_ms(step, args.repeat)
        print(f"{name:<28} median {median:6.2f} ms   90th percentile {p90:6.2f} ms")


if __name__ == "__main__":
    main()
