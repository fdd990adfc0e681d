"""The picture battery: how well `digitpad predict` reads digits in each kind of picture people open.

Each kind is built from a fixed seed of its own, from data the reading may be chosen on: MNIST's 5,000 held-out
training digits (trainer.data.split_validation, the images every run holds out; never the test set) and
synthetic handwriting (trainer.synth). The pictures are made by trainer.synth.pictures (the photo bench's lights
among them), stored as a picture file stores them (8 bits; colour read to grey as Pillow reads it, by
trainer.ink.images.to_grayscale) and read by Predictor.read_picture, the path `digitpad predict` takes;
canvas drawings are read as the pad reads strokes. Prints a table, per kind: the share read right, read right
and sure, and of those read right the share flagged (not sure). Blank pages have no digit to read: right is
"no ink" or "not a digit", never a number.

    python bench/battery.py [--n 300] [--model CKPT] [--data-dir DIR] [--kinds K,K] [--markdown] [--json]
                            [--even-only]
    python bench/battery.py --record    # the figures tests/test_battery.py guards (bench/battery_figures.json)

Kinds built on MNIST are left out, saying so, when MNIST is not found (--data-dir, $DIGITPAD_DATA, or the
default folder); the others need nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

import trainer.ink.preprocess as preprocess
from digitpad import builtin_checkpoint_path
from digitpad.reading.predictor import Predictor
from trainer.devices import cpu_capability
from trainer.ink.images import to_grayscale
from trainer.ink.render import render
from trainer.synth import pictures
from trainer.synth.digits import STYLES, random_digit
from trainer.synth.typefaces import digit_fonts, typeset_digit

SEED = 20261203
SIZE = 280  # every picture's side, in pixels
FIGURES = Path(__file__).with_name("battery_figures.json")
CI_N = 100  # pictures per kind in the CI test's sample: one lost is a point; the test takes about 30 s on one core

BLANK = "blank"  # the kinds with no digit: read right when no number comes out


@dataclass(frozen=True)
class Kind:
    name: str
    source: str  # "mnist" (held-out training digits), "synth" (synthetic handwriting) or BLANK
    make: Callable  # (rng, ink or strokes, digit) -> picture (grey or RGB in [0, 1]), or strokes for the canvas


# ----- where digits come from ----------------------------------------------------------------------------------
def mnist_page(digit: np.ndarray, rng: np.random.Generator, height: tuple[float, float] = (0.35, 0.75)) -> np.ndarray:
    """A held-out MNIST digit (28x28, bright on black) enlarged bicubically to a share of the page's side and put
    somewhere on a SIZE x SIZE page: ink bright on black."""
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    tall = int(SIZE * rng.uniform(*height))
    wide = max(1, round(crop.shape[1] * tall / crop.shape[0]))
    enlarged = np.asarray(Image.fromarray(crop).resize((wide, tall), Image.Resampling.BICUBIC), dtype=np.float32)
    page = np.zeros((SIZE, SIZE), np.float32)
    top, left = int(rng.integers(0, SIZE - tall + 1)), int(rng.integers(0, max(1, SIZE - wide + 1)))
    page[top:top + tall, left:left + wide] = np.clip(enlarged, 0, 1)[:, :SIZE - left]
    return page


def filling_the_frame(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The digit cropped to its ink and enlarged until its longer side meets the frame (a margin of 0-3 pixels),
    dark on light: a digit cut out of a form."""
    rows, columns = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    margin = int(rng.integers(0, 4))
    tall = SIZE - 2 * margin
    wide = max(1, min(SIZE - 2 * margin, round(crop.shape[1] * tall / crop.shape[0])))
    enlarged = np.asarray(Image.fromarray(crop).resize((wide, tall), Image.Resampling.BICUBIC), dtype=np.float32)
    page = np.zeros((SIZE, SIZE), np.float32)
    left = (SIZE - wide) // 2
    page[margin:margin + tall, left:left + wide] = np.clip(enlarged, 0, 1)
    return pictures.on_paper(page, paper=0.95, pen=0.05)


def synth_ink(strokes, pen: float) -> np.ndarray:
    return render(strokes, SIZE, pen)


# ----- the kinds -----------------------------------------------------------------------------------------------
def _plain(rng, digit, label):
    return pictures.on_paper(mnist_page(digit, rng), paper=float(rng.uniform(0.85, 1)), pen=float(rng.uniform(0, 0.2)))


def _low_resolution(pixels):
    return lambda rng, digit, label: pictures.low_resolution(digit, pixels, SIZE)


def _jpeg(rng, digit, label):
    return pictures.jpeg(pictures.on_paper(mnist_page(digit, rng)), int(rng.integers(15, 41)))


def _blur(rng, digit, label):
    page = mnist_page(digit, rng)
    tall = np.ptp(np.flatnonzero(page.any(axis=1))) + 1
    return pictures.blur(pictures.on_paper(page), float(rng.uniform(0.02, 0.05) * tall))


def _edges(rng, digit, label):
    return filling_the_frame(digit, rng)


def _pen(low, high):
    def make(rng, strokes, label):
        return pictures.jpeg(pictures.on_paper(synth_ink(strokes, float(rng.uniform(low, high)))), 90)
    return make


UNEVEN = [name for name in pictures.LIGHTS if name != "even"]


def _uneven(rng, strokes, label):
    y, x = pictures.light_grid((SIZE, SIZE))
    light = pictures.LIGHTS[UNEVEN[int(rng.integers(len(UNEVEN)))]]
    ink = synth_ink(strokes, float(rng.choice([0.008, 0.015, 0.03, 0.05])))
    return pictures.photograph(ink, light(rng, y, x), rng)


def _salt_and_pepper(rng, digit, label):
    return pictures.salt_and_pepper(pictures.on_paper(mnist_page(digit, rng)), rng, float(rng.uniform(0.0005, 0.005)))


def _lined(squared):
    def make(rng, digit, label):
        paper = pictures.ruled((SIZE, SIZE), rng, squared)
        return paper * (1 - 0.88 * mnist_page(digit, rng))
    return make


def _light_on_dark(rng, digit, label):
    board = float(rng.uniform(0.05, 0.3))
    chalk = float(rng.uniform(0.75, 1.0))
    page = board + (chalk - board) * mnist_page(digit, rng)
    return np.clip(page + rng.normal(0, 0.02, page.shape), 0, 1)


def _ballpoint(rng, strokes, label):
    return pictures.coloured(synth_ink(strokes, float(rng.uniform(0.01, 0.025))), rng)


def _canvas(rng, strokes, label):
    return strokes  # drawn with a pen chosen in `read`


def _typeface(rng, _, label):
    """A digit set in a typeface the training never saw (trainer.synth.typefaces.HELD_OUT), printed on paper."""
    fonts = digit_fonts(held_out=True)
    ink = typeset_digit(fonts[int(rng.integers(len(fonts)))], label, int(rng.integers(48, 129)),
                        int(rng.integers(0, 4)))
    page = np.asarray(Image.fromarray(pictures.to_bytes(ink)).resize((SIZE, SIZE), Image.BILINEAR),
                      np.float32) / 255
    return pictures.on_paper(page, paper=float(rng.uniform(0.85, 1)), pen=float(rng.uniform(0, 0.2)))


HERSHEY_FONTS = ("futural", "futuram", "rowmans", "rowmand", "timesr", "timesi", "scripts", "cursive", "timesrb")


def _hershey(rng, _, label):
    """A digit drawn on the pad in one of the Hershey vector fonts (strokes someone else designed), as strokes."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))])
    font.normalize_rendering(1.0)
    strokes = [list(stroke) for stroke in font.strokes_for_text(str(label))]
    points = np.array([point for stroke in strokes for point in stroke], float)
    (left, bottom), (right, top) = points.min(axis=0), points.max(axis=0)
    height = float(rng.uniform(0.25, 0.6))
    scale = height / (top - bottom)
    x0, y0 = 0.5 - (right - left) * scale / 2, 0.5 - height / 2
    return [[(x0 + (x - left) * scale, y0 + (top - y) * scale) for x, y in stroke] for stroke in strokes]


def _blank(light):
    def make(rng, _, label):
        y, x = pictures.light_grid((SIZE, SIZE))
        return pictures.photograph(np.zeros((SIZE, SIZE), np.float32), light(rng, y, x), rng)
    return make


KINDS = [
    Kind("plain", "mnist", _plain),
    Kind("low resolution 8 px enlarged", "mnist", _low_resolution(8)),
    Kind("low resolution 12 px enlarged", "mnist", _low_resolution(12)),
    Kind("low resolution 16 px enlarged", "mnist", _low_resolution(16)),
    Kind("JPEG quality 15-40", "mnist", _jpeg),
    Kind("blur", "mnist", _blur),
    Kind("filling the frame", "mnist", _edges),
    Kind("marker pen", "synth", _pen(0.09, 0.14)),
    Kind("hairline", "synth", _pen(0.003, 0.008)),
    Kind("uneven light", "synth", _uneven),
    Kind("salt-and-pepper noise", "mnist", _salt_and_pepper),
    Kind("ruled paper", "mnist", _lined(False)),
    Kind("squared paper", "mnist", _lined(True)),
    Kind("light ink on dark", "mnist", _light_on_dark),
    Kind("blue or red ballpoint on yellow or grey", "synth", _ballpoint),
    Kind("canvas drawings", "synth", _canvas),
    Kind("typefaces never trained on", "typeface", _typeface),
    Kind("Hershey vector fonts on the pad", "hershey", _hershey),
] + [Kind(f"blank page ({name})", BLANK, _blank(light))
     for name, light in {**pictures.LIGHTS, "smooth grey gradient": pictures.gradient}.items()]

CANVAS_PENS = (0.015, 0.03, 0.05, 0.08)


def held_out_digits(data_dir: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The 5,000 MNIST training digits every run holds out (28x28 float, labels), or None without MNIST."""
    from trainer.config import TrainConfig
    from trainer.data import DataError, ensure_data, read_split, split_validation

    try:
        root = ensure_data(data_dir, download=False)
    except DataError:
        return None
    _, held = split_validation(read_split(root, train=True), TrainConfig().validation_images)
    return held.images[:, 0].numpy(), held.labels.numpy()


def as_opened(picture: np.ndarray) -> np.ndarray:
    """What load_image makes of the picture saved as an 8-bit file: grey in [0, 1], colour read as grey."""
    mode = "RGB" if picture.ndim == 3 else "L"
    return to_grayscale(Image.fromarray(pictures.to_bytes(picture), mode))


def measure(predictor: Predictor, kind: Kind, n: int, mnist) -> dict:
    """Counts for `n` pictures of one kind: right, right and sure."""
    rng = np.random.default_rng([SEED, zlib.crc32(kind.name.encode())])
    order = rng.permutation(len(mnist[1])) if kind.source == "mnist" else None
    right = sure = 0
    for i in range(n):
        if kind.source == "mnist":
            digit, label = mnist[0][order[i % len(order)]], int(mnist[1][order[i % len(order)]])
            made = kind.make(rng, digit, label)
        elif kind.source == "synth":
            label = i % 10
            made = kind.make(rng, random_digit(label, rng, style=int(rng.integers(len(STYLES[label])))), label)
        elif kind.source in ("typeface", "hershey"):
            label = i % 10
            made = kind.make(rng, None, label)
        else:
            label = None
            made = kind.make(rng, None, None)
        if kind.name == "canvas drawings" or kind.source == "hershey":
            reading = predictor.read_strokes(made, CANVAS_PENS[i % len(CANVAS_PENS)])
        else:
            reading = predictor.read_picture(as_opened(made))
        if label is None:  # a blank page: no ink, or ink that is not a digit
            ok = reading is None or reading.number == ""
            right += ok
            sure += ok
        elif reading is not None and reading.number == str(label):
            right += 1
            sure += reading.sure
    return {"n": n, "right": 100 * right / n, "right_and_sure": 100 * sure / n,
            "flagged": 100 * (right - sure) / right if right else 0.0}


def run(n: int, model: str | None = None, data_dir: str | None = None, kinds: list[str] | None = None,
        progress=None) -> tuple[dict, list[str]]:
    """{kind: figures} and notes (kinds left out, and why)."""
    predictor = Predictor.load(model or builtin_checkpoint_path())
    chosen = [kind for kind in KINDS if not kinds or kind.name in kinds]
    mnist = held_out_digits(data_dir) if any(kind.source == "mnist" for kind in chosen) else None
    results, notes = {}, []
    for kind in chosen:
        if kind.source == "mnist" and mnist is None:
            notes.append(f"{kind.name}: left out, MNIST not found (give --data-dir or set DIGITPAD_DATA)")
            continue
        if kind.source == "typeface" and not digit_fonts(held_out=True):
            notes.append(f"{kind.name}: left out, matplotlib's fonts were not found")
            continue
        if kind.source == "hershey" and importlib.util.find_spec("HersheyFonts") is None:
            notes.append(f"{kind.name}: left out, needs the hershey-fonts package (the test extra)")
            continue
        results[kind.name] = measure(predictor, kind, n, mnist)
        if progress:
            progress(kind.name, results[kind.name])
    return results, notes


def table(results: dict, markdown: bool) -> str:
    lines = ["| kind | n | right | right and sure | flagged (of right) |", "| --- | --- | --- | --- | --- |"]
    for name, figures in results.items():
        lines.append(f"| {name} | {figures['n']} | {figures['right']:.1f}% | {figures['right_and_sure']:.1f}% | "
                     f"{figures['flagged']:.1f}% |")
    if not markdown:
        widths = [max(len(cell.strip()) for cell in column)
                  for column in zip(*(line.strip("|").split("|") for line in lines if "---" not in line))]
        lines = ["  ".join(cell.strip().ljust(width) for cell, width in zip(line.strip("|").split("|"), widths))
                 for line in lines if "---" not in line]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="pictures per kind")
    parser.add_argument("--model", help="checkpoint (default: the built-in model)")
    parser.add_argument("--data-dir", default=os.environ.get("DIGITPAD_DATA"),
                        help="MNIST, for the kinds built on its held-out training digits")
    parser.add_argument("--kinds", help="only these kinds, separated by commas")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON, nothing else")
    parser.add_argument("--even-only", action="store_true",
                        help="one background level for every picture (the single border level), for comparison")
    parser.add_argument("--record", action="store_true",
                        help=f"measure the CI sample ({CI_N} a kind) and --n, and write them to {FIGURES.name}")
    args = parser.parse_args()
    if args.n < 1:
        parser.error(f"--n must be at least 1, not {args.n}")
    if args.even_only:
        preprocess.UNEVEN = float("inf")
    kinds = [name.strip() for name in args.kinds.split(",")] if args.kinds else None
    unknown = sorted(set(kinds or []) - {kind.name for kind in KINDS})
    if unknown:
        parser.error(f"no such kind: {', '.join(unknown)}; the kinds are: {', '.join(k.name for k in KINDS)}")
    started = time.perf_counter()
    echo = None if args.json else (lambda name, figures: print(f"  {name}: {figures['right']:.1f}%", file=sys.stderr))
    results, notes = run(args.n, args.model, args.data_dir, kinds, echo)
    if args.json:
        print(json.dumps({"n": args.n, "kinds": results, "notes": notes}, indent=1))
        return 0
    import torch

    print(f"model: {args.model or 'built-in'}; {cpu_capability()} ({torch.backends.cpu.get_cpu_capability()}); "
          f"seed {SEED}")
    print(table(results, args.markdown))
    for note in notes:
        print(note)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.record:
        if notes or kinds or args.even_only or args.model:
            print("not recorded: the recorded figures are every kind's, read as shipped", file=sys.stderr)
            return 1
        ci, _ = run(CI_N, args.model, args.data_dir)
        FIGURES.write_text(json.dumps({"ci": {"n": CI_N, "kinds": ci}, "full": {"n": args.n, "kinds": results}},
                                      indent=1) + "\n")
        print(f"recorded in {FIGURES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
