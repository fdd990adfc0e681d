"""Train tab vs `trainer train`: same settings, same machine. A benchmark, not a test.

Runs `trainer train` as a subprocess, then the Train tab offscreen in this process (shown at 1200x820, so its
charts and progress bars really paint), and prints both times, their ratio, and the GUI thread's event-loop
latency during the tab's run: how late a 10 ms QTimer fires (max, 99th and 95th percentile).

The headline ratio compares the engine's own per-epoch times (training plus the test pass, summed), which both
sides report the same way; the wall-clock times are printed too (the CLI's includes Python start-up and imports,
the tab's includes reading MNIST). Checkpoints go to a temporary per-user folder, never to the real one.

    python bench/train_tab_speed.py --epochs 1                 # all 60,000 training images
    python bench/train_tab_speed.py --epochs 3 --train-limit 5000 --screenshot docs/screenshot-train.png
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_cli(args, data_dir: str, user_home: Path) -> dict:
    log = user_home / "cli-log.jsonl"
    command = [sys.executable, "-m", "trainer", "train", "--epochs", str(args.epochs), "--no-download",
               "--data-dir", data_dir, "--json-log", str(log)]
    if args.train_limit:
        command += ["--train-limit", str(args.train_limit)]
    env = dict(os.environ, XDG_DATA_HOME=str(user_home / "cli-data"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"trainer train failed ({completed.returncode}):\n{completed.stderr}")
    epochs = [json.loads(line) for line in log.read_text().splitlines()]
    return {"wall": wall, "epochs": sum(e["seconds"] for e in epochs),
            "best": max(e["test_accuracy"] for e in epochs),
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}


def run_tab(args, data_dir: str, screenshot: str | None, mid_screenshot: str | None) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import digitpad.train_tab as train_tab

    app = QApplication.instance()
    tab = train_tab.TrainTab()
    tab.resize(1200, 820)
    tab.show()
    train_tab._warm_up.join()  # as when a person opens the tab, looks at the settings, then presses Start
    tab.epochs.setValue(args.epochs)
    tab.trainLimit.setValue(args.train_limit or train_tab.MNIST_TRAIN_SIZE)
    tab.dataDir.setText(data_dir)

    lateness: list[float] = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.010))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)

    grabbed = [False]

    def grab_mid_run():  # in the middle of the last epoch when there are several, else mid-epoch
        if mid_screenshot and not grabbed[0] and tab.is_running and tab._fraction >= (
                1 - 0.5 / args.epochs if args.epochs > 1 else 0.5):
            grabbed[0] = tab.grab().save(mid_screenshot)

    if mid_screenshot:
        poll = QTimer()
        poll.setInterval(200)
        poll.timeout.connect(grab_mid_run)
        poll.start()

    tab.runFinished.connect(app.quit)
    before = resource.getrusage(resource.RUSAGE_SELF)
    gui_cpu = time.thread_time()  # this (the GUI) thread's CPU time: what the charts and widgets cost
    started = time.perf_counter()
    last[0] = started
    timer.start()
    if not tab.start_training():
        sys.exit(f"the tab refused to start: {tab.status.text()} {tab.dataMessageText.text()}")
    app.exec()
    wall = time.perf_counter() - started
    gui_cpu = time.thread_time() - gui_cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    timer.stop()
    if tab.last_error:
        sys.exit(f"the tab's run failed: {tab.last_error}")
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        tab.grab().save(screenshot)
    result = tab.last_result
    values = sorted(lateness)
    tab.shutdown()
    tab.close()
    tab.deleteLater()
    app.processEvents()
    return {"wall": wall, "epochs": sum(e.seconds for e in result.history), "best": result.best.test_accuracy,
            "load": result.load_seconds, "gui_cpu": gui_cpu,
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, "late_max": values[-1], "late_p99": values[int(len(values) * 0.99)],
            "late_p95": values[int(len(values) * 0.95)], "ticks": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-limit", type=int, help="first N training images (default: all 60,000)")
    parser.add_argument("--data-dir", help="folder holding MNIST/raw/ (default: as the trainer: $DIGITPAD_DATA...)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate CLI and tab runs N times; medians, and the ratio of the fastest runs")
    parser.add_argument("--skip-cli", action="store_true", help="time the tab only")
    parser.add_argument("--screenshot", help="save the tab after the (last) run to this PNG")
    parser.add_argument("--mid-screenshot", help="save the tab in the middle of the (last) run to this PNG")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from trainer.data import missing_files, resolve_data_dir

    data_dir = str(resolve_data_dir(args.data_dir))
    if missing_files(Path(data_dir)):
        sys.exit(f"MNIST is not in {data_dir}: pass --data-dir or set DIGITPAD_DATA")
    import torch
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # one for the whole benchmark, created before any widget and outliving them all
    print(f"{args.epochs} epoch(s) on {args.train_limit or 60000:,} images; data {data_dir}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory(prefix="digitpad-bench-") as home:
        home = Path(home)
        os.environ["XDG_DATA_HOME"] = str(home / "tab-data")  # the tab's checkpoints
        cli_runs, tab_runs = [], []
        for i in range(args.repeat):
            last = i == args.repeat - 1
            if not args.skip_cli:
                cli_runs.append(run_cli(args, data_dir, home))
                c = cli_runs[-1]
                print(f"  cli: epochs {c['epochs']:.1f}s, wall {c['wall']:.1f}s, CPU {c['cpu']:.1f}s, "
                      f"best {c['best']:.2%}", flush=True)
            tab_runs.append(run_tab(args, data_dir, args.screenshot if last else None,
                                    args.mid_screenshot if last else None))
            t = tab_runs[-1]
            print(f"  tab: epochs {t['epochs']:.1f}s, wall {t['wall']:.1f}s (loading {t['load']:.1f}s), "
                  f"CPU {t['cpu']:.1f}s of which GUI thread {t['gui_cpu']:.2f}s, "
                  f"best {t['best']:.2%}; timer lateness max {t['late_max'] * 1000:.0f} ms, "
                  f"p99 {t['late_p99'] * 1000:.0f} ms, p95 {t['late_p95'] * 1000:.0f} ms "
                  f"({t['ticks']} ticks)", flush=True)

    def median(runs, key):
        return statistics.median(r[key] for r in runs)

    print()
    tab_epochs, tab_wall = median(tab_runs, "epochs"), median(tab_runs, "wall")
    if cli_runs:
        cli_epochs, cli_wall = median(cli_runs, "epochs"), median(cli_runs, "wall")
        print(f"trainer train: {cli_epochs:.1f}s in epochs, {cli_wall:.1f}s wall (process, imports included)")
        print(f"Train tab:     {tab_epochs:.1f}s in epochs, {tab_wall:.1f}s wall (Start to finished, loading "
              f"included)")
        print(f"tab / CLI:     {tab_epochs / cli_epochs:.3f} (epoch time), {tab_wall / cli_wall:.3f} (wall), "
              f"{median(tab_runs, 'cpu') / median(cli_runs, 'cpu'):.3f} (CPU time; the CLI's includes its start-up)")
        if args.repeat > 1:  # on a shared machine the fastest run of each is the one least disturbed
            best_tab, best_cli = min(r["epochs"] for r in tab_runs), min(r["epochs"] for r in cli_runs)
            print(f"fastest runs:  tab {best_tab:.1f}s, CLI {best_cli:.1f}s in epochs: tab / CLI "
                  f"{best_tab / best_cli:.3f}")
    else:
        print(f"Train tab:     {tab_epochs:.1f}s in epochs, {tab_wall:.1f}s wall")
    print(f"GUI thread CPU during the tab's run: {median(tab_runs, 'gui_cpu'):.2f}s "
          f"({median(tab_runs, 'gui_cpu') / tab_wall:.1%} of one core)")
    print(f"event-loop lateness during the tab's run (10 ms timer): max {median(tab_runs, 'late_max') * 1000:.0f} ms,"
          f" p99 {median(tab_runs, 'late_p99') * 1000:.0f} ms, p95 {median(tab_runs, 'late_p95') * 1000:.0f} ms")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
