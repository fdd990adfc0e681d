"""The Train tab: train a net (the seed Net or another of trainer.model's) from the window, with live progress,
curves and a per-epoch table.

The tab builds its parts and wires their signals; the parts know nothing of each other (napari's layer
controls are the model): the settings form, the run panel, the steering controls, the MNIST-folder banner, the
charts, the epoch table, the filter view (the first layer's filters, epoch by epoch) and the worker that runs
`trainer.job.run_job`, the same training job as `trainer train`. The steering controls' asks go to the run's
trainer.steering.Steering; each change the run makes comes back as a Steered event, marked on the charts.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget

from trainer.config import EpochEnd, RunStarted, Steered
from trainer.inspection import Snapshot
from trainer.job import JobResult
from trainer.steering import Steering

from .. import builtin_checkpoint_path
from ..worker import WorkerSlot
from .charts import TrainingCharts
from .data_banner import DataBanner
from .epoch_table import EpochTable
from .filter_view import FilterView
from .run_panel import RunPanel
from .settings import SettingsForm
from .steer_panel import SteerPanel
from .worker import BatchProgress, TrainJob, train_worker


def mark_label(change: Steered) -> str:
    """A change's label on the charts, short: "lr x0.5", "aug off", "+1 epoch"."""
    if change.what == "lr_multiplier":
        return f"lr x{change.value:g}"
    if change.what == "augment":
        return "aug on" if change.value else "aug off"
    return f"+1 epoch ({change.value})" if change.what == "epochs" else change.what


class _Content(QWidget):
    """What the tab's scroll area holds: sized to the room there, scrolled only below its minimum. (A scroll area
    sizes a widget whose layout has wrapped labels by its preferred height for the width, and would scroll in a
    window where everything fits.)"""

    def heightForWidth(self, width: int) -> int:
        return -1


class TrainTab(QWidget):
    """Signals: `modelReady(path)` when the person asks the Draw tab to use a checkpoint (a trained one, or the
    built-in one); `runFinished()` when a run has ended (done, stopped or failed) and the tab is idle again.
    Call `shutdown()` before the window closes."""

    modelReady = Signal(str)
    runFinished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.batch_update_interval = 0.2  # seconds between batch-group updates from the worker
        self.take_snapshots = True  # feed the filter view (off only to measure what it costs)
        self.job = WorkerSlot(self)
        self._epochs = 0  # of the run under way
        self._batches = 1  # per epoch, of the run under way
        self.steering = Steering()  # the run under way's (a new one for each run)
        self.last_result: JobResult | None = None
        self.last_error: str | None = None

        self.settings = SettingsForm(self)
        self.run_panel = RunPanel(self)
        self.steer = SteerPanel(self)
        self.banner = DataBanner(self)
        self.charts = TrainingCharts(self)
        self.table = EpochTable(self)
        self.filters = FilterView(self)
        self._on_model_changed(self.settings.model())

        self._lay_out()

        self.settings.modelChanged.connect(self._on_model_changed)
        self.settings.epochsChanged.connect(self._on_epochs_changed)
        self.settings.dataDirChanged.connect(self._on_data_dir_changed)
        self.banner.chooseFolder.connect(self.settings.choose_data_folder)
        self.banner.busy.connect(self._on_download_busy)
        self.banner.downloaded.connect(lambda root: self.run_panel.status.setText("MNIST downloaded."))
        self.run_panel.start.clicked.connect(self.start_training)
        self.run_panel.stop.clicked.connect(self.stop_training)
        self.run_panel.useModel.clicked.connect(self.use_model)
        self.run_panel.resetModel.clicked.connect(self.use_builtin_model)
        self.steer.pauseToggled.connect(self._on_pause_toggled)
        self.steer.oneMoreEpoch.connect(lambda: self.steering.one_more_epoch())
        self.steer.lrMultiplierChanged.connect(lambda value: self.steering.set_lr_multiplier(value))
        self.steer.augmentChanged.connect(lambda on: self.steering.set_augment(on))
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._on_worker_finished)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.banner.check(self.settings.data_dir())

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.settings)
        top.addWidget(self.run_panel, 1)
        middle = QSplitter(Qt.Horizontal)
        middle.addWidget(self.charts)
        middle.addWidget(self.filters)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 1)
        middle.setChildrenCollapsible(False)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(middle)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        content = _Content(self)
        layout = QVBoxLayout(content)
        layout.addLayout(top)
        layout.addWidget(self.steer)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        # In a low window (1024 x 640, the MNIST banner up) the tab scrolls rather than squeezing the charts
        # past reading or making the window taller than the screen.
        scroll = QScrollArea(self, objectName="trainScroll")
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        content.setAutoFillBackground(False)
        scroll.viewport().setAutoFillBackground(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # ----- what the person can do ---------------------------------------------------------------------------
    @property
    def worker(self):
        """The running Worker, or None."""
        return self.job.worker

    @property
    def is_running(self) -> bool:
        return self.job.busy

    @Slot()
    def start_training(self) -> bool:
        """Start a run with the current settings; False (with the reason shown in the tab) if it cannot."""
        if self.is_running or self.banner.downloading:
            return False
        # Checked once, by run_job in the worker, with the same rules and words as `trainer train`: settings it
        # refuses come back as a failure before training starts ("The run could not start").
        config = self.settings.config()
        if not self.banner.check(config.data_dir):
            self.run_panel.status.setText("Cannot start: MNIST is missing (see below).")
            return False
        self.last_result, self.last_error = None, None
        self.charts.reset(config.epochs)
        self.table.reset(config.epochs)
        self.filters.reset(config.epochs)
        self.run_panel.starting()
        self.settings.set_editable(False)
        self.banner.set_enabled(False)
        self.steering = Steering()
        self.steer.starting(config.augment)

        self._epochs = config.epochs
        return self.job.start(train_worker(TrainJob(config, self.batch_update_interval, self.take_snapshots,
                                                    self.steering)))

    @Slot()
    def stop_training(self) -> None:
        """Ask the run to end; it stops within a batch and keeps its latest complete epoch."""
        if self.is_running:
            self.run_panel.stopping()
            self.job.stop()

    @Slot()
    def shutdown(self) -> None:
        """Stop the run, if any, and wait for the worker to end. Safe to call at any time, more than once."""
        self.job.join()  # the engine checks for stop every batch; loading or a test pass take a second or two

    @Slot()
    def use_model(self) -> None:
        if self.run_panel.model_path is not None:
            self.modelReady.emit(str(self.run_panel.model_path))

    @Slot()
    def use_builtin_model(self) -> None:
        self.modelReady.emit(str(builtin_checkpoint_path()))

    def set_builtin_in_use(self, in_use: bool) -> None:
        """Whether the window reads with the built-in model now (then there is nothing to reset to)."""
        self.run_panel.resetModel.setEnabled(not in_use)

    def closeEvent(self, event) -> None:  # when the tab is a window of its own
        self.shutdown()
        super().closeEvent(event)

    # ----- wiring -------------------------------------------------------------------------------------------
    @Slot(str)
    def _on_model_changed(self, name: str) -> None:
        if not self.is_running:
            self.run_panel.status.setText(f"Ready to train the {name} net "
                                          f"({self.settings.parameters(name):,} parameters).")

    @Slot(int)
    def _on_epochs_changed(self, epochs: int) -> None:
        if not self.is_running:
            self.charts.reset(epochs)

    @Slot(str)
    def _on_data_dir_changed(self, folder: str) -> None:
        self.banner.check(folder or None)
        self.run_panel.clear_result()  # what the last run said was about the folder chosen then

    @Slot(bool)
    def _on_download_busy(self, busy: bool) -> None:
        self.run_panel.start.setEnabled(not busy and not self.is_running)

    @Slot(object)
    def _on_progress(self, event) -> None:
        if isinstance(event, BatchProgress):
            self._on_batches(event)
        elif isinstance(event, EpochEnd):
            self._on_epoch(event)
        elif isinstance(event, Snapshot):
            self.filters.add_snapshot(event)
        elif isinstance(event, Steered):
            self._on_steered(event)
        elif isinstance(event, RunStarted):
            self._batches = event.batches
            self.run_panel.run_started(event)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.steering.pause()
            self.run_panel.status.setText("Pausing after the batch under way…")
        else:
            self.steering.resume()

    def _on_steered(self, change: Steered) -> None:
        """A change the run has made: said, marked on the charts where it happened, and the new total shown."""
        self.steer.applied(change)
        if change.what in ("pause", "resume"):
            self.run_panel.set_paused(change.what == "pause")
        if change.what == "pause":
            self.run_panel.status.setText(f"Paused before epoch {change.epoch}, batch {change.batch}: Resume to go "
                                          f"on, or Stop to keep the latest complete epoch.")
            return
        if change.what == "resume":
            self.run_panel.status.setText("Training…")
            return
        if change.what == "epochs":
            self._epochs = change.value
            for part in (self.charts, self.table, self.run_panel, self.filters):
                part.set_epochs(change.value)
        self.charts.mark(change.epoch - 1 + (change.batch - 1) / self._batches, change.what, mark_label(change))

    def _on_batches(self, update: BatchProgress) -> None:
        self.run_panel.batch(update.epoch, update.batch, update.running_loss)
        self.charts.add_loss_points(update.points)

    def _on_epoch(self, event: EpochEnd) -> None:
        self.run_panel.epoch_ended(event)
        self.charts.add_epoch(event)
        self.table.add_epoch(event)

    @Slot(object)
    def _on_done(self, result: JobResult) -> None:
        self.last_result = result
        self.run_panel.done(result, self._epochs)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.run_panel.failed(message, during_run=self.run_panel.training_started)
        self.banner.check(self.settings.data_dir())

    @Slot()
    def _on_worker_finished(self) -> None:
        self.steer.finished()
        self.settings.set_editable(True)
        self.banner.set_enabled(True)
        self.run_panel.finished()
        self.runFinished.emit()
