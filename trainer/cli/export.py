"""`trainer export`: a checkpoint as an ONNX model, checked with ONNX Runtime against PyTorch on MNIST test digits."""

from __future__ import annotations

import argparse

from ..checkpoint import load_checkpoint
from ..data import load_test_split
from ..export import (
    CHECK_IMAGES,
    INPUT_NAME,
    MAX_DIFFERENCE,
    OUTPUT_NAME,
    check_onnx_output,
    export_onnx,
    require_extra,
)
from .options import add_data_options


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "export", help="export a checkpoint to ONNX (checked with ONNX Runtime)",
        description=f"Export a checkpoint to ONNX: input {INPUT_NAME!r}, float32 N x 1 x 28 x 28 normalized as "
                    f"(x/255 - 0.1307)/0.3081, dynamic N; output {OUTPUT_NAME!r}, the ten log-probabilities. The "
                    f"file is run with ONNX Runtime on {CHECK_IMAGES:,} MNIST test images and kept only if it "
                    f"agrees with PyTorch within {MAX_DIFFERENCE:g}. Needs onnx, onnxruntime and onnxscript: "
                    f"pip install '.[export]' from digitpad's clone.")
    parser.add_argument("checkpoint", help="a checkpoint written by `trainer train` or the Train tab")
    parser.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing ONNX file (never any other kind of file)")
    add_data_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require_extra()  # before loading anything: one line saying how to install what is missing
    check_onnx_output(args.onnx, args.force)  # and whether the file may be written, before reading MNIST
    checkpoint = load_checkpoint(args.checkpoint)
    images = load_test_split(args.data_dir, download=not args.no_download).images[:CHECK_IMAGES]
    result = export_onnx(checkpoint.model, args.onnx, images, checkpoint.meta, force=args.force)
    print(f"checked with ONNX Runtime on {result.images:,} MNIST test images (batches of "
          f"{', '.join(str(size) for size in result.batch_sizes)}): max abs difference from PyTorch "
          f"{result.max_difference:.2e} (allowed {MAX_DIFFERENCE:g})")
    print(f"exported {args.checkpoint} to {result.path}")
    return 0
