"""How well `digitpad predict` reads numbers on paper photographed in uneven light.

Numbers of 1 to 3 synthetic handwritten digits (trainer.synth, a seed of their own) are drawn dark on light paper
with pens from a hairline to a marker, then "photographed": every pixel times the light falling on it, sensor
noise, JPEG. Each number is read under even light and under five uneven ones, through Predictor.read_picture,
the path `digitpad predict` takes. Prints, per light, the share of numbers read whole and right, and the time a
picture takes to read.

    python bench/photo_lighting.py [--model CKPT] [--numbers 120] [--size 320] [--bold]

`--bold` uses marker pens only (5-12% of the picture's side: strokes wider than the blocks the paper is
measured in). `--even-only` reads every picture as before uneven light was handled (one background level),
for comparison.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

import digitpad.reading.preprocess as preprocess
from digitpad import builtin_checkpoint_path
from digitpad.reading.predictor import Predictor
from digitpad.reading.render import render
from trainer.devices import cpu_capability
from trainer.synth.digits import random_digit

SEED = 20261125

LIGHTS = {
    "even": lambda rng, y, x: 0.9 + 0 * x,
    "lamp to one side": lambda rng, y, x: 0.95 - rng.uniform(0.2, 0.45) * (x if rng.random() < 0.5 else y),
    "soft shadow": lambda rng, y, x: 0.92 - 0.35 * np.clip((x + y - rng.uniform(0.8, 1.2)) * 2, 0, 1),
    "hard-edged shadow": lambda rng, y, x: 0.92 - 0.4 * np.clip((x + y - rng.uniform(0.8, 1.2)) * 8, 0, 1),
    "soft vignette": lambda rng, y, x: 0.95 - 0.5 * ((x - 0.5) ** 2 + (y - 0.5) ** 2),
    "strong vignette": lambda rng, y, x: 0.95 - 1.0 * ((x - 0.5) ** 2 + (y - 0.5) ** 2),
}


def photograph(ink: np.ndarray, paper: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picture = paper * (1 - 0.85 * ink) + rng.normal(0, 0.015, ink.shape)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=75)
    return np.asarray(Image.open(buffer).convert("L"), dtype=np.float32) / 255


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
    y, x = np.mgrid[0:args.size, 0:args.size] / args.size
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
