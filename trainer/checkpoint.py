"""Checkpoints: the weights plus what a person needs to trust them (accuracy, history, settings, versions).

Saved atomically (a temporary file renamed over the target), so a run killed while saving leaves the previous
checkpoint intact. Loaded with `weights_only=True`: a file that tries to unpickle arbitrary objects (a crafted
pickle) is refused before any of its code can run.
"""

from __future__ import annotations

import datetime as _dt
import os
import pickle
import platform
import re
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs
import torch

from .data import MNIST_MEAN, MNIST_STD
from .engine import EpochEnd, TrainConfig
from .model import MODELS, build_model, count_parameters

FORMAT = "digitpad-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(Exception):
    """The file is not a usable checkpoint; the message says why and what to do."""


def finite_state(state: dict) -> bool:
    """True when every floating-point tensor of a state dict holds only finite numbers (no NaN, no inf)."""
    return all(bool(torch.isfinite(t).all()) for t in state.values()
               if isinstance(t, torch.Tensor) and t.is_floating_point())


def is_checkpoint_file(path: Path) -> bool:
    """Whether `path` is a file digitpad wrote (a checkpoint, loadable or not), judged without running any code."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return False
    return isinstance(payload, dict) and payload.get("format") == FORMAT


def check_output(path: Path, force: bool = False, flag: str = "--out") -> Path:
    """Make sure a checkpoint can be written to `path` before any training starts; ValueError saying why not.

    An existing file is replaced only when asked (`force`) and only if it is itself a digitpad checkpoint: a
    trained model is hours of work, and a file of anything else was never ours to overwrite.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a folder; give the checkpoint's file name")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise ValueError(f"{flag} {path} exists and is not a regular file; choose another name")
        if not is_checkpoint_file(path):
            raise ValueError(f"{flag} {path} exists and is not a digitpad checkpoint; digitpad never writes over "
                             f"other files, even with --force. Choose another name")
        if not force:
            raise ValueError(f"{flag} {path} already exists (a digitpad checkpoint); add --force to replace it, "
                             f"or choose another name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ValueError(f"cannot write {path} ({error.strerror or error}); choose a folder you can write to"
                         ) from None
    return path


@dataclass
class Checkpoint:
    model: torch.nn.Module  # on the CPU, in eval mode
    meta: dict

    @property
    def name(self) -> str:
        return self.meta.get("model", "?")

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("test_accuracy")


def models_dir() -> Path:
    """Where trained models go by default: a per-user data folder, so they outlive any working directory."""
    return Path(platformdirs.user_data_dir("digitpad")) / "models"


def checkpoint_filename(model_name: str, accuracy: float | None, when: _dt.datetime | None = None) -> str:
    when = when or _dt.datetime.now()
    accuracy_part = f"-{accuracy * 100:.2f}" if accuracy is not None else ""
    return f"{model_name}-{when:%Y%m%d-%H%M%S}{accuracy_part}.pt"


def rename_with_accuracy(path: Path, accuracy: float) -> Path:
    """Append the test accuracy to a finished run's checkpoint name (known only at the end); atomic."""
    final = path.with_name(path.stem + f"-{accuracy * 100:.2f}.pt")
    path.replace(final)
    return final


def _versions() -> dict:
    import torchvision

    return {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__),
            "python": platform.python_version()}


def build_meta(model: torch.nn.Module, config: TrainConfig, history: list[EpochEnd],
               stopped: bool = False) -> dict:
    best = max(history, key=lambda e: e.test_accuracy)
    return {
        "model": config.model,
        "parameters": count_parameters(model),
        "epochs": config.epochs,
        "epochs_completed": len(history),
        "stopped_early": stopped or len(history) < config.epochs,
        "history": [asdict(epoch) for epoch in history],
        "best_epoch": best.epoch,
        "test_accuracy": best.test_accuracy,   # of the weights in this file: the best epoch's
        "final_accuracy": history[-1].test_accuracy,
        "normalization": {"mean": MNIST_MEAN, "std": MNIST_STD},
        "settings": asdict(config),
        "versions": _versions(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, config: TrainConfig,
                    history: list[EpochEnd], stopped: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    if not finite_state(state):  # a diverged model answers "0, nan%" to everything: never worth keeping
        raise ValueError(f"not saving {path}: the model's weights are not finite numbers (NaN or infinity)")
    payload = {"format": FORMAT, "version": FORMAT_VERSION, "meta": build_meta(model, config, history, stopped),
               "state_dict": state}
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a checkpoint is an ordinary file, readable as the umask allows.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file.")
    not_a_checkpoint = CheckpointError(
        f"{path} is not a PyTorch checkpoint, or it is truncated or corrupt. "
        f"Use a checkpoint written by `trainer train` or the Train tab.")
    try:
        with warnings.catch_warnings():  # torch warns about odd pickle protocols; our error says it better
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # A pickled object names the function that rebuilds it (a GLOBAL); tensors and plain data never need
        # one outside torch's allow-list. Without one the bytes were simply not a pickle (text, an image...).
        culprit = re.search(r"GLOBAL (\S+)", str(error))
        if not culprit:
            raise not_a_checkpoint from None
        # torch's own message advises loading with weights_only=False: the one thing not to do with this file.
        raise CheckpointError(
            f"{path} was refused: it asks to import and call {culprit.group(1)}, which a digitpad checkpoint "
            f"never does, so it was not loaded and none of its code ran. Use a checkpoint written by "
            f"`trainer train` or the Train tab."
        ) from None
    except Exception:
        raise not_a_checkpoint from None

    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a PyTorch file but not a digitpad checkpoint (it has no model name or metadata). "
            f"Use a checkpoint written by `trainer train` or the Train tab."
        )
    meta, state = payload.get("meta"), payload.get("state_dict")
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), str) or not isinstance(state, dict):
        raise CheckpointError(f"{path} is a damaged digitpad checkpoint: its metadata or weights are missing.")
    name = meta["model"]
    if name not in MODELS:
        raise CheckpointError(
            f"{path} holds a model named {name!r}, which this version of digitpad does not know "
            f"(known: {', '.join(sorted(MODELS))})."
        )
    model = build_model(name)
    try:
        model.load_state_dict(state)
    except Exception as error:
        details = str(error).replace("\n\t", " ").replace("\n", " ")
        raise CheckpointError(
            f"{path} says it holds the {name!r} model, but its weights belong to another architecture: "
            f"{details[:400]}"
        ) from None
    if not finite_state(state):
        raise CheckpointError(
            f"{path} holds weights that are not finite numbers (NaN or infinity): it comes from a run that "
            f"diverged and would answer nonsense. Train again with a lower learning rate.")
    return Checkpoint(model.eval(), meta)
