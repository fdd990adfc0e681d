"""The `trainer` command, run as a user runs it: in a subprocess. On the small fake set, but for one real run."""

import json
import signal
import subprocess
import sys
import time

import pytest

from trainer.checkpoint import load_checkpoint
from trainer.run_text import weak_model_note

from .commands import run_trainer

pytestmark = pytest.mark.slow  # every test runs `trainer` in a subprocess


@pytest.fixture(scope="module")
def trained(fake_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    result = run_trainer("train", "--epochs", "2", "--data-dir", fake_dir, "--no-download",
                     "--out", str(out / "seed.pt"), "--json-log", str(out / "log.jsonl"))
    return result, out


def test_train_writes_a_checkpoint_a_json_log_and_a_summary(trained):
    result, out = trained
    assert result.returncode == 0, result.stderr
    assert "epoch  1/2" in result.stdout and "test loss" in result.stdout
    assert f"checkpoint: {out / 'seed.pt'}" in result.stdout
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [1, 2] and all(0 <= e["test_accuracy"] <= 1 for e in log)
    meta = load_checkpoint(out / "seed.pt").meta
    assert meta["test_accuracy"] == log[-1]["test_accuracy"]  # the final epoch's: the saved model's
    assert f"test accuracy of the saved model {log[-1]['test_accuracy']:.2%}" in result.stdout


def test_a_quick_try_is_called_what_it_is(trained):
    result, _ = trained
    # 42 of the 256 are held out for validation
    assert "This model reads only" in result.stdout and "trained on 214 images for 2 epochs" in result.stdout


def test_the_settings_saved_say_how_many_images_were_held_out_not_how_many_were_asked_for(trained):
    # 5,000 asked for (the default), but the 256-image set gives up at most a sixth of its images.
    _, out = trained
    assert load_checkpoint(out / "seed.pt").meta["settings"]["validation_images"] == 42


def test_more_validation_images_than_can_be_held_out_are_refused():
    result = run_trainer("train", "--validation-images", "60000")
    assert result.returncode == 1 and result.stderr.startswith("trainer: error: ")
    assert "from 0 to 10,000" in result.stderr and "not 60000" in result.stderr


def test_an_out_in_a_folder_that_does_not_exist_is_refused_and_no_folder_is_made(tmp_path):
    result = run_trainer("train", "--out", str(tmp_path / "no" / "such" / "m.pt"), "--data-dir", str(tmp_path),
                     "--no-download")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"the folder {tmp_path / 'no'} does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_train_without_out_names_the_file_after_model_date_and_accuracy(fake_dir, tmp_path):
    result = run_trainer("train", "--epochs", "1", "--data-dir", fake_dir, "--no-download",
                     env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    saved = list((tmp_path / "digitpad" / "models").glob("seed-*.pt"))
    assert len(saved) == 1
    accuracy = load_checkpoint(saved[0]).test_accuracy
    assert saved[0].name.endswith(f"-{accuracy * 100:.2f}.pt")
    assert str(saved[0]) in result.stdout


def test_eval_reports_accuracy_per_class_and_confusion(trained, fake_dir):
    _, out = trained
    result = run_trainer("eval", str(out / "seed.pt"), "--data-dir", fake_dir, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    confusion = report["confusion_matrix"]
    assert sum(map(sum, confusion)) == report["images"] == 64
    assert report["accuracy"] == pytest.approx(sum(confusion[d][d] for d in range(10)) / 64)
    assert report["accuracy"] == pytest.approx(load_checkpoint(out / "seed.pt").test_accuracy)
    assert len(report["per_class_accuracy"]) == len(report["per_class_precision"]) == 10
    text = run_trainer("eval", str(out / "seed.pt"), "--data-dir", fake_dir)
    assert "confusion matrix" in text.stdout and "precision" in text.stdout


def test_info_prints_the_layer_table_and_checkpoint_metadata(trained):
    _, out = trained
    plain = run_trainer("info")
    assert plain.returncode == 0
    assert "total trainable parameters: 17,504" in plain.stdout
    assert "32x5x5" in plain.stdout and "AdaptiveAvgPool2d" in plain.stdout
    with_checkpoint = run_trainer("info", str(out / "seed.pt"))
    assert "Test accuracy" in with_checkpoint.stdout and "epochs=2" in with_checkpoint.stdout
    assert "epoch  2/2" in with_checkpoint.stdout


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["info"]])
def test_every_command_has_help(command):
    result = run_trainer(*command, "--help")
    assert result.returncode == 0 and "usage: trainer" in result.stdout


def test_errors_are_one_line_and_exit_non_zero(tmp_path):
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    for args in (["eval", str(tmp_path / "missing.pt")], ["info", str(tmp_path / "junk.pt")],
                 ["train", "--data-dir", str(tmp_path / "empty"), "--no-download"],
                 ["train", "--batch-size", "0"], ["train", "--epochs", "0"], ["train", "--lr", "0"],
                 ["train", "--device", "tpu"], ["train", "--lr", "nan"], ["train", "--out", str(tmp_path)],
                 ["train", "--validation-images", "60000"], ["train", "--out", str(tmp_path / "none" / "m.pt")],
                 ["info", str(tmp_path)]):
        result = run_trainer(*args)
        assert result.returncode == 1, args
        assert result.stderr.startswith("trainer: error: ") and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr


def test_missing_data_says_how_to_point_elsewhere_in_the_terminals_words(tmp_path):
    result = run_trainer("train", "--data-dir", str(tmp_path), "--no-download")
    assert "--data-dir DIR" in result.stderr and "DIGITPAD_DATA" in result.stderr


def test_ctrl_c_stops_cleanly_and_keeps_the_last_complete_epoch(fake_dir, tmp_path):
    log = tmp_path / "log.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", "--epochs", "500", "--data-dir", fake_dir, "--no-download",
         "--out", str(tmp_path / "kept.pt"), "--json-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "stopped:" in stdout and "Traceback" not in stderr
    meta = load_checkpoint(tmp_path / "kept.pt").meta
    assert 1 <= meta["epochs_completed"] < 500 and meta["stopped_early"]
    assert meta["epochs_completed"] == len(log.read_text().splitlines())


def test_a_short_run_on_real_mnist(mnist_dir, tmp_path):
    result = run_trainer("train", "--epochs", "2", "--train-limit", "3000", "--data-dir", str(mnist_dir),
                     "--out", str(tmp_path / "real.pt"))
    assert result.returncode == 0, result.stderr
    assert load_checkpoint(tmp_path / "real.pt").test_accuracy > 0.8


def test_a_reader_that_stops_reading_ends_the_command_quietly(trained, fake_dir):
    # `trainer eval CKPT --json | head`: the pipe's reader is gone before the report is written.
    _, out = trained
    process = subprocess.Popen([sys.executable, "-m", "trainer", "eval", str(out / "seed.pt"), "--data-dir",
                                fake_dir, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert error == ""  # neither "trainer: error: [Errno 32] Broken pipe" nor "Exception ignored ..."


def test_info_lists_no_dropout_layer_for_a_model_trained_without_dropout(trained):
    _, out = trained  # trained with the default dropout, 0
    for args in (["info"], ["info", str(out / "seed.pt")]):
        result = run_trainer(*args)
        assert result.returncode == 0, result.stderr
        assert "Dropout2d" not in result.stdout and "BatchNorm2d" in result.stdout
        assert "features.5" in result.stdout and "16x11x11" in result.stdout


def test_one_image_and_one_epoch_are_said_in_the_singular():
    assert "it trained on 1 image for 1 epoch. " in weak_model_note(0.1, 1, 1)
    assert "it trained on 2,000 images for 2 epochs. " in weak_model_note(0.1, 2000, 2)
