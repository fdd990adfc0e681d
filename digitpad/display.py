"""Can a window open here? Answered before Qt is asked, because Qt's answer to "no" is to abort the process
(exit 134) with a message about one missing library, or about xcb on a machine without a display at all.

On Linux, Qt's X11 ("xcb") platform plugin needs system libraries that minimal installs lack. The set below is
what `ldd` lists for PySide6's libqxcb.so and libQt6XcbQpa.so.6 (Qt 6.11), with the Debian/Ubuntu package that
ships each; Qt's own X11 requirements page names the same family.
"""

from __future__ import annotations

import ctypes
import os
import sys

XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1", "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1", "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
APT_LINE = "sudo apt install " + " ".join(sorted(set(XCB_LIBRARIES.values())))


def _loadable(library: str) -> bool:
    try:
        ctypes.CDLL(library)
        return True
    except OSError:
        return False


def missing_xcb_libraries() -> list[str]:
    return [library for library in XCB_LIBRARIES if not _loadable(library)]


def window_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the window could not open here, in words with the way out; None when nothing is known to stop it."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: chosen on purpose, Qt's own messages apply
    wayland = bool(environ.get("WAYLAND_DISPLAY")) and not platform
    if not environ.get("DISPLAY") and not wayland:
        return ("there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). Run "
                "digitpad in a desktop session; in a terminal without one, `digitpad predict IMAGE...` reads "
                "image files.")
    if wayland:
        return None
    missing = missing_xcb_libraries()
    if missing:
        packages = sorted({XCB_LIBRARIES[library] for library in missing})
        return (f"the window cannot open: Qt's X11 support needs system libraries that are missing here "
                f"({', '.join(missing)}). Install them with:\n  sudo apt install {' '.join(packages)}\n"
                f"(that is for Debian or Ubuntu; everything the window needs: {APT_LINE})")
    return None
