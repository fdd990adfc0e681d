"""The checkpoint the app starts with: the seed Net, trained at the default settings, >=99.4% on MNIST's test set."""

from digitpad import builtin_checkpoint_path
from trainer.checkpoint import load_checkpoint
from trainer.engine import TrainConfig, evaluate


def test_the_shipped_checkpoint_scores_at_least_99_4_percent_on_the_full_test_set(mnist):
    _, test = mnist
    checkpoint = load_checkpoint(builtin_checkpoint_path())
    assert len(test) == 10_000
    result = evaluate(checkpoint.model, test)
    assert result.accuracy >= 0.994
    assert abs(result.accuracy - checkpoint.test_accuracy) < 1e-4  # its metadata tells the truth


def test_the_shipped_checkpoint_records_how_it_was_made():
    meta = load_checkpoint(builtin_checkpoint_path()).meta
    assert meta["model"] == "seed" and meta["parameters"] == 17_504
    assert meta["epochs_completed"] == meta["epochs"] == 20 and not meta["stopped_early"]
    defaults = TrainConfig()
    settings = meta["settings"]
    assert (settings["batch_size"], settings["lr"], settings["augment"], settings["train_limit"]) == (
        defaults.batch_size, defaults.lr, defaults.augment, None)
    assert len(meta["history"]) == 20
