"""The training engine on the small fake set (fast), and once on a few thousand real MNIST digits."""

import dataclasses
import threading

import pytest
import torch

from trainer import batches, engine
from trainer.checkpoint import load_checkpoint, save_checkpoint
from trainer.config import BatchEnd, ConfigError, EpochEnd, RunStarted, TrainConfig
from trainer.data import load_mnist
from trainer.engine import Diverged, train
from trainer.finetune import FinetuneSettings


@pytest.fixture(scope="module")
def fake(fake_mnist):
    return load_mnist(fake_mnist(640, 200), download=False)


def saving_to(path, config):
    """An on_epoch that saves each complete epoch, as the job's does."""
    def on_epoch(model, history):
        if history:
            save_checkpoint(path, model, config, history)
    return on_epoch


def kinds(events):
    return [type(e).__name__ for e in events]


def test_events_come_in_order_and_the_run_learns(fake, tmp_path):
    train_split, test_split = fake
    events = []
    config = TrainConfig(epochs=4, batch_size=64, seed=0)
    result = train(config, train_split, test_split, on_event=events.append,
                   on_epoch=saving_to(tmp_path / "run.pt", config))
    started = events[0]
    assert isinstance(started, RunStarted) and kinds(events).count("RunStarted") == 1
    assert (started.epochs, started.batches, started.train_images, started.test_images) == (4, 10, 640, 200)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    assert [(e.epoch, e.batch) for e in events if isinstance(e, BatchEnd)] == [
        (epoch, batch) for epoch in range(1, 5) for batch in range(1, 11)]
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert epochs[-1].test_accuracy > 0.3  # from 10% by chance
    assert not result.stopped and result.final == epochs[-1]
    saved = load_checkpoint(tmp_path / "run.pt")
    # The saved model is the final one, and its recorded accuracy is the final epoch's, not the best epoch's.
    assert saved.meta["epochs_completed"] == 4 and saved.test_accuracy == epochs[-1].test_accuracy
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(saved.model.state_dict()[name], tensor)


def test_the_epoch_model_callback_sees_the_kept_model_before_training_and_after_each_epoch(fake):
    train_split, test_split = fake[0].head(192), fake[1].head(64)
    seen, order = [], []

    def on_epoch(model, history):
        epoch = len(history)
        seen.append((epoch, threading.current_thread(), model.training,
                     model.features[0][0].weight.detach().clone()))
        order.append(f"model {epoch}")

    def on_event(event):
        if isinstance(event, EpochEnd):
            order.append(f"event {event.epoch}")

    result = train(TrainConfig(epochs=2, batch_size=64, ema_decay=0.9), train_split, test_split, on_event=on_event,
                   on_epoch=on_epoch)
    assert [epoch for epoch, *_ in seen] == [0, 1, 2]
    assert order == ["model 0", "model 1", "event 1", "model 2", "event 2"]  # each snapshot before its event
    assert all(thread is threading.current_thread() and not training for _, thread, training, _ in seen)
    assert torch.equal(seen[-1][3], result.model.features[0][0].weight)  # the kept (averaged) model
    assert not torch.equal(seen[0][3], seen[-1][3])
    # Looking at the model changes nothing: the same run without the callback trains the same weights.
    plain = train(TrainConfig(epochs=2, batch_size=64, ema_decay=0.9), train_split, test_split).model
    for name, tensor in plain.state_dict().items():
        assert torch.equal(result.model.state_dict()[name], tensor), name


def test_the_kept_model_is_the_moving_average_of_the_weights(fake):
    train_split, test_split = fake
    plain = train(TrainConfig(epochs=2, batch_size=64, ema_decay=0.0), train_split, test_split).model
    averaged = train(TrainConfig(epochs=2, batch_size=64, ema_decay=0.9), train_split, test_split).model
    differs = [name for name, tensor in plain.state_dict().items()
               if tensor.is_floating_point() and not torch.allclose(averaged.state_dict()[name], tensor)]
    assert "features.0.0.weight" in differs and "features.0.2.running_mean" in differs
    assert list(averaged.state_dict()) == list(plain.state_dict())  # the EMA is saved as the model's own state


def test_the_last_epochs_train_on_plain_digits(fake, monkeypatch):
    train_split, test_split = fake
    calls = []
    real_augment = batches.augment_batch
    monkeypatch.setattr(batches, "augment_batch", lambda images, generator, **options: calls.append(1) or
                        real_augment(images, generator, **options))
    augmented = {}

    def on_event(event):
        if isinstance(event, EpochEnd):
            augmented[event.epoch] = len(calls)

    train(TrainConfig(epochs=4, batch_size=64, plain_final_epochs=2), train_split, test_split, on_event=on_event)
    assert augmented == {1: 10, 2: 20, 3: 20, 4: 20}  # 10 batches an epoch, augmented in epochs 1 and 2 only


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_low_resolution_scans_join_the_augmentation_when_asked_for(fake, monkeypatch, share):
    train_split, test_split = fake
    shares = []
    real = batches.low_resolution
    monkeypatch.setattr(batches, "low_resolution", lambda images, generator, share: shares.append(share) or
                        real(images, generator, share))
    train(TrainConfig(epochs=2, batch_size=64, plain_final_epochs=1, low_resolution=share), train_split, test_split)
    assert shares == ([share] * 10 if share else [])  # every batch of the augmented epoch, none of the plain one


def test_stop_ends_the_run_within_one_batch_and_keeps_the_last_complete_epoch(fake, tmp_path):
    train_split, test_split = fake
    stop = threading.Event()
    seen = []
    saved_after_epoch_1 = {}

    def on_event(event):
        seen.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            saved_after_epoch_1.update(load_checkpoint(tmp_path / "stopped.pt").model.state_dict())
        if isinstance(event, BatchEnd) and event.epoch == 2 and event.batch == 3:
            stop.set()

    config = TrainConfig(epochs=5, batch_size=64, ema_decay=0.99)
    result = train(config, train_split, test_split, on_event=on_event, stop=stop,
                   on_epoch=saving_to(tmp_path / "stopped.pt", config))
    assert result.stopped and len(result.history) == 1
    assert isinstance(seen[-1], BatchEnd) and (seen[-1].epoch, seen[-1].batch) == (2, 3)
    meta = load_checkpoint(tmp_path / "stopped.pt").meta
    assert meta["epochs_completed"] == 1 and meta["stopped_early"]
    # The model handed back is the saved epoch-1 model, not the EMA moved on by the half epoch after it.
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(saved_after_epoch_1[name], tensor), name
    assert not result.model.training


def test_a_stop_before_the_first_epoch_ends_leaves_no_checkpoint(fake, tmp_path):
    train_split, test_split = fake
    stop = threading.Event()
    stop.set()
    config = TrainConfig(epochs=1)
    result = train(config, train_split, test_split, stop=stop, on_epoch=saving_to(tmp_path / "none.pt", config))
    assert result.stopped and result.history == [] and result.model is None
    assert not (tmp_path / "none.pt").exists()


def test_a_stop_during_the_test_pass_drops_the_half_tested_epoch(fake, tmp_path):
    train_split, test_split = fake
    stop = threading.Event()
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.batch == 10:
            stop.set()  # the test pass of epoch 1 comes next

    config = TrainConfig(epochs=2, batch_size=64)
    result = train(config, train_split, test_split, on_event=on_event, stop=stop,
                   on_epoch=saving_to(tmp_path / "x.pt", config))
    assert result.stopped and result.history == []
    assert not any(isinstance(event, EpochEnd) for event in events)
    assert not (tmp_path / "x.pt").exists()


def test_same_seed_same_numbers_other_seed_other_numbers(fake):
    train_split, test_split = fake

    def run(seed):
        result = train(TrainConfig(epochs=1, batch_size=64, seed=seed), train_split, test_split)
        return [(e.train_loss, e.test_loss, e.test_accuracy) for e in result.history], result.model

    first, first_model = run(3)
    again, again_model = run(3)
    other, _ = run(4)
    assert first == again
    for a, b in zip(first_model.state_dict().values(), again_model.state_dict().values()):
        assert torch.equal(a, b)
    assert first != other


@pytest.mark.parametrize("n_images", [1, 130, 600])
def test_tiny_runs_of_a_few_batches_train_without_error(fake, n_images):
    train_split, test_split = fake
    result = train(TrainConfig(epochs=1), train_split.head(n_images), test_split.head(50))
    assert len(result.history) == 1


def test_a_diverging_run_raises_with_advice_and_saves_nothing(fake, tmp_path):
    train_split, test_split = fake
    config = TrainConfig(epochs=2, lr=1e6)
    with pytest.raises(Diverged, match="Nothing was saved. Lower the learning rate"):
        train(config, train_split, test_split, on_epoch=saving_to(tmp_path / "nan.pt", config))
    assert not (tmp_path / "nan.pt").exists()


@pytest.mark.parametrize("settings", [{"epochs": 0}, {"batch_size": 0}])
def test_settings_that_make_no_run_are_refused_even_unchecked(fake, settings):
    # The engine takes its settings as checked (run_job and run_finetune check them, once, at their entry: their
    # words are tested in test_job.py); a direct caller that skipped the check is told so, not left with a run of
    # nothing or a division by zero.
    train_split, test_split = fake
    events = []
    with pytest.raises(ConfigError, match=r"unchecked settings .* call TrainConfig.check\(\) before training"):
        train(TrainConfig(**settings), train_split, test_split, on_event=events.append)
    assert events == []


def test_two_epochs_on_a_few_thousand_real_digits_learn(mnist):
    train_split, test_split = mnist
    result = train(TrainConfig(epochs=2, seed=0), train_split.head(3000), test_split)
    assert result.history[1].test_accuracy > 0.85  # on all 10,000 real test digits


def test_outliers_join_the_batches_from_their_first_epoch_and_are_not_counted_as_digits(fake, monkeypatch):
    train_split, test_split = fake
    sizes = []
    real_model_call = torch.nn.Module.__call__

    def spy(module, images, *args, **kwargs):
        if module.training and type(module).__name__ == "SeedNet":
            sizes.append(len(images))
        return real_model_call(module, images, *args, **kwargs)
    monkeypatch.setattr(torch.nn.Module, "__call__", spy)
    result = train(TrainConfig(epochs=2, batch_size=64, outlier_batch=8, outlier_start=2), train_split, test_split,
                   outlier_images=torch.rand(40, 1, 28, 28))  # as the job passes its cached pool
    assert sizes == [64] * 10 + [72] * 10  # epoch 1 digits alone; epoch 2 with 8 non-digits a batch
    assert 0 <= result.history[1].train_accuracy <= 1  # measured on the digits only


def test_a_checkpoint_from_before_a_setting_existed_means_what_that_version_did():
    from trainer.config import LEGACY

    old = TrainConfig.from_dict({"epochs": 20, "lr": 0.1})
    assert (old.outlier_batch, old.ema_decay, old.dropout, old.validation_images) == (0, 0.0, 0.1, 0)
    assert TrainConfig.from_dict({"outlier_batch": 16}).outlier_batch == 16 and "outlier_batch" in LEGACY


def test_a_one_epoch_quick_try_reads_the_test_set_as_well_as_it_read_its_training_batches(mnist):
    # 2,000 images make 16 batches: the BatchNorm statistics kept from them described the first batches' weights,
    # and the model read 12% of the test set (chance) after 45% of its training batches.
    train_split, test_split = mnist
    epoch = train(TrainConfig(epochs=1, seed=0), train_split.head(2000), test_split).history[0]
    assert epoch.test_accuracy > 0.5 and epoch.test_accuracy > epoch.train_accuracy


def batchnorm_state(model):
    return {name: tensor.clone() for name, tensor in model.state_dict().items() if "running" in name}


def measured_afresh(model, images):
    import copy

    fresh = copy.deepcopy(model)
    engine.measure_batchnorm(fresh, images, 64)
    return batchnorm_state(fresh)


@pytest.mark.parametrize("ema_decay", [0.999, 0.0])
def test_a_short_runs_batchnorm_statistics_are_those_of_the_weights_kept(fake, ema_decay, monkeypatch):
    train_split, test_split = fake
    config = TrainConfig(epochs=2, batch_size=64, ema_decay=ema_decay, outlier_batch=0)
    short = train(config, train_split, test_split).model  # 20 batches
    expected = measured_afresh(short, train_split.images)
    assert all(torch.allclose(tensor, expected[name], atol=1e-5) for name, tensor in batchnorm_state(short).items())
    # A long run's (SHORT_RUN_BATCHES and more) are not those of the digits as they are: the running averages
    # without an average of the weights; with one, measured on the digits as it trains on them (the next test).
    monkeypatch.setattr(engine, "SHORT_RUN_BATCHES", 0)
    long = train(config, train_split, test_split).model
    expected = measured_afresh(long, train_split.images)
    assert not all(torch.allclose(t, expected[name], atol=1e-5) for name, t in batchnorm_state(long).items())
    # A fine-tune's are the model's it started from, untouched, though its weights moved (at fine-tuning's rate).
    monkeypatch.setattr(engine, "SHORT_RUN_BATCHES", 10_000)
    started = {name: tensor.clone() for name, tensor in short.state_dict().items()}
    tuned = train(dataclasses.replace(config, lr=FinetuneSettings().lr), train_split, test_split,
                  initial_state=started).model
    assert all(torch.equal(t, started[name]) for name, t in batchnorm_state(tuned).items())
    assert not torch.equal(tuned.state_dict()["features.0.0.weight"], started["features.0.0.weight"])


@pytest.mark.parametrize("plain_final_epochs", [0, 1])
def test_a_long_runs_average_has_the_batchnorm_statistics_of_its_weights_on_digits_as_trained(fake, monkeypatch,
                                                                                             plain_final_epochs):
    import copy

    from trainer.outliers import outlier_pool

    train_split, test_split = fake
    monkeypatch.setattr(engine, "SHORT_RUN_BATCHES", 0)  # a long run, on the small set
    config = TrainConfig(epochs=2, batch_size=64, ema_decay=0.999, outlier_batch=8, low_resolution=0.5,
                         dropout=0.1, plain_final_epochs=plain_final_epochs)  # dropout: the global random stream
    measured = train(config, train_split, test_split).model
    with monkeypatch.context() as patch:
        patch.setattr(engine, "_measure_average_batchnorm", lambda *args: None)
        averaged = train(config, train_split, test_split).model
    stats = batchnorm_state(measured)
    weights = {name: t for name, t in measured.state_dict().items()
               if name not in stats and not name.endswith("num_batches_tracked")}  # the measure's count of batches
    # Measuring draws augmentations of its own: training's random streams, and so the weights, are as they were.
    assert all(torch.equal(t, averaged.state_dict()[name]) for name, t in weights.items())
    assert not all(torch.allclose(t, batchnorm_state(averaged)[name], atol=1e-4) for name, t in stats.items())
    # The statistics are the kept weights' on the run's first digits in batches as its last epoch trained them
    # (augmented or, in a plain final epoch, not), 8 outliers after every 64 digits, with the measure's own draw.
    generator = torch.Generator().manual_seed(batches.MEASURING_SEED + config.seed)
    pool, digits = outlier_pool(keep=False), train_split.images[:2048]  # all 640
    as_trained = torch.cat([batches.as_trained(digits[start:start + 64], pool, config, 8, not plain_final_epochs,
                                               generator) for start in range(0, len(digits), 64)])
    expected = copy.deepcopy(measured)
    engine.measure_batchnorm(expected, as_trained, 64 + 8)
    assert all(torch.allclose(t, stats[name], atol=1e-5) for name, t in batchnorm_state(expected).items())
    other = copy.deepcopy(measured)  # the same digits the other way (plain / augmented): other statistics
    engine.measure_batchnorm(other, torch.cat([batches.as_trained(
        digits[start:start + 64], pool, config, 8, bool(plain_final_epochs), torch.Generator().manual_seed(
            batches.MEASURING_SEED)) for start in range(0, len(digits), 64)]), 64 + 8)
    assert not all(torch.allclose(t, stats[name], atol=1e-4) for name, t in batchnorm_state(other).items())


def test_at_most_a_sixth_of_mnists_training_images_can_be_held_out():
    assert TrainConfig(validation_images=10_000).check().validation_images == 10_000
    with pytest.raises(ConfigError, match="validation images must be a whole number from 0 to 10,000"):
        TrainConfig(validation_images=10_001).check()


def test_the_engine_writes_no_file(fake, tmp_path, monkeypatch):
    # Saving is the job's (trainer.job): the engine trains and reports. Every place a file could go by default
    # (the working folder, the per-user folders, the temporary folder) is an empty folder here, and stays empty.
    import tempfile

    work, home = tmp_path / "work", tmp_path / "home"
    for folder in (work, home, home / "tmp"):
        folder.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setattr(tempfile, "tempdir", str(home / "tmp"))
    train_split, test_split = fake
    result = train(TrainConfig(epochs=2, batch_size=64), train_split.head(256), test_split.head(64))
    assert len(result.history) == 2
    assert sorted(tmp_path.rglob("*")) == [home, home / "tmp", work]
