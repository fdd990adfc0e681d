"""`trainer eval`: accuracy, loss, per-digit recall and precision, and the confusion matrix of a checkpoint."""

from __future__ import annotations

import argparse

from .. import jsonsafe
from ..checkpoint import load_checkpoint
from ..data import load_test_split
from ..evaluation import evaluate
from ..model import count_parameters
from .options import add_data_options


def add_parser(commands) -> None:
    parser = commands.add_parser("eval", help="test accuracy, per-class accuracy and confusion matrix",
                                 description="Evaluate a checkpoint on the 10,000 MNIST test images.")
    parser.add_argument("checkpoint", help="a checkpoint written by `trainer train` or the Train tab")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def run(args: argparse.Namespace) -> int:
    checkpoint = load_checkpoint(args.checkpoint)
    test = load_test_split(args.data_dir, download=not args.no_download)
    result = evaluate(checkpoint.model, test)
    confusion = result.confusion_matrix().tolist()
    per_class = result.per_class()
    if args.json:
        print(jsonsafe.dumps({
            "checkpoint": str(args.checkpoint), "model": checkpoint.name, "set": "MNIST test", "images": len(test),
            "accuracy": result.accuracy, "loss": result.loss, "per_class_accuracy": per_class["recall"],
            "per_class_precision": per_class["precision"], "confusion_matrix": confusion,
        }, indent=2))
        return 0
    print(f"{args.checkpoint}: {checkpoint.name}, {count_parameters(checkpoint.model):,} parameters")
    for note in checkpoint.notes:
        print(f"note: {note}")
    print(f"test accuracy {result.accuracy:.2%}, loss {result.loss:.4f} on {len(test):,} images "
          f"({result.wrong} wrong)")
    print("per digit      " + "".join(f"{digit:>8}" for digit in range(10)))
    print("  accuracy     " + "".join(f"{_percent(v):>8}" for v in per_class["recall"]))
    print("  precision    " + "".join(f"{_percent(v):>8}" for v in per_class["precision"]))
    print("confusion matrix (rows: true digit, columns: predicted digit):")
    print("      " + "".join(f"{digit:>6}" for digit in range(10)))
    for digit, row in enumerate(confusion):
        print(f"{digit:>6}" + "".join(f"{count:>6}" for count in row))
    return 0
