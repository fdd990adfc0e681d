"""One writer per checkpoint: a run holds a lock on its target from before any work until its final save or
rename, so a second run writing the same file (two `trainer train --out same.pt`, the Train tab and fine-tuning
in the models folder at the same second) is refused at once, naming the process that holds it, instead of
replacing that run's model without a word.

The lock is an advisory lock (flock; msvcrt on Windows) on a small sidecar file `.NAME.lock` beside the target,
which also holds who took it (process, host, command), for the refusal's message. The system drops the lock
when its process dies, however it dies, so a run killed with kill -9 never blocks the next one: its leftover
lock file is simply taken over. Imports neither torch nor Qt.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:  # everywhere but Windows
    msvcrt = None

# Windows locks byte ranges and keeps a locked range unreadable to others: lock a byte far past the holder's
# description, so that others can still read who holds it.
_WINDOWS_LOCK_OFFSET = 1 << 20


class OutputBusy(ValueError):
    """Another live run is writing the target; the message names it and says what to do."""


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _where(target: Path) -> Path:
    """The target with its folder resolved: `same.pt` and `./same.pt` must take the same lock. The name itself
    is not resolved, since a save replaces the name given (a link there included), not what it points to."""
    target = Path(target).expanduser()
    return target.parent.resolve() / target.name


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif msvcrt is not None:
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as error:
        if fcntl is not None and error.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            return True  # a file system without locks (some network shares): write unguarded, as before
        if fcntl is not None and error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise
        return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _command() -> str:
    """This process's command line, as the person typed it as far as can be told."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    return " ".join([name, *(shlex.quote(arg) for arg in sys.argv[1:])])


def _holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 65536).decode("utf-8", "replace"))
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):  # taken a moment ago and not yet described
        return {}


def _passing(holder: dict) -> bool:
    """Whether a busy lock is only held for a moment: by a run that has not yet written who it is, or by a
    folder clean-up (remove_if_stale) looking at a file whose writer is gone."""
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return True
    if os.name == "nt" or holder.get("host") != socket.gethostname():
        return False  # no safe way to ask (os.kill ends a process on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def _describe(holder: dict) -> str:
    pid, host, job = holder.get("pid"), holder.get("host"), holder.get("job") or "run"
    if not isinstance(pid, int):
        return "another process"
    if pid == os.getpid() and host == socket.gethostname():
        where = f"in this same program (process {pid})"
    else:
        where = f"in process {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
    parts = [f"a {job} {where}"]
    if holder.get("started"):
        parts.append(f"started {holder['started']}")
    if holder.get("command"):
        parts.append(f"command: {holder['command']}")
    return ", ".join(parts)


class OutputLock:
    """The lock on one target file; `acquire` raises OutputBusy when a live run holds it."""

    def __init__(self, target: str | os.PathLike, job: str = "run", flag: str = "--out"):
        self.given = Path(target).expanduser()  # as the caller named it, for the paths handed back
        self.target = _where(self.given)
        self.job, self.flag = job, flag
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> OutputLock:
        path = lock_path(self.target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(f"cannot write {self.target} ({error.strerror or error}); choose a folder you can "
                             f"write to") from None
        patience = time.monotonic() + 0.5
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise ValueError(f"cannot write {self.target} ({error.strerror or error}); choose a folder you "
                                 f"can write to") from None
            if not _try_lock(fd):
                holder = _holder(fd)
                os.close(fd)
                if _passing(holder) and time.monotonic() < patience:
                    time.sleep(0.01)
                    continue
                raise OutputBusy(f"{self.flag} {self.given} is being written by {_describe(holder)}. Nothing "
                                 f"was started: wait for that run to finish or stop it, or choose another name")
            # A run releasing the lock deletes the file while it still holds it: if the file we locked is no
            # longer the one at that name, a third run may lock the new one, so start again on that.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except OSError:
                same = False
            if same:
                break
            os.close(fd)
        description = {"pid": os.getpid(), "host": socket.gethostname(), "job": self.job,
                       "command": _command(), "started": _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(description).encode("utf-8"))
        except OSError:  # the description only improves another run's message; the lock is what counts
            pass
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            lock_path(self.target).unlink()  # still locked here: see the check in acquire
        except OSError:  # Windows will not delete an open file; the next run takes it over
            pass
        try:
            _unlock(fd)
        except OSError:
            pass
        os.close(fd)

    def __enter__(self) -> OutputLock:
        return self.acquire() if not self.held else self

    def __exit__(self, *exc) -> None:
        self.release()


def remove_if_stale(lock_file: Path) -> bool:
    """Delete a lock file that no live run holds (left by a run killed before it could remove it); True if done."""
    try:
        fd = os.open(lock_file, os.O_RDWR)
    except OSError:
        return False
    try:
        if not _try_lock(fd):
            return False
        try:
            if not os.path.samestat(os.fstat(fd), os.stat(lock_file)):
                return False
            lock_file.unlink()  # still locked here, as in release
            return True
        finally:
            _unlock(fd)
    except OSError:
        return False
    finally:
        os.close(fd)


def numbered(path: Path, number: int) -> Path:
    """`path` with `-number` before its suffix: seed-20261203-083000.pt -> seed-20261203-083000-2.pt."""
    return path if number < 2 else path.with_name(f"{path.stem}-{number}{path.suffix}")


def claim_new_name(first: str | os.PathLike, job: str = "run") -> OutputLock:
    """The lock on `first`, or on `first` numbered -2, -3... when a file of that name exists or another run
    holds it: for default names (model and second), which two runs started in the same second share."""
    first = Path(first)
    number = 1
    while True:
        candidate = numbered(first, number)
        number += 1
        if candidate.exists() or candidate.is_symlink():
            continue
        lock = OutputLock(candidate, job)
        try:
            lock.acquire()
        except OutputBusy:
            continue
        if candidate.exists() or candidate.is_symlink():  # finished and released between the check and the lock
            lock.release()
            continue
        return lock


@contextmanager
def held_output(out: str | os.PathLike | None, default: Path, job: str) -> Iterator[Path]:
    """The target a run writes, locked for as long as the block runs: `out` as given (OutputBusy when another run
    writes it), or, without `out`, a free name made from `default`."""
    lock = OutputLock(out, job) if out is not None else claim_new_name(default, job)
    try:
        if not lock.held:
            lock.acquire()
        yield lock.given
    finally:
        lock.release()
