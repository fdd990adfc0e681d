"""The `trainer` command: train, eval and info for the digitpad nets, from a terminal."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from . import jsonsafe
from .checkpoint import (CheckpointError, check_output, checkpoint_filename, is_checkpoint_file, load_checkpoint,
                         models_dir, rename_with_accuracy)
from .data import DataError, load_mnist, load_test_split
from .engine import BatchEnd, Diverged, EpochEnd, TrainConfig, TrainingRun, evaluate, pick_device
from .model import DEFAULT_MODEL, MODELS, build_model, count_parameters, layer_table


def format_duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def epoch_line(event: EpochEnd) -> str:
    return (f"epoch {event.epoch:>2}/{event.epochs}  train loss {event.train_loss:.4f} "
            f"acc {event.train_accuracy:6.2%}  test loss {event.test_loss:.4f} acc {event.test_accuracy:6.2%}  "
            f"lr {event.lr:.4f}  {event.seconds:.1f}s" + ("  *best" if event.is_best else ""))


def command_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    defaults = TrainConfig()
    config = TrainConfig(
        model=args.model, epochs=args.epochs,
        batch_size=defaults.batch_size if args.batch_size is None else args.batch_size,
        lr=defaults.lr if args.lr is None else args.lr, seed=args.seed, augment=not args.no_augment, train_limit=args.train_limit,
        device=args.device, precision=args.precision, data_dir=args.data_dir)
    if config.epochs < 1 or config.batch_size < 1 or not (0 < config.lr < math.inf):
        raise ValueError("--epochs and --batch-size must be at least 1, and --lr a number above 0")
    pick_device(config.device)  # an unknown or absent device fails here, before minutes of data loading
    # Without --out the name gets the accuracy once it is known; until then it says only model and date.
    # Checked now, not when the first epoch's checkpoint is saved minutes later.
    out = check_output(Path(args.out) if args.out else models_dir() / checkpoint_filename(config.model, None),
                       force=args.force)
    if args.json_log:
        log_path = Path(args.json_log).expanduser()
        if log_path.resolve() == out.resolve():
            raise ValueError(f"--json-log and --out are the same file ({out}); give the log its own name")
        if log_path.is_file() and is_checkpoint_file(log_path):
            raise ValueError(f"--json-log {log_path} is a digitpad checkpoint; the log would replace it. "
                             f"Give the log another name")
    train, test = load_mnist(config.data_dir, download=not args.no_download, train_limit=config.train_limit)
    json_log = open(args.json_log, "w", encoding="utf-8") if args.json_log else None
    print(f"training {config.model} ({count_parameters(build_model(config.model)):,} parameters) on "
          f"{len(train):,} images, testing on {len(test):,}, for {config.epochs} epochs")

    bar = None

    def on_event(event: BatchEnd | EpochEnd) -> None:
        nonlocal bar
        if isinstance(event, BatchEnd):
            if bar is None:
                bar = tqdm(total=event.batches, desc=f"epoch {event.epoch}/{event.epochs}", unit="batch",
                           leave=False, dynamic_ncols=True, disable=None)
            bar.update(1)
            bar.set_postfix(loss=f"{event.running_loss:.4f}", refresh=False)
            return
        if bar is not None:
            bar.close()
            bar = None
        tqdm.write(epoch_line(event))
        if json_log:
            json_log.write(jsonsafe.dumps(asdict(event)) + "\n")
            json_log.flush()

    run = TrainingRun(config, train, test, on_event=on_event, checkpoint_path=out)

    def on_interrupt(_signum, _frame):
        # First Ctrl-C: finish the current batch and keep the best checkpoint; a second one aborts at once.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        tqdm.write("stopping after this batch (Ctrl-C again to abort at once)...")
        run.stop()

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    try:
        result = run.run()
    except KeyboardInterrupt:
        kept = f"the best checkpoint so far is kept: {out}" if out.exists() else "no checkpoint was written"
        print(f"aborted; {kept}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        if bar is not None:
            bar.close()
        if json_log:
            json_log.close()

    best = result.best
    if best is None:
        print(f"stopped before the first epoch ended after {format_duration(result.seconds)}; "
              f"no checkpoint was written")
        return 130
    if not args.out and result.checkpoint:
        out = rename_with_accuracy(result.checkpoint, best.test_accuracy)
    state = "stopped" if result.stopped else "done"
    print(f"{state}: {len(result.history)} epochs in {format_duration(result.seconds)}; best epoch "
          f"{best.epoch}, test accuracy {best.test_accuracy:.2%} (last epoch {result.history[-1].test_accuracy:.2%})")
    print(f"checkpoint: {out}")
    return 130 if result.stopped else 0


def command_eval(args: argparse.Namespace) -> int:
    import torch

    checkpoint = load_checkpoint(args.checkpoint)
    test = load_test_split(args.data_dir, download=not args.no_download)
    result = evaluate(checkpoint.model, test)
    confusion = torch.zeros(10, 10, dtype=torch.long)
    confusion.index_put_((test.labels, result.predictions), torch.ones_like(test.labels), accumulate=True)
    per_class = (confusion.diag().float() / confusion.sum(dim=1).clamp(min=1).float()).tolist()
    if args.json:
        print(jsonsafe.dumps({
            "checkpoint": str(args.checkpoint), "model": checkpoint.name, "images": len(test),
            "accuracy": result.accuracy, "loss": result.loss, "per_class_accuracy": per_class,
            "confusion_matrix": confusion.tolist(),
        }, indent=2))
        return 0
    print(f"{args.checkpoint}: {checkpoint.name}, {count_parameters(checkpoint.model):,} parameters")
    print(f"test accuracy {result.accuracy:.2%}, loss {result.loss:.4f} on {len(test):,} images "
          f"({int((result.predictions != test.labels).sum())} wrong)")
    print("per-class accuracy: " + "  ".join(f"{digit}: {acc:.2%}" for digit, acc in enumerate(per_class)))
    print("confusion matrix (rows: true digit, columns: predicted digit):")
    print("      " + "".join(f"{digit:>6}" for digit in range(10)))
    for digit, row in enumerate(confusion.tolist()):
        print(f"{digit:>6}" + "".join(f"{count:>6}" for count in row))
    return 0


def command_info(args: argparse.Namespace) -> int:
    if args.checkpoint:
        checkpoint = load_checkpoint(args.checkpoint)
        model, meta = checkpoint.model, checkpoint.meta
    else:
        model, meta = build_model(args.model), None
    print(f"{'layer':<16}{'type':<20}{'output':>12}{'params':>9}{'RF':>5}")
    for row in layer_table(model):
        shape = "x".join(str(size) for size in row["output"])
        print(f"{row['name']:<16}{row['layer']:<20}{shape:>12}{row['params']:>9,}{row['receptive_field']:>5}")
    print(f"total trainable parameters: {count_parameters(model):,}")
    if meta:
        print()
        print(f"checkpoint: {args.checkpoint}")
        print(f"model: {meta['model']}; trained {meta['date']}; {meta['epochs_completed']}/{meta['epochs']} epochs"
              + (" (stopped early)" if meta.get("stopped_early") else ""))
        print(f"test accuracy: {meta['test_accuracy']:.2%} (best epoch {meta['best_epoch']}; "
              f"last epoch {meta['final_accuracy']:.2%})")
        print("settings: " + ", ".join(f"{key}={value}" for key, value in meta["settings"].items()))
        print("versions: " + ", ".join(f"{key} {value}" for key, value in meta["versions"].items()))
        for epoch in meta["history"]:
            print("  " + epoch_line(EpochEnd(**epoch)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="trainer", description="Train, evaluate and inspect digitpad's MNIST nets.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data_help = ("folder that holds MNIST/raw/ (default: $DIGITPAD_DATA, else a per-user cache folder; "
                 "downloaded there when missing)")
    train = commands.add_parser("train", help="train a net on MNIST", description=(
        "Train a net on MNIST and save its best checkpoint (updated after every epoch that improves it). "
        "Ctrl-C stops after the current batch and keeps the best checkpoint so far."))
    train.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS), help="architecture (default: %(default)s)")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help="default: %(default)s")
    train.add_argument("--batch-size", type=int, help=f"default: {defaults.batch_size}")
    train.add_argument("--lr", type=float, help=f"peak learning rate of the one-cycle schedule (default: {defaults.lr})")
    train.add_argument("--seed", type=int, default=defaults.seed, help="default: %(default)s")
    train.add_argument("--no-augment", action="store_true", help="train without random rotation/shift/scale")
    train.add_argument("--data-dir", help=data_help)
    train.add_argument("--no-download", action="store_true", help="fail instead of downloading missing MNIST files")
    train.add_argument("--out", help=f"checkpoint path (default: {models_dir()}/MODEL-DATE-ACCURACY.pt); an "
                                     f"existing file is never replaced without --force")
    train.add_argument("--force", action="store_true",
                       help="let --out replace an existing digitpad checkpoint (never any other kind of file)")
    train.add_argument("--train-limit", type=int, metavar="N", help="train on the first N training images only")
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: %(default)s)")
    train.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                       help="training precision; auto uses bf16 where the hardware supports it (default: %(default)s)")
    train.add_argument("--json-log", metavar="PATH", help="write one JSON object per epoch to PATH")
    train.set_defaults(handler=command_train)

    evaluate_ = commands.add_parser("eval", help="test accuracy, per-class accuracy and confusion matrix",
                                    description="Evaluate a checkpoint on the 10,000 MNIST test images.")
    evaluate_.add_argument("checkpoint", help="a checkpoint written by `trainer train` or the Train tab")
    evaluate_.add_argument("--data-dir", help=data_help)
    evaluate_.add_argument("--no-download", action="store_true", help="fail instead of downloading missing MNIST files")
    evaluate_.add_argument("--json", action="store_true", help="print the results as JSON")
    evaluate_.set_defaults(handler=command_eval)

    info = commands.add_parser("info", help="layer table of a model, and a checkpoint's metadata",
                               description="Print the layer table (output shape, parameters, receptive field) "
                                           "and, for a checkpoint, its metadata and training history.")
    info.add_argument("checkpoint", nargs="?", help="a checkpoint (default: show the untrained --model)")
    info.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS), help="default: %(default)s")
    info.set_defaults(handler=command_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (DataError, CheckpointError, Diverged, ValueError, OSError) as error:
        print(f"trainer: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
