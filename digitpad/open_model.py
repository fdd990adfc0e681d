"""Opening a model made elsewhere (ONNX, TorchScript, torch.export) in the window: its input convention taken
from the file (digitpad's own ONNX exports name it), else from the choice remembered for the file, else asked
once, in a small dialog, and remembered (trainer.conventions).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from trainer.conventions import INKS, RANGES, Convention, file_sha256, remember, remembered
from trainer.foreign import A_FORMAT, ForeignError, onnx_convention, require_onnxruntime

from .reading.predictor import Predictor


class ConventionDialog(QDialog):
    """Which pixels the model expects: their range and which way the ink runs."""

    def __init__(self, name: str, fmt: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("conventionDialog")
        self.setWindowTitle("The model's input")
        self.setMinimumWidth(480)
        about = QLabel(f"<b>{name}</b> is {A_FORMAT[fmt]} model made outside digitpad. How were the pictures it "
                       f"learnt from given to it? (Asked once: the answer is remembered for this file.)")
        about.setWordWrap(True)
        self.input_range = QComboBox(objectName="inputRange")
        for key, text in RANGES.items():
            self.input_range.addItem(text, key)
        self.input_range.setCurrentIndex(self.input_range.findData("mnist"))  # pytorch/examples' and MNIST's
        self.ink = QComboBox(objectName="inkChoice")
        for key, text in INKS.items():
            self.ink.addItem(text, key)
        form = QFormLayout()
        form.addRow("Pixel values", self.input_range)
        form.addRow("Ink", self.ink)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.setObjectName("conventionButtons")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def chosen(self) -> Convention:
        return Convention(self.input_range.currentData(), self.ink.currentData())


def ask_convention(parent: QWidget, name: str, fmt: str) -> Convention | None:
    """The convention a person picks for the file, or None when they cancel."""
    dialog = ConventionDialog(name, fmt, parent)
    try:
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.setParent(None)  # gone from the window's children now, not at the next event loop's turn
        dialog.deleteLater()


def open_foreign(parent: QWidget, path: str | os.PathLike, fmt: str, ask: bool = False) -> Predictor | None:
    """The foreign model at `path`, read with its convention; None when the question was cancelled. `ask`: ask
    even when the convention is known (to change a remembered answer). Raises ForeignError."""
    path = Path(path)
    if fmt == "onnx":
        require_onnxruntime()  # before asking anything
    try:
        digest = file_sha256(path)
    except OSError as error:
        raise ForeignError(f"{path} could not be read: {error.strerror or error}") from None
    convention = None if ask else (onnx_convention(path) if fmt == "onnx" else None) or remembered(digest)
    asked = convention is None
    if asked:
        convention = ask_convention(parent, path.name, fmt)
        if convention is None:
            return None
    predictor = Predictor.load_foreign(path, convention, fmt)
    if asked:  # only a file that opened is remembered
        try:
            remember(digest, convention, path.name)
        except OSError:
            pass  # not remembered: it is asked again next time, nothing else is lost
    return predictor
