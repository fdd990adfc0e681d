import pytest
import torch

from trainer.checkpoint import load_checkpoint
from trainer.data import MnistSplit
from trainer.engine import BatchEnd, EpochEnd, TrainConfig, TrainingRun


def subset(split: MnistSplit, n: int) -> MnistSplit:
    return MnistSplit(split.images[:n], split.labels[:n])


def test_two_epochs_on_a_few_thousand_real_images_learn(mnist, tmp_path):
    train, test = mnist
    events = []
    config = TrainConfig(epochs=2, train_limit=3000, seed=0)
    result = TrainingRun(config, subset(train, 3000), test, on_event=events.append,
                         checkpoint_path=tmp_path / "run.pt").run()
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert len(batches) == 2 * 24  # ceil(3000 / 128) per epoch
    assert epochs[1].train_loss < epochs[0].train_loss
    assert epochs[1].test_accuracy > 0.85  # from 10% by chance, on all 10,000 test images
    assert not result.stopped and result.best.test_accuracy == max(e.test_accuracy for e in epochs)
    saved = load_checkpoint(tmp_path / "run.pt")
    assert saved.meta["epochs_completed"] == 2
    assert saved.test_accuracy == pytest.approx(result.best.test_accuracy)


def test_stop_from_the_callback_ends_the_run_within_one_batch(mnist, tmp_path):
    train, test = mnist
    seen = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, BatchEnd) and event.epoch == 2 and event.batch == 3:
            run.stop()

    run = TrainingRun(TrainConfig(epochs=5, seed=0), subset(train, 1000), test, on_event=on_event,
                      checkpoint_path=tmp_path / "stopped.pt")
    result = run.run()
    assert result.stopped
    last = seen[-1]
    assert isinstance(last, BatchEnd) and (last.epoch, last.batch) == (2, 3)
    # The best (only) completed epoch is kept, and the checkpoint says the run stopped early.
    meta = load_checkpoint(tmp_path / "stopped.pt").meta
    assert meta["epochs_completed"] == 1 and meta["stopped_early"]
    assert result.model is not None and not result.model.training


def test_stop_before_the_first_epoch_leaves_no_checkpoint(mnist, tmp_path):
    train, test = mnist
    run = TrainingRun(TrainConfig(epochs=1), subset(train, 1000), test, checkpoint_path=tmp_path / "none.pt")
    run.stop()
    result = run.run()
    assert result.stopped and result.history == [] and result.model is None
    assert not (tmp_path / "none.pt").exists()


def test_same_seed_same_numbers_other_seed_other_numbers(mnist):
    train, test = mnist
    small_train, small_test = subset(train, 600), subset(test, 500)

    def history(seed):
        result = TrainingRun(TrainConfig(epochs=1, seed=seed), small_train, small_test).run()
        return [(e.train_loss, e.test_loss, e.test_accuracy) for e in result.history], result.model

    first, first_model = history(3)
    again, again_model = history(3)
    other, _ = history(4)
    assert first == again
    for a, b in zip(first_model.state_dict().values(), again_model.state_dict().values()):
        assert torch.equal(a, b)
    assert first != other


@pytest.mark.parametrize("n_images", [1, 130, 600])
def test_tiny_runs_of_a_few_batches_train_without_error(mnist, n_images):
    train, test = mnist
    result = TrainingRun(TrainConfig(epochs=1), subset(train, n_images), subset(test, 100)).run()
    assert len(result.history) == 1


def test_a_stop_during_the_test_pass_does_not_wait_for_it(mnist, tmp_path):
    train, test = mnist
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.batch == event.batches:
            run.stop()  # the test pass of epoch 1 comes next

    run = TrainingRun(TrainConfig(epochs=2), subset(train, 500), test, on_event=on_event,
                      checkpoint_path=tmp_path / "x.pt")
    result = run.run()
    assert result.stopped and result.history == []
    assert not any(isinstance(event, EpochEnd) for event in events)  # the half-tested epoch is dropped
    assert not (tmp_path / "x.pt").exists()
