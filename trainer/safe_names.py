"""File names shown to people, on a terminal or in the window: safe to print, and short. Standard library only,
so the pure ink modules can use it."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path


def printable(text: str | os.PathLike) -> str:
    """A file name safe to print on one line: control characters (newline, escape...) shown as escapes, so a
    crafted name cannot fake a line of output or move the terminal's cursor."""
    return "".join(c if unicodedata.category(c)[0] != "C" else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def short_path(path: str | os.PathLike) -> str:
    """A path to show a person: under their home folder as ~/..., and `printable`."""
    path = Path(path)
    try:
        return printable(Path("~") / path.relative_to(Path.home()))
    except (ValueError, RuntimeError):  # not under home, or no home known
        return printable(path)
