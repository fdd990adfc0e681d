"""README's screenshots of the Draw tab (its nearest examples from MNIST in $DIGITPAD_DATA), made offscreen from drawings drawn with mouse events on the real canvas;
with --handwriting DATA_DIR also the My handwriting tab after a real fine-tune on the scripted unusual hand
(trainer/synth/unusual_hand.py, drawn by digitpad/draw/scripted.py: 10 samples a digit drawn on the canvas
into a temporary personal set).

    python bench/screenshots.py [--out docs] [--model CKPT] [--handwriting ../shared/mnist]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from trainer.synth.digits import ASPECT, random_digit  # noqa: E402
from trainer.synth.nondigits import random_nondigit  # noqa: E402


def _send(canvas, kind, point, buttons):
    side = min(canvas.width(), canvas.height())
    left, top = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    position = QPointF(left + point[0] * side, top + point[1] * side)
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    QApplication.sendEvent(canvas, QMouseEvent(kind, position, canvas.mapToGlobal(position), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def draw(canvas, strokes) -> None:
    canvas.clear()
    for stroke in strokes:
        stroke = stroke if len(stroke) > 1 else stroke * 2
        _send(canvas, QEvent.Type.MouseButtonPress, stroke[0], Qt.MouseButton.LeftButton)
        for point in stroke[1:]:
            _send(canvas, QEvent.Type.MouseMove, point, Qt.MouseButton.LeftButton)
        _send(canvas, QEvent.Type.MouseButtonRelease, stroke[-1], Qt.MouseButton.NoButton)


def number(digits, rng, size, gap):
    x = 0.5 - (sum(size * ASPECT[d] for d in digits) + gap * (len(digits) - 1)) / 2
    strokes = []
    for digit in digits:
        width = size * ASPECT[digit]
        strokes += random_digit(digit, rng, size=size, centre=(x + width / 2, 0.5), slant=0.12)
        x += width + gap
    return strokes


def handwriting(window, canvas, path: Path) -> None:
    """Draw the unusual hand's samples, fine-tune in the tab as a person would, grab the tab when it is done."""
    from PySide6.QtCore import QEventLoop, QTimer

    from digitpad.draw.scripted import write_unusual_set

    write_unusual_set(canvas, window.personal_set.folder, 10, seed=1)
    window.tabs.setCurrentWidget(window.handwriting_tab)
    window.handwriting_tab.refresh()
    loop = QEventLoop()
    window.handwriting_tab.finetuneFinished.connect(loop.quit)
    QTimer.singleShot(0, window.handwriting_tab.start_finetune)
    QTimer.singleShot(600_000, loop.quit)
    loop.exec()  # a real event loop: the fine-tune's worker thread runs at full speed
    QApplication.processEvents()
    window.grab().save(str(path))
    print(f"{path}: after a fine-tune on {window.personal_set.folder}")
    result = window.handwriting_tab.last_result
    if result is not None and result.checkpoint:  # the fine-tuned model was only for the picture
        Path(result.checkpoint).unlink(missing_ok=True)
        print(f"removed {result.checkpoint}")


def wait_for_examples(window, limit_s: float = 600) -> None:
    """Until the Draw tab's nearest examples are ready (made or read in their worker), or cannot be."""
    from PySide6.QtCore import QEventLoop, QTimer

    source = window.draw_tab.nearest
    loop = QEventLoop()
    source.changed.connect(lambda: source.state in ("ready", "missing", "failed") and loop.quit())
    QTimer.singleShot(int(limit_s * 1000), loop.quit)
    source.wanted()
    if source.state not in ("ready", "missing", "failed"):
        loop.exec()
    print(f"nearest examples: {source.state} {source.message}")


# A 1 with a flag, which the built-in model reads as "7?": its nearest training digits are 1s and 7s.
ONE_OR_SEVEN = [[(0.42 + 0.13 * i / 20, 0.2) for i in range(21)] + [(0.55 - 0.05 * i / 20, 0.2 + 0.62 * i / 20)
                                                                   for i in range(1, 21)]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs")
    parser.add_argument("--model")
    parser.add_argument("--handwriting", metavar="DATA_DIR", help="also fine-tune and grab the My handwriting tab")
    args = parser.parse_args()
    if args.handwriting:  # the window's personal set: a fresh one, written below
        os.environ["DIGITPAD_PERSONAL"] = tempfile.mkdtemp(prefix="screenshot-personal-")
        os.environ["DIGITPAD_DATA"] = args.handwriting
    app = QApplication.instance() or QApplication([])  # noqa: F841
    from digitpad.window import MainWindow

    window = MainWindow(args.model)
    window.resize(1320, 780)
    window.show()
    app.processEvents()
    canvas, tab = window.draw_tab.canvas, window.draw_tab
    wait_for_examples(window)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shots = {
        "screenshot-draw.png": random_digit(7, np.random.default_rng(7), size=0.62, centre=(0.5, 0.5), slant=0.15),
        "screenshot-number.png": number([2, 0, 2, 6], np.random.default_rng(26), size=0.3, gap=0.06),
        "screenshot-not-a-digit.png": random_nondigit("cat", np.random.default_rng(3)),
        "screenshot-examples.png": ONE_OR_SEVEN,
    }
    for name, strokes in shots.items():
        draw(canvas, strokes)
        app.processEvents()
        window.grab().save(str(out / name))
        print(f"{out / name}: read {tab.reading.text!r}; {tab.caption.text()}")
    if args.handwriting:
        handwriting(window, canvas, out / "screenshot-handwriting.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
