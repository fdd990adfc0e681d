"""Typeset and drawn digits added to the training images (`--extra-digits`): what they are and how many."""

import numpy as np
import pytest
import torch

from trainer.data import LabelledImages
from trainer.digit_pool import digit_pool, with_extra_digits
from trainer.synth.typefaces import HELD_OUT, digit_fonts

pytestmark = pytest.mark.slow  # the pool is made once a session: a few seconds


def test_the_pool_holds_every_digit_in_typefaces_and_drawn_and_none_of_the_held_out_typefaces():
    pool = digit_pool()
    counts = torch.bincount(pool.labels, minlength=10)
    assert len(counts) == 10 and int(counts.min()) > 300
    assert pool.images.shape[1:] == (1, 28, 28) and 0 <= float(pool.images.min()) and float(pool.images.max()) <= 1
    trained_on = digit_fonts()
    assert trained_on and not any(font.name.startswith(HELD_OUT) for font in trained_on)
    assert digit_fonts(held_out=True)  # kept for the battery's "typefaces never trained on"
    # each picture is a digit in MNIST's form: ink centred in the 28x28 field
    mass = pool.images.sum(dim=(1, 2, 3))
    assert float(mass.min()) > 5


def test_extra_digits_are_a_share_of_the_training_images_with_their_labels():
    train = LabelledImages(torch.zeros(1000, 1, 28, 28), torch.full((1000,), 3))
    assert with_extra_digits(train, 0.0) is train
    mixed = with_extra_digits(train, 0.16, seed=1)
    assert len(mixed) == 1160 and torch.equal(mixed.images[:1000], train.images)
    extra_labels = mixed.labels[1000:]
    assert len(set(extra_labels.tolist())) == 10  # all ten digits, not the training set's 3s
    again = with_extra_digits(train, 0.16, seed=1)
    assert torch.equal(again.images, mixed.images)  # the same run gets the same digits
    pool = digit_pool()
    matches = [(pool.images == image).all(dim=(1, 2, 3)) for image in mixed.images[1000:1010]]
    assert all(bool(match.any()) for match in matches)  # they are the pool's own pictures
    assert np.isclose(len(with_extra_digits(train, 1.0)), 2000)
