"""The training job both front ends call: where the checkpoint goes, its name, and the checks before any work."""

import threading

import pytest

from trainer.checkpoint import load_checkpoint
from trainer.paths import models_dir
from trainer.config import ConfigError, TrainConfig
from trainer.data import DataError
from trainer.job import run_job


def test_without_out_the_model_goes_to_the_models_folder_named_with_its_accuracy(fake_dir):
    result = run_job(TrainConfig(epochs=2, data_dir=fake_dir), download=False)
    assert result.checkpoint.parent == models_dir()
    assert result.checkpoint.name.startswith("seed-")
    assert result.checkpoint.name.endswith(f"-{result.final.test_accuracy * 100:.2f}.pt")
    assert sorted(models_dir().iterdir()) == [result.checkpoint]  # renamed, not copied; no temporary file
    assert load_checkpoint(result.checkpoint).test_accuracy == result.final.test_accuracy
    assert result.train_images == 256 - 42 and result.load_seconds > 0  # a sixth held out to validate


def test_with_out_the_model_keeps_the_name_given(fake_dir, tmp_path):
    result = run_job(TrainConfig(epochs=1, data_dir=fake_dir), out=tmp_path / "mine.pt", download=False)
    assert result.checkpoint == tmp_path / "mine.pt" and list(tmp_path.iterdir()) == [result.checkpoint]


def test_bad_settings_and_a_bad_out_fail_before_the_data_is_read(tmp_path, monkeypatch):
    def must_not_load(*args, **kwargs):
        raise AssertionError("MNIST was read although the job could not run")
    monkeypatch.setattr("trainer.job.load_mnist", must_not_load)
    with pytest.raises(ConfigError):
        run_job(TrainConfig(epochs=0))
    (tmp_path / "notes.md").write_text("mine")
    with pytest.raises(ValueError, match="not a digitpad checkpoint"):
        run_job(TrainConfig(), out=tmp_path / "notes.md", force=True)
    with pytest.raises(ValueError, match="not available"):
        run_job(TrainConfig(device="cuda:7"))


def test_missing_data_is_a_data_error_that_asks_for_a_folder(tmp_path):
    with pytest.raises(DataError) as error:
        run_job(TrainConfig(data_dir=str(tmp_path)), download=False)
    assert error.value.folder_hint and "MNIST is not in" in str(error.value)


def test_a_stop_during_loading_ends_the_job_with_nothing_saved(fake_dir):
    stop = threading.Event()
    stop.set()
    result = run_job(TrainConfig(epochs=1, data_dir=fake_dir), stop=stop, download=False)
    assert result.stopped and result.checkpoint is None and result.history == []
    assert not models_dir().exists() or not any(models_dir().iterdir())
