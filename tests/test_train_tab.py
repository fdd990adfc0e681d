"""The Train tab: each part on its own (no thread), then the tab running real, small jobs on the fake set."""

import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSpinBox, QWidget

from digitpad import builtin_checkpoint_path
from digitpad.train.charts import TrainingCharts
from digitpad.train.data_banner import DataBanner
from digitpad.train.epoch_table import EpochTable
from digitpad.train.filter_view import FilterView
from digitpad.train.run_panel import RunPanel
from digitpad.train.settings import SettingsForm
from digitpad.train.tab import TrainTab
from trainer.checkpoint import load_checkpoint
from trainer.config import EpochEnd, RunStarted, TrainConfig
from trainer.data import DataError
from trainer.inspection import Snapshot
from trainer.job import JobResult
from trainer.paths import models_dir

from .commands import run_trainer
from .fake_mnist import write_fake_mnist

RUN_TIMEOUT_MS = 90_000
EPOCH = EpochEnd(epoch=1, train_loss=0.5, train_accuracy=0.9, test_loss=0.2, test_accuracy=0.9512, lr=0.01, seconds=3)


@pytest.fixture
def tab(qtbot):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.resize(1200, 820)
    tab.show()
    yield tab
    tab.shutdown()


def configure(tab: TrainTab, data_dir: str, epochs: int, train_limit: int = 60_000) -> None:
    tab.findChild(QSpinBox, "epochs").setValue(epochs)
    tab.findChild(QSpinBox, "trainLimit").setValue(train_limit)
    tab.settings.dataDir.setText(data_dir)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.LeftButton)


# ----- the parts, each alone ----------------------------------------------------------------------------------
def test_the_settings_form_starts_at_the_trainers_defaults_and_makes_configs(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    defaults = TrainConfig()
    config = form.config()
    assert (config.epochs, config.batch_size, config.lr, config.seed, config.augment) == (
        defaults.epochs, defaults.batch_size, defaults.lr, defaults.seed, defaults.augment)
    assert config.train_limit is None and config.data_dir is None
    form.trainLimit.setValue(1000)
    form.epochs.setValue(3)
    form.dataDir.setText("  /data/mnist ")
    config = form.config()
    assert (config.train_limit, config.epochs, config.data_dir) == (1000, 3, "/data/mnist")
    form.set_editable(False)
    assert not any(child.isEnabled() for child in form.findChildren(QWidget))


def test_the_banner_names_the_missing_folder_and_offers_both_ways_out(qtbot, tmp_path, fake_dir_512):
    banner = DataBanner()
    qtbot.addWidget(banner)
    banner.show()
    assert banner.check(str(tmp_path)) is False
    text = banner.text.text()
    assert "MNIST is not in" in text and str(tmp_path) in text and "train-images-idx3-ubyte" in text
    assert banner.isVisible() and banner.download.isEnabled() and banner.chooseData.isEnabled()
    with qtbot.waitSignal(banner.chooseFolder, timeout=1000):
        click(qtbot, banner.chooseData)
    assert banner.check(fake_dir_512) is True and not banner.isVisible()


def test_a_failed_download_says_why_until_the_folder_changes(qtbot, tmp_path, monkeypatch):
    def no_network(folder, download=True):
        raise DataError("MNIST could not be downloaded (no network).")
    monkeypatch.setattr("digitpad.train.data_banner.ensure_data", no_network)
    banner = DataBanner()
    qtbot.addWidget(banner)
    banner.check(str(tmp_path / "first"))
    with qtbot.waitSignal(banner.busy, timeout=1000, check_params_cb=lambda busy: not busy):
        click(qtbot, banner.download)
    assert "download failed" in banner.text.text().lower() and "no network" in banner.text.text()
    assert banner.download.isEnabled()
    banner.check(str(tmp_path / "second"))  # messages belong to the current state
    assert "no network" not in banner.text.text() and "first" not in banner.text.text()
    assert str(tmp_path / "second") in banner.text.text()


def test_the_run_panel_names_the_saved_models_accuracy_and_warns_about_a_quick_try(qtbot, tmp_path):
    panel = RunPanel()
    qtbot.addWidget(panel)
    saved = tmp_path / "m.pt"
    saved.write_bytes(b"x")
    panel.starting()
    panel.run_started(RunStarted(epochs=1, batches=2, train_images=256, test_images=10_000, device="cpu",
                                 precision="fp32"))
    panel.batch(1, 1, 0.7)
    assert panel.progress.value() == 500 and "batch 1/2" in panel.epochProgress.format()
    quick = EpochEnd(1, 2.2, 0.1, 2.3, 0.1135, 0.0, 1.0)
    panel.done(JobResult(history=[quick], train_images=256, checkpoint=saved), epochs=1)
    panel.finished()
    assert "Test accuracy 11.35%" in panel.result.text()
    assert "reads only 11.3%" in panel.result.text() and "256 images for 1 epoch" in panel.result.text()
    assert panel.useModel.isEnabled() and panel.start.isEnabled() and not panel.stop.isEnabled()

    panel.starting()
    assert not panel.useModel.isEnabled() and panel.result.text() == ""  # only this run's model is offered
    good = EpochEnd(1, 0.1, 0.97, 0.05, 0.985, 0.05, 20.0)
    panel.done(JobResult(history=[good], stopped=True, train_images=60_000, checkpoint=saved), epochs=20)
    panel.finished()
    assert "Stopped after 1 of 20 epochs" in panel.status.text() and "reads only" not in panel.result.text()


def test_the_charts_and_the_table_show_one_point_and_one_row_per_epoch(qtbot):
    charts, table = TrainingCharts(), EpochTable()
    qtbot.addWidget(charts)
    qtbot.addWidget(table)
    charts.reset(5)
    table.reset(5)
    charts.add_loss_points([(0.5, 0.9), (1.0, 0.6)])
    for epoch in (EPOCH, EpochEnd(2, 0.3, 0.95, 0.1, 0.99, 0.001, 3)):
        charts.add_epoch(epoch)
        table.add_epoch(epoch)
    assert [charts.testAccuracy.at(i).y() for i in range(2)] == pytest.approx([95.12, 99.0])
    assert charts.runningLoss.count() == 2 and charts.trainLoss.count() == 2
    assert [table.item(r, 0).text() for r in range(2)] == ["1/5", "2/5"] and table.item(1, 5).text() == "99.00%"
    charts.reset(5)
    assert charts.testAccuracy.count() == 0 and charts.runningLoss.count() == 0


def snapshot(epoch: int) -> Snapshot:
    rng = np.random.default_rng(epoch)
    return Snapshot(epoch, rng.normal(size=(16, 3, 3)).astype(np.float32), np.zeros((28, 28), np.float32),
                    rng.random((16, 26, 26), dtype=np.float32), "features.0 (16x26x26, receptive field 3)")


def tile(view: FilterView, row: int, channel: int) -> bytes:
    return bytes(view.tiles.blocks[row].images[channel].constBits())


def test_the_filter_view_follows_new_epochs_and_replays_old_ones(qtbot):
    view = FilterView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.reset(3)
    assert not view.slider.isEnabled() and view.tiles.blocks == []
    for epoch in range(3):
        view.add_snapshot(snapshot(epoch))
    assert [row.channels for row in view.tiles.blocks] == [1, 16, 16]
    assert view.slider.maximum() == 2 and view.slider.value() == 2 and view.shown.epoch == 2
    assert view.epoch_label.text() == "epoch 2 of 3"
    latest = tile(view, 1, 0)
    view.slider.setValue(0)  # replaying: a new epoch does not pull the slider away
    assert view.shown.epoch == 0 and view.epoch_label.text() == "before training" and tile(view, 1, 0) != latest
    view.add_snapshot(snapshot(3))
    assert view.shown.epoch == 0 and view.slider.maximum() == 3
    view.slider.setValue(3)
    assert view.epoch_label.text() == "epoch 3 of 3"
    view.reset(5)
    assert view.snapshots == [] and view.slider.maximum() == 0


# ----- the tab, running jobs -----------------------------------------------------------------------------------
def test_a_run_end_to_end(tab, fake_dir_512, qtbot):
    configure(tab, fake_dir_512, epochs=2)
    progress_values = []
    tab.run_panel.progress.valueChanged.connect(progress_values.append)
    use_model = tab.findChild(QPushButton, "useModel")

    click(qtbot, tab.findChild(QPushButton, "start"))
    assert tab.is_running and not tab.findChild(QPushButton, "start").isEnabled()
    assert tab.findChild(QPushButton, "stop").isEnabled() and not use_model.isEnabled()
    assert not tab.settings.epochs.isEnabled()
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        pass

    assert not tab.is_running and tab.last_error is None and tab.settings.epochs.isEnabled()
    assert progress_values == sorted(progress_values) and progress_values[-1] == 1000
    assert tab.charts.testAccuracy.count() == 2 and tab.table.rowCount() == 2
    result = tab.last_result
    assert not result.stopped and len(result.history) == 2 and result.train_images == 512 - 85  # 85 validate
    assert f"Test accuracy {result.final.test_accuracy:.2%}" in tab.run_panel.result.text()
    assert result.checkpoint.parent == models_dir()
    assert result.checkpoint.name.endswith(f"-{result.final.test_accuracy * 100:.2f}.pt")
    assert sorted(models_dir().iterdir()) == [result.checkpoint]
    assert load_checkpoint(result.checkpoint).test_accuracy == result.final.test_accuracy
    filters = tab.findChild(QWidget, "filterView")
    assert [s.epoch for s in filters.snapshots] == [0, 1, 2] and filters.epoch_label.text() == "epoch 2 of 2"
    trained = load_checkpoint(result.checkpoint).model.features[0][0].weight.detach()[:, 0].numpy()
    assert np.array_equal(filters.snapshots[-1].filters, trained)
    assert not np.array_equal(filters.snapshots[0].filters, trained)
    assert use_model.isEnabled()
    with qtbot.waitSignal(tab.modelReady, timeout=1000) as signal:
        click(qtbot, use_model)
    assert signal.args == [str(result.checkpoint)]
    with qtbot.waitSignal(tab.modelReady, timeout=1000) as signal:
        click(qtbot, tab.findChild(QPushButton, "resetModel"))
    assert signal.args == [str(builtin_checkpoint_path())]


def test_the_window_and_the_terminal_train_the_same_model(tab, fake_dir_512, qtbot, tmp_path):
    out = tmp_path / "cli.pt"
    cli = run_trainer("train", "--epochs", "2", "--seed", "5", "--data-dir", fake_dir_512, "--no-download", "--out",
                      str(out))
    assert cli.returncode == 0, cli.stderr
    configure(tab, fake_dir_512, epochs=2)
    tab.settings.seed.setValue(5)
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        tab.start_training()
    from_cli, from_tab = load_checkpoint(out), load_checkpoint(tab.last_result.checkpoint)
    assert from_tab.test_accuracy == from_cli.test_accuracy
    assert from_tab.meta["settings"] | {"data_dir": None} == from_cli.meta["settings"] | {"data_dir": None}
    for name, tensor in from_cli.model.state_dict().items():
        assert torch.equal(from_tab.model.state_dict()[name], tensor), name


def test_stop_mid_run_is_prompt_and_keeps_the_last_complete_epoch(tab, fake_dir_512, qtbot):
    configure(tab, fake_dir_512, epochs=300)
    tab.start_training()
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=RUN_TIMEOUT_MS)
    asked = time.perf_counter()
    with qtbot.waitSignal(tab.runFinished, timeout=10_000):
        click(qtbot, tab.findChild(QPushButton, "stop"))
    took = time.perf_counter() - asked
    assert took < 5, f"stop took {took:.1f}s"
    result = tab.last_result
    assert result.stopped and 1 <= len(result.history) < 300
    assert f"Stopped after {len(result.history)} of 300 epochs" in tab.run_panel.status.text()
    saved = load_checkpoint(result.checkpoint)
    assert saved.meta["stopped_early"] and saved.meta["epochs_completed"] == len(result.history)
    assert tab.findChild(QPushButton, "useModel").isEnabled()


def test_stop_while_loading_leaves_no_model(tab, fake_dir_512, qtbot):
    configure(tab, fake_dir_512, epochs=1)
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        tab.start_training()
        tab.stop_training()
    assert tab.last_result.stopped and tab.last_result.checkpoint is None
    assert not models_dir().exists() or not any(models_dir().iterdir())
    assert not tab.findChild(QPushButton, "useModel").isEnabled()
    assert "no model was saved" in tab.run_panel.result.text()


def test_missing_data_refuses_start_and_an_old_error_goes_when_the_folder_changes(tab, tmp_path, fake_dir_512, qtbot):
    corrupt = write_fake_mnist(tmp_path / "corrupt")
    images = corrupt / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    configure(tab, str(corrupt), epochs=1)
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        tab.start_training()
    assert "train-images-idx3-ubyte" in tab.run_panel.result.text() and "corrupt" in tab.run_panel.result.text()

    (tmp_path / "empty").mkdir()
    tab.settings.dataDir.setText(str(tmp_path / "empty"))
    assert tab.banner.isVisible() and str(tmp_path / "empty") in tab.banner.text.text()
    assert tab.run_panel.result.text() == ""  # the error about the corrupt folder is gone with it
    assert tab.start_training() is False and not tab.is_running
    assert "MNIST is missing" in tab.run_panel.status.text()


def test_settings_the_trainer_refuses_come_back_in_its_words_and_no_run_starts(tab, fake_dir_512, qtbot,
                                                                                   monkeypatch):
    """The tab leaves the check to run_job (once, for every front end): what it refuses is shown as it is."""
    configure(tab, fake_dir_512, epochs=1)
    monkeypatch.setattr(tab.settings, "config", lambda: TrainConfig(epochs=1, lr=float("nan"), data_dir=fake_dir_512))
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        tab.start_training()
    assert "The run could not start" in tab.run_panel.status.text()
    assert "learning rate must be a number above 0" in tab.run_panel.result.text()
    assert tab.last_result is None and tab.table.rowCount() == 0 and not tab.is_running


def test_a_diverging_run_says_to_lower_the_learning_rate(tab, fake_dir_512, qtbot):
    configure(tab, fake_dir_512, epochs=2)
    tab.settings.learningRate.setValue(10.0)
    tab.settings.batchSize.setValue(16)
    with qtbot.waitSignal(tab.runFinished, timeout=RUN_TIMEOUT_MS):
        tab.start_training()
    if tab.last_error is None:
        pytest.fail(f"a learning rate of 10 did not diverge: {tab.last_result.final}")
    assert "diverged" in tab.last_error and "Lower the learning rate" in tab.run_panel.result.text()
    assert not tab.findChild(QPushButton, "useModel").isEnabled()


def test_shutdown_is_safe_when_nothing_runs(tab):
    tab.shutdown()
    tab.shutdown()
    assert not tab.is_running
