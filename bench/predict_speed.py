"""Reading speed: what the Draw tab does on the GUI thread each time it reads the canvas, and `digitpad predict`'s
reading of a picture. A benchmark that prints figures, not a test.

Digits are drawn as strokes (trainer.synth), one digit and numbers of 4 and 8 digits; each reading (finding the
digits, redrawing each for the net, preprocessing, one batched forward pass, judging) is timed many times.

    python bench/predict_speed.py [--repeat 200] [--model CKPT]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from digitpad import builtin_checkpoint_path
from digitpad.reading.predictor import Predictor
from trainer.devices import cpu_capability
from trainer.ink.render import render
from trainer.synth.digits import ASPECT, random_digit

PEN = 0.045  # the canvas's default pen


def number(digits: list[int], rng: np.random.Generator) -> list:
    size = min(0.6, 0.9 / (len(digits) * 0.65 + (len(digits) - 1) * 0.35))
    gap = max(PEN + 0.02, 0.3 * size)
    x = 0.5 - (sum(size * ASPECT[d] for d in digits) + gap * (len(digits) - 1)) / 2
    strokes = []
    for digit in digits:
        width = size * ASPECT[digit]
        strokes += random_digit(digit, rng, size=size, centre=(x + width / 2, 0.5))
        x += width + gap
    return strokes


def timed(step, repeat: int) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--model", default=str(builtin_checkpoint_path()))
    args = parser.parse_args()
    predictor = Predictor.load(args.model)
    rng = np.random.default_rng(0)
    cases = {"1 digit": [7], "4 digits": [2, 0, 2, 6], "8 digits": [3, 1, 4, 1, 5, 9, 2, 6]}
    print(f"{cpu_capability()}; {args.repeat} runs each; torch on 1 thread per reading, as in the app")
    for name, digits in cases.items():
        strokes = number(digits, rng)
        picture = render(strokes, 280, PEN)
        predictor.read_strokes(strokes, PEN)  # the first call pays for torch's one-off set-up
        read = predictor.read_strokes(strokes, PEN).text
        median, p90 = timed(lambda: predictor.read_strokes(strokes, PEN), args.repeat)
        print(f"{name:<9} drawn on the pad, read as {read:<9} median {median:6.2f} ms   90th percentile {p90:6.2f} ms")
        median, p90 = timed(lambda: predictor.read_picture(picture), args.repeat)
        print(f"{name:<9} as a 280x280 picture:          median {median:6.2f} ms   90th percentile {p90:6.2f} ms")


if __name__ == "__main__":
    main()
