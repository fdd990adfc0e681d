"""Stroke widths of MNIST's digits, as trainer.ink.strokes measures them: the figures its constants hold.

    python bench/stroke_widths.py --data-dir ../shared/mnist [--digits 20000]
"""

import argparse

import numpy as np

from trainer.data import load_mnist
from trainer.ink.preprocess import NOISE_FLOOR, crop_to_ink
from trainer.ink.strokes import WORK_SIZE, stroke_width, to_work_size

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir")
parser.add_argument("--digits", type=int, default=20000)
args = parser.parse_args()
train, _ = load_mnist(args.data_dir, download=False)
chosen = np.random.default_rng(0).choice(len(train), args.digits, replace=False)
widths = []
for index in chosen:
    image = train.images[index, 0].numpy()
    widths.append(stroke_width(to_work_size(crop_to_ink(np.where(image >= NOISE_FLOOR, image, 0)))))
percentiles = np.percentile(widths, [1, 5, 10, 50, 90, 95])
print(f"{args.digits} MNIST training digits, stroke width at work size {WORK_SIZE} (pixels; /4 for the 20-pixel box):")
print("  " + ", ".join(f"p{p}: {v:.1f}" for p, v in zip([1, 5, 10, 50, 90, 95], percentiles)))
