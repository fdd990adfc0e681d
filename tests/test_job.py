"""The training job both front ends call: where the checkpoint goes, its name, and the checks before any work."""

import threading

import pytest

from trainer.checkpoint import load_checkpoint
from trainer.config import ConfigError, TrainConfig
from trainer.data import DataError
from trainer.job import run_job
from trainer.paths import models_dir


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


@pytest.mark.parametrize("settings, words", [
    ({"epochs": 0}, "number of epochs"), ({"batch_size": 0}, "batch size"), ({"lr": 0.0}, "learning rate"),
    ({"lr": float("nan")}, "learning rate"), ({"ema_decay": 1.0}, "EMA decay"), ({"train_limit": 0}, "training set"),
    ({"label_smoothing": -0.1}, "abel smoothing"), ({"precision": "fp8"}, "precision"),
    ({"low_resolution": 1.5}, "low-resolution share"),
])
def test_settings_no_run_can_use_are_refused_before_it_starts(fake_dir, tmp_path, settings, words):
    # Moved from test_engine.py: the job's entry is where settings are checked, once, for the engine.
    events = []
    with pytest.raises(ConfigError, match=words):
        run_job(TrainConfig(**settings, data_dir=fake_dir), out=tmp_path / "x.pt", on_event=events.append,
                download=False)
    assert events == [] and not (tmp_path / "x.pt").exists()


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


def test_the_settings_are_checked_once_per_job(fake_dir, tmp_path, monkeypatch):
    checked = []
    check = TrainConfig.check

    def counted(config):
        checked.append(config)
        return check(config)
    monkeypatch.setattr(TrainConfig, "check", counted)
    run_job(TrainConfig(epochs=1, data_dir=fake_dir), out=tmp_path / "once.pt", download=False)
    assert len(checked) == 1  # at the job's entry; the engine takes them as checked


def test_every_epoch_is_saved_as_it_ends_and_the_final_save_adds_the_calibration(fake_dir, tmp_path):
    seen = []

    def on_epoch_model(epoch, model):  # called after the job saved the epoch
        seen.append((epoch, load_checkpoint(tmp_path / "run.pt").meta if epoch else None))

    result = run_job(TrainConfig(epochs=2, data_dir=fake_dir), out=tmp_path / "run.pt", download=False,
                     on_epoch_model=on_epoch_model)
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert [meta["epochs_completed"] for _, meta in seen[1:]] == [1, 2]
    assert "reject" not in seen[2][1]  # an epoch's save; the final one adds "not sure", calibrated
    final = load_checkpoint(result.checkpoint)
    assert final.notes == [] and final.meta["reject"] == result.reject and result.reject is not None


def test_a_run_diverging_after_a_saved_epoch_says_where_that_epoch_is_kept(fake_dir, tmp_path, monkeypatch):
    import trainer.engine as engine

    test_epoch = engine._test_epoch

    def diverging_at_epoch_2(run, config, epoch, *args):
        if epoch == 2:
            raise engine.Diverged("the end of epoch 2", float("nan"), config.lr)
        return test_epoch(run, config, epoch, *args)
    monkeypatch.setattr(engine, "_test_epoch", diverging_at_epoch_2)
    with pytest.raises(engine.Diverged, match=r"The last complete epoch is kept in .*kept\.pt\. Lower"):
        run_job(TrainConfig(epochs=3, data_dir=fake_dir), out=tmp_path / "kept.pt", download=False)
    assert load_checkpoint(tmp_path / "kept.pt").meta["epochs_completed"] == 1
