"""Reading digits with a trained checkpoint: `Predictor` (used by the Draw tab) and the `digitpad predict` command.

Nothing here imports Qt, so `digitpad predict` runs on machines without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from trainer import jsonsafe
from trainer.checkpoint import CheckpointError, load_checkpoint
from trainer.data import MNIST_MEAN, MNIST_STD
from trainer.model import count_parameters

from . import builtin_checkpoint_path
from .preprocess import ImageError, load_image, preprocess


@dataclass(frozen=True)
class Prediction:
    digit: int
    probabilities: tuple[float, ...]  # one per digit 0-9, summing to 1
    net_input: np.ndarray             # 1 x 28 x 28, normalized: exactly what the net read

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]

    def net_input_image(self) -> np.ndarray:
        """The net's input as 28 x 28 grey levels in [0, 1], for showing to a person."""
        return np.clip(self.net_input[0] * MNIST_STD + MNIST_MEAN, 0, 1)


class Predictor:
    """A loaded checkpoint that reads a grey picture of a digit: `preprocess`, then one forward pass."""

    def __init__(self, model: torch.nn.Module, meta: dict, path: Path):
        self.model = model.eval()
        self.meta = meta
        self.path = path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Predictor:
        """Raises CheckpointError, whose message says what is wrong with the file."""
        checkpoint = load_checkpoint(path)
        return cls(checkpoint.model, checkpoint.meta, Path(path))

    @property
    def is_builtin(self) -> bool:
        return self.path.resolve() == builtin_checkpoint_path().resolve()

    def description(self) -> str:
        """One line for a status bar: which model, how big, how good."""
        name = "built-in model" if self.is_builtin else self.path.name
        parts = [f"{name} ({self.meta.get('model', '?')})", f"{count_parameters(self.model):,} parameters"]
        accuracy = self.meta.get("test_accuracy")
        if accuracy is not None:
            parts.append(f"test accuracy {accuracy:.2%}")
        return ", ".join(parts)

    def probabilities(self, net_input: np.ndarray) -> np.ndarray:
        """Ten probabilities (float64, summing to 1) for one normalized 1 x 28 x 28 input."""
        with torch.inference_mode(), _one_torch_thread():
            log_probabilities = self.model(torch.from_numpy(net_input).unsqueeze(0))[0]
        probabilities = log_probabilities.double().exp().numpy()
        return probabilities / probabilities.sum()

    def predict(self, grey: np.ndarray) -> Prediction | None:
        """What the net reads in a grey picture of one digit (see `preprocess`); None when it holds no ink."""
        net_input = preprocess(grey)
        if net_input is None:
            return None
        probabilities = self.probabilities(net_input)
        return Prediction(int(probabilities.argmax()), tuple(probabilities.tolist()), net_input)


@contextmanager
def _one_torch_thread():
    """Run torch on the calling thread alone for a moment.

    For one 28x28 image a second thread has nothing to gain and a hand-off to lose: when other work keeps the
    cores busy (a training run, in this process or another) the hand-off waits for a free core, and a forward
    pass of under a millisecond was measured at 100-200 ms. PyTorch's OpenMP builds count threads per calling
    thread, so a training thread running meanwhile keeps its own count.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad predict",
        description="Recognize the digit in each image file: a photo or scan of one digit, dark on light or "
                    "light on dark (PNG, JPEG, BMP, ...). Prints one line per file: name, digit, confidence.")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one digit each")
    parser.add_argument("--model", metavar="CKPT",
                        help="a checkpoint written by `trainer train` or the Train tab (default: the built-in model)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list: for each file its digit and all ten probabilities, or its error")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when every file was read, 1 when any could not be (its error is printed, the rest go on)."""
    args = build_parser().parse_args(argv)
    try:
        predictor = Predictor.load(args.model or builtin_checkpoint_path())
    except CheckpointError as error:
        print(f"digitpad predict: error: {error}", file=sys.stderr)
        return 1

    results, failed = [], False
    for name in args.images:
        try:
            prediction = predictor.predict(load_image(name))
            if prediction is None:
                raise ImageError(f"{name}: no digit found (the image is blank).")
        except ImageError as error:
            failed = True
            print(f"digitpad predict: error: {error}", file=sys.stderr)
            results.append({"file": name, "error": str(error)})
            continue
        if args.json:
            results.append({"file": name, "digit": prediction.digit,
                            "probabilities": [round(p, 6) for p in prediction.probabilities]})
        else:
            print(f"{name}: {prediction.digit} ({prediction.confidence:.1%})", flush=True)
    if args.json:
        print(jsonsafe.dumps(results, indent=2))
    return 1 if failed else 0
