"""Checkpoint files: the weights, the metadata that says what they are (metadata.py), and a checksum of each.

Saved atomically (a temporary file renamed over the target), so a run killed while saving leaves the previous
checkpoint intact; temporary files of runs that died mid-save are cleaned up by the next save in that folder.
Loaded with `weights_only=True`: a file that tries to unpickle arbitrary objects (a crafted pickle) is refused
before any of its code can run. The checksums catch weights or metadata damaged on disk or in a copy, or
metadata edited by hand, which would otherwise load and answer wrongly without a word: the metadata holds the
"not sure" threshold, the normalization and the architecture's name, each of which changes what a reading says.
They are plain SHA-256, not a signature: they stop accidents and naive edits, not a forger who recomputes them.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pickle
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .config import LEGACY, EpochEnd, TrainConfig
from .files import check_output_path, replaced_atomically
from .locks import claim_new_name, remove_if_stale
from .metadata import FORMAT, FORMAT_VERSION, build_meta, check_meta
from .model import MODELS, build_model

USE_A_GOOD_ONE = "Use a checkpoint written by `trainer train` or the Train tab."
# A temporary file older than this belongs to no save in progress (a save takes well under a second).
STALE_AFTER_SECONDS = 3600


class CheckpointError(Exception):
    """The file is not a usable checkpoint; the message says why and what to do."""


@dataclass
class Checkpoint:
    model: torch.nn.Module  # on the CPU, in eval mode
    meta: dict
    notes: list[str] = field(default_factory=list)  # things worth telling about an otherwise good file

    @property
    def name(self) -> str:
        return self.meta.get("model", "?")

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("test_accuracy")


def checkpoint_filename(model_name: str, accuracy: float | None, when: _dt.datetime | None = None) -> str:
    when = when or _dt.datetime.now()
    accuracy_part = f"-{accuracy * 100:.2f}" if accuracy is not None else ""
    return f"{model_name}-{when:%Y%m%d-%H%M%S}{accuracy_part}.pt"


def rename_with_accuracy(path: Path, accuracy: float) -> Path:
    """Append the test accuracy to a finished run's checkpoint name (known only at the end), never replacing
    another file of that name, nor taking a name another live run is writing (trainer.locks)."""
    with claim_new_name(path.with_name(path.stem + f"-{accuracy * 100:.2f}.pt"), "rename") as final:
        path.replace(final.given)
        return final.given


def _requires_meta_digest(version) -> bool:
    """Files of format 3 on were all saved with a metadata checksum: one without it had it removed."""
    return isinstance(version, int) and not isinstance(version, bool) and version >= 3


def finite_state(state: dict) -> bool:
    """True when every floating-point tensor of a state dict holds only finite numbers (no NaN, no inf)."""
    return all(bool(torch.isfinite(t).all()) for t in state.values()
               if isinstance(t, torch.Tensor) and t.is_floating_point())


def weights_digest(state: dict) -> str:
    """SHA-256 over every tensor's name, type, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def meta_digest(meta: dict) -> str:
    """SHA-256 over the whole metadata as canonical JSON (sorted keys, no spaces). The whole of it, not a chosen
    few fields: every field a later version reads to answer (as "reject" and "normalization" came to be) is then
    covered without anyone having to remember to add it. TypeError for metadata JSON cannot hold."""
    text = json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _meta_matches(meta: dict, digest) -> bool:
    try:
        return isinstance(digest, str) and meta_digest(meta) == digest
    except (TypeError, ValueError):  # keys of mixed types, objects JSON has no word for: not what we saved
        return False


def _read(path: Path) -> object:
    with warnings.catch_warnings():  # torch warns about odd pickle protocols; our errors say it better
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(path, map_location="cpu", weights_only=True)


def is_checkpoint_file(path: Path) -> bool:
    """Whether `path` is a file digitpad wrote (a checkpoint, sound or not), judged without running any code."""
    try:
        payload = _read(path)
    except Exception:
        return False
    return isinstance(payload, dict) and payload.get("format") == FORMAT


def _dropout(meta: dict) -> float:
    """The dropout rate the model was trained with, so its layers are listed as they were (a model trained
    without dropout has no Dropout2d); the seed's old 0.1 when the settings do not say or make no sense."""
    settings = meta.get("settings")
    rate = TrainConfig.from_dict(settings).dropout if isinstance(settings, dict) else LEGACY["dropout"]
    valid = isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1
    return rate if valid else LEGACY["dropout"]


def check_output(path: Path, force: bool = False, flag: str = "--out", create_folder: bool = False) -> Path:
    """Make sure a checkpoint can be written to `path` before any training starts; ValueError saying why not.

    An existing file is replaced only when asked (`force`) and only if it is itself a digitpad checkpoint: a
    trained model is hours of work, and a file of anything else was never ours to overwrite. Its folder must
    exist unless `create_folder` (for digitpad's own models folder; see check_output_path).
    """
    return check_output_path(path, force, flag, "a digitpad checkpoint", is_checkpoint_file,
                             "the checkpoint's file name", create_folder)


_TEMPORARY = re.compile(r"^\..+\.pt\.(?:(\d+)\.)?[^.]+\.tmp$")
_LOCK = re.compile(r"^\..+\.pt\.lock$")  # trainer.locks.lock_path


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files that saves killed half way (kill -9, power loss) left in `folder`, and the lock
    files of runs killed before they could remove theirs (trainer.locks).

    A temporary file is stale when the process that wrote it is gone, or when it is older than any save takes;
    a lock file, when no live run holds its lock.
    """
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if _LOCK.match(entry.name):
            if remove_if_stale(entry):
                removed.append(entry)
            continue
        match = _TEMPORARY.match(entry.name)
        if not match:
            continue
        try:
            old = now - entry.stat().st_mtime > STALE_AFTER_SECONDS
            if old or (match.group(1) and not _alive(int(match.group(1)))):
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    return removed


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, config: TrainConfig,
                    history: list[EpochEnd], extra_meta: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    if not finite_state(state):  # a diverged model answers "0, nan%" to everything: never worth keeping
        raise ValueError(f"not saving {path}: the model's weights are not finite numbers (NaN or infinity)")
    meta = build_meta(model, config, history, extra_meta)
    payload = {"format": FORMAT, "version": FORMAT_VERSION, "meta": meta, "state_dict": state,
               "weights_sha256": weights_digest(state), "meta_sha256": meta_digest(meta)}
    # The process id in the name tells a later save whether the writer is still alive (see above).
    with replaced_atomically(path, tag=f"{os.getpid()}.") as temporary, open(temporary, "wb") as file:
        torch.save(payload, file)
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    path = Path(path)
    payload = _read_payload_safely(path)
    meta, state = _checked_contents(path, payload)
    notes = _verified_against_checksums(path, payload, meta, state)
    return Checkpoint(_built_model(path, meta, state).eval(), meta, notes)


def _read_payload_safely(path: Path) -> object:
    """The file's payload, read without running any code it carries; CheckpointError when it is not one."""
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file. {USE_A_GOOD_ONE}")
    if not path.exists():
        raise CheckpointError(f"{path}: no such file.")
    if not path.is_file():
        raise CheckpointError(f"{path} is not a regular file (a pipe or a device?). {USE_A_GOOD_ONE}")
    from .foreign import A_FORMAT, detect_format

    # A model file made elsewhere is said to be one, rather than "not a checkpoint, or corrupt".
    made_elsewhere = detect_format(path)
    if made_elsewhere != "checkpoint":
        raise CheckpointError(
            f"{path} is {A_FORMAT[made_elsewhere]} model made elsewhere, not a digitpad checkpoint. The window "
            f"reads and measures it (File > Open model, then the Evaluate tab), and so does `digitpad predict "
            f"--model`; the `trainer` commands train, fine-tune and export digitpad's own checkpoints only.")
    try:
        return _read(path)
    except pickle.UnpicklingError as error:
        # A pickled object names the function that rebuilds it (a GLOBAL); tensors and plain data never need
        # one outside torch's allow-list. Without one the bytes were simply not a pickle (text, an image...).
        culprit = re.search(r"GLOBAL (\S+)", str(error))
        if not culprit:
            raise CheckpointError(f"{path} is not a PyTorch checkpoint, or it is truncated or corrupt. "
                                  f"{USE_A_GOOD_ONE}") from None
        # torch's own message advises loading with weights_only=False: the one thing not to do with this file.
        raise CheckpointError(
            f"{path} was refused: it asks to import and call {culprit.group(1)}, which a digitpad checkpoint "
            f"never does, so it was not loaded and none of its code ran. {USE_A_GOOD_ONE}") from None
    except Exception:
        raise CheckpointError(f"{path} is not a PyTorch checkpoint, or it is truncated or corrupt. "
                              f"{USE_A_GOOD_ONE}") from None


def _checked_contents(path: Path, payload: object) -> tuple[dict, dict]:
    """The payload's metadata and weights, once it is a digitpad checkpoint of a model this version knows."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a PyTorch file but not a digitpad checkpoint (it has no model name or "
                              f"metadata). {USE_A_GOOD_ONE}")
    meta, state = payload.get("meta"), payload.get("state_dict")
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), str) or not isinstance(state, dict):
        raise CheckpointError(f"{path} is a damaged digitpad checkpoint: its metadata or weights are missing.")
    problems = check_meta(meta)
    if problems:
        raise CheckpointError(f"{path} is a damaged digitpad checkpoint: in its metadata, {'; '.join(problems)}. "
                              f"{USE_A_GOOD_ONE}")
    name = meta["model"]
    if name not in MODELS:
        raise CheckpointError(f"{path} holds a model named {name!r}, which this version of digitpad does not know "
                              f"(known: {', '.join(sorted(MODELS))}).")
    return meta, state


def _verified_against_checksums(path: Path, payload: dict, meta: dict, state: dict) -> list[str]:
    """Notes on what could not be verified (an older file without checksums); CheckpointError on a mismatch."""
    # Checked before the weights: an edited "model" would otherwise be reported as weights of another shape.
    unverified = []
    if "meta_sha256" not in payload and not _requires_meta_digest(payload.get("version")):
        unverified.append("settings")
    elif not _meta_matches(meta, payload.get("meta_sha256")):
        raise CheckpointError(
            f"{path} was refused: its metadata does not match the checksum saved with it, so its settings (the "
            f"\"not sure\" threshold, the normalization, the model's name...) were edited or damaged and would "
            f"make it answer wrongly. Use another copy, or train again; to change a setting, train or fine-tune "
            f"with it rather than editing the file.")
    digest = payload.get("weights_sha256")
    if digest is None:
        unverified.insert(0, "weights")
    notes = [f"saved by an older digitpad without {'checksums' if len(unverified) > 1 else 'a checksum'} of its "
             f"{' and '.join(unverified)}, so they could not be verified"] if unverified else []
    if digest is not None and (not all(isinstance(t, torch.Tensor) for t in state.values())
                               or weights_digest(state) != digest):
        raise CheckpointError(f"{path} is damaged: its weights no longer match the checksum saved with them (a "
                              f"bad disk, copy or download changed them). Use another copy, or train again.")
    return notes


def _built_model(path: Path, meta: dict, state: dict) -> torch.nn.Module:
    """The named model with the checked weights loaded; CheckpointError when they do not fit it or are not finite."""
    name = meta["model"]
    model = build_model(name, dropout=_dropout(meta))
    try:
        model.load_state_dict(state)
    except Exception as error:
        details = str(error).replace("\n\t", " ").replace("\n", " ")
        raise CheckpointError(f"{path} says it holds the {name!r} model, but its weights belong to another "
                              f"architecture: {details[:400]}") from None
    if not finite_state(state):
        raise CheckpointError(
            f"{path} holds weights that are not finite numbers (NaN or infinity): it comes from a run that "
            f"diverged and would answer nonsense. Train again with a lower learning rate.")
    return model
