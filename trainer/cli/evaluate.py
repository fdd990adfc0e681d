"""`trainer eval`: accuracy, loss, per-digit recall and precision, and the confusion matrix of a checkpoint, on
the MNIST test set or, with --personal, on a personal set of handwriting (whose misread samples are listed); with
--robustness, how its reading holds up as the test digits are damaged (cli/robustness.py); with --ablate, all of
it with some channels switched off (trainer.ablation), and the accuracy with none off beside it."""

from __future__ import annotations

import argparse
import sys

from .. import jsonsafe
from ..ablation import ChannelSwitch, resolve, zeroed
from ..checkpoint import load_checkpoint
from ..data import as_split, load_test_split
from ..evaluation import evaluate
from ..finetune_data import read_personal
from ..model import count_parameters
from ..personal_set import PersonalSetError, folder_problem, readiness_problem, resolve_personal_dir
from ..safe_names import printable
from .options import add_data_options
from .robustness import run_robustness


def add_parser(commands) -> None:
    parser = commands.add_parser("eval", help="test accuracy, per-class accuracy and confusion matrix",
                                 description="Evaluate a checkpoint on the 10,000 MNIST test images, or on a "
                                             "personal set of handwriting with --personal.")
    parser.add_argument("checkpoint", help="a checkpoint written by `trainer train` or the Train tab")
    add_data_options(parser)
    parser.add_argument("--personal", metavar="DIR",
                        help="evaluate on this personal set (a folder holding 0/ to 9/) instead of MNIST")
    parser.add_argument("--robustness", action="store_true",
                        help="accuracy and the share flagged \"not sure\" as the test digits are damaged step by "
                             "step: noise, rotation, shift, thicker and thinner strokes, blur, low resolution")
    parser.add_argument("--ablate", action="append", default=[], metavar="MODULE:CHANNELS",
                        help="switch these channels off (their output zeroed), e.g. features.2:5,7 or "
                             "features.2:0-3; repeat it for several modules. The results are the model's without "
                             "them, and the accuracy with none off is printed beside them")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _load_set(args: argparse.Namespace):
    """(split, set name, extra JSON fields, lines to print) for the set asked for."""
    if args.personal is None:
        return load_test_split(args.data_dir, download=not args.no_download), "MNIST test", {}, None
    folder = resolve_personal_dir(args.personal)
    problem = folder_problem(args.personal, "--personal")
    if problem:
        raise PersonalSetError(problem)
    data = read_personal(folder)
    for warning in data.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    if not len(data):
        raise PersonalSetError(readiness_problem([0] * 10, folder))
    return as_split(data.images, data.labels), f"personal set {folder}", {"personal_set": str(folder)}, data


def _evaluate(model, split, switch: ChannelSwitch | None) -> tuple:
    """(the evaluation, with the channels off when a switch is given; the ablation's figures for JSON, or None)."""
    if switch is None:
        return evaluate(model, split), None
    with zeroed(model, switch.hooked()):
        result = evaluate(model, split)
    whole = evaluate(model, split)
    return result, {"switched_off": switch.switched_off(), "accuracy_switched_off": result.accuracy,
                    "accuracy_all_on": whole.accuracy, "loss_all_on": whole.loss}


def run(args: argparse.Namespace) -> int:
    checkpoint = load_checkpoint(args.checkpoint)
    if args.robustness and args.ablate:
        raise ValueError("--ablate works with the MNIST test set or --personal, not with --robustness")
    switch = resolve(args.ablate, checkpoint.model) if args.ablate else None  # checked before MNIST is read
    if args.robustness:
        return run_robustness(args, checkpoint)
    split, name, extra, personal = _load_set(args)
    result, ablation = _evaluate(checkpoint.model, split, switch)
    if ablation is not None:
        extra["ablation"] = ablation
    confusion = result.confusion_matrix().tolist()
    per_class = result.per_class()
    mistakes = []
    if personal is not None:
        mistakes = [{"file": str(personal.paths[i]), "digit": int(result.labels[i]),
                     "read_as": int(result.predictions[i]), "confidence": float(result.confidences[i])}
                    for i in range(len(split)) if result.labels[i] != result.predictions[i]]
        extra.update(mistakes=mistakes, skipped=personal.warnings())
    if args.json:
        print(jsonsafe.dumps({
            "checkpoint": str(args.checkpoint), "model": checkpoint.name, "set": name, "images": len(split),
            "accuracy": result.accuracy, "loss": result.loss, "per_class_accuracy": per_class["recall"],
            "per_class_precision": per_class["precision"], "confusion_matrix": confusion, **extra,
        }, indent=2))
        return 0
    print(f"{args.checkpoint}: {checkpoint.name}, {count_parameters(checkpoint.model):,} parameters")
    for note in checkpoint.notes:
        print(f"note: {note}")
    label = "test accuracy" if args.personal is None else f"accuracy on the {printable(name)}"
    if ablation is not None:
        print(f"switched off: {switch.describe()} ({switch.count} channels); every figure below is without them")
        label += " with them off"
    print(f"{label} {result.accuracy:.2%}, loss {result.loss:.4f} on {len(split):,} images ({result.wrong} wrong)")
    if ablation is not None:
        cost = 100 * (ablation["accuracy_all_on"] - result.accuracy)
        print(f"with none off {ablation['accuracy_all_on']:.2%}, loss {ablation['loss_all_on']:.4f}: switching them "
              f"off {'costs' if cost >= 0 else 'gains'} {abs(cost):.2f} points")
    print("per digit      " + "".join(f"{digit:>8}" for digit in range(10)))
    print("  accuracy     " + "".join(f"{_percent(v):>8}" for v in per_class["recall"]))
    print("  precision    " + "".join(f"{_percent(v):>8}" for v in per_class["precision"]))
    print("confusion matrix (rows: true digit, columns: predicted digit):")
    print("      " + "".join(f"{digit:>6}" for digit in range(10)))
    for digit, row in enumerate(confusion):
        print(f"{digit:>6}" + "".join(f"{count:>6}" for count in row))
    for mistake in mistakes:
        print(f"misread: {printable(mistake['file'])}: a {mistake['digit']} read as {mistake['read_as']} "
              f"({mistake['confidence']:.0%} sure)")
    return 0
