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

from trainer.data import DataError, load_test_split
from trainer.export import CHECK_IMAGES, ExportError, export_onnx

from ..worker import Worker


def export_worker(model: torch.nn.Module, meta: dict, out: str | os.PathLike, data_dir: str | None,
                  force: bool = False) -> Worker:
    """A Worker that exports and checks: done(a message saying where and how well it agrees) or failed(message).
    It never stops half way: a stop asked is ignored, and a join waits for the file."""
    model = copy.deepcopy(model).cpu().eval()  # copied on the GUI thread: the Draw tab keeps the original
    meta = dict(meta)

    def job(_report, _stop) -> str:  # the worker thread
        try:
            images = load_test_split(data_dir, download=False).images[:CHECK_IMAGES]
            checked_on = f"{len(images):,} MNIST test images"
        except DataError:
            images = torch.rand(CHECK_IMAGES, 1, 28, 28, generator=torch.Generator().manual_seed(0))
            checked_on = f"{CHECK_IMAGES:,} random pictures (MNIST was not found)"
        result = export_onnx(model, out, images, meta, force=force)
        return (f"Exported to {result.path}; ONNX Runtime agrees with PyTorch on {checked_on} "
                f"(max difference {result.max_difference:.1e}).")

    return Worker(job, "The export failed", known=(ExportError,))
