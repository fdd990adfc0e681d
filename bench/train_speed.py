"""Training speed: where a `trainer train` run's time goes, and digitpad's pipeline against the textbook one.

1. Phases of a run, in this process: importing, reading MNIST, and for each epoch the training and the test pass.
2. Throughput of digitpad's engine (in-memory tensors, batch augmentation) against the textbook pipeline of
   PyTorch's examples (torchvision's MNIST dataset, a DataLoader, per-sample RandomAffine + ToTensor + Normalize,
   float32), same seed Net, batch size, optimizer and thread count.
3. Optionally, a whole `trainer train` process of N epochs, timed from outside (start-up to exit), and with
   `--timeline`, where that process's time went: imports, MNIST, the outlier pool, each epoch's training and
   test pass, the calibration, the saves, the exit; and the floor under it: starting torch and the recipe's
   arithmetic alone (its forward, backward and optimizer steps on ready-made batches, its float32 test pass),
   what no pipeline of this recipe could go below on the CPU at hand.

The textbook pipeline is timed first, in a process that has trained nothing yet: digitpad's engine raises
malloc's thresholds for the rest of its process (trainer.memory), which the textbook's code would not do.
The load average is printed before and after: other processes on the machine slow both pipelines.

    python bench/train_speed.py --data-dir ../shared/mnist [--epochs 2] [--images 12800] [--full-run 20]
    python bench/train_speed.py --data-dir ../shared/mnist --full-run 1 --timeline [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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
from trainer.devices import cpu_capability, pick_precision  # noqa: E402
from trainer.engine import train  # noqa: E402
from trainer.evaluation import log_probabilities  # noqa: E402
from trainer.memory import keep_freed_memory  # noqa: E402
from trainer.model import build_model  # noqa: E402
from trainer.sgd import NesterovSGD  # noqa: E402

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


# `trainer train` as the command runs it, with a time stamp (wall clock) after each phase, printed at exit.
TIMELINE_PROBE = """
import atexit, json, sys, time
marks = [("interpreter start-up", time.time())]
import torch
marks.append(("import torch", time.time()))
import trainer.cli, trainer.engine, trainer.job
marks.append(("import trainer", time.time()))

def stamped(module, name, label):
    original = getattr(module, name)
    def run(*args, **kwargs):
        result = original(*args, **kwargs)
        marks.append((label, time.time()))
        return result
    setattr(module, name, run)

for module, name, label in ((trainer.job, "load_mnist", "read MNIST"), (trainer.job, "outlier_pool", "outlier pool"),
                            (trainer.engine, "_set_up", "set-up"), (trainer.engine, "_train_epoch", "training"),
                            (trainer.engine, "_test_epoch", "test pass"), (trainer.job, "calibrate", "calibration"),
                            (trainer.job, "save_checkpoint", "save")):
    stamped(module, name, label)
def report():
    print("TIMELINE " + json.dumps(marks), file=sys.stderr, flush=True)


# Run as the command runs (main() with the command line in sys.argv), so its process ends as the command's does:
# at once where trainer.cli ends it (end_process), else through the interpreter's teardown.
end_process = getattr(trainer.cli, "end_process", None)
if end_process is not None:
    def ending(status):
        marks.append(("the command's end", time.time()))
        report()
        end_process(status)
    trainer.cli.end_process = ending
else:
    atexit.register(report)
sys.argv = ["trainer", *sys.argv[1:]]
status = trainer.cli.main()
marks.append(("the command's end", time.time()))
sys.exit(status)
"""


def whole_run_timeline(root: Path, epochs: int) -> tuple[float, list[tuple[str, float]]]:
    """A whole `trainer train` process: its wall time, and (phase, seconds) in order; the last is the exit."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.time()
        completed = subprocess.run([sys.executable, "-c", TIMELINE_PROBE, "train", "--epochs", str(epochs),
                                    "--data-dir", str(root), "--no-download", "--out", str(Path(folder) / "b.pt")],
                                   check=True, capture_output=True, text=True)
        ended = time.time()
    [line] = [line for line in completed.stderr.splitlines() if line.startswith("TIMELINE ")]
    marks, phases, last = json.loads(line.split(" ", 1)[1]), [], started
    for label, at in marks:
        phases.append((label, at - last))
        last = at
    return ended - started, phases + [("exit", ended - last)]


def print_timelines(root: Path, epochs: int, repeat: int, images: int, batch_size: int) -> None:
    """The textbook's epoch and a whole `trainer train` process, in turns, `repeat` times: the best and the
    median of each, and where the best process's time went."""
    textbook, runs = [], []
    for _ in range(repeat):
        textbook.append(60_000 / textbook_images_per_second(root, images, batch_size))
        runs.append(whole_run_timeline(root, epochs))
        print(f"  textbook epoch {textbook[-1]:5.1f} s, `trainer train --epochs {epochs}` {runs[-1][0]:5.1f} s "
              f"({load()})", flush=True)
    walls = [wall for wall, _ in runs]
    best = min(range(repeat), key=lambda i: walls[i])
    print(f"\n3. `trainer train --epochs {epochs}`, whole process, {repeat} runs: best {walls[best]:.1f} s, median "
          f"{statistics.median(walls):.1f} s; the textbook's epoch (60,000 images, training alone): best "
          f"{min(textbook):.1f} s, median {statistics.median(textbook):.1f} s; ratio of the bests "
          f"{min(textbook) / walls[best]:.2f}x, of the medians "
          f"{statistics.median(textbook) / statistics.median(walls):.2f}x")
    print("   where the best run's time went:")
    merged: dict[str, float] = {}
    for label, seconds in runs[best][1]:
        merged[label] = merged.get(label, 0.0) + seconds
    for label, seconds in merged.items():
        print(f"     {label:22s} {seconds:6.2f} s")
    print_floor(min(textbook), merged["interpreter start-up"] + merged["import torch"], walls[best], epochs,
                batch_size)


def arithmetic_floor(batch_size: int, steps: int = 100) -> tuple[float, float]:
    """The recipe's arithmetic alone, in this process: (one epoch's forward, backward and optimizer steps, as the
    engine takes them, on ready-made batches; the float32 test pass over the held-out and the test images).

    No data preparation, no augmentation, no outliers drawn, no statistics measured, no calibration: what a
    pipeline could not do without while keeping the recipe. With torch's import, it is the floor of a
    `trainer train --epochs 1` process on this CPU."""
    keep_freed_memory()  # as the engine does
    config = TrainConfig()
    images = batch_size + config.outlier_batch
    torch.manual_seed(0)
    model = build_model(config.model, dropout=config.dropout).to(memory_format=torch.channels_last)
    optimizer = NesterovSGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=config.weight_decay)
    x = torch.randn(images, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch_size,))
    dtype = pick_precision(config.precision, torch.device("cpu"))

    def step() -> None:
        with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
            log_probs = model(x).float()
        loss = F.cross_entropy(log_probs[:batch_size], y) - config.outlier_weight * log_probs[batch_size:].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()

    for _ in range(10):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    batches = -(-(60_000 - config.validation_images) // batch_size)
    training = (time.perf_counter() - started) / steps * batches
    tested = torch.rand(10_000 + config.validation_images, 1, 28, 28)
    log_probabilities(model, tested[:1000])
    started = time.perf_counter()
    log_probabilities(model, tested)
    return training, time.perf_counter() - started


def print_floor(textbook: float, start_seconds: float, whole: float, epochs: int, batch_size: int) -> None:
    training, testing = arithmetic_floor(batch_size)
    floor = start_seconds + epochs * (training + testing)
    print(f"   the floor: starting Python and torch {start_seconds:.2f} s + the recipe's arithmetic, {epochs} x "
          f"(an epoch's steps {training:.2f} s + its float32 test pass {testing:.2f} s) = {floor:.2f} s: a "
          f"process doing nothing else would be {textbook / floor:.2f}x the textbook's epoch; everything else "
          f"(reading MNIST, preparing batches, outliers, statistics, calibration, saving) took "
          f"{whole - floor:.2f} s of the best process")


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


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
    parser.add_argument("--timeline", action="store_true",
                        help="with --full-run: only the textbook's epoch and whole processes, in turns, each "
                             "process's time phase by phase")
    parser.add_argument("--repeat", type=int, default=3, help="turns with --timeline (default: %(default)s)")
    args = parser.parse_args()
    root = resolve_data_dir(args.data_dir)
    print(machine())
    print(f"recipe: {TrainConfig()}")
    print(f"before: {load()}")
    if args.full_run and args.timeline:
        print_timelines(root, args.full_run, args.repeat, args.images, args.batch_size)
        print(f"after: {load()}")
        return
    # First, before this process trains anything (see the module's docstring).
    textbook = textbook_images_per_second(root, args.images, args.batch_size)
    if not args.skip_phases:
        print("\n1. phases of a run (default settings, all 60,000 training images)")
        phases(root, args.epochs)
    print(f"\n2. throughput, batch {args.batch_size}, {args.images:,} images timed per pipeline")
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
