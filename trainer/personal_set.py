"""A person's own handwriting: the personal set of samples the pad learns from. Pure numpy and Pillow.

The set is a folder holding `0/` to `9/`, one image file per sample. That is the layout torchvision's ImageFolder
reads, so scans can be dropped in and a set can be zipped and carried to another machine. The window saves
samples into it (digit keys on the canvas) and shows it; the trainer fine-tunes on it. Both read it here.

A sample saved from the pad's strokes is the 28x28 picture the live pad reads for that drawing (dark on light,
16-bit grey, marked `digitpad: net-input` in the PNG), read back exactly as it is: fine-tuning learns from, and
the tab measures on, what the pad really reads. Any other picture (an opened image saved as a sample, a scan
dropped in, a sample saved by an older version: the ink as drawn, cropped with a margin) goes through the same
`preprocess` as an opened picture.

Writes are atomic (a temporary file renamed over the target). Files that cannot be read are skipped with a
warning naming them, and so are folders and files where ImageFolder looks for none (`x/`, `10/`, `7/nested/`);
nothing is lost. A path to a file where the set's folder should be is refused, saying what named it.
"""

from __future__ import annotations

import datetime as _dt
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import replaced_atomically
from .paths import default_personal_dir
from .safe_names import printable
from .sample_files import (
    NET_INPUT_KEY,
    NET_INPUT_VALUE,
    net_input_pixels,
    read_sample,
    sample_picture,
    write_png_atomically,
)

DIGITS = tuple(range(10))
DIGIT_NAMES = {str(digit): digit for digit in DIGITS}
ENVIRONMENT_VARIABLE = "DIGITPAD_PERSONAL"
# Fine-tuning holds some of each digit's samples out to measure on, and learns from the rest: at least two.
MIN_PER_DIGIT = 2


def resolve_personal_dir(folder: str | os.PathLike | None = None) -> Path:
    """The set folder (the one holding 0/ to 9/): the one given, else $DIGITPAD_PERSONAL, else the default."""
    if folder is None:
        folder = os.environ.get(ENVIRONMENT_VARIABLE) or default_personal_dir()
    return Path(folder).expanduser()


def folder_problem(folder: str | os.PathLike | None = None, option: str | None = None) -> str | None:
    """Why the set's folder (as `resolve_personal_dir(folder)` finds it) cannot hold a set: it is a file. None
    when it can, also when it does not exist yet (the first save makes it). The message names what named the
    path (`option`, e.g. "--personal", for a path given; $DIGITPAD_PERSONAL; or the default) and what to do.
    The one wording of this for the window and every command."""
    path = resolve_personal_dir(folder)
    if not path.exists() or path.is_dir():
        return None
    shown = printable(path)
    what = "the personal set is a folder holding 0/ to 9/"
    if folder is not None:
        return f"{option + ' ' if option else ''}{shown} is a file; {what}: give a folder (a new one is fine)."
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return (f"${ENVIRONMENT_VARIABLE} names {shown}, which is a file; {what}. Point ${ENVIRONMENT_VARIABLE} "
                f"at a folder (a new one is made at the first save), or unset it to use "
                f"{printable(default_personal_dir())}.")
    return f"{shown} is a file; {what}. Move or rename that file: the folder is made at the first save."


class PersonalSetError(Exception):
    """The set cannot be used as asked (empty, too few samples, not a folder); the message says what to do."""


@dataclass(frozen=True)
class Sample:
    digit: int
    path: Path


@dataclass(frozen=True)
class Removed:
    """A deleted sample, kept in memory so that the deletion can be undone (`PersonalSet.restore`)."""
    sample: Sample
    data: bytes


@dataclass
class PersonalData:
    """The readable samples of a set as the net reads them, and the files that were skipped."""
    images: np.ndarray                 # N x 28 x 28 float32 in [0, 1], bright ink on black (see preprocess)
    labels: np.ndarray                 # N, int64
    paths: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why)
    skipped_labels: list[int] = field(default_factory=list)        # the digit folder of each skipped file
    ignored: list[Path] = field(default_factory=list)  # folders and files outside 0/ to 9/ (x/, 10/, 7/nested/)
    folder: Path | None = None                          # the set's folder, which `ignored` is named relative to

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> list[int]:
        """Readable samples per digit, 0 to 9: the number of samples of a digit, wherever it is shown."""
        return np.bincount(self.labels, minlength=10).tolist() if len(self.labels) else [0] * 10

    def skipped_counts(self) -> list[int]:
        """Files per digit folder, 0 to 9, that could not be read (and so are not counted as samples)."""
        return np.bincount(np.array(self.skipped_labels, np.int64), minlength=10).tolist()

    def warnings(self) -> list[str]:
        """One line per skipped file, and one naming everything ignored (all of it, once)."""
        lines = [f"skipped {printable(path)}: {why}" for path, why in self.skipped]
        if self.ignored:
            lines.append(ignored_warning(self.ignored, self.folder))
        return lines


def ignored_name(path: Path, folder: Path) -> str:
    """`path` as the set shows it: relative to the set's folder, a folder with a trailing slash ("7/nested/")."""
    name = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)
    return printable(name + ("/" if path.is_dir() else ""))


def ignored_warning(ignored: list[Path], folder: Path | None) -> str:
    """One line naming everything in the set's folder that is not read (see `PersonalSet.ignored`)."""
    names = ", ".join(ignored_name(path, folder) if folder is not None else printable(path) for path in ignored)
    where = f" in {printable(folder)}" if folder is not None else ""
    return (f"ignored{where}: {names}; only the folders 0/ to 9/ hold samples (one image file per sample, no "
            f"folders inside): move the images into the folder of their digit")


def _is_hidden(path: Path) -> bool:
    # Hidden files are temporaries of a save in progress (or a desktop's .DS_Store, a .git folder): never
    # samples, and nothing to warn about.
    return path.name.startswith(".")


def _is_sample_file(path: Path) -> bool:
    return not _is_hidden(path) and path.is_file()


class PersonalSet:
    """The set in `folder` (see `resolve_personal_dir`): list, add, delete and restore samples, read them all."""

    def __init__(self, folder: str | os.PathLike | None = None, option: str | None = None):
        """`option` names how `folder` was given (e.g. "--personal"), for the message when it is a file."""
        self._given, self._option = folder, option
        self.folder = resolve_personal_dir(folder)
        # What `load` made of each file, by its size and modification time: reading the set again after a save
        # or with another model reads only the files that changed. The window reads the set in a thread and
        # counts a digit's samples after a save on its own; the lock is held only to look up or store an entry.
        self._read: dict[Path, tuple[tuple[int, int], np.ndarray | None, str]] = {}
        self._lock = threading.Lock()

    def folder_problem(self) -> str | None:
        """Why the set cannot be kept in its folder (it is a file), naming what named the path; None if it can."""
        return folder_problem(self._given, self._option)

    def check_folder(self) -> None:
        """PersonalSetError when the set's folder is a file (see `folder_problem`)."""
        problem = self.folder_problem()
        if problem:
            raise PersonalSetError(problem)

    def digit_folder(self, digit: int) -> Path:
        return self.folder / str(digit)

    def samples(self, digit: int | None = None) -> list[Sample]:
        """The sample files (readable or not), oldest first within each digit; nothing is read."""
        found = []
        for d in DIGITS if digit is None else (digit,):
            try:
                entries = sorted(self.digit_folder(d).iterdir())
            except OSError:  # no such folder yet, or not a folder
                continue
            found += [Sample(d, path) for path in entries if _is_sample_file(path)]
        return found

    def counts(self) -> list[int]:
        """Readable samples per digit, 0 to 9 (see `load`, which reads only the files that changed)."""
        return self.load().counts()

    def ignored(self) -> list[Path]:
        """What the set holds that is no sample and is not read: anything at the top but the folders 0/ to 9/
        (x/, 10/, a loose scan), and folders inside them (7/nested/). Hidden entries are left out."""
        try:
            top = sorted(self.folder.iterdir())
        except OSError:
            return []
        found = [path for path in top if not _is_hidden(path) and not (path.name in DIGIT_NAMES and path.is_dir())]
        for digit in DIGITS:
            try:
                inside = sorted(self.digit_folder(digit).iterdir())
            except OSError:
                continue
            found += [path for path in inside if not _is_hidden(path) and path.is_dir()]
        return sorted(found)

    def add(self, digit: int, grey: np.ndarray) -> Sample | None:
        """Save a picture (see `sample_picture`) as a new sample of `digit`; None when it holds no ink."""
        if digit not in DIGITS:
            raise ValueError(f"a sample is of a digit 0-9, not {digit!r}")
        pixels = sample_picture(grey)
        if pixels is None:
            return None
        self.check_folder()  # else "Not a directory", naming nothing
        path = self._new_path(digit)
        write_png_atomically(path, pixels)
        return Sample(digit, path)

    def add_field(self, digit: int, field: np.ndarray) -> Sample:
        """Save the net's own 28x28 picture of a drawing (reader.drawing_field) as a new sample of `digit`."""
        if digit not in DIGITS:
            raise ValueError(f"a sample is of a digit 0-9, not {digit!r}")
        if np.shape(field) != (28, 28):
            raise ValueError(f"the net's picture is 28x28, not {np.shape(field)}")
        self.check_folder()
        path = self._new_path(digit)
        write_png_atomically(path, net_input_pixels(field), {NET_INPUT_KEY: NET_INPUT_VALUE})
        return Sample(digit, path)

    def _new_path(self, digit: int) -> Path:
        return self.digit_folder(digit) / f"{_dt.datetime.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(2)}.png"

    def delete(self, sample: Sample) -> Removed | None:
        """Delete a sample's file, keeping its bytes for `restore`; None when it was already gone."""
        try:
            data = sample.path.read_bytes()
            sample.path.unlink()
        except FileNotFoundError:
            return None
        return Removed(sample, data)

    def restore(self, removed: Removed) -> Sample:
        """Undo a `delete`: the file comes back with its name and bytes (atomically)."""
        with replaced_atomically(removed.sample.path) as temporary:
            temporary.write_bytes(removed.data)
        return removed.sample

    def load(self, digits: tuple[int, ...] | list[int] = DIGITS) -> PersonalData:
        """Every readable sample of `digits` (all by default), preprocessed as the pad does; unreadable files are
        listed in `skipped`, and what is not read at all in `ignored`. PersonalSetError when the folder is a
        file (an empty set would say nothing of the mistake)."""
        self.check_folder()
        images, labels, paths, skipped, skipped_labels = [], [], [], [], []
        seen = set()
        for digit in digits:
            for sample in self.samples(digit):
                seen.add(sample.path)
                image, why = self._read_cached(sample.path)
                if image is None:
                    skipped.append((sample.path, why))
                    skipped_labels.append(digit)
                    continue
                images.append(image)
                labels.append(digit)
                paths.append(sample.path)
        with self._lock:  # forget the files of these digits that are gone
            for path in [path for path in self._read if path.parent.name in DIGIT_NAMES and
                         DIGIT_NAMES[path.parent.name] in digits and path not in seen]:
                del self._read[path]
        stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
        return PersonalData(stacked.astype(np.float32), np.array(labels, np.int64), paths, skipped,
                            skipped_labels, self.ignored(), self.folder)

    def _read_cached(self, path: Path) -> tuple[np.ndarray | None, str]:
        """(the 28x28 image, "") or (None, why not): read again only if the file changed since last time."""
        try:
            status = path.stat()
        except OSError as error:  # deleted meanwhile, or not ours to read
            return None, f"could not be read ({error.strerror or error})"
        key = (status.st_mtime_ns, status.st_size)
        with self._lock:
            cached = self._read.get(path)
        if cached is not None and cached[0] == key:
            return cached[1:]
        image, why = read_sample(path, key)
        with self._lock:
            self._read[path] = (key, image, why)
        return image, why


def readiness_problem(counts: list[int], folder: Path | None = None,
                      minimum: int = MIN_PER_DIGIT) -> str | None:
    """Why a set with these per-digit counts cannot be fine-tuned on, with how many more samples it needs; None
    when it can. Digits with no samples are fine (the net keeps what MNIST taught it of them)."""
    where = f" in {printable(folder)}" if folder is not None else ""
    if not any(counts):
        state = "does not exist yet" if folder is not None and not folder.exists() else "is empty"
        return (f"The personal set{where} {state}. Draw a digit on the pad and type it (0-9) to save it as a "
                f"sample: fine-tuning needs at least {minimum} samples of each digit it should learn.")
    short = [(digit, count) for digit, count in enumerate(counts) if 0 < count < minimum]
    if not short:
        return None
    needed = sum(minimum - count for _, count in short)
    which = ", ".join(f"{digit} ({minimum - count} more)" for digit, count in short)
    return (f"Too few samples to fine-tune{where}: each digit present needs at least {minimum} (some to learn "
            f"from, some held out to measure on). {needed} more needed: {which}.")
