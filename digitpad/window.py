"""The main window: the Draw, Train and My handwriting tabs, the File menu, and a status bar naming the model in
use."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSizePolicy, QTabWidget, QWidget

from trainer.checkpoint import CheckpointError
from trainer.export import missing_extra_message, missing_modules
from trainer.foreign import ForeignError, detect_format
from trainer.ink.images import ImageError, load_image
from trainer.paths import models_dir
from trainer.personal_set import PersonalSet, PersonalSetError

from . import asset_path, builtin_checkpoint_path
from .draw.tab import DrawTab
from .evaluate.tab import EvaluateTab
from .evaluate.worker import SetUnavailable
from .export.worker import export_worker
from .handwriting.collector import SampleCollector
from .handwriting.notice import SaveNotice
from .handwriting.tab import HandwritingTab
from .open_model import open_foreign
from .reading.predictor import Predictor
from .train.tab import TrainTab
from .worker import Worker, WorkerSlot

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.pgm *.ppm);;All files (*)"
MODEL_FILTER = ("Models (*.pt *.pth *.onnx *.pt2);;digitpad checkpoints (*.pt);;ONNX (*.onnx);;TorchScript (*.pt "
                "*.pth);;torch.export (*.pt2);;All files (*)")
ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, model_path: str | os.PathLike | None = None):
        """Opens with the checkpoint at `model_path`, or the built-in model (also when `model_path` is bad)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("digitpad")
        self.setWindowIcon(QIcon(str(asset_path("icon.png"))))
        self.resize(1320, 780)  # the pad, what it read, and the inside view side by side

        self.draw_tab = DrawTab(self)
        self.draw_tab.imageDropped.connect(self.open_image)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.draw_tab, "Draw")
        self.tabs.addTab(self._build_train_tab(), "Train")
        self.tabs.addTab(self._build_evaluate_tab(), "Evaluate")
        self.export_job = WorkerSlot(self)
        self.export_job.done.connect(lambda message: self.statusBar().showMessage(message, 20000))
        self.export_job.failed.connect(self._on_export_failed)
        self.export_job.finished.connect(lambda: self.export_action.setEnabled(not self.predictor.is_foreign))
        self.tabs.addTab(self._build_handwriting_tab(), "My handwriting")
        self.setCentralWidget(self.tabs)

        # Permanent, so that passing messages ("Opened ...") never hide which model is answering.
        self.model_label = QLabel(objectName="modelLabel")
        # A long model name is cut short (the whole of it is in the tooltip) rather than widening the window.
        self.model_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.model_label.setMinimumWidth(120)
        self.statusBar().addPermanentWidget(self.model_label, 1)
        # Digit keys on the canvas save samples; the notice ("saved as a 7 ... Undo") sits left of the model.
        self.save_notice = SaveNotice(self)
        self.statusBar().insertPermanentWidget(0, self.save_notice)
        self.collector = SampleCollector(self.draw_tab.canvas, self.personal_set, self.save_notice, self)
        self.collector.sampleSaved.connect(self.handwriting_tab.set_changed)
        self.collector.sampleRemoved.connect(self.handwriting_tab.set_changed)
        self.collector.saveFailed.connect(lambda message: self.show_error("Could not save the sample", message))
        self._build_menus()

        self.predictor: Predictor | None = None
        if model_path is None or not self.use_model(model_path):
            self.reset_model()
        self.draw_tab.canvas.setFocus()

    def _build_train_tab(self) -> QWidget:
        self.train_tab = TrainTab(self)
        # "Use in Draw tab" (and the tab's own reset button) hand over a checkpoint path, like Open model...
        self.train_tab.modelReady.connect(self.use_model)
        # The Draw tab's nearest examples are MNIST's training digits, from the same data folder.
        self.draw_tab.set_data_dir(self.train_tab.settings.data_dir())
        self.train_tab.settings.dataDirChanged.connect(self.draw_tab.set_data_dir)
        return self.train_tab

    def _build_evaluate_tab(self) -> QWidget:
        self.evaluate_tab = EvaluateTab(self)
        # It reads MNIST from the Train tab's data folder; a test digit clicked there opens in the Draw tab.
        self.evaluate_tab.set_data_dir(self.train_tab.settings.data_dir())
        self.train_tab.settings.dataDirChanged.connect(self.evaluate_tab.set_data_dir)
        self.evaluate_tab.digitChosen.connect(self.open_digit)
        self.evaluate_tab.personalRequested.connect(self.evaluate_personal_set)
        self.draw_tab.digitShown.connect(self.evaluate_tab.points_map.set_drawing)  # the map's live point
        # Channels switched off in the inside view are off in the Evaluate tab's evaluations too, which say so.
        inside = self.draw_tab.inside
        inside.channelsChanged.connect(lambda: self.evaluate_tab.switched_off.set_switched_off(
            inside.switch.hooked() if inside.switch else {}, inside.switch.describe() if inside.switch else ""))
        return self.evaluate_tab

    def evaluate_personal_set(self) -> None:
        """The Evaluate tab on the person's own samples, read in its worker's thread (the first read of a large
        set takes over a second); the tab knows nothing of the set."""
        self.evaluate_tab.evaluate_loaded(self._read_personal_set, "your handwriting set")

    def _read_personal_set(self) -> tuple:  # the Evaluate tab's worker thread
        try:
            data = self.personal_set.load()
        except PersonalSetError as error:  # its folder is a file
            raise SetUnavailable(str(error)) from None
        if not len(data):
            raise SetUnavailable(
                f"Your handwriting set in {self.personal_set.folder} holds no readable samples yet: draw a digit "
                f"in the Draw tab and type it (0-9) to save it as a sample.")
        return data.images, data.labels, f"my handwriting ({len(data)} samples)"

    def _build_handwriting_tab(self) -> QWidget:
        self.personal_set = PersonalSet()  # $DIGITPAD_PERSONAL, else personal/ in the per-user data folder
        self.handwriting_tab = HandwritingTab(self.personal_set, self)
        self.handwriting_tab.modelReady.connect(self.use_model)
        self.train_tab.settings.dataDirChanged.connect(self.handwriting_tab.set_data_dir)
        return self.handwriting_tab

    def closeEvent(self, event) -> None:
        # A run in progress is stopped and its thread joined before the window goes; its last epoch is kept.
        self.train_tab.shutdown()
        self.evaluate_tab.shutdown()
        self.draw_tab.shutdown()
        self.export_job.join()  # the export never stops half way (a file half written would be a temporary one)
        self.handwriting_tab.shutdown()
        self.collector.shutdown()
        super().closeEvent(event)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_image_action = file_menu.addAction("Open &image...")
        self.open_image_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_image_action.triggered.connect(self.choose_image)
        self.open_model_action = file_menu.addAction("Open &model...")
        self.open_model_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_model_action.triggered.connect(self.choose_model)
        self.reset_model_action = file_menu.addAction("&Reset to the built-in model")
        self.reset_model_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.reset_model_action.triggered.connect(self.reset_model)
        self.convention_action = file_menu.addAction("Model's &input convention...")
        self.convention_action.setToolTip("ask again how a model made elsewhere expects its pictures")
        self.convention_action.triggered.connect(lambda: self.use_model(self.predictor.path, ask=True))
        self.export_action = file_menu.addAction("&Export to ONNX...")
        self.export_action.triggered.connect(self.choose_export)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # named: Windows has no standard Quit key
        quit_action.triggered.connect(self.close)

    # ----- models -------------------------------------------------------------------------------------------
    def use_model(self, path: str | os.PathLike, ask: bool = False) -> bool:
        """Read with the checkpoint, or the ONNX, TorchScript or torch.export model, at `path` from now on; on a
        bad file say why and keep the current model. `ask`: ask a foreign model's input convention again."""
        try:
            fmt = detect_format(path)
            if fmt == "checkpoint":
                predictor = Predictor.load(path)  # checks the weights' checksum and the metadata's types
            else:
                predictor = open_foreign(self, path, fmt, ask)
                if predictor is None:
                    return False  # its convention was not given: nothing changes
            description = f"Model: {predictor.description()}"
        except (CheckpointError, ForeignError) as error:
            self.show_error("Could not open the model", str(error))
            return False
        # Only now, with nothing left to fail, does the new model answer, and the bar name it.
        self.predictor = predictor
        self.draw_tab.set_predictor(predictor)
        self.evaluate_tab.set_model(predictor.model, predictor.description(), predictor.threshold)
        self.handwriting_tab.set_predictor(predictor)
        # Going back to the built-in model is offered only when another model answers.
        self.reset_model_action.setEnabled(not predictor.is_builtin)
        self.export_action.setEnabled(not predictor.is_foreign)  # (it is exported from digitpad's own nets)
        self.convention_action.setEnabled(predictor.is_foreign)
        self.train_tab.set_builtin_in_use(predictor.is_builtin)
        self.model_label.setText(description)
        self.model_label.setToolTip(f"{description}\n{predictor.path}")
        if predictor.notes:
            self.statusBar().showMessage(f"Note: {predictor.path.name} was {'; '.join(predictor.notes)}", 10000)
        return True

    def reset_model(self) -> bool:
        return self.use_model(builtin_checkpoint_path())

    def choose_model(self) -> None:
        start = models_dir() if models_dir().is_dir() else Path.home()
        path, _ = QFileDialog.getOpenFileName(self, "Open model", str(start), MODEL_FILTER)
        if path:
            self.use_model(path)

    def choose_export(self) -> None:
        missing = missing_modules(load=False)
        if missing:
            self.show_error("Could not export the model", missing_extra_message(missing))
            return
        start = Path.home() / f"{'digitpad-seed' if self.predictor.is_builtin else self.predictor.path.stem}.onnx"
        path, _ = QFileDialog.getSaveFileName(self, "Export the model to ONNX", str(start), ONNX_FILTER)
        if path:
            self.export_model(path, force=True)  # the dialog has asked before replacing a file

    @property
    def export_worker(self) -> Worker | None:
        """The export under way, or None."""
        return self.export_job.worker

    def export_model(self, path: str | os.PathLike, force: bool = False) -> Worker | None:
        """Export the model in use to ONNX in a background thread; the status bar or an error box says how it
        went. None when an export is already under way."""
        if self.export_job.busy:
            return None
        worker = export_worker(self.predictor.model, self.predictor.meta, path, self.train_tab.settings.data_dir(),
                               force)
        self.export_action.setEnabled(False)
        self.statusBar().showMessage(f"Exporting to {Path(path).name} and checking it with ONNX Runtime...")
        self.export_job.start(worker)
        return worker

    def _on_export_failed(self, message: str) -> None:
        self.statusBar().clearMessage()
        self.show_error("Could not export the model", message)

    # ----- images -------------------------------------------------------------------------------------------
    def open_image(self, path: str | os.PathLike) -> bool:
        """Show an image file on the canvas and read it; on an unreadable file say why and change nothing."""
        try:
            grey = load_image(path)
        except ImageError as error:
            self.show_error("Could not open the image", str(error))
            return False
        self.tabs.setCurrentWidget(self.draw_tab)
        self.draw_tab.show_picture(grey)
        self.statusBar().showMessage(f"Opened {Path(path).name}", 5000)
        return True

    def open_digit(self, image) -> None:
        """Read a 28 x 28 digit (an MNIST test image from the Evaluate tab) in the Draw tab exactly as the
        evaluation read it, so the inside view explains the answer the Evaluate tab showed."""
        self.tabs.setCurrentWidget(self.draw_tab)
        self.draw_tab.show_net_input(image)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_image(path)

    # ----- errors -------------------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> QMessageBox:
        """A window-modal error box that returns at once (tests find it among the window's children)."""
        box = QMessageBox(QMessageBox.Icon.Critical, "digitpad", title, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(message)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
