import os

import pytest
import torch

from trainer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from trainer.engine import EpochEnd, TrainConfig
from trainer.model import build_model

HISTORY = [EpochEnd(1, 2, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0, True),
           EpochEnd(2, 2, 0.3, 0.93, 0.25, 0.94, 0.001, 3.0, False)]


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
    assert meta["test_accuracy"] == 0.95 and meta["best_epoch"] == 1 and meta["final_accuracy"] == 0.94
    assert meta["settings"]["seed"] == 7 and meta["normalization"] == {"mean": 0.1307, "std": 0.3081}
    assert len(meta["history"]) == 2 and {"torch", "torchvision", "python"} <= set(meta["versions"])
    assert not loaded.model.training


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
def test_damaged_metadata_is_a_clear_error(tmp_path, meta):
    torch.save({"format": "digitpad-checkpoint", "version": 1, "meta": meta,
                "state_dict": build_model().state_dict()}, tmp_path / "d.pt")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "d.pt")
