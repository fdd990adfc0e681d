"""The Evaluate tab's points map: how long each map takes to fit, how long the live point takes per update while a
person draws, and the memory the map adds once idle.

In the real window (offscreen) inside real event loops (QEventLoop.exec()): evaluates the built-in model (or --model)
on the 10,000 MNIST test digits with the map held back, measures the process's memory, then lets the map fit
(the last layer's PCA, then its t-SNE) and measures again once idle. Then the map is put in its own window beside
the pad, and strokes are drawn on the pad by mouse events from a 10 ms QTimer (a pen at 100 Hz): every reading
the Draw tab makes moves the live point, whose update (the drawing's features and projection) and repaint are
timed. --layers fits every layer's PCA too. --screenshot saves the Evaluate tab.

    python bench/points_map_speed.py [--model CKPT] [--data-dir DIR] [--layers] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PEN_MS = 10


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def percentiles(values: list[float]) -> str:
    import numpy as np

    ms = np.array(values) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms, max {ms.max():.2f} ms (n={len(ms)})"


def run_until(app, condition, timeout_s: float) -> None:
    """The event loop runs until `condition()` (checked every 50 ms) or the timeout. A loop of its own each time:
    a quit left over from an earlier loop then never ends this one at once."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, timer = QEventLoop(), QTimer()
    started = time.perf_counter()
    timer.timeout.connect(lambda: (condition() or time.perf_counter() - started > timeout_s) and loop.quit())
    timer.start(50)
    loop.exec()
    timer.stop()


def strokes_of_digits():
    """A few digits' strokes as a person draws them (the unusual hand's samples), points in canvas units."""
    from trainer.synth import unusual_hand

    return [strokes for _digit, strokes in unusual_hand.samples(1, 0, range(10))]


def draw_in_event_loop(app, canvas, digits) -> None:
    """Each digit's strokes sent point by point from a QTimer, as a pen would, the event loop running."""
    from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer

    from digitpad.draw.scripted import _send

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    events = []
    for strokes in digits:
        events.append(("clear", None))
        for stroke in strokes:
            events.append((QEvent.Type.MouseButtonPress, stroke[0]))
            events += [(QEvent.Type.MouseMove, point) for point in stroke[1:]]
            events.append((QEvent.Type.MouseButtonRelease, stroke[-1]))
    loop, timer = QEventLoop(), QTimer()

    def step():
        if not events:
            timer.stop()
            QTimer.singleShot(200, loop.quit)
            return
        kind, point = events.pop(0)
        if kind == "clear":
            canvas.clear()
        else:
            _send(canvas, kind, point, left if kind == QEvent.Type.MouseButtonPress else
                  (left if kind == QEvent.Type.MouseButtonRelease else none),
                  none if kind == QEvent.Type.MouseButtonRelease else left)

    timer.timeout.connect(step)
    timer.start(PEN_MS)
    loop.exec()


def screenshot(app, window, points, path: str) -> None:
    """The Evaluate tab with a 4 drawn on the pad (its live point) and the pointer on the most confident mistake."""
    import numpy as np
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from digitpad.draw.scripted import draw

    draw(window.draw_tab.canvas, [[(0.35, 0.2), (0.28, 0.55), (0.68, 0.55)], [(0.58, 0.3), (0.6, 0.85)]])
    window.tabs.setCurrentWidget(window.evaluate_tab)
    plot = points.plot
    wrong = np.flatnonzero(plot.labels != plot.predictions)
    index = int(wrong[np.argmax(plot.confidences[wrong])])
    position = QPointF(plot.point_at(index))
    QApplication.sendEvent(plot, QMouseEvent(QEvent.Type.MouseMove, position, plot.mapToGlobal(position),
                                             Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                             Qt.KeyboardModifier.NoModifier))
    run_until(app, lambda: False, 0.5)
    window.evaluate_tab.grab().save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a checkpoint (default: the built-in model)")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: $DIGITPAD_DATA, ...)")
    parser.add_argument("--layers", action="store_true", help="fit every layer's PCA too")
    parser.add_argument("--screenshot", help="save the Evaluate tab to this PNG once the t-SNE map is shown")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import gc

    from PySide6.QtWidgets import QApplication

    from digitpad import builtin_checkpoint_path
    from digitpad.window import MainWindow
    from trainer.data import missing_files, resolve_data_dir
    from trainer.features import last_layer

    data_dir = str(resolve_data_dir(args.data_dir))
    if missing_files(Path(data_dir)):
        sys.exit(f"MNIST is not in {data_dir}: pass --data-dir or set DIGITPAD_DATA")
    app = QApplication([])
    window = MainWindow(args.model or str(builtin_checkpoint_path()))
    window.resize(1500, 860)
    window.show()
    window.train_tab.settings.dataDir.setText(data_dir)
    tab, points = window.evaluate_tab, window.evaluate_tab.points_map
    window.tabs.setCurrentWidget(tab)
    held = []
    set_set = points.set_set
    points.set_set = lambda *given: held.append(given)  # the map held back: memory without it first
    tab.run_evaluation()
    run_until(app, lambda: bool(held) and not tab.job.busy, 300)
    gc.collect()
    run_until(app, lambda: False, 1.0)
    before = rss_mib()
    print(f"evaluated {len(held[0][1]):,} digits; memory without the map: {before:.0f} MiB")

    set_set(*held[0])
    layer = last_layer(window.predictor.model)  # the map's default: "features.8" for the seed Net
    run_until(app, lambda: layer in points.tsnes, 900)
    space, tsne = points.spaces[layer], points.tsnes[layer]
    print(f"PCA of {layer} ({space.dims} numbers per digit): {space.seconds:.1f} s from the request to the "
          f"map (a child process's start-up and the features pass included)")
    print(f"t-SNE of {tsne.fitted_count:,} digits + out-of-sample step for the rest: {tsne.seconds:.1f} s more")
    if args.screenshot:
        screenshot(app, window, points, args.screenshot)
    gc.collect()
    run_until(app, lambda: False, 1.0)
    kept = sum(a.nbytes for s in points.spaces.values() for a in (s.mean, s.components, s.coords))
    kept += sum(t.positions.nbytes + t.fitted.nbytes for t in points.tsnes.values())
    print(f"idle memory with the map: {rss_mib():.0f} MiB, +{rss_mib() - before:.0f} MiB "
          f"(its own arrays: {kept / 2**20:.1f} MiB; the fits ran in child processes)")

    points.float_out()  # beside the pad, as a teacher would show it while drawing
    window.tabs.setCurrentWidget(window.draw_tab)
    paints: list[float] = []
    paint = points.plot.paintEvent

    def timed_paint(event):
        started = time.perf_counter()
        paint(event)
        paints.append(time.perf_counter() - started)

    points.plot.paintEvent = timed_paint
    for method in ("tsne", "pca"):
        points.live_seconds.clear()
        paints.clear()
        (points.tsne_button if method == "tsne" else points.pca_button).click()
        draw_in_event_loop(app, window.draw_tab.canvas, strokes_of_digits())
        print(f"live point, {method}: update {percentiles(list(points.live_seconds))}; repaint {percentiles(paints)}")

    if args.layers:
        for layer in [points.layer_box.itemData(i) for i in range(points.layer_box.count())]:
            points.layer_box.setCurrentIndex(points.layer_box.findData(layer))
            points.layer_box.activated.emit(points.layer_box.currentIndex())
            run_until(app, lambda layer=layer: layer in points.spaces or layer in points.failed, 900)
            space = points.spaces[layer]
            print(f"PCA of {layer}: {space.dims:,} numbers per digit, fitted on {space.fitted_on:,}, "
                  f"{space.seconds:.1f} s; first two components {space.variance[:2].sum():.0%} of the variance")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
