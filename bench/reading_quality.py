"""How well the pad reads what people really write, drawn through the real canvas with mouse events.

Digits, numbers and non-digits come from trainer.synth with seeds and kinds of their own: the non-digits are the
"evaluation" family, kinds that neither outlier exposure nor calibration ever saw. Each drawing is made on a
real DrawingCanvas (offscreen) by press / move / release events, as a mouse would, and read by the Draw tab
exactly as a person's drawing is. Prints:

1. single digits: share read right, and of those the share wrongly flagged (not sure / not a digit);
2. numbers of 2 to 8 digits: share read whole and right;
3. non-digits: share flagged;
4. a sweep over pen width, size, position and slant (share of single digits read right and sure);
5. for reference only (it chose nothing): the share of MNIST's test digits flagged.

    python bench/reading_quality.py [--model CKPT] [--digits 600] [--numbers 200] [--nondigits 1900]
                                    [--data-dir DIR] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad import builtin_checkpoint_path  # noqa: E402
from digitpad.draw.tab import DrawTab  # noqa: E402
from digitpad.reading.predictor import Predictor  # noqa: E402
from trainer.devices import cpu_capability  # noqa: E402
from trainer.synth.digits import ASPECT, random_digit  # noqa: E402
from trainer.synth.nondigits import FAMILIES, random_nondigit  # noqa: E402

SEED = 424242  # not the calibration's (1) nor the outlier pool's (0)


def _send(canvas, kind, point, buttons):
    side = min(canvas.width(), canvas.height())
    left, top = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    position = QPointF(left + point[0] * side, top + point[1] * side)
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, position, canvas.mapToGlobal(position), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, event)


def draw(tab: DrawTab, strokes) -> None:
    """Draw on the tab's canvas as a mouse does, then let the tab read it."""
    tab.canvas.clear()
    for stroke in strokes:
        _send(tab.canvas, QEvent.Type.MouseButtonPress, stroke[0], Qt.MouseButton.LeftButton)
        for point in stroke[1:]:
            _send(tab.canvas, QEvent.Type.MouseMove, point, Qt.MouseButton.LeftButton)
        _send(tab.canvas, QEvent.Type.MouseButtonRelease, stroke[-1], Qt.MouseButton.NoButton)
    tab.predict_now()


def number_strokes(digits, rng, pen):
    size = 0.6
    while True:
        gap = max(pen + 0.02, 0.25 * size)
        if sum(size * ASPECT[d] for d in digits) + gap * (len(digits) - 1) + pen <= 0.92:
            break
        size *= 0.95
    x = 0.5 - (sum(size * ASPECT[d] for d in digits) + gap * (len(digits) - 1)) / 2
    strokes = []
    for digit in digits:
        width = size * ASPECT[digit]
        strokes += random_digit(digit, rng, size=size, centre=(x + width / 2, 0.5 + rng.uniform(-0.05, 0.05)))
        x += width + gap
    return strokes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="checkpoint (default: the built-in model)")
    parser.add_argument("--digits", type=int, default=600)
    parser.add_argument("--numbers", type=int, default=200)
    parser.add_argument("--nondigits", type=int, default=1900, help="100 of each of the 19 kinds (default)")
    parser.add_argument("--sweep", type=int, default=30, help="digits per cell of the sweep")
    parser.add_argument("--data-dir", help="MNIST, for the reference figure 5")
    parser.add_argument("--markdown", action="store_true", help="print the sweep as a Markdown table")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])  # noqa: F841
    tab = DrawTab()
    tab.resize(900, 700)
    tab.show()
    predictor = Predictor.load(args.model or builtin_checkpoint_path())
    tab.set_predictor(predictor)
    print(f"model: {predictor.description()}; threshold {predictor.threshold:.3f}; {cpu_capability()}")
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()

    right = flagged = 0
    for i in range(args.digits):
        digit = i % 10
        tab.canvas.pen_width = float(rng.choice([0.025, 0.045, 0.07]))
        draw(tab, random_digit(digit, rng))
        reading = tab.reading
        if reading is not None and len(reading.digits) == 1 and reading.digits[0].digit == digit:
            right += 1
            flagged += not reading.sure
    print(f"1. single drawn digits: {right / args.digits:.1%} read right ({args.digits}); of those "
          f"{flagged / max(right, 1):.1%} wrongly flagged as not sure or not a digit")

    whole = 0
    for _ in range(args.numbers):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(2, 9)))]
        tab.canvas.pen_width = 0.03
        draw(tab, number_strokes(digits, rng, 0.03))
        whole += tab.reading is not None and tab.reading.number == "".join(map(str, digits))
    print(f"2. numbers of 2-8 digits: {whole / args.numbers:.1%} read whole and right ({args.numbers})")

    kinds, caught = FAMILIES["evaluation"], {}
    for i in range(args.nondigits):
        kind = kinds[i % len(kinds)]
        tab.canvas.pen_width = float(rng.choice([0.025, 0.045, 0.07]))
        draw(tab, random_nondigit(kind, rng))
        hit = tab.reading is not None and not tab.reading.sure
        caught.setdefault(kind, []).append(hit)
    total = np.mean([hit for hits in caught.values() for hit in hits])
    print(f"3. non-digits flagged: {total:.1%} ({args.nondigits}, kinds never trained or calibrated on); by kind: "
          + ", ".join(f"{kind} {np.mean(hits):.0%}" for kind, hits in caught.items()))

    pens, sizes = (0.015, 0.03, 0.045, 0.08, 0.12), (0.15, 0.3, 0.5, 0.9)
    places = {"centre": (0.5, 0.5), "corner": None}
    print("4. sweep: share read right and sure, by pen width (columns, canvas share) and digit height (rows)")
    header = "| height \\ pen | " + " | ".join(f"{pen:g}" for pen in pens) + " |"
    print(header if args.markdown else header.replace("|", " "))
    if args.markdown:
        print("|" + " --- |" * (len(pens) + 1))
    for size in sizes:
        cells = []
        for pen in pens:
            ok = 0
            for i in range(args.sweep):
                tab.canvas.pen_width = pen
                half = size / 2 + pen
                corner = (float(rng.choice([half, 1 - half])), float(rng.choice([half, 1 - half])))
                centre = places["centre"] if i % 2 else corner
                slant = 0.36 if i % 3 == 0 else None  # every third slanted 20 degrees
                draw(tab, random_digit(i % 10, rng, size=size, centre=centre, slant=slant))
                reading = tab.reading
                ok += reading is not None and reading.number == str(i % 10) and reading.sure
            cells.append(f"{ok / args.sweep:.0%}")
        row = f"| {size:g} | " + " | ".join(cells) + " |"
        print(row if args.markdown else row.replace("|", " "))
    print("   (half of each cell's digits in a corner, half centred; a third slanted 20 degrees)")

    if args.data_dir:
        from trainer.data import load_test_split

        test = load_test_split(args.data_dir, download=False)
        probabilities = predictor.probabilities(test.images[:, 0].numpy())
        correct = probabilities.argmax(axis=1) == test.labels.numpy()
        print(f"5. MNIST test digits read right but flagged (reference only): "
              f"{(probabilities.max(axis=1)[correct] < predictor.threshold).mean():.2%}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
