"""One-off imports done in the background soon after the window opens, so that no click later waits for them.

Creating any torch optimizer imports torch._dynamo (torch wraps the optimizer's methods in a lazily imported
"disable dynamo" decorator): 1.2 s of importing, during which its extension modules hold the GIL for up to
0.2 s at a time. Left to the first training run, that froze the window for ~150 ms just after Start.
"""

from __future__ import annotations

import importlib
import threading

MODULES = ("torch._dynamo",)
_thread: threading.Thread | None = None


def start_warm_up() -> threading.Thread:
    """Start the imports in a background thread (once; later calls return the same thread)."""
    global _thread
    if _thread is None:
        # Not a daemon thread: an import must not be cut off half way when the app exits.
        _thread = threading.Thread(target=lambda: [importlib.import_module(name) for name in MODULES],
                                   name="digitpad-warm-up")
        _thread.start()
    return _thread
