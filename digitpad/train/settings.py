"""The Train tab's settings form: the model, epochs, batch size, learning rate, seed, augmentation, training set,
data folder.

It knows TrainConfig and nothing else of the tab: `config()` turns the controls into one, and the config's own
check (shared with `trainer train`) decides what is allowed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from trainer.config import MNIST_TRAIN_SIZE, TrainConfig
from trainer.data import resolve_data_dir
from trainer.model import DEFAULT_MODEL, MODELS, architecture_parameters

DATA_DIR_CHARS = 64  # the data folder field shows a path this long whole


def _spin_box(name: str, minimum: int, maximum: int, value: int) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(minimum, maximum)
    box.setValue(value)
    return box


class SettingsForm(QGroupBox):
    """Signals `modelChanged(str)` (the architecture's name), `epochsChanged(int)` and `dataDirChanged(str)` (the
    folder as typed or chosen, '' for the default)."""

    modelChanged = Signal(str)
    epochsChanged = Signal(int)
    dataDirChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Settings", parent)
        defaults = TrainConfig()
        self.modelChoice = QComboBox(objectName="modelChoice")
        for name in MODELS:  # the seed first, as MODELS lists it; each with its size, so the choice is informed
            self.modelChoice.addItem(f"{name} ({self.parameters(name):,} parameters)", name)
        self.modelChoice.setCurrentIndex(self.modelChoice.findData(DEFAULT_MODEL))
        self.modelChoice.setToolTip("the architecture to train (`trainer info --model NAME` shows its layers)")
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
        # Room for a typical default path whole ("default: C:\Users\...\digitpad\Cache\mnist"), not "default: /ho…".
        self.dataDir.setMinimumWidth(self.dataDir.fontMetrics().horizontalAdvance("x" * DATA_DIR_CHARS))
        default = f"default: {resolve_data_dir(None)}"
        self.dataDir.setPlaceholderText(default)
        self.dataDir.setToolTip(f"the folder that holds MNIST/raw/ (default: $DIGITPAD_DATA, else a per-user "
                                f"cache folder)\n{default}")
        self.browse = QToolButton(objectName="browseData", text="…")
        self.browse.setToolTip("choose the folder that holds the MNIST files")
        self.browse.clicked.connect(self.choose_data_folder)
        data_row = QHBoxLayout()
        data_row.setContentsMargins(0, 0, 0, 0)
        data_row.addWidget(self.dataDir, 1)
        data_row.addWidget(self.browse)

        # The model, two columns of short fields and the folder across both: low enough for a 640-pixel-high
        # window, and wide enough for a whole path.
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Model"), 0, 0)
        grid.addWidget(self.modelChoice, 0, 1, 1, 3)
        for row, (label, field, label2, field2) in enumerate([
                ("Epochs", self.epochs, "Training set", self.trainLimit),
                ("Batch size", self.batchSize, "Seed", self.seed),
                ("Learning rate", self.learningRate, "Augmentation", self.augment)], start=1):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(QLabel(label2), row, 2)
            grid.addWidget(field2, row, 3)
        grid.addWidget(QLabel("Data folder"), 4, 0)
        grid.addLayout(data_row, 4, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.modelChoice.currentIndexChanged.connect(lambda _index: self.modelChanged.emit(self.model()))
        self.epochs.valueChanged.connect(self.epochsChanged)
        self.dataDir.textChanged.connect(lambda text: self.dataDirChanged.emit(text.strip()))

    def config(self) -> TrainConfig:
        """The settings as a TrainConfig (device and precision as the CLI's defaults: auto); not yet checked."""
        limit = self.trainLimit.value()
        return TrainConfig.for_model(self.model(), epochs=self.epochs.value(), batch_size=self.batchSize.value(),
                                     lr=self.learningRate.value(), seed=self.seed.value(),
                                     augment=self.augment.isChecked(),
                                     train_limit=None if limit >= MNIST_TRAIN_SIZE else limit, data_dir=self.data_dir())

    def model(self) -> str:
        return self.modelChoice.currentData()

    @staticmethod
    def parameters(name: str) -> int:
        return architecture_parameters(name)

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
