"""Switching channels off, measured in the real window: what a toggle costs the live update, what it adds to
memory, and how long "What it costs" takes.

In the main window, with a real MNIST test digit shown in the Draw tab, inside a running event loop (each step
is a QTimer tick), it times:
- a click on a tile (the channel switched off or back on: the Draw tab reads again through a hooked copy, the
  inside view recomputes its maps and saliency), against the Draw tab reading the same digit again with nothing
  switched (the ordinary update);
- the inside view's forward pass with the switch's hooks attached and nothing off, against a copy without hooks
  (what every live update now pays);
- the memory the first switched-off channel adds (the Draw tab's hooked copy of the model: its tensors, and the
  process's resident size before and after);
- "What it costs" from the click to its figures (the worker thread, on the whole test set): the first time (two
  passes: with the channels off, and with none off) and again (one pass: the model's own accuracy is kept).

    python bench/ablation_speed.py [--data-dir DIR] [--repeat 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
MNIST_DIR = os.environ.get("DIGITPAD_DATA")  # where "What it costs" reads the test set (or --data-dir)
os.environ["DIGITPAD_DATA"] = tempfile.mkdtemp()  # no MNIST for the window: the nearest examples stay idle

import copy  # noqa: E402

import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.window import MainWindow  # noqa: E402
from trainer.data import load_test_split  # noqa: E402
from trainer.devices import cpu_capability  # noqa: E402
from trainer.inspection import FeatureProbe  # noqa: E402


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"median {statistics.median(ms):6.2f} ms   p95 {ms[int(len(ms) * 0.95)]:6.2f} ms"


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def in_event_loop(steps: list) -> list[float]:
    """Run each step from a QTimer tick of a running event loop (repaints happen between them); their times."""
    times, loop, pending = [], QEventLoop(), list(steps)

    def tick():
        if not pending:
            loop.quit()
            return
        started = time.perf_counter()
        pending.pop(0)()
        times.append(time.perf_counter() - started)
        QTimer.singleShot(0, tick)

    QTimer.singleShot(0, tick)
    loop.exec()
    return times


def measure_cost(window) -> float:
    inside, loop = window.draw_tab.inside, QEventLoop()
    inside.cost_job.finished.connect(loop.quit)
    started = time.perf_counter()
    inside.measure_cost()
    loop.exec()
    inside.cost_job.finished.disconnect(loop.quit)
    print("   ", window.findChild(type(inside.ablation.summary), "ablationSummary").text())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: $DIGITPAD_DATA)")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    data_dir = args.data_dir or MNIST_DIR
    if not data_dir:  # the window's own DIGITPAD_DATA is an empty folder, so that its nearest examples stay idle
        parser.error("say where MNIST is: --data-dir DIR or DIGITPAD_DATA")
    app = QApplication.instance() or QApplication([])  # noqa: F841
    window = MainWindow()
    window.resize(1320, 900)
    window.show()
    digit = load_test_split(data_dir, download=False).images[0, 0].numpy()
    window.open_digit(digit)
    inside = window.draw_tab.inside
    inside.set_data_dir(data_dir)
    maps = inside.maps
    print(f"{cpu_capability()}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.2f}")

    reread = in_event_loop([window.draw_tab.predict_now] * args.repeat)
    print(f"re-reading the digit, nothing switched:         {summary(reread)}")
    before = resident_mb()
    in_event_loop([lambda: QTest.mouseClick(maps, Qt.MouseButton.LeftButton, pos=maps.tile_rect(3, 5).center())])
    after = resident_mb()
    copy_bytes = sum(t.numel() * t.element_size() for t in [*window.predictor.model.parameters(),
                                                            *window.predictor.model.buffers()])
    print(f"first channel off: the hooked copy holds {copy_bytes / 1024:.0f} KiB of tensors; resident size "
          f"{before:.1f} -> {after:.1f} MB")
    clicks = [lambda: QTest.mouseClick(maps, Qt.MouseButton.LeftButton, pos=maps.tile_rect(3, 7).center())]
    toggles = in_event_loop(clicks * args.repeat)
    print(f"a click on a tile (off, on, ...), all updated:  {summary(toggles)}")
    painting = in_event_loop([window.draw_tab.grab] * 20)
    print(f"  then painting the Draw tab (grab, offscreen): {summary(painting)}")

    inside.restore_channels()
    hooked, plain = inside.model, copy.deepcopy(window.predictor.model).cpu().eval()
    images = [digit] * args.repeat
    for name, model in (("with the switch's hooks, none off", hooked), ("a copy without hooks", plain)):
        probe = FeatureProbe(model)
        times = in_event_loop([lambda image=image, probe=probe: probe.run(image) for image in images])
        print(f"inside view's forward pass, {name + ':':<34} {summary(times)}")

    in_event_loop([lambda: QTest.mouseClick(maps, Qt.MouseButton.LeftButton, pos=maps.tile_rect(3, 5).center())])
    print(f"what it costs, first (two passes):  {measure_cost(window):.2f} s, load {os.getloadavg()[0]:.2f}")
    in_event_loop([lambda: QTest.mouseClick(maps, Qt.MouseButton.LeftButton, pos=maps.tile_rect(3, 7).center())])
    print(f"what it costs, again (one pass):    {measure_cost(window):.2f} s, load {os.getloadavg()[0]:.2f}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
