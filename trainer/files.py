"""Writing files so that nothing is ever lost: an output is checked before any work starts, and written whole or
not at all. Shared by checkpoints, ONNX exports, the outlier cache and the personal set. Imports neither torch
nor Qt, so digitpad's pure reading modules use it too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def check_output_path(path: str | os.PathLike, force: bool, flag: str, what: str, is_ours: Callable[[Path], bool],
                      name_hint: str, create_folder: bool = False) -> Path:
    """Make sure `path` may be written (`what`, e.g. "a digitpad checkpoint", is the kind of file it will hold);
    ValueError saying why not. An existing file is replaced only when asked (`force`) and only if `is_ours` says
    it is of that kind: a file of anything else was never ours to overwrite.

    A missing folder is created only when `create_folder` says so (digitpad's own folders, such as the models
    folder); in a path a person gave it is refused, since a mistyped folder would otherwise grow a tree of new
    folders without a word and the file land where nobody looks for it."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a folder; give {name_hint}")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise ValueError(f"{flag} {path} exists and is not a regular file; choose another name")
        if not is_ours(path):
            raise ValueError(f"{flag} {path} exists and is not {what}; digitpad never writes over other files, "
                             f"even with --force. Choose another name")
        if not force:
            raise ValueError(f"{flag} {path} already exists ({what}); add --force to replace it, or choose "
                             f"another name")
    missing = path.parent
    while not missing.parent.is_dir() and missing.parent != missing:  # the first folder on the way not there
        missing = missing.parent
    if not create_folder and not missing.exists():  # (something else in the way: "cannot write", below)
        raise ValueError(f"{flag} {path}: the folder {missing} does not exist; give a file in an existing "
                         f"folder (create the folder first if it is the one you meant)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ValueError(f"cannot write {path} ({error.strerror or error}); choose a folder you can write to"
                         ) from None
    return path


@contextmanager
def replaced_atomically(path: Path, tag: str = "") -> Iterator[Path]:
    """A temporary file beside `path` for the block to write; when the block ends without an exception it is
    synced to disk and renamed to `path` (readable as the umask allows, not mkstemp's private 0600), so `path`
    is always either the old file or the complete new one. On an exception the temporary file is removed.
    `tag` goes into the temporary name (checkpoints put their process id there, see remove_stale_temporaries).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.{tag}", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "r+b") as file:
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
