"""One run per checkpoint file: a second run writing the file a live run writes is refused at once, naming the
first, and runs that would share a default name (same model, same second) get names of their own."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from trainer.checkpoint import load_checkpoint, rename_with_accuracy, save_checkpoint
from trainer.config import EpochEnd, TrainConfig
from trainer.job import run_job
from trainer.locks import OutputBusy, OutputLock, lock_path
from trainer.model import build_model

from .commands import run_trainer

HISTORY = [EpochEnd(1, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0)]


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def must_not_load(*args, **kwargs):
    raise AssertionError("MNIST was read although the output is taken")


@pytest.mark.slow  # a subprocess
def test_a_second_train_writing_the_same_out_is_refused_and_the_first_runs_on(fake_dir, tmp_path):
    """The issue's case: two `trainer train --out same.pt`, both said "checkpoint: same.pt", one model was lost."""
    same = tmp_path / "same.pt"
    log = tmp_path / "first.jsonl"
    first = subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", "--epochs", "500", "--seed", "1", "--data-dir", fake_dir,
         "--no-download", "--out", str(same), "--json-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: log.exists() and log.read_text().strip())  # an epoch saved: same.pt exists
        for extra in ([], ["--force"]):  # --force replaces a finished checkpoint, never one a live run writes
            second = run_trainer("train", "--epochs", "2", "--seed", "2", "--data-dir", fake_dir, "--no-download",
                                 "--out", str(same), *extra, timeout=120)
            assert second.returncode == 1, second.stderr
            [line] = second.stderr.strip().splitlines()
            assert line.startswith(f"trainer: error: --out {same} is being written by a training run in "
                                   f"process {first.pid}")
            assert "command: python -m trainer train --epochs 500 --seed 1" in line and "choose another name" in line
            assert "training on" not in second.stdout  # refused before loading any data
    finally:
        first.send_signal(signal.SIGINT)
        stdout, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr
    assert f"checkpoint: {same}" in stdout
    meta = load_checkpoint(same).meta
    assert meta["settings"]["seed"] == 1 and meta["epochs"] == 500  # the first run's model, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.jsonl", "same.pt"]  # the lock went with it


HOLDER = textwrap.dedent("""
    import sys, time
    from trainer.locks import OutputLock
    OutputLock(sys.argv[1], "training run").acquire()
    print("held", flush=True)
    time.sleep(600)
""")


@pytest.mark.slow  # a subprocess
def test_a_lock_held_by_a_live_process_refuses_and_one_left_by_a_killed_process_does_not(tmp_path):
    target = tmp_path / "model.pt"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusy, match=f"a training run in process {holder.pid}, started .*command: "):
            OutputLock(target).acquire()
    finally:
        holder.kill()  # kill -9: no chance to clean up
        holder.wait()
    assert lock_path(target).exists()  # left behind...
    with OutputLock(target) as lock:   # ...and simply taken over
        assert lock.held
    assert not lock_path(target).exists()


def test_the_same_file_named_two_ways_is_one_lock(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    with OutputLock(tmp_path / "m.pt"):
        with pytest.raises(OutputBusy, match="a run in this same program"):
            OutputLock("../sub/../m.pt").acquire()


def test_a_job_in_this_program_refuses_a_file_another_job_here_writes(tmp_path, monkeypatch):
    """The Train tab and fine-tuning run their jobs in threads of the app: the lock holds between them too."""
    monkeypatch.setattr("trainer.job.load_mnist", must_not_load)
    with OutputLock(tmp_path / "mine.pt", "fine-tuning run"):
        for force in (False, True):
            with pytest.raises(OutputBusy, match=f"being written by a fine-tuning run in this same "
                                                 f"program \\(process {os.getpid()}\\)"):
                run_job(TrainConfig(epochs=1), out=tmp_path / "mine.pt", force=force)
    assert list(tmp_path.iterdir()) == []


def test_runs_started_in_the_same_second_get_a_name_each(fake_dir, tmp_path, monkeypatch):
    same_second = tmp_path / "seed-20261203-084500.pt"
    monkeypatch.setattr("trainer.job.default_checkpoint_path", lambda config: same_second)
    with OutputLock(same_second, "training run"):  # the Train tab's run, still going
        result = run_job(TrainConfig(epochs=1, data_dir=fake_dir), download=False)
    assert result.checkpoint.name == f"seed-20261203-084500-2-{result.final.test_accuracy * 100:.2f}.pt"
    assert sorted(tmp_path.iterdir()) == [result.checkpoint]


def test_renaming_with_the_accuracy_never_takes_a_name_a_live_run_writes(tmp_path):
    path = save_checkpoint(tmp_path / "seed-1.pt", build_model(), TrainConfig(), HISTORY)
    (tmp_path / "seed-1-95.00.pt").write_bytes(b"a finished model")
    with OutputLock(tmp_path / "seed-1-95.00-2.pt"):  # a run with --out this name, before its first save
        final = rename_with_accuracy(path, 0.95)
    assert final == tmp_path / "seed-1-95.00-3.pt" and load_checkpoint(final).test_accuracy == 0.95
    assert (tmp_path / "seed-1-95.00.pt").read_bytes() == b"a finished model"


@pytest.mark.slow  # a subprocess
def test_a_save_clears_lock_files_left_by_killed_runs_and_keeps_live_ones(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "killed.pt")], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with OutputLock(tmp_path / "live.pt") as live:
        save_checkpoint(tmp_path / "other.pt", build_model(), TrainConfig(), HISTORY)
        assert not lock_path(tmp_path / "killed.pt").exists() and lock_path(tmp_path / "live.pt").exists()
        with pytest.raises(OutputBusy):
            OutputLock(tmp_path / "live.pt").acquire()
    assert not live.held and sorted(p.name for p in tmp_path.iterdir()) == ["other.pt"]
