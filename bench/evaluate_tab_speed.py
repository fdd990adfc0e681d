"""How long the Evaluate tab takes to show its results, and how responsive the window stays meanwhile.

Runs the tab's evaluation of the built-in model (or --model) on the 10,000 MNIST test images in the real window
(offscreen) inside a real event loop (`app.exec()`), with a 20 ms QTimer on the GUI thread; prints the time from
the click to the results on screen (reading MNIST and running the model are its parts) and how late the timer
fired. Then `trainer eval` of the same checkpoint as a subprocess, for comparison (imports included).

    python bench/evaluate_tab_speed.py [--model CKPT] [--data-dir DIR] [--repeat 3] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TICK_MS = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a checkpoint (default: the built-in model)")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: $DIGITPAD_DATA, ...)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshot", help="save the window to this PNG after the last evaluation")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import torch
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from digitpad import builtin_checkpoint_path
    from digitpad.window import MainWindow
    from trainer.data import missing_files, resolve_data_dir
    from trainer.devices import cpu_capability

    data_dir = str(resolve_data_dir(args.data_dir))
    if missing_files(Path(data_dir)):
        sys.exit(f"MNIST is not in {data_dir}: pass --data-dir or set DIGITPAD_DATA")
    model = args.model or str(builtin_checkpoint_path())
    app = QApplication([])
    print(f"{cpu_capability()}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    window = MainWindow(model)
    window.resize(1200, 820)
    window.show()
    window.train_tab.settings.dataDir.setText(data_dir)
    tab = window.evaluate_tab
    window.tabs.setCurrentWidget(tab)
    for run in range(args.repeat):
        ticks: list[float] = []
        state = {"last": 0.0}

        def tick():
            now = time.perf_counter()
            ticks.append(max(0.0, now - state["last"] - TICK_MS / 1000))
            state["last"] = now

        timer = QTimer()
        timer.setInterval(TICK_MS)
        timer.timeout.connect(tick)
        tab.evaluationDone.connect(app.quit)
        started = {}

        def press():
            started["at"] = state["last"] = time.perf_counter()
            timer.start()
            tab.run.click()

        QTimer.singleShot(300, press)
        app.exec()
        shown = time.perf_counter() - started["at"]
        timer.stop()
        tab.evaluationDone.disconnect(app.quit)
        report = tab.report
        if report is None:
            sys.exit(f"the evaluation failed: {tab.message.text()}")
        late = sorted(ticks)
        print(f"run {run + 1}: {tab.accuracy.text()} on {len(report.split):,} images; click to results shown "
              f"{shown:.2f} s (reading MNIST {report.load_seconds:.2f} s, the model {report.seconds:.2f} s); "
              f"{TICK_MS} ms timer lateness p95 {late[int(len(late) * 0.95)] * 1000:.1f} ms, max "
              f"{late[-1] * 1000:.1f} ms", flush=True)
        while tab.worker is not None:
            app.processEvents()
    if args.screenshot:
        tab.show_cell(4, 9)
        app.processEvents()
        window.grab().save(args.screenshot)
    window.close()
    started_cli = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "trainer", "eval", model, "--data-dir", data_dir, "--no-download"],
                         capture_output=True, text=True)
    first = cli.stdout.splitlines()[1] if cli.returncode == 0 else cli.stderr.strip()
    print(f"trainer eval: {time.perf_counter() - started_cli:.2f} s for the whole process; {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
