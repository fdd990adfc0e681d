"""`digitpad predict IMAGE...`: read the digits in image files from a terminal. No Qt: runs without a display.

The arguments are read before torch and the model are imported (1.5-2 s and over 500 MB): `--help` and a
mistyped argument answer at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from trainer import jsonsafe
from trainer.conventions import INKS, RANGES
from trainer.safe_names import printable
from trainer.terminal import run_until_reader_leaves
from trainer.verdicts import NOT_A_DIGIT, SURE, UNSURE

from . import builtin_checkpoint_path

if TYPE_CHECKING:
    from trainer.neighbour_store import TrainingDigits
    from trainer.neighbours import Neighbour

    from .reading.predictor import Predictor
    from .reading.reader import Reading


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad predict",
        description="Read the digit, or the whole number, in each image file: a photo or scan, dark on light or "
                    "light on dark (PNG, JPEG, BMP, ...). Prints one line per file: a sure single digit with its "
                    "confidence (7 (98.0%)), a digit it is not sure of with a question mark (7? (62%)), a "
                    "number (42), or 'not a digit'.")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    parser.add_argument("--model", metavar="CKPT",
                        help="a checkpoint written by `trainer train` or the Train tab (default: the built-in "
                             "model), or a model made elsewhere that maps 1 x 28 x 28 to 10 scores: an ONNX file, "
                             "a TorchScript file (torch.jit.save) or a torch.export program (.pt2)")
    parser.add_argument("--input-range", choices=list(RANGES),
                        help="a model made elsewhere: the pixel values it expects, unit [0, 1], mnist "
                             "((x - 0.1307) / 0.3081) or symmetric [-1, 1] (default: from the file, else the "
                             "answer given in the window)")
    parser.add_argument("--ink", choices=list(INKS),
                        help="a model made elsewhere: bright ink on dark (MNIST's way) or dark ink on bright")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list: for each file the number read, each digit with its ten "
                             "probabilities, whether it is sure and its box, or the file's error")
    parser.add_argument("--neighbours", type=_count, metavar="K",
                        help="with --json: each digit's K nearest MNIST training digits, as the net sees them (in "
                             "its last layer of features): their index in the training set (0-based), label and "
                             "distance. Needs MNIST ($DIGITPAD_DATA, else the per-user folder); the first use for "
                             "a model takes about 10-30 s, then it is cached")
    return parser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count of training digits: give a whole number, 1 or more")
    return value


def plain_line(name: str, reading: Reading) -> str:

    if len(reading.digits) == 1:
        digit = reading.digits[0]
        if digit.verdict == SURE:
            return f"{name}: {digit.digit} ({digit.confidence:.1%})"
        if digit.verdict == UNSURE:
            return f"{name}: {digit.digit}? ({digit.confidence:.0%})"
        return f"{name}: {NOT_A_DIGIT}"
    marks = f" ({reading.rejected} mark{'s are' if reading.rejected > 1 else ' is'} not a digit)" \
        if reading.rejected and reading.number else ""
    return f"{name}: {reading.text}{marks}"


def json_entry(name: str, reading: Reading, neighbours: list[list[Neighbour]] | None = None) -> dict:
    """The file's entry; with `neighbours` (each digit's nearest training digits), a "neighbours" list for each
    digit, and at the top for the first, as "digit" and "probabilities" are."""
    def digit_entry(digit, near):
        entry = {"digit": digit.digit, "probabilities": [round(p, 6) for p in digit.probabilities],
                 "sure": digit.sure, "box": list(digit.box)}
        if near is not None:
            entry["neighbours"] = [{"index": n.index, "label": n.label, "distance": round(n.distance, 4)}
                                   for n in near]
        return entry
    near = neighbours or [None] * len(reading.digits)
    first = digit_entry(reading.digits[0], near[0])
    entry = {"file": name, "digit": first["digit"], "probabilities": first["probabilities"],
             "number": reading.number, "sure": reading.sure,
             "digits": [digit_entry(d, n) for d, n in zip(reading.digits, near)]}
    if neighbours is not None:
        entry["neighbours"] = first["neighbours"]
    return entry


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when every file was read (a "not sure" or "not a digit" is an answer), 1 when any could not
    be (its error is printed, the rest go on)."""
    return run_until_reader_leaves(lambda: _predict(argv))  # `digitpad predict *.png | head`: no traceback


def _predict(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.neighbours and not args.json:
        parser.error("--neighbours goes with --json: the neighbours are listed in the JSON")
    # Only now, with the arguments good: these import torch.
    import numpy as np

    from trainer.checkpoint import CheckpointError
    from trainer.foreign import FEATURES_NOTE, ForeignError
    from trainer.ink.images import ImageError, load_image


    try:
        predictor = _load(args)
    except (CheckpointError, ForeignError) as error:
        print(f"digitpad predict: error: {printable(error)}", file=sys.stderr)
        return 1
    index = None
    if args.neighbours and predictor.is_foreign:
        print(f"digitpad predict: error: --neighbours {FEATURES_NOTE}", file=sys.stderr)
        return 1
    if args.neighbours:
        index = _training_digits(predictor)
        if index is None:
            return 1

    results, failed = [], False
    for name in args.images:
        try:
            reading = predictor.read_picture(load_image(name))
            if reading is None:
                raise ImageError(f"{printable(name)}: no digit found (the image is blank).")
        except ImageError as error:
            failed = True
            print(f"digitpad predict: error: {error}", file=sys.stderr)
            results.append({"file": name, "error": str(error)})
            continue
        if args.json:
            near = None if index is None else index.nearest_to_pictures(
                predictor.model, np.stack([digit.image for digit in reading.digits]), args.neighbours)
            results.append(json_entry(name, reading, near))
        else:
            print(plain_line(printable(name), reading), flush=True)
    if args.json:
        print(jsonsafe.dumps(results, indent=2))
    return 1 if failed else 0


def _load(args) -> Predictor:
    """The model to read with; a foreign one with the convention its flags, its file or the window gave."""
    from trainer.conventions import Convention, file_sha256, remembered
    from trainer.foreign import A_FORMAT, ForeignError, detect_format, onnx_convention

    from .reading.predictor import Predictor

    path = args.model or builtin_checkpoint_path()
    fmt = detect_format(path)
    if fmt == "checkpoint":
        if args.input_range or args.ink:
            raise ForeignError("--input-range and --ink are for models made elsewhere; a digitpad checkpoint "
                               "knows its own input")
        return Predictor.load(path)
    try:
        known = (onnx_convention(path) if fmt == "onnx" else None) or remembered(file_sha256(path))
    except OSError as error:
        raise ForeignError(f"{printable(path)} could not be read: {error.strerror or error}") from None
    input_range = args.input_range or (known.input_range if known else None)
    ink = args.ink or (known.ink if known else None)
    if input_range is None or ink is None:
        raise ForeignError(
            f"{printable(path)} is {A_FORMAT[fmt]} model whose input convention is not known: pass "
            f"--input-range {{unit,mnist,symmetric}} (pixels in [0, 1], MNIST-normalised, or [-1, 1]) and --ink "
            f"{{bright,dark}} (bright ink on dark as MNIST, or dark on bright); a model trained as pytorch/examples' "
            f"MNIST example takes --input-range mnist --ink bright. (Opened once in the window, the answer given "
            f"there is remembered.)")
    return Predictor.load_foreign(path, Convention(input_range, ink), fmt)


def _training_digits(predictor: Predictor) -> TrainingDigits | None:
    """The nearest-examples index of the model (made once, saying so, then cached); None when MNIST is missing,
    after saying where it was looked for."""
    from trainer.data import DataError
    from trainer.neighbour_store import is_cached, training_digits

    try:
        if not is_cached(predictor.model):
            print("digitpad predict: finding how this model sees MNIST's training digits, once (it is cached for "
                  "next time)...", file=sys.stderr, flush=True)
        return training_digits(predictor.model)
    except DataError as error:
        print(f"digitpad predict: error: --neighbours needs MNIST's training digits: {error} Or set "
              f"DIGITPAD_DATA to the folder that holds MNIST/raw/.", file=sys.stderr)
        return None
