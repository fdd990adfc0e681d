"""Export a trained net to ONNX, and check the file with ONNX Runtime before calling it done.

The ONNX model takes what the PyTorch model takes: float32 N x 1 x 28 x 28 images normalized as in training,
((x / 255 - 0.1307) / 0.3081) for 0-255 pixels (white ink on black, MNIST's way), with a dynamic batch dimension
N; its one output, `log_probabilities`, holds the ten log-probabilities (exp() gives the probabilities). The
normalization and the model's provenance are written into the file's metadata.

The file is written to a temporary name beside the target, run with ONNX Runtime on the check images and compared
with PyTorch; only when every output agrees within MAX_DIFFERENCE does it take the target's name. An existing
file is replaced only with `force`, and only if it is itself an ONNX model (as `trainer train --out` never writes
over anything but a checkpoint).

onnx, onnxruntime and onnxscript (torch.onnx's exporter) are the optional extra `export` (`pip install '.[export]'` from the clone).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import MNIST_MEAN, MNIST_STD, normalize
from .files import check_output_path, replaced_atomically

EXTRA = ("onnx", "onnxruntime", "onnxscript")
# digitpad is installed from its clone, not from PyPI, so the extra is named by path; the three packages alone do too.
INSTALL = "pip install onnx onnxruntime onnxscript (from digitpad's clone: pip install '.[export]')"
MAX_DIFFERENCE = 1e-4
CHECK_IMAGES = 1000
INPUT_NAME, OUTPUT_NAME = "input", "log_probabilities"
OPSET = 18


class ExportError(Exception):
    """The export could not be made or did not pass its check; the message says why and what to do."""


@dataclass
class ExportResult:
    path: Path
    max_difference: float  # the largest |ONNX Runtime - PyTorch| over all check images' log-probabilities
    images: int            # how many images were compared
    batch_sizes: tuple[int, ...]  # the batch sizes the file was run with (the batch dimension is dynamic)


def missing_modules(load: bool = True) -> list[str]:
    """The export extra's modules that cannot be imported here. `load=False` only looks for them (instant, where
    importing onnxscript takes seconds): what a window checks before asking for a file name."""
    missing = []
    for name in EXTRA:
        try:
            if load:
                importlib.import_module(name)
            elif importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules, as tests do
            missing.append(name)
    return missing


def missing_extra_message(missing: list[str]) -> str:
    return (f"exporting to ONNX needs {', '.join(EXTRA)} (missing here: {', '.join(missing)}); install them "
            f"with: {INSTALL}")


def require_extra() -> None:
    missing = missing_modules()
    if missing:
        raise ExportError(missing_extra_message(missing))


def is_onnx_file(path: Path) -> bool:
    """Whether `path` holds an ONNX model (parsed, never run)."""
    import onnx

    try:
        onnx.load(str(path), load_external_data=False)
    except Exception:
        return False
    return True


def check_onnx_output(path: str | os.PathLike, force: bool = False, flag: str = "--onnx") -> Path:
    """Make sure the ONNX file may be written to `path`; ExportError saying why not."""
    try:
        return check_output_path(path, force, flag, "an ONNX model", is_onnx_file,
                                 "the file's name (e.g. model.onnx)")
    except ValueError as error:
        raise ExportError(str(error)) from None


def _write(model: torch.nn.Module, path: Path, meta: dict) -> None:
    import onnx

    example = normalize(torch.rand(2, 1, 28, 28))
    batch = torch.export.Dim("batch", min=1)
    try:
        torch.onnx.export(model, (example,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_shapes=({0: batch},), dynamo=True, external_data=False, opset_version=OPSET,
                          verbose=False)
    except Exception as error:
        raise ExportError(f"torch.onnx could not export the model: {type(error).__name__}: {error}") from None
    proto = onnx.load(str(path))
    proto.doc_string = (f"digitpad {meta.get('model', 'model')}: input {INPUT_NAME}, float32 N x 1 x 28 x 28, "
                        f"white ink on black, normalized as (x / 255 - {MNIST_MEAN}) / {MNIST_STD}; output "
                        f"{OUTPUT_NAME}, N x 10 log-probabilities of the digits 0-9.")
    fields = {"normalization_mean": str(MNIST_MEAN), "normalization_std": str(MNIST_STD),
              "model": str(meta.get("model", "")), "test_accuracy": str(meta.get("test_accuracy", "")),
              "trained": str(meta.get("date", "")),
              # The input convention in trainer.conventions' words, so that opening the file in digitpad (or any
              # program that reads them) needs no question.
              "input_range": "mnist", "ink": "bright"}
    for key, value in fields.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def compare(path: Path, model: torch.nn.Module, images: torch.Tensor) -> tuple[float, tuple[int, ...]]:
    """Run the ONNX file with ONNX Runtime on [0, 1] `images` (N x 1 x 28 x 28), normalized as for PyTorch, in
    three batch sizes (all, one, and a small odd one); the largest difference from PyTorch's log-probabilities."""
    import onnxruntime

    inputs = normalize(images.float()).contiguous()
    with torch.inference_mode():
        expected = model.eval()(inputs).float().numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = [session.run([OUTPUT_NAME], {INPUT_NAME: inputs.numpy()})[0]]
    sizes = (len(inputs), 1, 7)
    for size in sizes[1:]:
        outputs.append(session.run([OUTPUT_NAME], {INPUT_NAME: inputs[:size].numpy()})[0])
    difference = max(float(np.abs(out - expected[:len(out)]).max()) if len(out) else 0.0 for out in outputs)
    if any(out.shape != expected[:len(out)].shape for out in outputs):
        raise ExportError("the ONNX model's output does not have the PyTorch model's shape (N x 10)")
    return difference, sizes


def export_onnx(model: torch.nn.Module, out: str | os.PathLike, images: torch.Tensor, meta: dict | None = None,
                force: bool = False) -> ExportResult:
    """Export `model` to `out` and check it on `images` ([0, 1], N x 1 x 28 x 28); see the module's docstring."""
    require_extra()
    path = check_onnx_output(out, force)
    model = model.cpu().eval()
    with replaced_atomically(path) as temporary:  # the file appears only once it has passed the check
        _write(model, temporary, meta or {})
        difference, sizes = compare(temporary, model, images)
        if not difference <= MAX_DIFFERENCE:
            raise ExportError(f"the ONNX model does not match the PyTorch model: the log-probabilities differ by "
                              f"up to {difference:.3g} (allowed: {MAX_DIFFERENCE:g}) on {len(images):,} images; "
                              f"{path} was not written")
    return ExportResult(path, difference, len(images), sizes)
