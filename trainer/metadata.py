"""What a checkpoint says about its weights: how they were trained, how good they are, and checks of that.

Written by `build_meta` at every save; checked by `check_meta` at every load, so a file with damaged or
hand-edited metadata is refused with a message naming the field, instead of failing later in some window.
Keys this version does not check (added by fine-tuning, calibration or later versions) are kept as they are.
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
from dataclasses import asdict

import torch

from .config import EpochEnd, TrainConfig
from .data import MNIST_MEAN, MNIST_STD
from .model import count_parameters
from .steering import check_change

FORMAT = "digitpad-checkpoint"
# 1: the weights were the epoch with the best test accuracy; 2: the run's final weights (EMA when on);
# 3: as 2, and the metadata always carries a checksum (checkpoint.meta_digest).
FORMAT_VERSION = 3


def _versions() -> dict:
    versions = {"torch": str(torch.__version__), "python": platform.python_version()}
    try:
        from importlib.metadata import version

        versions["torchvision"] = version("torchvision")
    except Exception:  # not installed, or installed oddly: the figure is informative only
        pass
    return versions


def build_meta(model: torch.nn.Module, config: TrainConfig, history: list[EpochEnd],
               extra: dict | None = None) -> dict:
    final = history[-1]
    epochs = (extra or {}).get("epochs", config.epochs)  # more than the settings' with one more epoch (steering)
    meta = {
        "model": config.model,
        "parameters": count_parameters(model),
        "epochs": epochs,
        "epochs_completed": len(history),
        "stopped_early": len(history) < epochs,
        "history": [asdict(epoch) for epoch in history],
        "test_accuracy": final.test_accuracy,  # of the weights in this file: the latest complete epoch's
        "weights": "exponential moving average" if config.ema_decay else "final",
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD},
        "settings": asdict(config),
        "versions": _versions(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    meta.update(extra or {})
    return meta


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fraction(value) -> bool:
    return _number(value) and 0 <= value <= 1


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# key: (check, what it should be). `model` is checked by the loader itself, which needs it first.
_CHECKS = {
    "parameters": (_count, "a whole number"),
    "epochs": (_count, "a whole number"),
    "epochs_completed": (_count, "a whole number"),
    "best_epoch": (_count, "a whole number"),
    "stopped_early": (lambda v: isinstance(v, bool), "true or false"),
    "test_accuracy": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "final_accuracy": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "weights": (lambda v: isinstance(v, str), "text"),
    "date": (lambda v: isinstance(v, str), "text"),
    "settings": (lambda v: isinstance(v, dict), "a table of settings"),
    "versions": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
                 "a table of version strings"),
    "normalization": (lambda v: isinstance(v, dict) and _number(v.get("mean")) and _number(v.get("std"))
                      and v["std"] > 0, "a mean and a standard deviation"),
    "history": (lambda v: isinstance(v, list) and all(_epoch_ok(e) for e in v),
                "a list of epochs with numeric figures"),
    "reject": (lambda v: isinstance(v, dict) and _fraction(v.get("threshold")) and v["threshold"] > 0,
               "a calibration with a threshold between 0 and 1"),
    # Written by a run steered while it trained (trainer.steering): its changes, which a replay repeats.
    "steering": (lambda v: isinstance(v, list) and not any(check_change(c) for c in v),
                 "a list of changes, each with what, epoch, batch and value"),
    # Written by fine-tuning (trainer/finetune.py): where the model came from and how it did, before and after.
    "base_model": (lambda v: isinstance(v, str), "text"),
    "base_test_accuracy": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "personal_set": (lambda v: isinstance(v, str), "text"),
    "personal_samples": (_count, "a whole number"),
    "personal_held_out": (_count, "a whole number"),
    "personal_counts": (lambda v: isinstance(v, list) and len(v) == 10 and all(_count(c) for c in v),
                        "ten whole numbers, one per digit"),
    "personal_accuracy_before": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "personal_accuracy_after": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "mnist_accuracy_before": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
    "mnist_accuracy": (lambda v: v is None or _fraction(v), "a fraction between 0 and 1"),
}


def _epoch_ok(epoch) -> bool:
    if not isinstance(epoch, dict) or not _count(epoch.get("epoch")):
        return False
    numbers = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds")
    return (all(_number(epoch.get(key)) for key in numbers) and _fraction(epoch.get("test_accuracy"))
            and _number(epoch.get("test_seconds", 0.0))
            and (epoch.get("validation_accuracy") is None or _fraction(epoch["validation_accuracy"])))


def check_meta(meta: dict) -> list[str]:
    """Problems with the metadata's known fields, one phrase each; an empty list when it is sound."""
    problems = []
    for key, (ok, expected) in _CHECKS.items():
        if key in meta and not ok(meta[key]):
            shown = repr(meta[key])
            problems.append(f"{key} is {shown[:40] + '…' if len(shown) > 40 else shown}, not {expected}")
    return problems


def describe_finetune(meta: dict) -> list[str]:
    """What a fine-tuned checkpoint's metadata says of its fine-tuning, in lines for people; [] for others."""
    if "base_model" not in meta:
        return []

    def percent(key: str) -> str:
        return "?" if meta.get(key) is None else f"{meta[key]:.2%}"

    return [f"fine-tuned from {meta['base_model']} on the personal set {meta.get('personal_set', '?')} "
            f"({meta.get('personal_samples', '?')} samples, {meta.get('personal_held_out', '?')} of them held out "
            f"to measure on)",
            f"held-out personal samples: {percent('personal_accuracy_before')} before, "
            f"{percent('personal_accuracy_after')} after; MNIST test set: {percent('mnist_accuracy_before')} "
            f"before, {percent('mnist_accuracy')} after"]


def describe_accuracy(meta: dict) -> str | None:
    """The saved weights' test accuracy in words, e.g. "test accuracy 99.55%", or None when unknown.

    Checkpoints of format 1 kept the epoch with the best test accuracy: their figure was picked on the test set
    and says so."""
    accuracy = meta.get("test_accuracy")
    if accuracy is None:
        return None
    if "best_epoch" in meta and meta.get("weights") is None:
        return f"test accuracy {accuracy:.2%} (the best of its epochs, picked on the test set)"
    return f"test accuracy {accuracy:.2%}"
