"""`trainer eval CHECKPOINT --robustness`: the robustness curves (trainer.robustness) of one checkpoint on the
MNIST test set, as a table a damage kind each, or as JSON with --json."""

from __future__ import annotations

import argparse
import sys

from .. import jsonsafe
from ..checkpoint import Checkpoint
from ..damage import DAMAGES
from ..data import load_test_split
from ..robustness import Curves, Point, robustness_curves
from ..verdicts import model_threshold

NOT_WITH_PERSONAL = ("--robustness measures the MNIST test set as it is damaged step by step; it cannot be "
                     "combined with --personal. Leave out one of the two.")


def _progress(point: Point, done: int, total: int) -> None:
    """A line rewritten in place on a terminal, so a run of up to a minute shows it is alive; nothing in a pipe."""
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\rmeasuring: {point.kind} {point.level:g} ({done}/{total})\033[K", end=end, file=sys.stderr,
              flush=True)


def run_robustness(args: argparse.Namespace, checkpoint: Checkpoint) -> int:
    if args.personal is not None:
        raise ValueError(NOT_WITH_PERSONAL)
    split = load_test_split(args.data_dir, download=not args.no_download)
    threshold = model_threshold(checkpoint.meta)
    curves = robustness_curves([checkpoint.model], [threshold], split.images, split.labels,
                               progress=None if args.json else _progress)
    if args.json:
        print(jsonsafe.dumps({
            "checkpoint": str(args.checkpoint), "model": checkpoint.name, "set": "MNIST test",
            "images": curves.images, "threshold": threshold, "precision": curves.precision,
            "seconds": curves.seconds, "robustness": curves.as_json(0),
        }, indent=2))
        return 0
    _print_tables(args, checkpoint, curves, threshold)
    return 0


def _print_tables(args: argparse.Namespace, checkpoint: Checkpoint, curves: Curves, threshold: float) -> None:
    print(f"{args.checkpoint}: {checkpoint.name}")
    for note in checkpoint.notes:
        print(f"note: {note}")
    print(f"robustness on the {curves.images:,} MNIST test images, damaged step by step ({curves.precision}, "
          f"{curves.seconds:.1f} s). \"not sure\": the highest probability under this model's threshold, "
          f"{threshold:.1%} (\"not a digit\" included).")
    for damage in DAMAGES:
        points = curves.curve(0, damage.key)
        print(f"\n{damage.title}: {damage.axis}")
        print("  level     " + "".join(f"{damage.label(p.level):>8}" for p in points))
        print("  accuracy  " + "".join(f"{p.accuracy:>8.1%}" for p in points))
        print("  not sure  " + "".join(f"{p.not_sure:>8.1%}" for p in points))
