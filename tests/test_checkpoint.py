import os

import pytest
import torch

from trainer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from trainer.config import EpochEnd, TrainConfig
from trainer.model import build_model

HISTORY = [EpochEnd(1, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0),
           EpochEnd(2, 0.3, 0.93, 0.25, 0.94, 0.001, 3.0)]


def trained_model():
    torch.manual_seed(0)
    return build_model("seed")


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = trained_model()
    path = save_checkpoint(tmp_path / "a.pt", model, TrainConfig(epochs=2, seed=7), HISTORY)
    loaded = load_checkpoint(path)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor)
    meta = loaded.meta
    assert meta["model"] == "seed" and meta["parameters"] == 17_504
    assert meta["test_accuracy"] == 0.94  # the saved weights are the last epoch's, and so is their figure
    assert "best_epoch" not in meta
    assert meta["settings"]["seed"] == 7 and meta["normalization"] == {"mean": 0.1307, "std": 0.3081}
    assert len(meta["history"]) == 2 and {"torch", "torchvision", "python"} <= set(meta["versions"])
    assert not loaded.model.training and loaded.notes == []


def test_a_save_that_dies_half_way_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    before = path.read_bytes()

    def dies_half_way(obj, file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # as if Ctrl-C or a kill arrived mid-write
    monkeypatch.setattr(torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, build_model(), TrainConfig(), HISTORY)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["a.pt"]  # no temporary file left behind
    load_checkpoint(path)


class RunsCode:
    """Unpickling this creates a file: the side effect a crafted checkpoint would use to run code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_crafted_pickle_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "digitpad-checkpoint", "meta": {"model": "seed"}, "state_dict": RunsCode(marker)}, path)
    with pytest.raises(CheckpointError, match="refused: it asks to import and call .*open.*none of its code ran") as error:
        load_checkpoint(path)
    assert not marker.exists()
    assert "weights_only" not in str(error.value)  # torch's advice to load it unsafely is not passed on
    # The file really is malicious: an unsafe load would have run its code.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_weights_of_another_architecture_are_named_as_such(tmp_path):
    other = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    torch.save({"format": "digitpad-checkpoint", "version": 1, "meta": {"model": "seed"},
                "state_dict": other.state_dict()}, tmp_path / "mlp.pt")
    with pytest.raises(CheckpointError, match="another architecture"):
        load_checkpoint(tmp_path / "mlp.pt")


def test_unknown_model_name_is_named(tmp_path):
    torch.save({"format": "digitpad-checkpoint", "version": 1, "meta": {"model": "resnet50"}, "state_dict": {}},
               tmp_path / "r.pt")
    with pytest.raises(CheckpointError, match="'resnet50'"):
        load_checkpoint(tmp_path / "r.pt")


def test_a_plain_state_dict_is_not_taken_for_a_checkpoint(tmp_path):
    torch.save(build_model().state_dict(), tmp_path / "bare.pt")
    with pytest.raises(CheckpointError, match="not a digitpad checkpoint"):
        load_checkpoint(tmp_path / "bare.pt")


@pytest.mark.parametrize("content", [b"", b"hello, not a checkpoint", b"PK\x03\x04truncated", b"\x80\x04K\x01."])
def test_files_that_are_not_checkpoints(tmp_path, content):
    (tmp_path / "x.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        load_checkpoint(tmp_path / "x.pt")


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")


def test_an_image_given_as_a_checkpoint_is_called_not_a_checkpoint(tmp_path):
    from PIL import Image

    Image.new("L", (32, 32), 255).save(tmp_path / "digit.png")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        load_checkpoint(tmp_path / "digit.png")


def test_a_checkpoint_is_an_ordinary_file_not_a_private_one(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("meta", [["seed"], {"model": ["seed"]}, None])
def test_missing_metadata_is_a_clear_error(tmp_path, meta):
    torch.save({"format": "digitpad-checkpoint", "version": 1, "meta": meta,
                "state_dict": build_model().state_dict()}, tmp_path / "d.pt")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "d.pt")


def flip_bytes_inside_the_weights(path, count=64):
    """Flip bytes in the middle of the largest stored tensor, as a bad disk or copy would."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    with open(path, "rb") as file:
        file.seek(info.header_offset + 26)
        name_length, extra_length = int.from_bytes(file.read(2), "little"), int.from_bytes(file.read(2), "little")
    start = info.header_offset + 30 + name_length + extra_length + info.file_size // 2
    for i in range(start, start + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_weights_damaged_on_disk_are_refused_by_their_checksum(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    flip_bytes_inside_the_weights(path)
    with pytest.raises(CheckpointError, match="damaged: its weights no longer match the checksum"):
        load_checkpoint(path)


def test_the_shipped_checkpoint_carries_a_checksum_that_catches_damage(tmp_path):
    from digitpad import builtin_checkpoint_path

    payload = torch.load(builtin_checkpoint_path(), weights_only=True)
    assert len(payload["weights_sha256"]) == 64
    copy = tmp_path / "seed.pt"
    copy.write_bytes(builtin_checkpoint_path().read_bytes())
    flip_bytes_inside_the_weights(copy)
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(copy)


def test_an_older_checkpoint_without_a_checksum_loads_with_a_note(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    payload = torch.load(path, weights_only=True)
    del payload["weights_sha256"], payload["meta_sha256"]  # neither existed then
    payload["version"] = 1
    payload["meta"].update(best_epoch=1, final_accuracy=0.94)
    torch.save(payload, tmp_path / "old.pt")
    loaded = load_checkpoint(tmp_path / "old.pt")
    assert loaded.notes and "could not be verified" in loaded.notes[0]
    assert loaded.notes == ["saved by an older digitpad without checksums of its weights and settings, so they "
                            "could not be verified"]


REJECT = {"threshold": 0.9646443128585815, "digit_mass": 0.75, "calibrated_on": "5,000 MNIST digits"}


def edited(path, target, edit):
    """A copy of the checkpoint at `path` with its metadata changed by `edit(meta)`, as a text editor or a script
    with torch.load/torch.save would leave it: the checksums as they were."""
    payload = torch.load(path, weights_only=True)
    edit(payload["meta"])
    torch.save(payload, target)
    return target


@pytest.mark.parametrize("edit", [
    lambda meta: meta["reject"].update(threshold=0.10),  # the issue's: a smiley's "3? (69%)" became a sure "3"
    lambda meta: meta["reject"].update(digit_mass=0.2),
    lambda meta: meta["normalization"].update(mean=0.2),
    lambda meta: meta.pop("reject"),
    lambda meta: meta.update(test_accuracy=0.999),
], ids=["threshold", "digit mass", "normalization", "calibration removed", "accuracy"])
def test_metadata_edited_after_saving_is_refused(tmp_path, edit):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY, extra_meta={"reject": REJECT})
    assert load_checkpoint(path).meta["reject"] == REJECT
    with pytest.raises(CheckpointError, match="metadata does not match the checksum.*edited or damaged") as error:
        load_checkpoint(edited(path, tmp_path / "edited.pt", edit))
    assert str(tmp_path / "edited.pt") in str(error.value)


def test_the_shipped_checkpoint_refuses_an_edited_threshold(tmp_path):
    from digitpad import builtin_checkpoint_path

    payload = torch.load(builtin_checkpoint_path(), weights_only=True)
    assert len(payload["meta_sha256"]) == 64 and load_checkpoint(builtin_checkpoint_path()).notes == []
    with pytest.raises(CheckpointError, match="edited or damaged"):
        load_checkpoint(edited(builtin_checkpoint_path(), tmp_path / "seed.pt",
                               lambda meta: meta["reject"].update(threshold=0.10)))


def test_a_removed_metadata_checksum_is_refused_in_a_file_that_always_had_one(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY, extra_meta={"reject": REJECT})
    payload = torch.load(path, weights_only=True)
    payload["meta"]["reject"]["threshold"] = 0.10
    del payload["meta_sha256"]
    torch.save(payload, tmp_path / "stripped.pt")
    with pytest.raises(CheckpointError, match="edited or damaged"):
        load_checkpoint(tmp_path / "stripped.pt")


def test_a_checkpoint_of_the_previous_format_loads_with_a_note_on_its_settings(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY, extra_meta={"reject": REJECT})
    payload = torch.load(path, weights_only=True)
    del payload["meta_sha256"]
    payload["version"] = 2  # as the version before metadata checksums saved it
    torch.save(payload, tmp_path / "previous.pt")
    loaded = load_checkpoint(tmp_path / "previous.pt")
    assert loaded.meta["reject"] == REJECT
    assert loaded.notes == ["saved by an older digitpad without a checksum of its settings, so they could not be "
                            "verified"]


@pytest.mark.parametrize("key, value", [
    ("test_accuracy", "99.5"), ("test_accuracy", 99.5), ("test_accuracy", float("nan")), ("epochs_completed", "20"),
    ("stopped_early", "no"), ("history", [{"epoch": 1, "test_accuracy": "high"}]), ("history", "none"),
    ("normalization", {"mean": 0.1}), ("versions", {"torch": 2}), ("settings", [1, 2]),
])
def test_metadata_of_the_wrong_type_is_refused_naming_the_field_and_the_file(tmp_path, key, value):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    payload = torch.load(path, weights_only=True)
    payload["meta"][key] = value
    torch.save(payload, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(tmp_path / "odd.pt")
    assert str(tmp_path / "odd.pt") in str(error.value) and key in str(error.value)


def test_metadata_added_by_other_features_is_kept(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY,
                           extra_meta={"base_model": "seed.pt", "personal": {"samples": 120}})
    meta = load_checkpoint(path).meta
    assert meta["base_model"] == "seed.pt" and meta["personal"] == {"samples": 120}


def test_temporary_files_of_saves_that_died_are_cleaned_up(tmp_path):
    import subprocess
    import sys
    import time

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".a.pt.{dead_pid}.k3j2h1.tmp"       # its writer is gone (kill -9 mid-save)
    old_style = tmp_path / ".b.pt.x8y7z6.tmp"                # an older version's name, hours old
    live = tmp_path / f".c.pt.{os.getpid()}.abc123.tmp"     # a save in progress in this process
    unrelated = tmp_path / ".notes.tmp"
    for path in (stale, old_style, live, unrelated):
        path.write_bytes(b"half a checkpoint")
    hours_ago = time.time() - 3 * 3600
    os.utime(old_style, (hours_ago, hours_ago))
    save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(), HISTORY)
    assert not stale.exists() and not old_style.exists()
    assert live.exists() and unrelated.exists()


def test_a_checkpoint_loads_with_the_dropout_it_was_trained_with(tmp_path):
    def dropout_layers(model):
        return [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout2d)]

    without = save_checkpoint(tmp_path / "a.pt", trained_model(), TrainConfig(dropout=0.0), HISTORY)
    assert dropout_layers(load_checkpoint(without).model) == []
    with_dropout = save_checkpoint(tmp_path / "b.pt", trained_model(), TrainConfig(dropout=0.2), HISTORY)
    assert dropout_layers(load_checkpoint(with_dropout).model) == [0.2] * 6
    # An older checkpoint whose settings do not mention dropout was trained with the seed's 0.1.
    payload = torch.load(without, weights_only=True)
    del payload["meta"]["settings"]["dropout"]
    del payload["meta_sha256"]  # older checkpoints had no checksum of their metadata either
    payload["version"] = 2
    torch.save(payload, tmp_path / "old.pt")
    assert dropout_layers(load_checkpoint(tmp_path / "old.pt").model) == [0.1] * 6
