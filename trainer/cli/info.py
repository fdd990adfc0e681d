"""`trainer info`: the architectures there are, a model's layer table and, for a checkpoint, what its metadata
says."""

from __future__ import annotations

import argparse

from ..checkpoint import load_checkpoint
from ..config import EpochEnd, Steered, TrainConfig
from ..metadata import describe_accuracy, describe_finetune
from ..model import (
    DEFAULT_MODEL,
    MODELS,
    architecture_parameters,
    build_model,
    count_parameters,
    layer_table,
)
from ..run_text import epoch_line, steering_line


def add_parser(commands) -> None:
    parser = commands.add_parser("info", help="the architectures, a model's layer table, a checkpoint's metadata",
                                 description="Print the layer table (output shape, parameters, receptive field) "
                                             "and, for a checkpoint, its metadata and training history. Without "
                                             "a checkpoint or --model, list the architectures `trainer train "
                                             "--model` can train, then the default one's layers.")
    parser.add_argument("checkpoint", nargs="?", help="a checkpoint (default: show the untrained --model, as `trainer train` would build it)")
    parser.add_argument("--model", choices=list(MODELS), help=f"an architecture's layers (default: {DEFAULT_MODEL})")
    parser.set_defaults(run=run)


def print_layers(model) -> None:
    """Every module, a block's holder before its layers (indented), with the shape of its own output: the names
    and shapes the inside view and the Train tab show for a block are the ones here (see inspection.output_name).
    A holder's parameters are its layers': "--", so the column adds up to the total."""
    print(f"{'layer':<22}{'type':<20}{'output':>12}{'params':>9}{'RF':>5}")
    for row in layer_table(model, containers=True):
        shape = "x".join(str(size) for size in row["output"])
        name = "  " * row["name"].count(".") + row["name"]
        params = "--" if row.get("container") else f"{row['params']:,}"
        field = "" if row["receptive_field"] is None else row["receptive_field"]
        print(f"{name:<22}{row['layer']:<20}{shape:>12}{params:>9}{field:>5}")
    print(f"total trainable parameters: {count_parameters(model):,}")


def print_models() -> None:
    """Each architecture, its parameters and what it is (the first line of its class's docstring)."""
    print("architectures (trainer train --model NAME; trainer info --model NAME shows one's layers):")
    for name, kind in MODELS.items():
        summary = (kind.__doc__ or "").strip().splitlines()[0] if kind.__doc__ else ""
        default = " (default)" if name == DEFAULT_MODEL else ""
        print(f"  {name + default:<16}{architecture_parameters(name):>9,} parameters  {summary}")


def print_meta(path: str, meta: dict, notes: list[str]) -> None:
    print(f"checkpoint: {path}")
    epochs = (f"; {meta['epochs_completed']}/{meta['epochs']} epochs" if "epochs_completed" in meta
              and "epochs" in meta else "")
    print(f"model: {meta['model']}; trained {meta.get('date', 'on an unknown date')}{epochs}"
          + (" (stopped early)" if meta.get("stopped_early") else ""))
    accuracy = describe_accuracy(meta)
    if accuracy:
        print(accuracy[0].upper() + accuracy[1:] + (f"; weights: {meta['weights']}" if "weights" in meta else ""))
    for line in describe_finetune(meta):
        print(line[0].upper() + line[1:])
    reject = meta.get("reject")
    if isinstance(reject, dict):
        print(f"not sure below {reject['threshold']:.1%} confidence (calibrated on {reject.get('calibrated_on', '?')})"
              + (f": that flags {reject['digits_flagged']:.1%} of those digits read right and "
                 f"{reject['nondigits_flagged']:.0%} of synthetic non-digits"
                 if "digits_flagged" in reject and "nondigits_flagged" in reject else ""))
    for note in notes:
        print(f"note: {note}")
    if isinstance(meta.get("settings"), dict):
        print("settings: " + ", ".join(f"{key}={value}" for key, value in meta["settings"].items()))
    if isinstance(meta.get("versions"), dict):
        print("versions: " + ", ".join(f"{key} {value}" for key, value in meta["versions"].items()))
    history = meta.get("history") or []
    for epoch in history:
        print("  " + epoch_line(EpochEnd.from_dict(epoch), meta.get("epochs", len(history))))
    if meta.get("steering"):  # checked at load (trainer.metadata): sound changes
        print("steered while it trained (`trainer train --steering CHECKPOINT` repeats it):")
        for change in meta["steering"]:
            print("  " + steering_line(Steered(**change)))


def run(args: argparse.Namespace) -> int:
    if args.checkpoint:
        checkpoint = load_checkpoint(args.checkpoint)
        print_layers(checkpoint.model)
        print()
        print_meta(args.checkpoint, checkpoint.meta, checkpoint.notes)
    else:
        if args.model is None:
            print_models()
            print()
        name = args.model or DEFAULT_MODEL
        print(f"{name}:")
        print_layers(build_model(name, dropout=TrainConfig().dropout))  # as `trainer train` builds it
    return 0
