"""Nothing lost, nothing misleading: a trained model is never overwritten by surprise, and a run that diverges
saves nothing and says what to do. CLI behaviour is tested in subprocesses, as a person runs it."""

import json
import math

import pytest
import torch

from trainer.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from trainer.config import EpochEnd, TrainConfig
from trainer.model import build_model

from .commands import run_trainer

HISTORY = [EpochEnd(1, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0)]


@pytest.fixture(scope="module")
def fake_data(fake_mnist):
    return fake_mnist(64, 32)


@pytest.fixture
def good_model(tmp_path):
    return save_checkpoint(tmp_path / "keep.pt", build_model(), TrainConfig(), HISTORY)


def quick_train(data, *args):
    return run_trainer("train", "--epochs", "1", "--data-dir", str(data), "--no-download", *args)


def test_out_never_replaces_an_existing_checkpoint_without_force(fake_data, good_model):
    before = good_model.read_bytes()
    result = quick_train(fake_data, "--out", str(good_model))
    assert result.returncode == 1 and "already exists" in result.stderr and "--force" in result.stderr
    assert "training" not in result.stdout  # refused before any training started
    assert good_model.read_bytes() == before

    forced = quick_train(fake_data, "--out", str(good_model), "--force")
    assert forced.returncode == 0, forced.stderr
    assert good_model.read_bytes() != before
    load_checkpoint(good_model)


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_out_never_writes_over_a_file_that_is_not_a_checkpoint(fake_data, tmp_path, force):
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    result = quick_train(fake_data, "--out", str(notes), *force)
    assert result.returncode == 1 and "not a digitpad checkpoint" in result.stderr
    assert notes.read_text() == "# my notes\n"


def test_an_out_inside_something_that_is_not_a_folder_fails_before_training(fake_data, tmp_path):
    (tmp_path / "file").write_text("x")
    result = quick_train(fake_data, "--out", str(tmp_path / "file" / "m.pt"))
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr and ".tmp" not in result.stderr and "epoch" not in result.stdout


def test_json_log_cannot_be_the_checkpoint(fake_data, tmp_path, good_model):
    same = quick_train(fake_data, "--out", str(tmp_path / "a.pt"), "--json-log", str(tmp_path / "a.pt"))
    assert same.returncode == 1 and "same file" in same.stderr and not (tmp_path / "a.pt").exists()
    before = good_model.read_bytes()
    over = quick_train(fake_data, "--out", str(tmp_path / "b.pt"), "--json-log", str(good_model))
    assert over.returncode == 1 and "checkpoint" in over.stderr and good_model.read_bytes() == before


def test_a_diverging_run_stops_saves_nothing_and_says_lower_the_learning_rate(fake_data, tmp_path):
    result = quick_train(fake_data, "--out", str(tmp_path / "nan.pt"), "--lr", "1e6")
    assert result.returncode == 1
    assert "diverged" in result.stderr and "learning rate" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nan.pt").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file either


def nan_model():
    model = build_model()
    with torch.no_grad():
        model.features[0][0].weight[0, 0, 0, 0] = math.nan
    return model


def test_non_finite_weights_are_never_saved(tmp_path):
    with pytest.raises(ValueError, match="not finite"):
        save_checkpoint(tmp_path / "nan.pt", nan_model(), TrainConfig(), HISTORY)
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_with_non_finite_weights_is_refused(tmp_path):
    good = save_checkpoint(tmp_path / "good.pt", build_model(), TrainConfig(), HISTORY)
    payload = torch.load(good, weights_only=True)
    payload["state_dict"]["features.0.2.running_var"][3] = math.inf
    del payload["weights_sha256"]  # as an older digitpad saved a diverged run
    torch.save(payload, tmp_path / "inf.pt")
    with pytest.raises(CheckpointError, match="not finite.*lower learning rate"):
        load_checkpoint(tmp_path / "inf.pt")


def test_json_never_holds_bare_nan():
    from trainer import jsonsafe

    text = jsonsafe.dumps({"a": math.nan, "b": [1.0, math.inf, -math.inf], "c": "nan"})
    assert json.loads(text) == {"a": None, "b": [1.0, None, None], "c": "nan"}
    assert "NaN" not in text and "Infinity" not in text
