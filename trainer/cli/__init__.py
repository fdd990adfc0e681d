"""The `trainer` command: train, evaluate and inspect the digitpad nets from a terminal.

Each command is a module of its own with `add_parser(commands)` and `run(args)`; this one builds the parser
and turns every error meant for a person into one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from ..checkpoint import CheckpointError
from ..data import DataError
from ..engine import Diverged
from ..export import ExportError
from ..personal_set import PersonalSetError
from ..safe_names import printable
from ..terminal import end_process, run_until_reader_leaves
from . import evaluate, export, finetune, info, train

COMMANDS = (train, finetune, evaluate, info, export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainer", description="Train, evaluate and inspect digitpad's MNIST nets.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command's exit status. Run as the command (no `argv`: the console script, `python -m trainer`), the
    process ends here, without the interpreter's teardown (trainer.terminal.end_process)."""
    status = run_until_reader_leaves(lambda: _run(argv))  # `trainer eval ... --json | head`: no traceback
    if argv is None:
        end_process(status)
    return status


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # an OSError, but no error of the command's: the reader of its output went away
        raise
    except DataError as error:
        hint = " Use --data-dir DIR or the DIGITPAD_DATA environment variable." if error.folder_hint else ""
        print(f"trainer: error: {printable(error)}{hint}", file=sys.stderr)
    except (CheckpointError, PersonalSetError, Diverged, ExportError, ValueError, OSError) as error:
        print(f"trainer: error: {printable(error)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
