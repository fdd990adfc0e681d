"""The Train tab: train the seed net from the GUI, with live progress, curves and a per-epoch table.

The training itself is `trainer.engine.TrainingRun`, the same loop the `trainer` CLI drives, run in a QThread.
Only Qt signals cross from that thread to the GUI (queued connections), and batch progress is sent in groups
(at most every `batch_update_interval` seconds), so the GUI never waits on training and the charts cost the
training next to nothing. Loading MNIST also happens in the worker; only the cheap "are the files there" check
runs on the GUI thread.
"""

from __future__ import annotations

import importlib
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QLogValueAxis, QScatterSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QMargins, QObject, QPointF, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy, QSpinBox, QSplitter, QTableWidget,
    QTableWidgetItem, QToolButton, QVBoxLayout, QWidget,
)

from trainer.checkpoint import checkpoint_filename, models_dir, rename_with_accuracy
from trainer.data import RAW_FILES, DataError, ensure_data, load_mnist, missing_files, raw_folder, resolve_data_dir
from trainer.engine import BatchEnd, EpochEnd, TrainConfig, TrainingRun
from trainer.model import DEFAULT_MODEL, build_model, count_parameters

from . import builtin_checkpoint_path

MNIST_TRAIN_SIZE = 60_000
TARGET_ACCURACY = 0.994  # the line marked on the accuracy chart

TRAIN_COLOR = QColor("#1f77b4")
TEST_COLOR = QColor("#e6550d")
RUNNING_COLOR = QColor("#6baed6")
BEST_COLOR = QColor("#2ca02c")
TARGET_COLOR = QColor("#7f7f7f")


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


@dataclass
class BatchProgress:
    """A group of BatchEnd events, as one signal: the latest position plus the loss points since the last group."""
    epoch: int
    epochs: int
    batch: int
    batches: int
    running_loss: float
    points: list[tuple[float, float]]  # (fractional epoch, running loss), thinned to a few dozen per epoch


@dataclass
class RunSummary:
    history: list[EpochEnd] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0            # the engine's own figure: training and testing, not loading
    load_seconds: float = 0.0
    train_images: int = 0
    checkpoint: Path | None = None  # the final (renamed) checkpoint, or None when no epoch completed

    @property
    def best(self) -> EpochEnd | None:
        return max(self.history, key=lambda e: e.test_accuracy, default=None)


class TrainWorker(QThread):
    """Loads MNIST and runs the engine; everything it reports goes out through (queued) signals."""

    loaded = Signal(int, float)        # training images, seconds spent loading
    batchProgress = Signal(object)     # BatchProgress
    epochEnded = Signal(object)        # trainer.engine.EpochEnd
    succeeded = Signal(object)         # RunSummary (also when stopped)
    failed = Signal(str)               # a message for the person: DataError's, or what went wrong

    def __init__(self, config: TrainConfig, update_interval: float = 0.2, checkpoint_path: Path | None = None):
        super().__init__()
        self.config = config
        self.update_interval = update_interval
        self.checkpoint_path = checkpoint_path
        self._stop = threading.Event()
        self._run: TrainingRun | None = None
        self._points: list[tuple[float, float]] = []
        self._last_emit = 0.0

    def request_stop(self) -> None:
        """Any thread. Takes effect within one batch (or after loading / the test pass in progress)."""
        self._stop.set()
        run = self._run
        if run is not None:
            run.stop()

    def run(self) -> None:  # the worker thread
        try:
            self._train()
        except DataError as error:
            self.failed.emit(str(error))
        except Exception as error:  # disk full while saving, out of memory...: report, never kill the app
            self.failed.emit(f"Training failed: {type(error).__name__}: {error}")

    def _train(self) -> None:
        config = self.config
        started = time.perf_counter()
        train, test = load_mnist(config.data_dir, download=False, train_limit=config.train_limit)
        load_seconds = time.perf_counter() - started
        self.loaded.emit(len(train), load_seconds)
        if self._stop.is_set():
            self.succeeded.emit(RunSummary(stopped=True, load_seconds=load_seconds, train_images=len(train)))
            return
        # Named like `trainer train` names it: model and date now, the accuracy appended once it is known.
        path = self.checkpoint_path or models_dir() / checkpoint_filename(config.model, None)
        run = TrainingRun(config, train, test, on_event=self._on_event, checkpoint_path=path)
        self._run = run
        if self._stop.is_set():  # a stop that came between the check above and self._run being set
            run.stop()
        result = run.run()
        best = result.best
        checkpoint = result.checkpoint
        if checkpoint is not None and best is not None and self.checkpoint_path is None:
            checkpoint = rename_with_accuracy(checkpoint, best.test_accuracy)
        self.succeeded.emit(RunSummary(result.history, result.stopped, result.seconds, load_seconds, len(train),
                                       checkpoint))

    def _on_event(self, event: BatchEnd | EpochEnd) -> None:  # the worker thread, once per batch: keep it cheap
        if isinstance(event, EpochEnd):
            self.epochEnded.emit(event)
            return
        stride = max(1, event.batches // 50)
        if event.batch % stride == 0 or event.batch == event.batches:
            self._points.append((event.epoch - 1 + event.batch / event.batches, event.running_loss))
        now = time.monotonic()
        if event.batch == event.batches or event.batch == 1 or now - self._last_emit >= self.update_interval:
            self._last_emit = now
            points, self._points = self._points, []
            self.batchProgress.emit(BatchProgress(event.epoch, event.epochs, event.batch, event.batches,
                                                  event.running_loss, points))


class Download(QObject):
    """Fetches MNIST into a folder (torchvision's mirrors) in a daemon thread: a download cannot be interrupted,
    and a window closed meanwhile must neither wait for it nor keep the process alive."""

    done = Signal(str)      # the MNIST root
    failed = Signal(str)
    ended = Signal()

    def __init__(self, folder: str | None):
        super().__init__()
        self.folder = folder
        self.thread = threading.Thread(target=self._run, name="digitpad-mnist-download", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:  # the download thread; the signals are queued to the GUI thread
        try:
            self.done.emit(str(ensure_data(self.folder, download=True)))
        except DataError as error:
            self.failed.emit(str(error))
        except Exception as error:
            self.failed.emit(f"Download failed: {type(error).__name__}: {error}")
        finally:
            self.ended.emit()


def _pen(color: QColor, width: float = 2.0, style: Qt.PenStyle = Qt.SolidLine) -> QPen:
    pen = QPen(color)
    pen.setWidthF(width)
    pen.setStyle(style)
    return pen


def _line(name: str, color: QColor, width: float = 2.0, points: bool = True,
          style: Qt.PenStyle = Qt.SolidLine) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    series.setPen(_pen(color, width, style))
    series.setPointsVisible(points)  # so that a single epoch shows as a dot
    return series


def _best_marker(name: str) -> QScatterSeries:
    series = QScatterSeries()
    series.setName(name)
    series.setMarkerShape(QScatterSeries.MarkerShapeStar)
    series.setMarkerSize(18)
    series.setColor(BEST_COLOR)
    series.setBorderColor(BEST_COLOR.darker(140))
    return series


def _chart_view(name: str, title: str) -> tuple[QChartView, QChart]:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setBold(True)
    chart.setTitleFont(font)
    chart.legend().setAlignment(Qt.AlignBottom)
    chart.setMargins(QMargins(0, 0, 0, 0))
    chart.setBackgroundRoundness(0)
    view = QChartView(chart)
    view.setObjectName(name)
    view.setRenderHint(QPainter.Antialiasing)
    view.setMinimumSize(360, 260)
    return view, chart


def _plot(chart: QChart, x_axis, y_axis, series_list: list) -> None:
    """Put the series on the chart against epoch (x, bottom) and the given y axis (left)."""
    chart.addAxis(x_axis, Qt.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignLeft)
    for series in series_list:
        chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)


def _spin_box(name: str, minimum: int, maximum: int, value: int) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(minimum, maximum)
    box.setValue(value)
    return box


def _nice_step(span: float, ticks: int = 6) -> float:
    """A 1, 2 or 5 times a power of ten step giving about `ticks` intervals over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _epoch_axis(epochs: int) -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText("epoch")
    axis.setLabelFormat("%d")
    axis.setRange(0, epochs + max(0.05, epochs * 0.02))  # a little room so the last epoch's markers show whole
    axis.setTickType(QValueAxis.TicksDynamic)
    axis.setTickAnchor(0)
    axis.setTickInterval(max(1, math.ceil(epochs / 10)))
    return axis


class TrainTab(QWidget):
    """Settings, Start/Stop, progress, live accuracy and loss curves, per-epoch table, "Use in Draw tab".

    Signals: `modelReady(path)` when the person asks the Draw tab to use a checkpoint (a trained one, or the
    built-in one after "Reset to built-in model"); `runFinished()` when a run has ended (done, stopped or failed)
    and the tab is idle again. Call `shutdown()` before the window closes.
    """

    modelReady = Signal(str)
    runFinished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.batch_update_interval = 0.2  # seconds between batch-group updates from the worker
        self._worker: TrainWorker | None = None
        self._downloader: Download | None = None
        self._download_error: str | None = None
        self._stopping = False
        self._train_started: float | None = None   # perf_counter when the first batch arrived
        self._run_started: float | None = None      # perf_counter when Start was pressed
        self._fraction = 0.0                        # of the whole run, from the last batch group
        self._epochs = TrainConfig().epochs
        self._history: list[EpochEnd] = []
        self._loss_range: tuple[float, float] | None = None
        self.last_result: RunSummary | None = None
        self.last_error: str | None = None
        self.model_path: Path | None = None  # the checkpoint "Use in Draw tab" hands over

        self._build_ui()
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_times)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._reset_charts(self.epochs.value())
        self._check_data()

    # ----- construction -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        defaults = TrainConfig()

        self.epochs = _spin_box("epochs", 1, 500, defaults.epochs)
        self.batchSize = _spin_box("batchSize", 1, 8192, defaults.batch_size)
        self.learningRate = QDoubleSpinBox(objectName="learningRate")
        self.learningRate.setDecimals(4)
        self.learningRate.setRange(0.0001, 10.0)
        self.learningRate.setSingleStep(0.005)
        self.learningRate.setValue(defaults.lr)
        self.learningRate.setToolTip("peak learning rate of the one-cycle schedule")
        self.seed = _spin_box("seed", 0, 2**31 - 1, defaults.seed)
        self.augment = QCheckBox("random rotation, shift and scale", objectName="augment")
        self.augment.setChecked(defaults.augment)
        self.trainLimit = _spin_box("trainLimit", 1, MNIST_TRAIN_SIZE, MNIST_TRAIN_SIZE)
        self.trainLimit.setSingleStep(1000)
        self.trainLimit.setSuffix(" images")
        self.trainLimit.setGroupSeparatorShown(True)
        self.trainLimit.setToolTip("train on the first N of MNIST's 60,000 training images (all by default); "
                                   "testing always uses all 10,000 test images")
        self.dataDir = QLineEdit(objectName="dataDir")
        self.dataDir.setMinimumWidth(260)
        self.dataDir.setPlaceholderText(f"default: {resolve_data_dir(None)}")
        self.dataDir.setToolTip("the folder that holds MNIST/raw/ (default: $DIGITPAD_DATA, else a per-user "
                                "cache folder)")
        self.dataDir.textChanged.connect(self._check_data)
        browse = QToolButton(objectName="browseData", text="…")
        browse.setToolTip("choose the folder that holds the MNIST files")
        browse.clicked.connect(self._choose_data_folder)
        data_row = QHBoxLayout()
        data_row.setContentsMargins(0, 0, 0, 0)
        data_row.addWidget(self.dataDir, 1)
        data_row.addWidget(browse)

        settings = QGroupBox("Settings")
        form = QFormLayout(settings)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batchSize)
        form.addRow("Learning rate", self.learningRate)
        form.addRow("Seed", self.seed)
        form.addRow("Augmentation", self.augment)
        form.addRow("Training set", self.trainLimit)
        form.addRow("Data folder", data_row)
        self._settings = [self.epochs, self.batchSize, self.learningRate, self.seed, self.augment,
                          self.trainLimit, self.dataDir, browse]
        self.epochs.valueChanged.connect(self._on_epochs_changed)

        self.start = QPushButton("Start", objectName="start")
        self.start.setDefault(True)
        self.start.clicked.connect(self.start_training)
        self.stop = QPushButton("Stop", objectName="stop", enabled=False)
        self.stop.clicked.connect(self.stop_training)
        self.status = QLabel(objectName="status")
        self.status.setText(f"Ready to train the {DEFAULT_MODEL} net "
                            f"({count_parameters(build_model(DEFAULT_MODEL)):,} parameters).")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        buttons.addWidget(self.stop)
        buttons.addWidget(self.status, 1)

        self.epochProgress = QProgressBar(objectName="epochProgress")
        self.epochProgress.setRange(0, 1)
        self.epochProgress.setValue(0)
        self.epochProgress.setFormat("epoch: %p%")
        self.progress = QProgressBar(objectName="progress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("overall: %p%")
        self.times = QLabel("Elapsed 0s", objectName="times")
        self.result = QLabel(objectName="result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.MinimumExpanding)
        self.useModel = QPushButton("Use in Draw tab", objectName="useModel", enabled=False)
        self.useModel.setToolTip("make the Draw tab read digits with the model this run produced")
        self.useModel.clicked.connect(self.use_model)
        self.resetModel = QPushButton("Reset to built-in model", objectName="resetModel")
        self.resetModel.setToolTip("make the Draw tab use the model that ships with digitpad")
        self.resetModel.clicked.connect(self.use_builtin_model)
        model_buttons = QHBoxLayout()
        model_buttons.addWidget(self.useModel)
        model_buttons.addWidget(self.resetModel)
        model_buttons.addStretch(1)

        run_box = QGroupBox("Run")
        run_layout = QVBoxLayout(run_box)
        run_layout.addLayout(buttons)
        run_layout.addWidget(self.epochProgress)
        run_layout.addWidget(self.progress)
        run_layout.addWidget(self.times)
        run_layout.addWidget(self.result)
        run_layout.addLayout(model_buttons)

        top = QHBoxLayout()
        top.addWidget(settings)
        top.addWidget(run_box, 1)

        # Shown instead of a failed start when MNIST is not where the settings point.
        self.dataMessage = QFrame(objectName="dataMessage")
        self.dataMessage.setFrameShape(QFrame.StyledPanel)
        self.dataMessage.setStyleSheet("#dataMessage { background: #fff4e5; border: 1px solid #f0a030; }")
        self.dataMessageText = QLabel(objectName="dataMessageText")
        self.dataMessageText.setWordWrap(True)
        self.dataMessageText.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.download = QPushButton("Download MNIST (about 12 MB)", objectName="download")
        self.download.clicked.connect(self.download_data)
        self.chooseData = QPushButton("Choose the folder that holds MNIST…", objectName="chooseData")
        self.chooseData.clicked.connect(self._choose_data_folder)
        message_buttons = QHBoxLayout()
        message_buttons.addWidget(self.download)
        message_buttons.addWidget(self.chooseData)
        message_buttons.addStretch(1)
        message_layout = QVBoxLayout(self.dataMessage)
        message_layout.addWidget(self.dataMessageText)
        message_layout.addLayout(message_buttons)
        self.dataMessage.hide()

        self.accuracyView, self.accuracyChart = _chart_view("accuracyChart", "Accuracy")
        self.lossView, self.lossChart = _chart_view("lossChart", "Loss")
        charts = QWidget()
        charts_layout = QHBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addWidget(self.accuracyView)
        charts_layout.addWidget(self.lossView)

        self.history = QTableWidget(0, 8, objectName="history")
        self.history.setHorizontalHeaderLabels(["epoch", "train loss", "train acc", "test loss", "test acc",
                                                "learning rate", "time", ""])
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.history.setMinimumHeight(90)

        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(charts)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.dataMessage)
        layout.addWidget(splitter, 1)

    def _reset_charts(self, epochs: int) -> None:
        self._epochs = epochs
        self._loss_range = None
        for chart in (self.accuracyChart, self.lossChart):
            chart.removeAllSeries()
            for axis in chart.axes():
                chart.removeAxis(axis)

        self.trainAccuracy = _line("train", TRAIN_COLOR)
        self.testAccuracy = _line("test", TEST_COLOR)
        self.target = _line(f"{TARGET_ACCURACY:.1%} target", TARGET_COLOR, 1.5, points=False, style=Qt.DashLine)
        self.target.append([QPointF(0, TARGET_ACCURACY * 100), QPointF(epochs, TARGET_ACCURACY * 100)])
        self.bestAccuracy = _best_marker("best epoch")
        x, y = _epoch_axis(epochs), QValueAxis()
        y.setTitleText("accuracy (%)")
        y.setLabelFormat("%g")
        y.setTickType(QValueAxis.TicksDynamic)
        y.setTickAnchor(100)
        y.setTickInterval(2)
        y.setRange(90, 100.4)
        _plot(self.accuracyChart, x, y, [self.target, self.trainAccuracy, self.testAccuracy, self.bestAccuracy])
        self._accuracy_axis = y

        self.runningLoss = _line("running batch loss", RUNNING_COLOR, 1.5, points=False)
        self.trainLoss = _line("train", TRAIN_COLOR)
        self.testLoss = _line("test", TEST_COLOR)
        self.bestLoss = _best_marker("best epoch")
        x, y = _epoch_axis(epochs), QLogValueAxis()
        y.setTitleText("loss (log scale)")
        y.setLabelFormat("%g")
        y.setBase(10)
        y.setMinorTickCount(-1)  # minor ticks at 2..9 x each decade
        y.setRange(0.01, 10)
        _plot(self.lossChart, x, y, [self.runningLoss, self.trainLoss, self.testLoss, self.bestLoss])
        self._loss_axis = y

    # ----- public API ---------------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._worker is not None

    def config(self) -> TrainConfig:
        """The engine's settings from the controls (device and precision as the CLI's defaults: auto)."""
        limit = self.trainLimit.value()
        return TrainConfig(epochs=self.epochs.value(), batch_size=self.batchSize.value(),
                           lr=self.learningRate.value(), seed=self.seed.value(), augment=self.augment.isChecked(),
                           train_limit=None if limit >= MNIST_TRAIN_SIZE else limit,
                           data_dir=self.dataDir.text().strip() or None)

    @Slot()
    def start_training(self) -> bool:
        """Start a run with the current settings; False (with the reason shown in the tab) if it cannot."""
        if self.is_running or self._downloader is not None:
            return False
        if not self._check_data():
            self.status.setText("Cannot start: MNIST is missing (see below).")
            return False
        config = self.config()
        self.last_result, self.last_error = None, None
        self.model_path = None  # "Use in Draw tab" offers only what this run saves
        self._history = []
        self._reset_charts(config.epochs)
        self.history.setRowCount(0)
        self.result.clear()
        self.progress.setValue(0)
        self.epochProgress.setValue(0)
        self._fraction = 0.0
        self._train_started = None
        self._run_started = time.perf_counter()
        self._stopping = False

        worker = TrainWorker(config, self.batch_update_interval)
        worker.loaded.connect(self._on_loaded)
        worker.batchProgress.connect(self._on_batches)
        worker.epochEnded.connect(self._on_epoch)
        worker.succeeded.connect(self._on_succeeded)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        self._set_running(True)
        self.status.setText("Loading MNIST…")
        self._tick.start()
        worker.start()
        return True

    @Slot()
    def stop_training(self) -> None:
        """Ask the run to end; it stops within a batch (or after the test pass in progress) and keeps its best."""
        if self._worker is None:
            return
        self._stopping = True
        self.stop.setEnabled(False)
        self.status.setText("Stopping…")
        self._worker.request_stop()

    @Slot()
    def shutdown(self) -> None:
        """Stop the run, if any, and wait for the worker to end. Safe to call at any time, more than once."""
        self._tick.stop()
        worker = self._worker
        if worker is not None:
            worker.request_stop()
            worker.wait()  # the engine checks for stop every batch; loading or a test pass take a few seconds

    @Slot()
    def use_model(self) -> None:
        if self.model_path is not None:
            self.modelReady.emit(str(self.model_path))

    @Slot()
    def use_builtin_model(self) -> None:
        self.modelReady.emit(str(builtin_checkpoint_path()))

    @Slot()
    def download_data(self) -> None:
        if self._downloader is not None or self.is_running:
            return
        folder = self.dataDir.text().strip() or None
        self._downloader = Download(folder)
        self._downloader.done.connect(self._on_download_done)
        self._downloader.failed.connect(self._on_download_failed)
        self._downloader.ended.connect(self._on_download_finished)
        self.download.setEnabled(False)
        self.start.setEnabled(False)
        self.dataMessageText.setText(f"Downloading MNIST into {raw_folder(resolve_data_dir(folder))}…")
        self._downloader.start()

    def showEvent(self, event) -> None:
        _warm_up_imports()
        super().showEvent(event)

    def closeEvent(self, event) -> None:  # when the tab is a window of its own
        self.shutdown()
        super().closeEvent(event)

    @Slot(int)
    def _on_epochs_changed(self, epochs: int) -> None:
        if not self.is_running:
            self._reset_charts(epochs)

    # ----- data folder --------------------------------------------------------------------------------------
    @Slot()
    def _check_data(self) -> bool:
        """Show the missing-data message (or hide it); True when all four MNIST files are there."""
        if self._downloader is not None:
            return False
        root = resolve_data_dir(self.dataDir.text().strip() or None)
        missing = missing_files(root)
        if not missing:
            self.dataMessage.hide()
            return True
        self.dataMessageText.setText(
            f"<b>MNIST is not in {raw_folder(root)}</b> (missing: {', '.join(missing)}).<br>"
            f"Download it there (about 12 MB), or choose the folder that holds the MNIST files "
            f"(the folder with MNIST/raw/ in it, or MNIST/raw/ itself, holding {', '.join(RAW_FILES)}).")
        self.download.setEnabled(True)
        self.dataMessage.show()
        return False

    @Slot()
    def _choose_data_folder(self) -> None:
        start = self.dataDir.text().strip() or str(resolve_data_dir(None))
        folder = QFileDialog.getExistingDirectory(self, "Folder that holds the MNIST files", start)
        if folder:
            self.dataDir.setText(str(resolve_data_dir(folder)))
            self._check_data()

    @Slot(str)
    def _on_download_done(self, root: str) -> None:
        self.status.setText(f"MNIST downloaded into {raw_folder(Path(root))}.")

    @Slot(str)
    def _on_download_failed(self, message: str) -> None:
        self._download_error = message

    @Slot()
    def _on_download_finished(self) -> None:
        self._downloader = None
        self.start.setEnabled(not self.is_running)
        error, self._download_error = self._download_error, None
        if not self._check_data() and error:
            self.dataMessageText.setText(f"<b>The download failed.</b><br>{_html(error)}<br>"
                                         f"Try again, or choose the folder that holds the MNIST files.")

    # ----- worker signals (GUI thread) ----------------------------------------------------------------------
    @Slot(int, float)
    def _on_loaded(self, images: int, seconds: float) -> None:
        self._train_started = time.perf_counter()
        if not self._stopping:
            self.status.setText(f"Training on {images:,} images, testing on 10,000…")

    @Slot(object)
    def _on_batches(self, update: BatchProgress) -> None:
        self.epochProgress.setMaximum(update.batches)
        self.epochProgress.setValue(update.batch)
        self.epochProgress.setFormat(f"epoch {update.epoch}/{update.epochs}: batch {update.batch}/{update.batches}"
                                     f" · running loss {update.running_loss:.4f}")
        self._fraction = (update.epoch - 1 + update.batch / update.batches) / update.epochs
        self.progress.setValue(round(self._fraction * 1000))
        if update.points:
            self.runningLoss.append([QPointF(x, y) for x, y in update.points])
            self._extend_loss_range([y for _, y in update.points])
        self._update_times()

    @Slot(object)
    def _on_epoch(self, event: EpochEnd) -> None:
        self._history.append(event)
        self.trainAccuracy.append(event.epoch, event.train_accuracy * 100)
        self.testAccuracy.append(event.epoch, event.test_accuracy * 100)
        self.trainLoss.append(event.epoch, event.train_loss)
        self.testLoss.append(event.epoch, event.test_loss)
        self._extend_loss_range([event.train_loss, event.test_loss])
        best = max(self._history, key=lambda e: e.test_accuracy)
        self.bestAccuracy.replace([QPointF(best.epoch, best.test_accuracy * 100)])
        self.bestLoss.replace([QPointF(best.epoch, best.test_loss)])
        self.bestAccuracy.setName(f"best: epoch {best.epoch}")
        self.bestLoss.setName(f"best: epoch {best.epoch}")
        self._fit_accuracy_axis()

        row = self.history.rowCount()
        self.history.insertRow(row)
        cells = [f"{event.epoch}/{event.epochs}", f"{event.train_loss:.4f}", f"{event.train_accuracy:.2%}",
                 f"{event.test_loss:.4f}", f"{event.test_accuracy:.2%}", f"{event.lr:.5f}",
                 format_duration(event.seconds), ""]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.history.setItem(row, column, item)
        for r in range(self.history.rowCount()):
            is_best = r == best.epoch - 1
            for column in range(self.history.columnCount()):
                item = self.history.item(r, column)
                font = item.font()
                font.setBold(is_best)
                item.setFont(font)
            self.history.item(r, 7).setText("★ best" if is_best else "")
            self.history.item(r, 7).setForeground(QBrush(BEST_COLOR.darker(130)))
        self.history.scrollToBottom()

    @Slot(object)
    def _on_succeeded(self, summary: RunSummary) -> None:
        self.last_result = summary
        best = summary.best
        total = summary.seconds + summary.load_seconds
        if best is None:
            self.status.setText("Stopped before the first epoch ended.")
            self.result.setText(f"Stopped after {format_duration(total)}, before the first epoch ended: "
                                f"no model was saved.")
            return
        self.model_path = summary.checkpoint
        self.useModel.setToolTip(f"make the Draw tab read digits with {summary.checkpoint}")
        done = len(summary.history)
        state = (f"Stopped after {done} of {best.epochs} epochs" if summary.stopped
                 else f"Done: {done} epoch{'s' if done > 1 else ''}")
        self.status.setText(f"{state} in {format_duration(total)}.")
        self.result.setText(
            f"<span style='font-size:large'><b>Best test accuracy {best.test_accuracy:.2%}</b></span> "
            f"(epoch {best.epoch}; last epoch {summary.history[-1].test_accuracy:.2%}), trained on "
            f"{summary.train_images:,} images.<br>Saved as <code>{_html(str(summary.checkpoint))}</code>")
        self.result.setToolTip(str(summary.checkpoint))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.status.setText("The run could not start." if not self._history else "The run failed.")
        self.result.setText(f"<b>{_html(message)}</b>")
        self._check_data()

    @Slot()
    def _on_worker_finished(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self._tick.stop()
        self._stopping = False
        self._set_running(False)
        self._update_times()
        self.runFinished.emit()

    # ----- helpers ------------------------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        for widget in self._settings:
            widget.setEnabled(not running)
        self.start.setEnabled(not running and self._downloader is None)
        self.stop.setEnabled(running)
        self.useModel.setEnabled(not running and self.model_path is not None and self.model_path.is_file())
        self.download.setEnabled(not running)
        self.chooseData.setEnabled(not running)

    @Slot()
    def _update_times(self) -> None:
        if self._run_started is None:
            return
        now = time.perf_counter()
        elapsed = now - self._run_started
        text = f"Elapsed {format_duration(elapsed)}"
        if self._worker is None:
            self.times.setText(text)
            return
        if self._train_started is not None and self._fraction > 0 and now - self._train_started > 1:
            training = now - self._train_started
            text += f" · about {format_duration(training * (1 - self._fraction) / self._fraction)} left"
        else:
            text += " · estimating time left…"
        self.times.setText(text)

    def _extend_loss_range(self, values: list[float]) -> None:
        values = [v for v in values if v > 0 and math.isfinite(v)]
        if not values:
            return
        low, high = min(values), max(values)
        if self._loss_range is not None:
            low, high = min(low, self._loss_range[0]), max(high, self._loss_range[1])
        if (low, high) != self._loss_range:
            self._loss_range = (low, high)
            # Whole decades, a hair wider so that their end labels are drawn.
            self._loss_axis.setRange(10 ** math.floor(math.log10(low)) * 0.99,
                                     10 ** math.ceil(math.log10(high)) * 1.01)

    def _fit_accuracy_axis(self) -> None:
        # From the worst accuracy, rounded down to 5%, up to 100%; once a few epochs are in, the first (often far
        # lower) one is allowed to fall off the bottom so the differences near the top stay visible.
        recent = self._history[1:] if len(self._history) >= 3 else self._history
        worst = min(min(e.test_accuracy, e.train_accuracy) for e in recent) * 100
        worst = min(worst, TARGET_ACCURACY * 100 - 0.4)  # keep the target line in view
        step = _nice_step(100 - worst)
        low = max(0.0, math.floor((worst - step / 4) / step) * step)  # a margin under the lowest point
        self._accuracy_axis.setTickInterval(_nice_step(100 - low))
        self._accuracy_axis.setRange(low, 100 + (100 - low) * 0.04)


_warm_up: threading.Thread | None = None


def _warm_up_imports() -> None:
    """Import torchvision's datasets (which MNIST loading needs) in the background when the tab is first shown.

    That import takes about 1.5 s and, while it loads its extension modules, keeps other threads away from the
    GIL for up to ~0.2 s at a time. Done here, it neither stalls the window's start nor stutters the GUI during a
    run, and Start goes straight to reading the files. Not a daemon thread: an import must not be cut off at exit.
    """
    global _warm_up
    if _warm_up is None:
        _warm_up = threading.Thread(target=importlib.import_module, args=("torchvision.datasets",),
                                    name="digitpad-warm-up")
        _warm_up.start()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
