"""Start-up time of `digitpad`: from launching the process to its window shown with the model loaded.

Each run starts a fresh Python process that runs digitpad's entry point and reports the moment its event loop
first turns with the window up; the clock starts just before the process is launched, so the interpreter's own
start-up and every import count.

    python bench/startup_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

PROBE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from digitpad.app import main

def report():
    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    assert window.isVisible() and window.predictor is not None
    print(time.time())
    QApplication.quit()

QTimer.singleShot(0, report)
sys.exit(main([]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    environment = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    seconds = []
    for _ in range(args.runs):
        start = time.time()
        result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=environment,
                                check=True)
        seconds.append(float(result.stdout.split()[-1]) - start)
    print(f"digitpad start-up to a ready window ({environment['QT_QPA_PLATFORM']}), {args.runs} runs: "
          f"median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, max {max(seconds):.2f} s")


if __name__ == "__main__":
    main()
