"""Reading digits with a trained model: `Predictor`, used by the Draw tab and `digitpad predict`.

The scoring is pluggable: any torch module that takes MNIST-normalised N x 1 x 28 x 28 pictures and gives N x 10
log-probabilities reads through the same NumberReader: a digitpad checkpoint's net, or a model made elsewhere
(ONNX, TorchScript, torch.export) wrapped by trainer.foreign as one (`Predictor.load_foreign`).

Nothing here imports Qt, so `digitpad predict` runs on machines without a display.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from trainer.checkpoint import USE_A_GOOD_ONE, CheckpointError, load_checkpoint
from trainer.conventions import Convention
from trainer.data import normalize
from trainer.foreign import FORMATS, is_foreign, load_foreign
from trainer.ink.render import Stroke
from trainer.inspection import torch_threads
from trainer.metadata import describe_accuracy
from trainer.model import count_parameters
from trainer.verdicts import model_threshold

from .. import builtin_checkpoint_path
from .reader import NumberReader, Reading

OTHER_MODELS = ("A model made elsewhere opens too, saved as ONNX, TorchScript (torch.jit.save) or torch.export "
                "(torch.export.save, .pt2); a bare state_dict, as pytorch/examples saves, holds no architecture to "
                "run (docs/own-model.md).")


class Predictor:
    """A loaded checkpoint that reads digits: a picture, a 28x28 field or the pad's strokes, through the
    NumberReader (which finds and judges each digit) and the net's `probabilities`."""

    def __init__(self, model: torch.nn.Module, meta: dict, path: Path, notes: list[str] | None = None):
        self.model = model.eval()
        self.meta = meta
        self.path = path
        self.notes = notes or []
        self.threshold = model_threshold(meta)
        self.reader = NumberReader(self.probabilities, self.threshold)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Predictor:
        """Raises CheckpointError, whose message says what is wrong with the file (and, for a file that is no
        checkpoint at all, which other models the app opens)."""
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            if str(error).endswith(USE_A_GOOD_ONE):
                raise CheckpointError(f"{error} {OTHER_MODELS}") from None
            raise
        return cls(checkpoint.model, checkpoint.meta, Path(path), checkpoint.notes)

    @classmethod
    def load_foreign(cls, path: str | os.PathLike, convention: Convention, fmt: str | None = None) -> Predictor:
        """A model from another program; raises ForeignError, whose message says what is wrong with the file."""
        model = load_foreign(path, convention, fmt)
        return cls(model, {"model": FORMATS[model.format]}, Path(path))

    @property
    def is_foreign(self) -> bool:
        return is_foreign(self.model)

    def using(self, model: torch.nn.Module) -> Predictor:
        """The same checkpoint read through another copy of its model (one with channels switched off, say)."""
        return Predictor(model, self.meta, self.path, self.notes)

    @property
    def is_builtin(self) -> bool:
        return self.path.resolve() == builtin_checkpoint_path().resolve()

    def description(self) -> str:
        """One line for a status bar: which model, how big, how good."""
        name = "built-in model" if self.is_builtin else self.path.name
        count = self.model.parameter_count if self.is_foreign else count_parameters(self.model)
        parts = [f"{name} ({self.meta.get('model', '?')})", f"{count:,} parameters" if count else "parameters: ?"]
        if self.is_foreign:
            parts.append(f"input {self.model.convention.describe()}")
        accuracy = describe_accuracy(self.meta)
        if accuracy:
            parts.append(accuracy)
        return ", ".join(parts)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """N x 10 probabilities (float64, each row summing to 1) for N x 28 x 28 images in [0, 1]."""
        batch = normalize(torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))).unsqueeze(1)
        # One thread: a few 28x28 pictures gain nothing from a second and, while training keeps the cores busy,
        # lose a hand-off that was measured at 100-200 ms (see torch_threads).
        with torch.inference_mode(), torch_threads(1):
            log_probabilities = self.model(batch)
        probabilities = log_probabilities.double().exp().numpy()
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def read_picture(self, grey: np.ndarray) -> Reading | None:
        """The number (or digit) in a picture, each digit judged; None when it holds no ink."""
        return self.reader.read_picture(grey)

    def read_field(self, field: np.ndarray) -> Reading:
        """A 28x28 picture already made as MNIST's digits are (an MNIST image), read as it is, unprocessed."""
        return self.reader.read_field(field)

    def read_strokes(self, strokes: list[Stroke], pen_width: float) -> Reading | None:
        """The number drawn as strokes (points in units of the canvas side); None when there are none."""
        return self.reader.read_strokes(strokes, pen_width)
