"""How long the robustness curves take in the window, how responsive it stays, and the idle memory they add.

Time: in the real window (offscreen), inside a real event loop with a 20 ms QTimer on the GUI thread, the
Evaluate tab's Robustness page measures the model in use (the built-in model, or --model) and, with --compare,
a second checkpoint ("builtin" for the built-in model) on the 10,000 MNIST test images: click to the last point.
Memory: the resident size of the idle window (after --settle seconds) with the robustness page and without it
(a bare QWidget in its place), each in a fresh process, and of the window with the page again after a run.

    python bench/robustness_speed.py [--data-dir DIR] [--model CKPT] [--compare builtin|CKPT] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TICK_MS = 20


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def window(args, without: bool = False):
    from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

    app = QApplication.instance() or QApplication([])
    if without:
        import digitpad.evaluate.tab as tab_module

        class Bare(QWidget):  # the page's place, empty: what the window was before it
            def set_model(self, *args, **kwargs): ...
            def set_data_dir(self, *args): ...
            def shutdown(self): ...

        tab_module.RobustnessChart = Bare
    from digitpad.window import MainWindow

    main = MainWindow(args.model) if args.model else MainWindow()
    main.resize(1280, 860)
    main.show()
    main.train_tab.settings.dataDir.setText(args.data_dir)
    main.tabs.setCurrentWidget(main.evaluate_tab)
    main.evaluate_tab.findChild(QTabWidget, "evaluateViews").setCurrentIndex(1)
    return app, main


def probe(args) -> None:
    """One process's idle memory (printed as `rss MB`), with or without the page, before and after a run."""
    app, main = window(args, without=args.probe == "without")
    wait(app, args.settle)
    print(f"rss {rss_mb():.1f}")
    if args.probe == "with":
        view = main.evaluate_tab.robustness
        from PySide6.QtCore import QEventLoop

        loop = QEventLoop()
        view.runDone.connect(loop.quit)
        view.start()
        loop.exec()
        wait(app, args.settle)
        print(f"after {rss_mb():.1f}")


def timed_run(args) -> None:
    import torch
    from PySide6.QtCore import QEventLoop, QTimer

    from digitpad import builtin_checkpoint_path
    from trainer.devices import cpu_capability

    app, main = window(args)
    print(f"{cpu_capability()}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    view = main.evaluate_tab.robustness
    if args.compare:
        view.compare_with(builtin_checkpoint_path() if args.compare == "builtin" else args.compare)
    wait(app, 2)
    late: list[float] = []
    state = {"last": time.perf_counter()}

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, now - state["last"] - TICK_MS / 1000))
        state["last"] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(TICK_MS)
    loop = QEventLoop()
    view.runDone.connect(loop.quit)
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    view.start()
    loop.exec()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    timer.stop()
    late.sort()
    models = 1 if view.other is None else 2
    curves = view.curves
    print(f"load average at the start {load:.2f}, at the end {os.getloadavg()[0]:.2f}")
    if curves is None:
        print(f"no curves: {view.status.text()}")
        return
    print(f"{models} model(s), {len(curves.points)} points on {curves.images:,} images ({curves.precision}): "
          f"click to the last point {seconds:.1f} s (the curves themselves {curves.seconds:.1f} s)")
    # The CPU time of the whole process (both cores' worth): what the run costs whatever else the machine is doing;
    # over 2 cores it is about the time the run takes on an idle 2-core machine (an upper bound: threads waiting
    # on each other spin, and that is counted too).
    print(f"CPU time {cpu:.1f} s, {cpu / 2:.1f} s over 2 cores")
    print(f"the 20 ms timer: late by {late[int(len(late) * 0.95)] * 1000:.1f} ms at the 95th percentile, "
          f"{late[-1] * 1000:.1f} ms at most")
    if args.screenshot:
        wait(app, 0.5)
        main.grab().save(args.screenshot)
        print(f"screenshot: {args.screenshot}")
    main.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("DIGITPAD_DATA"))
    parser.add_argument("--model", help="the model in use (default: the built-in model)")
    parser.add_argument("--compare", help="a second checkpoint, or 'builtin'")
    parser.add_argument("--screenshot", help="save the window to this PNG after the run")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds idle before memory is read")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--probe", choices=("with", "without"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.probe:
        probe(args)
        return 0
    timed_run(args)
    if args.skip_memory:
        return 0
    figures = {}
    for kind in ("without", "with"):
        result = subprocess.run([sys.executable, __file__, "--probe", kind, "--data-dir", args.data_dir or "",
                                 "--settle", str(args.settle)], capture_output=True, text=True, check=True)
        figures[kind] = dict(line.split() for line in result.stdout.splitlines() if line[:3] in ("rss", "aft"))
    without, with_page = float(figures["without"]["rss"]), float(figures["with"]["rss"])
    print(f"idle window: {without:.0f} MB without the robustness page, {with_page:.0f} MB with it: "
          f"+{with_page - without:.1f} MB; after a run, idle: {float(figures['with']['after']):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
