"""Training speed: where a `trainer train` run's time goes, and digitpad's pipeline against the textbook one.

1. Phases of a run, in this process: importing, reading MNIST, and for each epoch the training and the test pass.
2. Throughput of digitpad's engine (in-memory tensors, batch augmentation) against the textbook pipeline of
   PyTorch's examples (torchvision's MNIST dataset, a DataLoader, per-sample RandomAffine + ToTensor + Normalize,
   float32), same seed Net, batch size, optimizer and thread count.
3. Optionally, a whole `trainer train` process of N epochs, timed from outside (start-up to exit).

    python bench/train_speed.py --data-dir ../shared/mnist [--epochs 2] [--images 12800] [--full-run 20]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

started_importing = time.perf_counter()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from trainer.config import BatchEnd, EpochEnd, TrainConfig  # noqa: E402
from trainer.data import MNIST_MEAN, MNIST_STD, load_mnist, resolve_data_dir  # noqa: E402
from trainer.devices import cpu_capability  # noqa: E402
from trainer.engine import train  # noqa: E402
from trainer.model import build_model  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - started_importing


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or cpu
    return (f"{cpu}; {cpu_capability()}; torch {torch.__version__}, {torch.get_num_threads()} threads")


def phases(root: Path, epochs: int) -> None:
    started = time.perf_counter()
    train_split, test_split = load_mnist(root, download=False)
    load = time.perf_counter() - started
    print(f"import torch + trainer: {IMPORT_SECONDS:.2f} s; read MNIST (70,000 images): {load:.2f} s")
    config = TrainConfig(epochs=epochs).check()  # the engine takes its settings as checked
    first_batch = []

    def on_event(event):
        if isinstance(event, BatchEnd) and event.epoch == 1 and event.batch == 1:
            first_batch.append(time.perf_counter())
        if isinstance(event, EpochEnd):
            print(f"  epoch {event.epoch}: training {event.seconds - event.test_seconds:5.1f} s, "
                  f"test pass {event.test_seconds:4.2f} s (10,000 images), accuracy {event.test_accuracy:.2%}",
                  flush=True)

    run_started = time.perf_counter()
    result = train(config, train_split, test_split, on_event=on_event)
    print(f"  set-up to the end of the first batch: {first_batch[0] - run_started:.2f} s; "
          f"{epochs} epochs: {result.seconds:.1f} s ({result.seconds / epochs:.1f} s per epoch)")


def textbook_images_per_second(root: Path, images: int, batch_size: int) -> float:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose([
        transforms.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)),
        transforms.ToTensor(),
        transforms.Normalize((MNIST_MEAN,), (MNIST_STD,)),
    ])
    loader = DataLoader(datasets.MNIST(str(root), train=True, download=False, transform=transform),
                        batch_size=batch_size, shuffle=True)
    torch.manual_seed(0)
    model = build_model().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    batches = images // batch_size
    started = None
    for index, (x, y) in enumerate(loader):
        if index == 2:  # leave out the first batches' warm-up, as for the other pipeline
            started = time.perf_counter()
        loss = F.nll_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if index == batches + 1:
            break
    return batches * batch_size / (time.perf_counter() - started)


def digitpad_images_per_second(root: Path, images: int, batch_size: int, outliers: bool = True) -> float:
    train_split, test_split = load_mnist(root, download=False)
    times = []

    def on_event(event):
        if isinstance(event, BatchEnd):
            times.append(time.perf_counter())
    outlier_batch = TrainConfig().outlier_batch if outliers else 0
    config = TrainConfig(epochs=1, batch_size=batch_size, outlier_batch=outlier_batch).check()
    train(config, train_split.head(images + 2 * batch_size),
          test_split.head(10), on_event=on_event)
    # From the end of batch 2 to the end of the last full batch: the same count of images as the textbook's.
    batches = images // batch_size
    return batches * batch_size / (times[batches + 1] - times[1])


# "Training, second cut"'s recipe: no outlier exposure, all 60,000 images trained on, nothing held out.
PLAIN_RECIPE = ["--outlier-batch", "0", "--validation-images", "0"]


def whole_run_seconds(root: Path, epochs: int, options: list[str] = ()) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "trainer", "train", "--epochs", str(epochs), "--data-dir", str(root),
                        "--no-download", "--out", str(Path(folder) / "bench.pt"), *options],
                       check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed phase by phase (default: 2)")
    parser.add_argument("--images", type=int, default=12_800, help="images timed per pipeline")
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    parser.add_argument("--full-run", type=int, metavar="EPOCHS",
                        help="also time whole `trainer train` processes: the default recipe, then without outlier "
                             "exposure and held-out images (the recipe before reading non-digits)")
    parser.add_argument("--skip-phases", action="store_true", help="only the throughput comparison")
    args = parser.parse_args()
    root = resolve_data_dir(args.data_dir)
    print(machine())
    print(f"recipe: {TrainConfig()}")
    if not args.skip_phases:
        print("\n1. phases of a run (default settings, all 60,000 training images)")
        phases(root, args.epochs)
    print(f"\n2. throughput, batch {args.batch_size}, {args.images:,} images timed per pipeline")
    textbook = textbook_images_per_second(root, args.images, args.batch_size)
    print(f"  textbook (DataLoader + RandomAffine, fp32): {textbook:7.0f} images/s -> "
          f"{60_000 / textbook:5.1f} s per 60,000-image epoch")
    plain = digitpad_images_per_second(root, args.images, args.batch_size, outliers=False)
    print(f"  digitpad (in-memory, batch augmentation):   {plain:7.0f} images/s -> "
          f"{60_000 / plain:5.1f} s per 60,000-image epoch: {plain / textbook:.2f}x the textbook's")
    ours = digitpad_images_per_second(root, args.images, args.batch_size)
    print(f"  the same with the default outlier exposure: {ours:7.0f} digits/s -> "
          f"{60_000 / ours:5.1f} s per 60,000-image epoch: {ours / textbook:.2f}x (it also trains on "
          f"{TrainConfig().outlier_batch} non-digits a batch)")
    if args.full_run:
        seconds = whole_run_seconds(root, args.full_run)
        print(f"\n3. `trainer train --epochs {args.full_run}`, whole process: {seconds:.1f} s "
              f"({seconds // 60:.0f}m{seconds % 60:02.0f}s)", flush=True)
        plain = whole_run_seconds(root, args.full_run, PLAIN_RECIPE)
        print(f"   the same with {' '.join(PLAIN_RECIPE)}: {plain:.1f} s; the default recipe takes "
              f"{seconds / plain - 1:+.1%}")


if __name__ == "__main__":
    main()
