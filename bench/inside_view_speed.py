"""How long one update of the inside view takes: what the Draw tab would add to each live prediction.

An update is `InsideView.show_input(image)` (a forward pass with hooks on every block, the live saliency map's
backward pass through Captum, every tile's heat-map picture) followed by painting the whole view with all its
children (`grab()`, offscreen: an upper bound of a real repaint, which also copies the pixels out), for a sequence of real MNIST test digits, so every update sees a new input. Prints the
median and 95th percentile of the whole update and of its parts, for each live saliency method, and the
on-request methods' times. The goal: the whole update under ~20 ms.

    python bench/inside_view_speed.py [--repeat 300] [--model CKPT] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad import builtin_checkpoint_path  # noqa: E402
from digitpad.inside.view import InsideView  # noqa: E402
from trainer.attribution import METHODS, attribute, preload  # noqa: E402
from trainer.checkpoint import load_checkpoint  # noqa: E402
from trainer.data import DataError, load_test_split  # noqa: E402
from trainer.devices import cpu_capability  # noqa: E402


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"median {statistics.median(ms):6.2f} ms   p95 {ms[int(len(ms) * 0.95)]:6.2f} ms   max {ms[-1]:6.2f} ms"


def timed(step, images, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        image = images[i % len(images)]
        started = time.perf_counter()
        step(image)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--model", default=str(builtin_checkpoint_path()))
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: $DIGITPAD_DATA, ...)")
    args = parser.parse_args()

    try:
        images = load_test_split(args.data_dir, download=False).images[:200, 0].numpy()
        source = "MNIST test digits"
    except DataError:
        images = np.random.default_rng(0).random((200, 28, 28), dtype=np.float32)
        source = "random pictures (MNIST not found)"
    app = QApplication.instance() or QApplication([])  # noqa: F841
    model = load_checkpoint(args.model).model
    preload()
    view = InsideView()
    view.resize(440, 900)
    view.show()
    view.set_model(model)
    app.processEvents()
    print(f"{cpu_capability()}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} "
          f"CPUs; {view.block_count()} blocks, {sum(b.channels for b in view.maps.blocks)} tiles; {args.repeat} "
          f"updates on {source}, the view at {view.width()}x{view.height()}")

    def update(image):
        view.show_input(image)
        view.grab()

    for method in ("saliency", "gradcam"):
        view.saliency.set_live_method(method)
        timed(update, images, 20)  # warm-up
        print(f"whole update, {METHODS[method].title + ':':<19} {summary(timed(update, images, args.repeat))}")
    probe = view.probe
    print(f"  forward pass with hooks:       {summary(timed(probe.run, images, args.repeat))}")
    for method in ("saliency", "gradcam"):
        times = timed(lambda image: attribute(view.model, image, 7, method), images, args.repeat)
        print(f"  {METHODS[method].title + ':':<30} {summary(times)}")
    view.show_input(images[0])
    print(f"  painting alone (grab):         {summary(timed(lambda _image: view.grab(), images, args.repeat))}")
    for method in ("integrated_gradients", "occlusion"):
        times = timed(lambda image: attribute(view.model, image, 7, method), images, 30)
        print(f"on request, {METHODS[method].title + ':':<21} {summary(times)} (in a thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
