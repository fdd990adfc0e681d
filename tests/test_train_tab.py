"""The Train tab on its own: real (small) runs of the engine in its worker thread, offscreen.

The runs train on 1,000-2,000 of the real MNIST images ($DIGITPAD_DATA) and test on all 10,000, so each epoch
takes a few seconds; the tests that need no data (missing folder, defaults, idle shutdown) always run.
"""

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QProgressBar, QPushButton, QSpinBox

from digitpad import builtin_checkpoint_path
from digitpad import train_tab
from digitpad.train_tab import TrainTab
from trainer.checkpoint import load_checkpoint, models_dir
from trainer.data import DataError
from trainer.engine import TrainConfig

RUN_TIMEOUT_MS = 90_000


@pytest.fixture
def tab(qtbot):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.resize(1200, 820)
    tab.show()
    yield tab
    tab.shutdown()


def configure(tab: TrainTab, data_dir: Path, epochs: int, train_limit: int) -> None:
    tab.findChild(QSpinBox, "epochs").setValue(epochs)
    tab.findChild(QSpinBox, "trainLimit").setValue(train_limit)
    tab.dataDir.setText(str(data_dir))


def series_counts(tab: TrainTab) -> dict[str, int]:
    return {"train accuracy": tab.trainAccuracy.count(), "test accuracy": tab.testAccuracy.count(),
            "train loss": tab.trainLoss.count(), "test loss": tab.testLoss.count()}


class LatencyProbe:
    """How late a 10 ms QTimer fires: the GUI thread's event-loop latency."""

    def __init__(self):
        self.lateness: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._last - 0.010))
        self._last = now

    def stop(self):
        self.timer.stop()
        values = sorted(self.lateness)
        return values[-1], values[int(len(values) * 0.95)]


def test_defaults_are_the_trainers(tab):
    defaults = TrainConfig()
    assert tab.findChild(QSpinBox, "epochs").value() == defaults.epochs == 20
    assert tab.findChild(QSpinBox, "trainLimit").value() == 60_000
    config = tab.config()
    assert (config.batch_size, config.lr, config.seed, config.augment) == (
        defaults.batch_size, defaults.lr, defaults.seed, defaults.augment)
    assert config.train_limit is None and config.model == defaults.model
    for name in ("start", "stop", "useModel"):
        assert tab.findChild(QPushButton, name) is not None
    assert tab.findChild(QProgressBar, "progress") is not None
    assert tab.findChild(QPushButton, "useModel").isEnabled() is False
    assert not tab.is_running


def test_shutdown_is_safe_when_nothing_runs(tab):
    tab.shutdown()
    tab.shutdown()
    assert not tab.is_running


def test_missing_data_shows_both_ways_out_and_refuses_start(tab, tmp_path, qtbot):
    empty = tmp_path / "nowhere"
    empty.mkdir()
    tab.dataDir.setText(str(empty))
    assert tab.dataMessage.isVisible()
    text = tab.dataMessageText.text()
    assert "MNIST is not in" in text and str(empty) in text and "train-images-idx3-ubyte" in text
    assert tab.download.isVisible() and tab.download.isEnabled()
    assert tab.chooseData.isVisible() and tab.chooseData.isEnabled()

    assert tab.start_training() is False
    qtbot.mouseClick(tab.findChild(QPushButton, "start"), QtLeftButton())
    assert not tab.is_running
    assert "MNIST is missing" in tab.status.text()
    assert tab.findChild(QPushButton, "start").isEnabled()


def test_failed_download_says_why_and_keeps_the_ways_out(tab, tmp_path, qtbot, monkeypatch):
    def no_network(folder, download=True):
        raise DataError("MNIST could not be downloaded (no network).")

    monkeypatch.setattr("digitpad.train_tab.ensure_data", no_network)
    tab.dataDir.setText(str(tmp_path))
    qtbot.mouseClick(tab.download, QtLeftButton())
    qtbot.waitUntil(lambda: tab._downloader is None, timeout=5000)
    assert "download failed" in tab.dataMessageText.text().lower()
    assert "no network" in tab.dataMessageText.text()
    assert tab.dataMessage.isVisible() and tab.download.isEnabled() and tab.start.isEnabled()


def test_reset_emits_the_builtin_checkpoint(tab, qtbot):
    with qtbot.waitSignal(tab.modelReady, timeout=1000) as signal:
        qtbot.mouseClick(tab.resetModel, QtLeftButton())
    assert Path(signal.args[0]) == builtin_checkpoint_path()


def test_one_epoch_run_end_to_end(tab, mnist_dir, qtbot, tmp_path):
    configure(tab, mnist_dir, epochs=1, train_limit=1000)
    progress_values = []
    tab.findChild(QProgressBar, "progress").valueChanged.connect(progress_values.append)
    use_model = tab.findChild(QPushButton, "useModel")
    train_tab._warm_up.join()  # the one-off torchvision import when the tab is first shown; see _warm_up_imports
    probe = LatencyProbe()

    qtbot.mouseClick(tab.findChild(QPushButton, "start"), QtLeftButton())
    assert tab.is_running
    assert not tab.findChild(QPushButton, "start").isEnabled() and tab.findChild(QPushButton, "stop").isEnabled()
    assert not use_model.isEnabled()
    qtbot.waitUntil(lambda: tab.runningLoss.count() > 0, timeout=RUN_TIMEOUT_MS)
    assert tab.grab().save(str(tmp_path / "mid-run.png"))
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        pass
    max_late, p95_late = probe.stop()
    assert tab.grab().save(str(tmp_path / "after-run.png"))

    assert not tab.is_running and tab.last_error is None
    assert len(progress_values) >= 2 and progress_values == sorted(progress_values) and progress_values[-1] == 1000
    assert series_counts(tab) == dict.fromkeys(series_counts(tab), 1)  # one point per curve per epoch
    assert tab.runningLoss.count() >= 2 and tab.bestAccuracy.count() == 1
    assert tab.history.rowCount() == 1

    result = tab.last_result
    best = result.best
    assert not result.stopped and len(result.history) == 1 and result.train_images == 1000
    assert f"{best.test_accuracy:.2%}" in tab.result.text()
    assert 0 < best.test_accuracy <= 1  # what it learns from 8 batches is the engine tests' business

    path = result.checkpoint
    assert path.parent == models_dir() and path.name.startswith("seed-")
    assert path.name.endswith(f"-{best.test_accuracy * 100:.2f}.pt")
    assert sorted(models_dir().iterdir()) == [path]  # renamed, not copied; no temporary file left
    saved = load_checkpoint(path)
    assert saved.test_accuracy == pytest.approx(best.test_accuracy)
    assert saved.meta["settings"]["train_limit"] == 1000 and saved.meta["epochs_completed"] == 1

    assert use_model.isEnabled()
    with qtbot.waitSignal(tab.modelReady, timeout=1000) as signal:
        qtbot.mouseClick(use_model, QtLeftButton())
    assert signal.args == [str(path)]
    # The GUI thread kept up while the worker trained (generous: the machine may be busy with other work).
    assert p95_late < 0.1 and max_late < 0.5, (max_late, p95_late)


def test_stop_mid_run_is_prompt_and_keeps_the_best_epoch(tab, mnist_dir, qtbot):
    configure(tab, mnist_dir, epochs=30, train_limit=2000)
    tab.start_training()
    qtbot.waitUntil(lambda: tab.history.rowCount() == 1 and tab.epochProgress.format().startswith("epoch 2/"),
                    timeout=RUN_TIMEOUT_MS)
    asked = time.perf_counter()
    with qtbot.waitSignal(tab.runFinished, timeout=10_000):
        qtbot.mouseClick(tab.findChild(QPushButton, "stop"), QtLeftButton())
    took = time.perf_counter() - asked

    assert took < 2.0, f"stop took {took:.1f}s"
    assert not tab.is_running and tab.findChild(QPushButton, "start").isEnabled()
    assert not tab.findChild(QPushButton, "stop").isEnabled() and tab.epochs.isEnabled()
    result = tab.last_result
    assert result.stopped and len(result.history) == 1
    assert "Stopped after 1 of 30 epochs" in tab.status.text()
    saved = load_checkpoint(result.checkpoint)
    assert saved.meta["stopped_early"] and saved.meta["epochs_completed"] == 1
    assert tab.findChild(QPushButton, "useModel").isEnabled()


def test_stop_before_the_first_epoch_ends_leaves_no_model(tab, mnist_dir, qtbot):
    configure(tab, mnist_dir, epochs=1, train_limit=60_000)
    tab.start_training()
    qtbot.waitUntil(lambda: tab.runningLoss.count() > 0, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(tab.runFinished, timeout=5_000):
        tab.stop_training()
    assert tab.last_result.stopped and tab.last_result.checkpoint is None
    assert not models_dir().exists() or not any(models_dir().iterdir())
    assert not tab.findChild(QPushButton, "useModel").isEnabled()
    assert "no model was saved" in tab.result.text()


class Window(QMainWindow):
    def __init__(self):
        super().__init__()
        self.train_tab = TrainTab()
        self.setCentralWidget(self.train_tab)

    def closeEvent(self, event):
        self.train_tab.shutdown()
        super().closeEvent(event)


def test_closing_the_window_mid_run_joins_the_worker(qtbot, mnist_dir):
    window = Window()
    qtbot.addWidget(window)
    window.show()
    tab = window.train_tab
    configure(tab, mnist_dir, epochs=3, train_limit=2000)
    tab.start_training()
    worker = tab._worker
    qtbot.waitUntil(lambda: tab.runningLoss.count() > 0, timeout=RUN_TIMEOUT_MS)

    started = time.perf_counter()
    assert window.close()
    assert worker.isFinished()
    assert time.perf_counter() - started < 10
    qtbot.wait(50)  # let the queued end-of-run signals arrive
    assert not tab.is_running
    leftovers = list(models_dir().iterdir()) if models_dir().exists() else []
    assert not [p for p in leftovers if not p.name.endswith(".pt")]  # no temporary, half-written file
    for path in leftovers:
        load_checkpoint(path)


def QtLeftButton():
    from PySide6.QtCore import Qt

    return Qt.LeftButton
