"""File > Export…: the model in use to ONNX in a background thread (torch's exporter takes a few seconds), with
the same export and ONNX Runtime check as `trainer export`.

The check runs on the first 1,000 MNIST test images when MNIST is in the data folder, else on 1,000 random
pictures (the comparison of two runtimes needs no real digits, but real ones are the better test); the result
says which.
"""

from __future__ import annotations

import copy
import os

import torch
from PySide6.QtCore import QThread, Signal

from trainer.data import DataError, load_test_split
from trainer.export import CHECK_IMAGES, ExportError, export_onnx


class ExportWorker(QThread):
    """Signals exactly one of `done(message)` or `failed(message)`."""

    done = Signal(str)
    failed = Signal(str)

    def __init__(self, model: torch.nn.Module, meta: dict, out: str | os.PathLike, data_dir: str | None,
                 force: bool = False):
        super().__init__()
        self.model = copy.deepcopy(model).cpu().eval()  # copied on the GUI thread: the Draw tab keeps the original
        self.meta, self.out, self.data_dir, self.force = dict(meta), out, data_dir, force

    def run(self) -> None:  # the worker thread
        try:
            try:
                images = load_test_split(self.data_dir, download=False).images[:CHECK_IMAGES]
                checked_on = f"{len(images):,} MNIST test images"
            except DataError:
                images = torch.rand(CHECK_IMAGES, 1, 28, 28, generator=torch.Generator().manual_seed(0))
                checked_on = f"{CHECK_IMAGES:,} random pictures (MNIST was not found)"
            result = export_onnx(self.model, self.out, images, self.meta, force=self.force)
            self.done.emit(f"Exported to {result.path}; ONNX Runtime agrees with PyTorch on {checked_on} "
                           f"(max difference {result.max_difference:.1e}).")
        except ExportError as error:
            self.failed.emit(str(error))
        except Exception as error:
            self.failed.emit(f"The export failed: {type(error).__name__}: {error}")
