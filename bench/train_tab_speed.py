"""The Train tab against `trainer train`, and how responsive the window stays while the tab trains.

Runs `trainer train` as a subprocess, then the Train tab in the real window (offscreen, shown at 1200x820 so its
charts, progress bars and filter view really paint; the filter view is on: a snapshot of the first layer's
filters and maps is taken in the training thread at every epoch end and drawn) inside a real event loop
(`app.exec()`), with a 20 ms QTimer on the GUI thread from the moment Start is pressed to the end of the run. Prints both runs' times, their ratio, and how late
the timer fired: 95th percentile, maximum, and when the maximum came (seconds after Start). `QTest.qWait` loops
are not used: in PySide6 they hold the GIL and starve the worker.

    python bench/train_tab_speed.py --epochs 1 [--train-limit 5000] [--data-dir DIR] [--skip-cli]
    python bench/train_tab_speed.py --epochs 3 --train-limit 5000 --mid-screenshot docs/screenshot-filters.png
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK_MS = 20


def run_cli(args, data_dir: str, home: Path) -> dict:
    log = home / "cli-log.jsonl"
    command = [sys.executable, "-m", "trainer", "train", "--epochs", str(args.epochs), "--no-download",
               "--data-dir", data_dir, "--json-log", str(log), "--out", str(home / "cli.pt")]
    if args.train_limit:
        command += ["--train-limit", str(args.train_limit)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"trainer train failed ({completed.returncode}):\n{completed.stderr}")
    epochs = [json.loads(line) for line in log.read_text().splitlines()]
    return {"wall": wall, "epochs": sum(e["seconds"] for e in epochs), "final": epochs[-1]["test_accuracy"]}


def run_tab(args, data_dir: str) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from digitpad.app import freeze_start_up_objects
    from digitpad.window import MainWindow

    app = QApplication.instance()
    window = MainWindow()
    window.resize(1200, 820)
    window.show()
    freeze_start_up_objects()  # as `digitpad` does once its window is shown
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.settings.epochs.setValue(args.epochs)
    tab.settings.trainLimit.setValue(args.train_limit or 60_000)
    tab.settings.dataDir.setText(data_dir)
    tab.take_snapshots = not args.no_filter_view

    ticks: list[tuple[float, float]] = []  # (seconds after Start, lateness)
    state = {"last": 0.0, "start": 0.0, "grabbed": False, "filters_shown": False}

    def tick():
        now = time.perf_counter()
        ticks.append((now - state["start"], max(0.0, now - state["last"] - TICK_MS / 1000)))
        state["last"] = now
        state["filters_shown"] |= tab.is_running and tab.filters.isVisible() and bool(tab.filters.snapshots)
        if args.mid_screenshot and not state["grabbed"] and tab.charts.epochs and \
                len(tab.charts.epochs) >= max(1, args.epochs - 1) and tab.is_running:
            state["grabbed"] = window.grab().save(args.mid_screenshot)

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    tab.runFinished.connect(app.quit)

    def press_start():
        state["start"] = time.perf_counter()
        if not tab.start_training():
            sys.exit(f"the tab refused to start: {tab.run_panel.status.text()} {tab.banner.text.text()}")

    # A person looks at the window for a few seconds before pressing Start.
    QTimer.singleShot(4000, press_start)
    state["start"] = state["last"] = time.perf_counter() + 4.0  # until Start, ticks count before it (negative)
    state["last"] = time.perf_counter()
    timer.start()  # from the window's first second: any stall before Start is measured too
    app.exec()
    wall = time.perf_counter() - state["start"]
    timer.stop()
    if tab.last_error:
        sys.exit(f"the tab's run failed: {tab.last_error}")
    result = tab.last_result
    snapshots = [snapshot.epoch for snapshot in tab.filters.snapshots]
    if not args.no_filter_view and (snapshots != list(range(args.epochs + 1)) or not state["filters_shown"]):
        sys.exit(f"the filter view was not on: it holds snapshots of epochs {snapshots}")
    window.close()
    before = [lateness for at, lateness in ticks if at < 0]
    ticks = [(at, lateness) for at, lateness in ticks if at >= 0]
    late = sorted(lateness for _, lateness in ticks)
    worst_at, worst = max(ticks, key=lambda t: t[1])
    return {"wall": wall, "epochs": sum(e.seconds for e in result.history), "final": result.final.test_accuracy,
            "load": result.load_seconds, "p95": late[int(len(late) * 0.95)], "max": worst, "max_at": worst_at,
            "ticks": len(late), "snapshots": len(snapshots), "before_max": max(before, default=0.0),
            "snapshot_seconds": sum(snapshot.seconds for snapshot in tab.filters.snapshots)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-limit", type=int, help="first N training images (default: all 60,000)")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: as the trainer: $DIGITPAD_DATA...)")
    parser.add_argument("--skip-cli", action="store_true", help="time the tab only")
    parser.add_argument("--no-filter-view", action="store_true",
                        help="take no snapshots for the filter view (to see what it costs)")
    parser.add_argument("--mid-screenshot", help="save the window to this PNG during the last epoch")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from trainer.data import missing_files, resolve_data_dir
    from trainer.devices import cpu_capability

    data_dir = str(resolve_data_dir(args.data_dir))
    if missing_files(Path(data_dir)):
        sys.exit(f"MNIST is not in {data_dir}: pass --data-dir or set DIGITPAD_DATA")
    import torch
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841  (one for the whole benchmark, outliving every widget)
    print(f"{args.epochs} epoch(s) on {args.train_limit or 60000:,} images; {cpu_capability()}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="digitpad-bench-") as home:
        os.environ["XDG_DATA_HOME"] = str(Path(home) / "data")  # the tab's checkpoints: never the real folder
        if not args.skip_cli:
            cli = run_cli(args, data_dir, Path(home))
            print(f"trainer train: {cli['epochs']:.1f} s in epochs, {cli['wall']:.1f} s wall (process, imports "
                  f"included); final test accuracy {cli['final']:.2%}", flush=True)
        tab = run_tab(args, data_dir)
    print(f"Train tab:     {tab['epochs']:.1f} s in epochs, {tab['wall']:.1f} s wall from Start (reading MNIST "
          f"{tab['load']:.2f} s); final test accuracy {tab['final']:.2%}")
    if not args.skip_cli:
        print(f"tab / CLI:     {tab['epochs'] / cli['epochs']:.3f} (time in epochs)")
    print("filter view:   off" if args.no_filter_view else
          f"filter view:   on, {tab['snapshots']} snapshots (before training and after each epoch), taken in the "
          f"training thread in {tab['snapshot_seconds'] * 1000:.0f} ms in all "
          f"({tab['snapshot_seconds'] / tab['epochs']:.2%} of the time in epochs)")
    print(f"GUI event loop, {TICK_MS} ms timer from Start to the end ({tab['ticks']} ticks): lateness p95 "
          f"{tab['p95'] * 1000:.1f} ms, max {tab['max'] * 1000:.1f} ms at {tab['max_at']:.2f} s after Start")
    print(f"before Start, while the window settled: max "
          f"{tab['before_max'] * 1000:.1f} ms late")
    return 0


if __name__ == "__main__":
    sys.exit(main())
