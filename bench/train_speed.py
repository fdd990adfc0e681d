"""Training throughput: digitpad's in-memory pipeline against the textbook DataLoader pipeline.

Both train the same seed Net with the same batch size, optimizer and thread count on real MNIST; the textbook
one reads images through torchvision's MNIST dataset, a DataLoader and per-sample RandomAffine + ToTensor +
Normalize, as PyTorch's examples do. Then it times a whole `trainer train --epochs 1` process (start-up, data
loading, training, the test pass, saving), the figure a user waits for.

    python bench/train_speed.py --data-dir ../shared/mnist [--images 12800] [--skip-full-epoch]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from trainer.data import MNIST_MEAN, MNIST_STD, load_mnist, resolve_data_dir
from trainer.engine import BatchEnd, TrainConfig, TrainingRun
from trainer.model import build_model


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


def digitpad_images_per_second(root: Path, images: int, batch_size: int) -> float:
    train, test = load_mnist(root, download=False)
    train.images, train.labels = train.images[:images + 2 * batch_size], train.labels[:images + 2 * batch_size]
    test.images, test.labels = test.images[:10], test.labels[:10]
    times = []

    def on_event(event):
        if isinstance(event, BatchEnd):
            times.append(time.perf_counter())
    TrainingRun(TrainConfig(epochs=1, batch_size=batch_size), train, test, on_event=on_event).run()
    # From the end of batch 2 to the end of the last full batch: the same count of images as the textbook's.
    batches = images // batch_size
    return batches * batch_size / (times[batches + 1] - times[1])


def whole_epoch_seconds(root: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "trainer", "train", "--epochs", "1", "--data-dir", str(root),
                        "--out", str(Path(folder) / "bench.pt")], check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--images", type=int, default=12_800, help="images timed per pipeline")
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    parser.add_argument("--skip-full-epoch", action="store_true")
    args = parser.parse_args()
    root = resolve_data_dir(args.data_dir)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"{args.images:,} images timed per pipeline")

    textbook = textbook_images_per_second(root, args.images, args.batch_size)
    print(f"textbook (DataLoader + RandomAffine, fp32): {textbook:7.0f} images/s  "
          f"-> {60_000 / textbook:5.1f} s per 60,000-image epoch")
    ours = digitpad_images_per_second(root, args.images, args.batch_size)
    print(f"digitpad (in-memory, batch augmentation):   {ours:7.0f} images/s  "
          f"-> {60_000 / ours:5.1f} s per 60,000-image epoch")
    print(f"speed-up: {ours / textbook:.2f}x")
    if not args.skip_full_epoch:
        seconds = whole_epoch_seconds(root)
        print(f"`trainer train --epochs 1`, whole process (start-up, data, 60,000 images, test pass): "
              f"{seconds:.1f} s; against the textbook's training time alone: {60_000 / textbook / seconds:.2f}x")


if __name__ == "__main__":
    main()
