"""`trainer train`: the training job with a progress bar, a line per epoch and Ctrl-C to stop."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import asdict, replace
from pathlib import Path

from .. import jsonsafe
from ..checkpoint import is_checkpoint_file, load_checkpoint
from ..config import MODEL_RECIPES, BatchEnd, EpochEnd, RunStarted, Steered, TrainConfig
from ..job import run_job
from ..model import DEFAULT_MODEL, MODELS, architecture_parameters
from ..paths import models_dir
from ..run_text import (
    count_of,
    epoch_line,
    format_duration,
    steering_line,
    weak_model_note,
)
from ..steering import Steering, parse_changes
from .options import add_data_options


def add_parser(commands) -> None:
    defaults = TrainConfig()
    parser = commands.add_parser("train", help="train a net on MNIST", description=(
        "Train a net on MNIST and save it after every epoch. The saved model is the final one (with EMA, the "
        "moving average of its weights), and its test accuracy is reported. Ctrl-C stops after the current "
        "batch and keeps the latest complete epoch."))
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS), help="architecture (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="default: %(default)s")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="default: %(default)s")
    parser.add_argument("--lr", type=float, default=defaults.lr,
                        help="peak learning rate of the one-cycle schedule (default: %(default)s)")
    parser.add_argument("--weight-decay", type=float, default=None,
                        help=f"default: {defaults.weight_decay}{recipes_say('weight_decay')}")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="default: %(default)s")
    parser.add_argument("--no-augment", action="store_true", help="train without random rotation/shift/scale")
    parser.add_argument("--plain-final-epochs", type=int, default=None, metavar="N",
                        help=f"train the last N epochs without augmentation (default: {defaults.plain_final_epochs}"
                             f"{recipes_say('plain_final_epochs')})")
    parser.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing, help="default: %(default)s")
    parser.add_argument("--ema-decay", type=float, default=defaults.ema_decay,
                        help="keep an exponential moving average of the weights as the model; 0 turns it off "
                             "(default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=defaults.dropout, help="default: %(default)s")
    parser.add_argument("--thicken", action=argparse.BooleanOptionalAction, default=defaults.thicken,
                        help="make strokes randomly thicker or thinner with the augmentation (default: %(default)s)")
    parser.add_argument("--elastic", action=argparse.BooleanOptionalAction, default=defaults.elastic,
                        help="bend digits elastically with the augmentation (default: %(default)s)")
    parser.add_argument("--outlier-batch", type=int, default=defaults.outlier_batch, metavar="N",
                        help="non-digit pictures added to each batch, taught to read as no digit in particular "
                             "(outlier exposure; 0 turns it off; default: %(default)s)")
    parser.add_argument("--outlier-weight", type=float, default=defaults.outlier_weight, help="default: %(default)s")
    parser.add_argument("--outlier-start", type=int, default=defaults.outlier_start, metavar="EPOCH",
                        help="the first epoch with outliers (default: %(default)s)")
    parser.add_argument("--extra-digits", type=float, default=defaults.extra_digits, metavar="SHARE",
                        help="typeset and drawn digits added to the training images, as a share of them, so that "
                             "the net is sure of more kinds of digit than MNIST's (0 turns it off; "
                             "default: %(default)s)")
    parser.add_argument("--low-resolution", type=float, default=defaults.low_resolution, metavar="SHARE",
                        help="share of each batch shrunk to 7-14 pixels and enlarged again with the augmentation, as "
                             "a low-resolution scan enlarged comes to the net (0 turns it off; default: %(default)s)")
    parser.add_argument("--validation-images", type=int, default=defaults.validation_images, metavar="N",
                        help="training images held out to check each epoch and calibrate 'not sure' "
                             "(default: %(default)s)")
    add_data_options(parser)
    parser.add_argument("--out", help=f"checkpoint path (default: {models_dir()}/MODEL-DATE-ACCURACY.pt); an "
                                      f"existing file is never replaced without --force")
    parser.add_argument("--force", action="store_true",
                        help="let --out replace an existing digitpad checkpoint (never any other kind of file, "
                             "nor one another run is still writing)")
    parser.add_argument("--train-limit", type=int, metavar="N", help="train on the first N training images only")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: %(default)s)")
    parser.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                        help="training precision; auto uses bf16 where the hardware supports it (default: %(default)s)")
    parser.add_argument("--json-log", metavar="PATH", help="write one JSON object per epoch to PATH")
    parser.add_argument("--steering", metavar="FILE",
                        help="repeat the changes a run was steered with in the Train tab (learning-rate multiplier, "
                             "augmentation, one more epoch) at the same batches: FILE is its checkpoint, or a JSON "
                             "list of changes; give the same settings (`trainer info CHECKPOINT` lists them)")
    parser.set_defaults(run=run)


def recipes_say(setting: str) -> str:
    """"; tiny: 5e-05": what the models whose recipe differs (trainer.config.MODEL_RECIPES) use instead."""
    return "".join(f"; {model}: {recipe[setting]}" for model, recipe in MODEL_RECIPES.items() if setting in recipe)


def config_from(args: argparse.Namespace) -> TrainConfig:
    given = {name: value for name, value in (("weight_decay", args.weight_decay),
                                             ("plain_final_epochs", args.plain_final_epochs)) if value is not None}
    return TrainConfig.for_model(
        args.model, **given, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, augment=not args.no_augment, label_smoothing=args.label_smoothing,
        ema_decay=args.ema_decay, dropout=args.dropout, thicken=args.thicken, elastic=args.elastic,
        outlier_batch=args.outlier_batch, outlier_weight=args.outlier_weight, outlier_start=args.outlier_start,
        extra_digits=args.extra_digits, low_resolution=args.low_resolution,
        validation_images=args.validation_images, train_limit=args.train_limit, device=args.device,
        precision=args.precision, data_dir=args.data_dir)  # checked once, by run_job, before any work


# Settings that change the weights a replay makes: a checkpoint's that differ from the run's are said.
REPLAYED_SETTINGS = ("model", "epochs", "batch_size", "lr", "weight_decay", "seed", "augment", "train_limit",
                     "plain_final_epochs", "label_smoothing", "ema_decay", "dropout", "thicken", "elastic",
                     "outlier_batch", "outlier_weight", "outlier_start", "extra_digits",
                     "low_resolution")


def read_steering(path: str, config: TrainConfig) -> Steering:
    """A Steering that replays the changes recorded in `path` (a checkpoint's metadata, or a JSON file); a
    checkpoint trained with other settings is said on stderr, since the replay then makes other weights."""
    if is_checkpoint_file(Path(path)):
        meta = load_checkpoint(path).meta
        if not meta.get("steering"):
            raise ValueError(f"{path} records no steering: it was trained without changes, so `trainer train` with "
                             f"its settings (see `trainer info {path}`) repeats it as it is")
        recorded = meta.get("settings", {})
        differ = [f"--{key.replace('_', '-')} {recorded[key]} (here {getattr(config, key)})"
                  for key in REPLAYED_SETTINGS if key in recorded and recorded[key] != getattr(config, key)]
        if differ:
            print(f"note: {path} was trained with " + ", ".join(differ) + "; this run will not make the same "
                  "weights", file=sys.stderr)
        return Steering.replaying(parse_changes(meta["steering"], path))
    try:
        changes = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"cannot read the steering file {path} ({error}); give a checkpoint trained with "
                         f"steering, or a JSON list of changes (see docs/recipe.md, Steering)") from None
    if isinstance(changes, dict):  # a checkpoint's metadata, saved as JSON
        changes = changes.get("steering")
    return Steering.replaying(parse_changes(changes, path))


def check_json_log(path: Path, out: Path | None) -> None:
    if out is not None and path.expanduser().resolve() == Path(out).expanduser().resolve():
        raise ValueError(f"--json-log and --out are the same file ({out}); give the log its own name")
    if path.is_file() and is_checkpoint_file(path):
        raise ValueError(f"--json-log {path} is a digitpad checkpoint; the log would replace it. "
                         f"Give the log another name")


class Progress:
    """What the terminal shows: a tqdm bar per epoch, one line per epoch, and the JSON log."""

    def __init__(self, json_log):
        self.json_log = json_log
        self.bar = None
        self.started: RunStarted | None = None

    def __call__(self, event) -> None:
        from tqdm import tqdm

        if isinstance(event, RunStarted):
            self.started = event
            print(f"training on {count_of(event.train_images, 'image')} ({event.device}, {event.precision}), "
                  f"testing on {event.test_images:,}, for {count_of(event.epochs, 'epoch')}", flush=True)
        elif isinstance(event, BatchEnd):
            if self.bar is None:
                self.bar = tqdm(total=self.started.batches, desc=f"epoch {event.epoch}/{self.started.epochs}",
                                unit="batch", leave=False, dynamic_ncols=True, disable=None)
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{event.running_loss:.4f}", refresh=False)
        elif isinstance(event, Steered):  # a replay's changes, as they are made
            tqdm.write(f"steering at {steering_line(event)}")
            if event.what == "epochs":
                self.started = replace(self.started, epochs=event.value)
        elif isinstance(event, EpochEnd):
            self.close()
            tqdm.write(epoch_line(event, self.started.epochs))
            if self.json_log:
                self.json_log.write(jsonsafe.dumps(asdict(event)) + "\n")
                self.json_log.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.json_log:
        check_json_log(Path(args.json_log), args.out)
    steering = read_steering(args.steering, config) if args.steering else None
    stop = threading.Event()

    def on_interrupt(_signum, _frame):
        # First Ctrl-C: finish the current batch and keep the latest complete epoch; a second one aborts at once.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print("stopping after this batch (Ctrl-C again to abort at once)...", file=sys.stderr, flush=True)
        stop.set()

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    json_log = None
    progress = Progress(None)
    try:
        # Opened only once the job has accepted the settings and --out (run_job checks them first).
        def on_event(event):
            nonlocal json_log
            if isinstance(event, RunStarted):
                print(f"{config.model}: {architecture_parameters(config.model):,} parameters")
            if json_log is None and args.json_log:
                json_log = progress.json_log = open(args.json_log, "w", encoding="utf-8")
            progress(event)

        result = run_job(config, args.out, on_event, stop, force=args.force, download=not args.no_download,
                         steering=steering)
    except KeyboardInterrupt:
        progress.close()
        print("aborted; the latest complete epoch, if any, is kept", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        progress.close()
        if json_log:
            json_log.close()

    if steering is not None and steering.off_script and not result.stopped:
        missed = "; ".join(f"epoch {c.epoch}, batch {c.batch}" for c in steering.off_script[:3])
        print(f"note: {count_of(len(steering.off_script), 'recorded change')} ({missed}) could not be made at "
              f"that batch: this run has fewer batches than the steered one", file=sys.stderr)
    final = result.final
    if final is None:
        print(f"stopped before the first epoch ended after {format_duration(result.seconds)}; "
              f"no checkpoint was written")
        return 130
    state = "stopped" if result.stopped else "done"
    print(f"{state}: {len(result.history)} of {result.epochs or config.epochs} epochs in {format_duration(result.seconds)}; "
          f"test accuracy of the saved model {final.test_accuracy:.2%}")
    note = weak_model_note(final.test_accuracy, result.train_images, len(result.history))
    if note:
        print(note)
    print(f"checkpoint: {result.checkpoint}")
    return 130 if result.stopped else 0
