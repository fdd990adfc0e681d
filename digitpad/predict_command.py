"""`digitpad predict IMAGE...`: read the digits in image files from a terminal. No Qt: runs without a display."""

from __future__ import annotations

import argparse
import sys

from trainer import jsonsafe
from trainer.checkpoint import CheckpointError
from trainer.text import printable

from . import builtin_checkpoint_path
from .reading.images import ImageError, load_image
from .reading.predictor import Predictor


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad predict",
        description="Recognize the digit in each image file: a photo or scan of one digit, dark on light or "
                    "light on dark (PNG, JPEG, BMP, ...). Prints one line per file: name, digit, confidence.")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one digit each")
    parser.add_argument("--model", metavar="CKPT",
                        help="a checkpoint written by `trainer train` or the Train tab (default: the built-in model)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list: for each file its digit and all ten probabilities, or its error")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when every file was read, 1 when any could not be (its error is printed, the rest go on)."""
    args = build_parser().parse_args(argv)
    try:
        predictor = Predictor.load(args.model or builtin_checkpoint_path())
    except CheckpointError as error:
        print(f"digitpad predict: error: {printable(error)}", file=sys.stderr)
        return 1

    results, failed = [], False
    for name in args.images:
        try:
            prediction = predictor.predict(load_image(name))
            if prediction is None:
                raise ImageError(f"{printable(name)}: no digit found (the image is blank).")
        except ImageError as error:
            failed = True
            print(f"digitpad predict: error: {error}", file=sys.stderr)
            results.append({"file": name, "error": str(error)})
            continue
        if args.json:
            results.append({"file": name, "digit": prediction.digit,
                            "probabilities": [round(p, 6) for p in prediction.probabilities]})
        else:
            print(f"{printable(name)}: {prediction.digit} ({prediction.confidence:.1%})", flush=True)
    if args.json:
        print(jsonsafe.dumps(results, indent=2))
    return 1 if failed else 0
