"""The `digitpad` command itself: unknown words, no display, missing system libraries, Ctrl-C."""

import os
import signal
import subprocess
import sys

import pytest

from digitpad import display

from .commands import run_digitpad


@pytest.mark.parametrize("words", [["predcit", "x.png"], ["x.png"], ["--frobnicate"]])
@pytest.mark.slow  # a subprocess
def test_unknown_words_are_an_error_naming_them_and_never_reach_qt(words):
    result = run_digitpad(*words, env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert f"unknown command or argument: {' '.join(words)}" in result.stderr
    assert "predict" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # a subprocess
def test_help_lists_the_commands():
    result = run_digitpad("--help")
    assert result.returncode == 0 and "commands:" in result.stdout and "predict" in result.stdout


@pytest.mark.slow  # a subprocess
def test_no_display_is_said_in_words_not_a_qt_abort():
    if sys.platform.startswith("linux"):
        result = run_digitpad(env={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
        assert result.returncode == 1 and "no display" in result.stderr and "digitpad predict" in result.stderr


def test_missing_x11_libraries_are_named_with_the_apt_line(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(display, "_loadable", lambda library: library not in ("libxcb-cursor.so.0",
                                                                               "libxcb-icccm.so.4"))
    problem = display.window_problem({"DISPLAY": ":0"})
    assert "libxcb-cursor.so.0" in problem and "sudo apt install libxcb-cursor0 libxcb-icccm4\n" in problem
    assert display.window_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is None
    monkeypatch.setattr(display, "_loadable", lambda library: True)
    assert display.window_problem({"DISPLAY": ":0"}) is None


def test_readme_gives_the_apt_line():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    assert display.APT_LINE in readme


@pytest.mark.slow  # a subprocess
def test_ctrl_c_quits_cleanly_stopping_and_joining_a_training_run(tmp_path, fake_mnist):
    data = fake_mnist(512, 64)
    script = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "import digitpad.app as app, digitpad.window as window\n"
        "def start(self):\n"
        "    tab = self.train_tab\n"
        f"    tab.settings.dataDir.setText({str(data)!r})\n"
        "    tab.settings.epochs.setValue(300)\n"
        "    tab.table.model().rowsInserted.connect(lambda *a: print('epoch', flush=True))\n"
        "    tab.start_training()\n"
        "show = window.MainWindow.show\n"
        "window.MainWindow.show = lambda self: (show(self), QTimer.singleShot(100, lambda: start(self)))\n"
        "sys.exit(app.main([]))\n")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment)
    assert process.stdout.readline().strip() == "epoch"  # training is under way
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    saved = list((tmp_path / "data" / "digitpad" / "models").iterdir())
    assert len(saved) == 1 and saved[0].suffix == ".pt"  # the run was stopped and joined: kept, renamed, whole
