"""Command-line options that several commands share."""

from __future__ import annotations

import argparse

DATA_HELP = ("folder that holds MNIST/raw/ (default: $DIGITPAD_DATA, else a per-user cache folder; "
             "downloaded there when missing)")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help=DATA_HELP)
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading missing MNIST files")
