"""The `digitpad` command: the window, or `digitpad predict IMAGE...` in a terminal.

`digitpad predict` must run where there is no display, so this module imports Qt only when it opens the window;
the window itself lives in digitpad.window and is importable from here as `digitpad.app.MainWindow`.
"""

from __future__ import annotations

import argparse
import sys

USAGE = """digitpad [--model CKPT]
       digitpad predict IMAGE... [--model CKPT] [--json]"""


def __getattr__(name: str):
    # Lazily, so that importing this module for `main` does not import Qt.
    if name == "MainWindow":
        from .window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad", usage=USAGE,
        description="Draw a digit and watch a small convolutional net read it: without a command, digitpad "
                    "opens its window. `digitpad predict` reads the digits in image files instead; "
                    "`digitpad predict --help` tells more.")
    parser.add_argument("--model", metavar="CKPT", help="open the window with this checkpoint instead of the built-in one")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["predict"]:
        from .predict_command import main as predict_main

        return predict_main(argv[1:])
    # Arguments digitpad does not know are left to Qt (-style, -platform, ...).
    args, qt_arguments = build_parser().parse_known_args(argv)
    return run_window(args.model, qt_arguments)


def run_window(model_path: str | None, qt_arguments: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from .window import MainWindow

    app = QApplication([sys.argv[0], *qt_arguments])
    app.setApplicationName("digitpad")
    window = MainWindow(model_path)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
