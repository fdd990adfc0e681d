"""The Train tab's settings form: epochs, batch size, learning rate, seed, augmentation, training set, data folder.

It knows TrainConfig and nothing else of the tab: `config()` turns the controls into one, and the config's own
check (shared with `trainer train`) decides what is allowed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QSpinBox, QToolButton,
    QWidget,
)

from trainer.config import MNIST_TRAIN_SIZE, TrainConfig
from trainer.data import resolve_data_dir


def _spin_box(name: str, minimum: int, maximum: int, value: int) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(minimum, maximum)
    box.setValue(value)
    return box


class SettingsForm(QGroupBox):
    """Signals `epochsChanged(int)` and `dataDirChanged(str)` (the folder as typed or chosen, '' for the default)."""

    epochsChanged = Signal(int)
    dataDirChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Settings", parent)
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
        self.dataDir.setMinimumWidth(160)
        self.dataDir.setPlaceholderText(f"default: {resolve_data_dir(None)}")
        self.dataDir.setToolTip("the folder that holds MNIST/raw/ (default: $DIGITPAD_DATA, else a per-user "
                                "cache folder)")
        self.browse = QToolButton(objectName="browseData", text="…")
        self.browse.setToolTip("choose the folder that holds the MNIST files")
        self.browse.clicked.connect(self.choose_data_folder)
        data_row = QHBoxLayout()
        data_row.setContentsMargins(0, 0, 0, 0)
        data_row.addWidget(self.dataDir, 1)
        data_row.addWidget(self.browse)

        form = QFormLayout(self)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batchSize)
        form.addRow("Learning rate", self.learningRate)
        form.addRow("Seed", self.seed)
        form.addRow("Augmentation", self.augment)
        form.addRow("Training set", self.trainLimit)
        form.addRow("Data folder", data_row)
        self.epochs.valueChanged.connect(self.epochsChanged)
        self.dataDir.textChanged.connect(lambda text: self.dataDirChanged.emit(text.strip()))

    def config(self) -> TrainConfig:
        """The settings as a TrainConfig (device and precision as the CLI's defaults: auto); not yet checked."""
        limit = self.trainLimit.value()
        return TrainConfig(epochs=self.epochs.value(), batch_size=self.batchSize.value(),
                           lr=self.learningRate.value(), seed=self.seed.value(), augment=self.augment.isChecked(),
                           train_limit=None if limit >= MNIST_TRAIN_SIZE else limit,
                           data_dir=self.data_dir())

    def data_dir(self) -> str | None:
        return self.dataDir.text().strip() or None

    def set_data_dir(self, folder: str) -> None:
        self.dataDir.setText(folder)

    def set_editable(self, editable: bool) -> None:
        for child in self.findChildren(QWidget):
            child.setEnabled(editable)

    def choose_data_folder(self) -> None:
        start = self.data_dir() or str(resolve_data_dir(None))
        folder = QFileDialog.getExistingDirectory(self, "Folder that holds the MNIST files", start)
        if folder:
            self.set_data_dir(str(resolve_data_dir(folder)))
