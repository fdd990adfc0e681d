"""Fine-tuning on an unusual hand: before and after, on samples the fine-tune never saw, and MNIST kept.

A scripted person (trainer/synth/unusual_hand.py: continental 1 and 7, open 4, curly 9, strong slant, thick pen)
draws on the real canvas (digitpad/draw/scripted.py: offscreen, real mouse events): 10 samples a digit to learn from, saved as a personal set, and
20 a digit held out in another folder. The built-in model is fine-tuned on the set with `trainer.finetune`, as
`trainer finetune` and the "My handwriting" tab run it; then both models read the held-out samples and the MNIST
test set, and MNIST's training digits that training and fine-tuning both hold out (the figure to choose settings
on; the test set's is reported only). Prints the figures, the fine-tune's time and the CPU.

    python bench/finetune_quality.py --data-dir ../shared/mnist [--model CKPT] [--learn 10] [--held-out 20] [--keep DIR]

The default seeds draw the reported sets; the settings were chosen on sets drawn with other seeds
(`--learn-seed 100 --held-out-seed 101`), never on these.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def parse_args() -> argparse.Namespace:
    from trainer.finetune import FinetuneSettings

    defaults = FinetuneSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="MNIST root (default: $DIGITPAD_DATA)")
    parser.add_argument("--learn", type=int, default=10, help="samples a digit to learn from (default: 10)")
    parser.add_argument("--held-out", type=int, default=20, help="samples a digit held out (default: 20)")
    parser.add_argument("--learn-seed", type=int, default=1)
    parser.add_argument("--held-out-seed", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--mnist-images", type=int, default=defaults.mnist_images)
    parser.add_argument("--personal-share", type=float, default=defaults.personal_share)
    parser.add_argument("--seed", type=int, default=0, help="the fine-tune's seed")
    parser.add_argument("--threads", type=int, help="torch's threads (default: torch's choice, one per core)")
    parser.add_argument("--model", metavar="CKPT", help="the checkpoint to fine-tune (default: the built-in model)")
    parser.add_argument("--keep", metavar="DIR", help="keep the sets and the fine-tuned model in DIR")
    return parser.parse_args()


def draw_sets(learn_dir: Path, held_dir: Path, args) -> None:
    from PySide6.QtWidgets import QApplication

    from digitpad.draw.canvas import DrawingCanvas
    from digitpad.draw.scripted import write_unusual_set

    app = QApplication.instance() or QApplication([])
    canvas = DrawingCanvas()
    canvas.resize(400, 400)
    canvas.show()
    app.processEvents()
    write_unusual_set(canvas, learn_dir, args.learn, args.learn_seed)
    write_unusual_set(canvas, held_dir, args.held_out, args.held_out_seed)
    canvas.close()


def confusions(labels: np.ndarray, predictions: np.ndarray) -> str:
    wrong: dict[tuple[int, int], int] = {}
    for label, prediction in zip(labels.tolist(), predictions.tolist()):
        if label != prediction:
            wrong[label, prediction] = wrong.get((label, prediction), 0) + 1
    return ", ".join(f"{t} read as {p}: {n}" for (t, p), n in sorted(wrong.items())) or "none"


def main() -> None:
    args = parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from digitpad import builtin_checkpoint_path
    from trainer.checkpoint import load_checkpoint
    from trainer.config import TrainConfig
    from trainer.data import as_split, load_mnist, split_validation
    from trainer.devices import cpu_capability
    from trainer.evaluation import evaluate
    from trainer.finetune import FinetuneSettings, run_finetune
    from trainer.finetune_data import read_personal

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="finetune-quality-"))
    learn_dir, held_dir, out = work / "personal", work / "held-out", work / "finetuned.pt"
    if learn_dir.exists() or held_dir.exists():
        sys.exit(f"{work} already holds sets; give --keep an empty folder")
    drawing_started = time.perf_counter()
    draw_sets(learn_dir, held_dir, args)
    print(f"drew {args.learn} samples a digit to learn from and {args.held_out} held out on the canvas "
          f"in {time.perf_counter() - drawing_started:.1f} s")

    held = read_personal(held_dir)
    held_split = as_split(held.images, held.labels)
    model_path = Path(args.model) if args.model else builtin_checkpoint_path()
    base = load_checkpoint(model_path).model
    before = evaluate(base, held_split)
    _, validation = split_validation(load_mnist(args.data_dir, download=False)[0], TrainConfig().validation_images)

    settings = FinetuneSettings(epochs=args.epochs, lr=args.lr, seed=args.seed, mnist_images=args.mnist_images,
                                personal_share=args.personal_share, data_dir=args.data_dir)
    started = time.perf_counter()
    result = run_finetune(model_path, learn_dir, out, settings, download=False)
    seconds = time.perf_counter() - started
    after = evaluate(result.model, held_split)

    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"CPU: {cpu_capability()}, {os.cpu_count()} cores; torch threads {torch.get_num_threads()}; load "
          f"average {load} (other work on the machine slows this down: run it more than once)")
    print(f"fine-tune settings: {settings}")
    print(f"fine-tune of {model_path.name} on {result.samples} samples: {seconds:.1f} s (whole job: reading "
          f"the set and MNIST, both fine-tunes, the test passes, saving)")
    print(f"held-out samples ({len(held)}, never trained on):  before {before.accuracy:.2%}  "
          f"after {after.accuracy:.2%}")
    print(f"  mistakes before: {confusions(before.labels.numpy(), before.predictions.numpy())}")
    print(f"  mistakes after:  {confusions(after.labels.numpy(), after.predictions.numpy())}")
    print(f"the job's own held-out share ({result.held_out} of the {result.samples}):  before "
          f"{result.personal_accuracy_before:.2%}  after {result.personal_accuracy_after:.2%}")
    print(f"MNIST training digits held out ({len(validation):,}):  before {evaluate(base, validation).accuracy:.2%}  "
          f"after {evaluate(result.model, validation).accuracy:.2%}")
    print(f"MNIST test set (10,000, reported only):  before {result.mnist_accuracy_before:.2%}  after {result.mnist_accuracy:.2%}")
    if args.keep:
        print(f"kept in {work}")


if __name__ == "__main__":
    main()
