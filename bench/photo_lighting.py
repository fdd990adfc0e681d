"""How well `digitpad predict` reads numbers on paper photographed in uneven light.

Numbers of 1 to 3 synthetic handwritten digits (trainer.synth, a seed of their own) are drawn dark on light paper
with pens from a hairline to a marker, then "photographed": every pixel times the light falling on it, sensor
noise, JPEG (trainer.synth.pictures, whose lights the picture battery, bench/battery.py, shares). Each number is
read under even light and under five uneven ones, through Predictor.read_picture, the path `digitpad predict`
takes. Prints, per light, the share of numbers read whole and right, and the time a picture takes to read.

    python bench/photo_lighting.py [--model CKPT] [--numbers 120] [--size 320] [--bold]

`--bold` uses marker pens only (5-12% of the picture's side: strokes wider than the blocks the paper is
measured in). `--even-only` reads every picture as before uneven light was handled (one background level),
for comparison.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import trainer.ink.preprocess as preprocess
from digitpad import builtin_checkpoint_path
from digitpad.reading.predictor import Predictor
from trainer.devices import cpu_capability
from trainer.ink.render import render
from trainer.synth.digits import random_digit
from trainer.synth.pictures import LIGHTS, light_grid, photograph

SEED = 20261125


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="checkpoint (default: the built-in model)")
    parser.add_argument("--numbers", type=int, default=120)
    parser.add_argument("--size", type=int, default=320, help="the picture's side in pixels")
    parser.add_argument("--bold", action="store_true", help="marker pens only")
    parser.add_argument("--even-only", action="store_true", help="one background level, as before")
    args = parser.parse_args()
    if args.even_only:
        preprocess.UNEVEN = float("inf")
    predictor = Predictor.load(args.model or builtin_checkpoint_path())
    print(f"model: {predictor.description()}; {cpu_capability()}")
    rng = np.random.default_rng(SEED)
    pens = [0.05, 0.08, 0.12] if args.bold else [0.008, 0.015, 0.03, 0.05]
    y, x = light_grid((args.size, args.size))
    right = {name: 0 for name in LIGHTS}
    seconds = {name: 0.0 for name in LIGHTS}
    for i in range(args.numbers):
        count = 1 + i % 3
        digits = [int(d) for d in rng.integers(0, 10, count)]
        size = [0.75, 0.5, 0.36][count - 1]
        strokes = [stroke for place, digit in enumerate(digits)
                   for stroke in random_digit(digit, rng, size=size,
                                              centre=(0.5 + (place - (count - 1) / 2) * size * 0.75, 0.5))]
        ink = render(strokes, args.size, float(rng.choice(pens)))
        for name, light in LIGHTS.items():
            grey = photograph(ink, light(rng, y, x), rng)
            started = time.perf_counter()
            reading = predictor.read_picture(grey)
            seconds[name] += time.perf_counter() - started
            right[name] += reading is not None and reading.number == "".join(map(str, digits))
    print(f"{args.numbers} numbers of 1-3 digits, {args.size}x{args.size} px, pens {pens}"
          f"{' (one background level, as before)' if args.even_only else ''}")
    print("| light | read whole and right | ms a picture |")
    print("| --- | --- | --- |")
    for name in LIGHTS:
        print(f"| {name} | {right[name] / args.numbers:.0%} | {1000 * seconds[name] / args.numbers:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
