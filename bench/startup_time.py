"""Start-up time of `digitpad`: from launching the process to its window shown with the model loaded; and with
`--memory`, the idle window's memory.

Each run starts a fresh Python process that runs digitpad's entry point and reports the moment its event loop
first turns with the window up; the clock starts just before the process is launched, so the interpreter's own
start-up and every import count. The probe imports nothing of Qt's before the app does (the app imports torch
first, see digitpad.app.import_before_qt): its cue is the app setting its Ctrl-C handler, which it does once the
window is shown, just before its event loop starts.

The runs measured start with the bytecode cache written, as an installed app has it (see main).

    python bench/startup_time.py [--runs 5] [--memory]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PROBE = """
import json, signal, sys, time
import digitpad.app as app

IDLE_SECONDS = float(sys.argv[1])
marks = {}


def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


class Signals:
    # The app sets its Ctrl-C handler once the window is shown, just before its event loop turns: the cue.
    def __getattr__(self, name):
        return getattr(signal, name)

    def signal(self, number, handler):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, ready)
        return signal.signal(number, handler)


def ready():
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    assert window.isVisible() and window.predictor is not None
    marks["ready"] = time.time()
    if IDLE_SECONDS:
        marks["ready_mb"] = resident_mb()
    QTimer.singleShot(int(IDLE_SECONDS * 1000), idle)


def idle():
    from PySide6.QtWidgets import QApplication

    if IDLE_SECONDS:
        marks["idle_mb"] = resident_mb()
        marks["modules"] = {name: name in sys.modules for name in ("torch", "PySide6", "captum", "matplotlib")}
    print("STARTUP " + json.dumps(marks), flush=True)
    QApplication.quit()


app.signal = Signals()
sys.exit(app.main([]))
"""

# What the parts cost by themselves: resident memory of a bare interpreter, then after each import.
PARTS = """
import json, sys


def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


marks = [("python", resident_mb())]
import PySide6.QtWidgets
marks.append(("PySide6 (Qt widgets)", resident_mb()))
import torch
marks.append(("torch", resident_mb()))
print(json.dumps(marks))
"""

ORT_ALONE = """
import json
def resident_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
before = resident_mb()
import onnxruntime
print(json.dumps(resident_mb() - before))
"""


def start(environment: dict, idle_seconds: float) -> tuple[float, dict]:
    started = time.time()
    result = subprocess.run([sys.executable, "-c", PROBE, str(idle_seconds)], capture_output=True, text=True,
                            env=environment, check=True)
    [line] = [line for line in result.stdout.splitlines() if line.startswith("STARTUP ")]
    marks = json.loads(line.split(" ", 1)[1])
    return marks["ready"] - started, marks


def print_memory(environment: dict, marks: dict) -> None:
    parts = json.loads(subprocess.run([sys.executable, "-c", PARTS], capture_output=True, text=True,
                                      env=environment, check=True).stdout)
    print(f"memory, resident: the window when ready {marks['ready_mb']:.0f} MB, after idling {marks['idle_mb']:.0f} "
          f"MB (loaded then: {', '.join(name for name, loaded in marks['modules'].items() if loaded)})")
    previous = 0.0
    for name, mb in parts:
        print(f"  {name:24s} {mb - previous:6.0f} MB" if previous else f"  {name:24s} {mb:6.0f} MB")
        previous = mb
    ort = subprocess.run([sys.executable, "-c", ORT_ALONE], capture_output=True, text=True, env=environment)
    if ort.returncode == 0:
        print(f"  ONNX Runtime instead of torch: {json.loads(ort.stdout):.0f} MB to import")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory", action="store_true", help="also the idle window's memory, after 4 s")
    args = parser.parse_args()
    environment = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    # As an installed app starts: pip compiles a package's modules to bytecode as it installs them, so the
    # window's 120-odd modules of digitpad and trainer are read, not compiled from source (about 0.1 s). A
    # checkout writes the same cache (__pycache__, ignored by git) the first time it runs, unless
    # PYTHONDONTWRITEBYTECODE is set, as it is on this project's machines: the probe runs without it, once to
    # write the cache (said apart), then the runs measured.
    compiling = environment.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    first = start(environment, 0.0)[0]
    print(f"first start{' (PYTHONDONTWRITEBYTECODE was set: it wrote the bytecode cache)' if compiling else ''}: "
          f"{first:.2f} s")
    seconds = [start(environment, 0.0)[0] for _ in range(args.runs)]
    print(f"digitpad start-up to a ready window ({environment['QT_QPA_PLATFORM']}), {args.runs} runs: "
          f"median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, max {max(seconds):.2f} s "
          "(load average after: {:.2f} {:.2f} {:.2f})".format(*os.getloadavg()))
    if args.memory:
        print_memory(environment, start(environment, 4.0)[1])


if __name__ == "__main__":
    main()
