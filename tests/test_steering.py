"""Steering a run (trainer/steering.py): the request box alone, the schedule stretched by one more epoch, the
engine applying each change at the batch it was asked before, the metadata recording it, and a replay (in the
engine and by `trainer train --steering`) making the same weights."""

import threading
import time

import pytest
import torch

from trainer import batches, engine
from trainer.checkpoint import load_checkpoint
from trainer.config import BatchEnd, EpochEnd, Steered, TrainConfig
from trainer.data import load_mnist
from trainer.engine import train
from trainer.job import run_job
from trainer.sgd import OneCycle
from trainer.steering import Steering, StretchedSchedule, parse_changes

from .commands import run_trainer

BATCHES = 10  # 640 fake images, batches of 64
CONFIG = TrainConfig(epochs=2, batch_size=64, seed=3, outlier_batch=0, validation_images=0)


@pytest.fixture(scope="module")
def fake(fake_mnist):
    return load_mnist(fake_mnist(640, 200), download=False)


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(b.state_dict()[name], tensor) for name, tensor in a.state_dict().items())


# ----- the request box alone ------------------------------------------------------------------------------------
def test_requests_from_another_thread_are_applied_in_order_at_the_position_asked():
    steering = Steering()
    steering.start(2)
    asking = threading.Thread(target=lambda: (steering.set_lr_multiplier(2.5), steering.set_augment(False),
                                              steering.one_more_epoch()))
    asking.start()
    asking.join()
    assert list(steering.changes(1, 1, threading.Event())) == [
        Steered("lr_multiplier", 1, 1, 2.5), Steered("augment", 1, 1, False), Steered("epochs", 1, 1, 3)]
    assert (steering.lr_multiplier, steering.augment, steering.epochs) == (2.5, False, 3)
    assert list(steering.changes(1, 2, threading.Event())) == []  # each request is applied once
    assert steering.meta()["epochs"] == 3 and len(steering.meta()["steering"]) == 3
    assert Steering().meta() == {}  # an unsteered run's metadata is as before


@pytest.mark.parametrize("multiplier", [0.05, 3.5, float("nan")])
def test_a_multiplier_out_of_range_is_refused_in_words(multiplier):
    with pytest.raises(ValueError, match="multiplier must be from 0.1 to 3"):
        Steering().set_lr_multiplier(multiplier)


def test_a_pause_waits_without_using_the_cpu_until_resumed_and_a_stop_ends_it():
    steering, stop = Steering(), threading.Event()
    steering.pause()
    applied = steering.changes(2, 5, stop)
    assert next(applied) == Steered("pause", 2, 5, None)
    threading.Timer(0.6, steering.resume).start()
    threading.Timer(0.3, lambda: steering.set_lr_multiplier(0.5)).start()  # asked while paused
    cpu, wall = time.thread_time(), time.perf_counter()
    rest = list(applied)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    assert 0.55 < wall < 1.5 and cpu < 0.1, (wall, cpu)  # waited, and not in a busy loop
    assert [c.what for c in rest] == ["resume", "lr_multiplier"] and rest[0].value == pytest.approx(wall, abs=0.1)
    assert steering.paused_seconds == pytest.approx(wall, abs=0.1)

    steering.pause()
    applied = steering.changes(3, 1, stop)
    next(applied)
    threading.Timer(0.2, stop.set).start()
    started = time.perf_counter()
    assert list(applied) == []  # stopped: no resume, and the run's stop check ends it
    assert time.perf_counter() - started < 0.2 + 0.3


def test_recorded_changes_are_checked_and_a_replay_leaves_the_pauses_out():
    recorded = [{"what": "pause", "epoch": 1, "batch": 2, "value": None},
                {"what": "augment", "epoch": 1, "batch": 4, "value": False},
                {"what": "lr_multiplier", "epoch": 2, "batch": 1, "value": 0.5}]
    replay = Steering.replaying(parse_changes(recorded, "run.json"))
    replay.start(2)
    stop = threading.Event()
    assert [list(replay.changes(1, batch, stop)) for batch in (1, 2, 3)] == [[], [], []]
    assert list(replay.changes(1, 4, stop)) == [Steered("augment", 1, 4, False)]
    assert list(replay.changes(2, 1, stop)) == [Steered("lr_multiplier", 2, 1, 0.5)]
    for bad, words in [({"what": "speed", "epoch": 1, "batch": 1}, "one of lr_multiplier"),
                       ({"what": "augment", "epoch": 0, "batch": 1, "value": True}, "whole numbers from 1"),
                       ({"what": "lr_multiplier", "epoch": 1, "batch": 1, "value": 9}, "from 0.1 to 3"),
                       ({"what": "augment", "epoch": 1, "batch": 1, "value": "no"}, "true or false"),
                       ({"what": "pause", "epoch": 1, "batch": 1, "value": None, "note": "x"}, "not 'note'"),
                       ({"what": "epochs", "epoch": 3, "batch": 1, "value": 2}, "from the epoch it was made in"),
                       ({"what": "epochs", "epoch": 1, "batch": 1, "value": 10**9}, "to 10000")]:
        with pytest.raises(ValueError, match=words):
            parse_changes([bad], "run.json")
    with pytest.raises(ValueError, match="holds no list of changes"):
        parse_changes({"what": "augment"}, "run.json")


def test_one_more_epoch_stretches_the_rest_of_the_schedule_without_a_jump():
    base = OneCycle(0.1, 30, pct_start=0.2)
    schedule = StretchedSchedule(base, 30)
    assert [schedule.at(step) for step in range(30)] == [base.at(step) for step in range(30)]  # untouched: as before
    before = schedule.at(20)[0]
    schedule.extend_to(20, 40)
    assert schedule.at(20)[0] == pytest.approx(before)  # the rate where it was asked is unchanged
    rates = [schedule.at(step)[0] for step in range(20, 40)]
    assert rates == sorted(rates, reverse=True) and rates[-1] == pytest.approx(base.at(29)[0])  # ends annealed


# ----- the engine -----------------------------------------------------------------------------------------------
def steered_run(fake, monkeypatch):
    """A run steered as a person would, from its events: x0.5 after batch 3, augmentation off after batch 6,
    one more epoch after the second epoch. Returns (result, events, augmented batches)."""
    steering, events, augmented, calls = Steering(), [], [], []
    real_augment = batches.augment_batch
    monkeypatch.setattr(batches, "augment_batch", lambda *a, **k: calls.append(1) or real_augment(*a, **k))

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd):
            augmented.append((event.epoch, event.batch, len(calls)))
            calls.clear()
            if (event.epoch, event.batch) == (1, 3):
                steering.set_lr_multiplier(0.5)
            elif (event.epoch, event.batch) == (1, 6):
                steering.set_augment(False)
        elif isinstance(event, EpochEnd) and event.epoch == 2:
            steering.one_more_epoch()

    return train(CONFIG, *fake, on_event=on_event, steering=steering), events, augmented


def test_the_engine_applies_each_change_at_the_next_batch_and_a_replay_makes_the_same_weights(fake, monkeypatch):
    steered, events, augmented = steered_run(fake, monkeypatch)
    changes = [e for e in events if isinstance(e, Steered)]
    assert changes == [Steered("lr_multiplier", 1, 4, 0.5), Steered("augment", 1, 7, False),
                       Steered("epochs", 3, 1, 3)]
    assert steered.steering == changes and steered.epochs == 3
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2, 3]  # one more than set
    assert [(e, b) for e, b, n in augmented if n] == [(1, b) for b in range(1, 7)]  # off from batch 7 on
    # The next event after each change is the batch it was applied before.
    for change in changes[:2]:
        following = events[events.index(change) + 1]
        assert (following.epoch, following.batch) == (change.epoch, change.batch)
    plain = train(CONFIG, *fake)
    assert steered.history[0].lr == pytest.approx(0.5 * plain.history[0].lr, rel=1e-9)
    assert not same_weights(steered.model, plain.model)

    replayed = train(CONFIG, *fake, steering=Steering.replaying(steered.steering))
    assert replayed.steering == steered.steering and len(replayed.history) == 3
    assert same_weights(steered.model, replayed.model)
    assert [e.test_accuracy for e in replayed.history] == [e.test_accuracy for e in steered.history]


def test_an_unsteered_run_is_unchanged_by_an_idle_steering(fake):
    a = train(CONFIG, *fake)
    b = train(CONFIG, *fake, steering=Steering())
    assert same_weights(a.model, b.model) and b.steering == [] and b.epochs == 2


def test_a_paused_run_trains_no_batch_until_resumed_and_stop_ends_it_while_paused(fake):
    steering, stop, events = Steering(), threading.Event(), []
    steering.pause()  # asked before it starts: it pauses before the first batch
    runner = threading.Thread(target=lambda: events.append(
        train(CONFIG, *fake, on_event=events.append, steering=steering, stop=stop)))
    runner.start()
    time.sleep(1.0)
    assert not any(isinstance(e, BatchEnd) for e in events)
    assert [e for e in events if isinstance(e, Steered)] == [Steered("pause", 1, 1, None)]
    asked = time.perf_counter()
    stop.set()
    runner.join(5)
    assert not runner.is_alive() and time.perf_counter() - asked < 1
    assert events[-1].stopped and events[-1].history == []


# ----- the job's metadata and the replay command ------------------------------------------------------------------
@pytest.mark.slow
def test_the_checkpoint_records_the_changes_and_trainer_train_steering_repeats_them(fake_dir, tmp_path):
    config = TrainConfig(epochs=1, batch_size=32, seed=4, data_dir=fake_dir)
    steering = Steering()
    steering.set_lr_multiplier(2.0)
    seen = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, BatchEnd) and (event.epoch, event.batch) == (1, 2):
            steering.set_augment(False)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            steering.one_more_epoch()

    result = run_job(config, tmp_path / "steered.pt", on_event=on_event, steering=steering)
    saved = load_checkpoint(result.checkpoint)
    assert saved.meta["steering"] == [{"what": "lr_multiplier", "epoch": 1, "batch": 1, "value": 2.0},
                                      {"what": "augment", "epoch": 1, "batch": 3, "value": False},
                                      {"what": "epochs", "epoch": 2, "batch": 1, "value": 2}]
    assert saved.meta["epochs"] == 2 and saved.meta["epochs_completed"] == 2 and not saved.meta["stopped_early"]
    assert saved.meta["settings"]["epochs"] == 1  # the settings as given: the replay adds the epoch again

    out = tmp_path / "replayed.pt"
    command = run_trainer("train", "--epochs", "1", "--batch-size", "32", "--seed", "4", "--data-dir", fake_dir,
                          "--no-download", "--out", str(out), "--steering", str(result.checkpoint))
    assert command.returncode == 0, command.stderr
    assert "was trained with" not in command.stderr  # the same settings: no note (the held-out count the job cut
    # for the small set is not a setting of the run's, so it is not compared)
    assert "steering at epoch 2, batch 1: one more epoch: 2 in all" in command.stdout
    assert "done: 2 of 2 epochs" in command.stdout
    replayed = load_checkpoint(out)
    assert same_weights(saved.model, replayed.model) and replayed.meta["steering"] == saved.meta["steering"]
    info = run_trainer("info", str(out))
    assert "epoch 1, batch 3: augmentation off" in info.stdout

    other = run_trainer("train", "--epochs", "1", "--batch-size", "32", "--seed", "5", "--data-dir", fake_dir,
                        "--no-download", "--out", str(tmp_path / "x.pt"), "--steering", str(result.checkpoint),
                        "--train-limit", "1")
    assert "was trained with --seed 4 (here 5)" in other.stderr
    assert "1 recorded change (epoch 1, batch 3) could not be made at that batch" in other.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('[{"what": "lr_multiplier", "epoch": 1, "batch": 1, "value": 30}]')
    refused = run_trainer("train", "--data-dir", fake_dir, "--no-download", "--steering", str(bad))
    assert refused.returncode == 1 and "from 0.1 to 3" in refused.stderr and str(bad) in refused.stderr
