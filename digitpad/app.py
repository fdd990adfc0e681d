"""The `digitpad` command: the window, or `digitpad predict IMAGE...` in a terminal.

`digitpad predict` must run where there is no display, so this module imports Qt only when it opens the window
(digitpad.window).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

PRELOAD_AFTER_MS = 150  # scipy.ndimage's import in a thread starts this long after the window shows

COMMANDS = {"predict": "read the digits in image files, in the terminal (no window)"}


def build_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<10}{what}" for name, what in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="digitpad", formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="digitpad [--model CKPT]\n       digitpad COMMAND ...",
        description="Draw a digit and watch a small convolutional net read it. Without a command, digitpad opens "
                    "its window.",
        epilog=f"commands:\n{commands}\n\n`digitpad COMMAND --help` tells more.")
    parser.add_argument("--model", metavar="CKPT", help="open the window with this checkpoint instead of the built-in one")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["predict"]:
        from .predict_command import main as predict_main

        return predict_main(argv[1:])
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # a typo of a command, or an image given without `predict`: never handed to Qt
        words = " ".join(unknown)
        parser.print_usage(sys.stderr)
        print(f"digitpad: error: unknown command or argument: {words}\n"
              f"commands: {', '.join(COMMANDS)} (`digitpad --help` lists them)", file=sys.stderr)
        return 2
    from .display import window_problem

    problem = window_problem()
    if problem:
        print(f"digitpad: {problem}", file=sys.stderr)
        return 1
    return run_window(args.model)


def import_before_qt() -> None:
    """The window's big import that is not Qt's, made before Qt's own. Once PySide6 is imported, every later
    import goes through its import hook, which reads the module's source to see whether it uses PySide6: for
    torch's 1,100 modules, about 0.2 s more before the window shows."""
    import torch  # noqa: F401


def preload_ink_pipeline() -> threading.Thread:
    """Import scipy.ndimage, which the ink pipeline uses to find and measure strokes, in a thread once the window
    has shown: the window needs none of it to show (trainer/ink imports it where it is used), and its 0.19 s came
    before the window did. Not a daemon: an import is never cut off half way at exit. A digit drawn before it is
    done waits for it in its first reading."""
    def load() -> None:
        import scipy.ndimage  # noqa: F401

    thread = threading.Thread(target=load, name="scipy-preload")
    thread.start()
    return thread


def freeze_start_up_objects() -> None:
    """Leave what starting the window made out of Python's garbage collections from now on: nearly all of it
    (torch's, Qt's, the window's: some 190,000 objects) lives as long as the process, yet every full collection
    walked it all again, holding the GIL for 60-140 ms: the window froze that long when one came, as during
    Captum's import in its thread a second after start (bench/train_tab_speed.py). Objects made later are
    collected as before."""
    import gc

    gc.freeze()


def run_window(model_path: str | None) -> int:
    import_before_qt()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .window import MainWindow

    app = QApplication([sys.argv[0]])  # none of the command line: digitpad's words are not Qt's
    app.setApplicationName("digitpad")
    window = MainWindow(model_path)
    window.show()
    freeze_start_up_objects()
    # A moment after the window is up (not tied to its first paint): started at once, the import's thread would
    # compete with the first paint for the GIL.
    QTimer.singleShot(PRELOAD_AFTER_MS, preload_ink_pipeline)
    interrupted = []

    def on_interrupt(_signum, _frame):
        # Ctrl-C in the terminal quits as closing the window does: a training run is stopped and joined first.
        interrupted.append(True)
        window.close()
        app.quit()

    signal.signal(signal.SIGINT, on_interrupt)
    # Python runs signal handlers only between its own bytecodes; while Qt's event loop waits in C++ nothing
    # would run them. A timer with nothing to do wakes the interpreter often enough for Ctrl-C to be felt.
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    status = app.exec()
    return 130 if interrupted else status


if __name__ == "__main__":
    sys.exit(main())
