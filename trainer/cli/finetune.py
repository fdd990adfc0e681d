"""`trainer finetune`: a checkpoint fine-tuned on a personal set, with before/after figures (trainer/finetune.py)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .. import jsonsafe
from ..finetune import FinetuneResult, FinetuneSettings, PhaseStarted, SetRead, run_finetune
from ..paths import default_personal_dir, models_dir
from ..personal_set import ENVIRONMENT_VARIABLE
from ..run_text import format_duration
from ..safe_names import printable
from .options import add_data_options
from .train import Progress

PERSONAL_HELP = (f"the personal set: the folder holding 0/ to 9/ (default: ${ENVIRONMENT_VARIABLE}, else "
                 f"{default_personal_dir()})")


def add_parser(commands) -> None:
    defaults = FinetuneSettings()
    parser = commands.add_parser("finetune", help="fine-tune a checkpoint on a personal set of handwriting",
                                 description=(
        "Fine-tune a checkpoint on a person's handwriting (a folder holding 0/ to 9/, one image per sample), "
        "mixed with MNIST so that MNIST is not forgotten. A third of each digit's samples is held out: the "
        "checkpoint and a model fine-tuned on the other samples are measured on them (before and after); then "
        "the saved model is fine-tuned on all the samples and measured on the MNIST test set."))
    parser.add_argument("checkpoint", help="the model to start from (e.g. one written by `trainer train`)")
    parser.add_argument("--personal", metavar="DIR", help=PERSONAL_HELP)
    parser.add_argument("--out", help=f"checkpoint path (default: {models_dir()}/MODEL-personal-DATE-ACCURACY.pt);"
                                      f" an existing file is never replaced without --force")
    parser.add_argument("--force", action="store_true",
                        help="let --out replace an existing digitpad checkpoint (never any other kind of file, "
                             "nor one another run is still writing)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="default: %(default)s")
    parser.add_argument("--lr", type=float, default=defaults.lr,
                        help="peak learning rate of the one-cycle schedule (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="default: %(default)s")
    add_data_options(parser)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (and no progress)")
    parser.set_defaults(run=run)


class FinetuneProgress(Progress):
    """`trainer train`'s progress bar and epoch lines, with a line for each of the two fine-tunes; with `quiet`
    (--json) only the warnings, which go to stderr."""

    def __init__(self, quiet: bool):
        super().__init__(None)
        self.quiet = quiet

    def __call__(self, event) -> None:
        if isinstance(event, SetRead):
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr, flush=True)
            if not self.quiet:
                counts = ", ".join(f"{digit}: {count}" for digit, count in enumerate(event.counts) if count)
                total = sum(event.counts)
                print(f"personal set {printable(event.folder)}: {total} sample{'s' if total != 1 else ''}"
                      + (f" ({counts})" if counts else ""), flush=True)
        elif self.quiet:
            return
        elif isinstance(event, PhaseStarted):
            tested = "the held-out samples" if event.phase == 1 else "the MNIST test set"
            print(f"fine-tune {event.phase}/{event.phases}, {event.description} (test figures: {tested})",
                  flush=True)
        else:
            super().__call__(event)


def run(args: argparse.Namespace) -> int:
    settings = FinetuneSettings(epochs=args.epochs, lr=args.lr, seed=args.seed, data_dir=args.data_dir,
                                device=args.device)
    stop = threading.Event()
    progress = FinetuneProgress(quiet=args.json)

    def on_interrupt(_signum, _frame):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print("stopping after this batch (Ctrl-C again to abort at once)...", file=sys.stderr, flush=True)
        stop.set()

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    try:
        result = run_finetune(args.checkpoint, args.personal, args.out, settings, on_event=progress, stop=stop,
                              force=args.force, download=not args.no_download, personal_option="--personal")
    except KeyboardInterrupt:
        print("aborted; nothing was saved", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        progress.close()
    if args.json:
        print(jsonsafe.dumps(as_json(result), indent=2))
    else:
        print_result(result)
    return 130 if result.stopped else 0


def as_json(result: FinetuneResult) -> dict:
    return {"checkpoint": None if result.checkpoint is None else str(result.checkpoint),
            "base_model": str(result.base), "personal_set": str(result.personal_set), "samples": result.samples,
            "held_out": result.held_out, **result.figures(), "seconds": result.seconds,
            "stopped": result.stopped, "warnings": result.warnings}


def print_result(result: FinetuneResult) -> None:
    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.2%}"

    if result.stopped:
        print(f"stopped after {format_duration(result.seconds)}; no checkpoint was written")
        return
    print(f"done in {format_duration(result.seconds)}: {result.samples} samples from "
          f"{printable(result.personal_set)}, fine-tuning {printable(result.base)}")
    print(f"held-out personal samples ({result.held_out}, not trained on): before "
          f"{percent(result.personal_accuracy_before)}, after {percent(result.personal_accuracy_after)}")
    print(f"MNIST test set: before {percent(result.mnist_accuracy_before)}, after "
          f"{percent(result.mnist_accuracy)} (the saved model, fine-tuned on all {result.samples} samples)")
    print(f"checkpoint: {result.checkpoint}")
