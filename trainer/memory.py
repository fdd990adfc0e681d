"""Keeping freed memory for the next batch instead of handing it back to the system at every free.

A training step allocates and frees the same few megabytes of activations, batch after batch. glibc's malloc
serves blocks that large by mapping fresh pages (above its mmap threshold, 128 KB at first) or returns them
to the system when the top of its heap is free past its trim threshold, so every batch touched its memory anew:
about 6,800 page faults a batch, 16% of the CPU time of a training run spent in the kernel zeroing pages
(bench/train_speed.py; docs/speed.md). With both thresholds raised, blocks up to 32 MB come from the heap and
up to 64 MB of freed heap is kept: a few hundred faults in a whole run. The arithmetic is untouched, so a run
learns exactly what it learned before; a process keeps at most 64 MB more than it uses.

Linux with glibc only; elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own ceiling for its sliding threshold on 64-bit systems
TRIM_THRESHOLD = 64 * 1024 * 1024

_lock = threading.Lock()
_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Raise malloc's thresholds once per process (see above); True when they are raised, now or before."""
    with _lock:
        if not _done:
            _done.append(_raise_thresholds())
        return _done[0]


def _raise_thresholds() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # a C library without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # The mmap threshold first: setting either one stops glibc sliding both.
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
