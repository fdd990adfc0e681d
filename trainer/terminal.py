"""What every command-line entry point does the same way: no traceback when a reader stops reading.

Imports neither torch nor Qt, so `digitpad predict` uses it before it has decided to load a model.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

# What a command exits with when its reader went away (`... --json | head`): the output was not all delivered,
# so not 0; Python's documentation uses 1 for this.
BROKEN_PIPE_STATUS = 1


def run_until_reader_leaves(command: Callable[[], int]) -> int:
    """`command()`'s exit status; if stdout's reader closes the pipe first, BROKEN_PIPE_STATUS, quietly.

    Python's recipe (docs: signal, "Note on SIGPIPE"): stdout is flushed here, inside the try, and on a broken
    pipe pointed at /dev/null, so the flush at interpreter exit cannot fail again and print "Exception ignored
    ... BrokenPipeError" after all. Give it the whole command, argument parsing included.
    """
    try:
        try:
            return command()
        finally:  # also after argparse's SystemExit (`--help | head`): its text is still in the buffer
            sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE_STATUS


def end_process(status: int) -> None:
    """End a finished command's process now, skipping the interpreter's teardown: after torch is imported it
    takes 0.45 s (a garbage collection over every object torch made, then each module torn down), and does
    nothing a finished command needs (its files are closed, a checkpoint synced to disk). What it printed is
    flushed first. Only for the command itself: a caller in the same process gets `main`'s status back."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left, or the stream was closed: nothing more to deliver
            pass
    os._exit(status)
