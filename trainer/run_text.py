"""The words and figures of a training run (its epochs, its duration, a warning for a weak model), shared by the
terminal and the window so both say the same thing."""

from __future__ import annotations

from .config import EpochEnd, Steered

# Below this a model is a quick try, not something to read digits with: 60,000 images for one epoch give ~98.5%.
USEFUL_ACCURACY = 0.97


def format_duration(seconds: float) -> str:
    """45s, 3m07s, 1h02m."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def count_of(count: int, noun: str) -> str:
    """ "1 image", "2,000 images": a count and its noun, plural unless it is one (nouns that add an s)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def epoch_line(event: EpochEnd, epochs: int) -> str:
    """A Keras-like summary of one epoch."""
    return (f"epoch {event.epoch:>2}/{epochs}  train loss {event.train_loss:.4f} acc {event.train_accuracy:6.2%}  "
            f"test loss {event.test_loss:.4f} acc {event.test_accuracy:6.2%}  lr {event.lr:.4f}  "
            f"{event.seconds:.1f}s")


def weak_model_note(test_accuracy: float, train_images: int, epochs: int) -> str | None:
    """A warning for a model too weak to be worth using (a quick try on a few images), else None."""
    if test_accuracy >= USEFUL_ACCURACY:
        return None
    return (f"This model reads only {test_accuracy:.1%} of the test set: it trained on "
            f"{count_of(train_images, 'image')} for {count_of(epochs, 'epoch')}. Train on more images, for more "
            f"epochs, for a model worth reading digits with.")


def steering_text(change: Steered) -> str:
    """A change made while the run trained, in words: "learning rate x0.5 of the schedule"."""
    value = change.value
    if change.what == "lr_multiplier":
        return f"learning rate x{value:g} of the schedule"
    if change.what == "augment":
        return "augmentation on" if value else "augmentation off"
    if change.what == "epochs":
        return f"one more epoch: {value} in all"
    if change.what == "resume":
        return f"resumed after {format_duration(value)}" if value is not None else "resumed"
    return "paused" if change.what == "pause" else change.what


def steering_line(change: Steered) -> str:
    """Where and what: "epoch 2, batch 5: augmentation off"."""
    return f"epoch {change.epoch}, batch {change.batch}: {steering_text(change)}"
