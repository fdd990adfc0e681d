"""The nearest examples in words (digitpad.draw.example_text): the reason a "not sure" or "not a digit" shows."""

from digitpad.draw.example_text import mix, summary
from trainer.neighbours import Neighbour, Typical
from trainer.verdicts import NOT_A_DIGIT, SURE, UNSURE

TYPICAL = Typical(median=20.0, high=30.0, per_label=(20.0,) * 10, sample=1000)


def near(labels, first=10.0):
    return [Neighbour(index=i, label=label, distance=first + i) for i, label in enumerate(labels)]


def test_the_labels_are_counted_in_words_the_most_frequent_first():
    assert mix(near([7] * 8)) == "all 7s"
    assert mix(near([4, 9, 4, 4, 9, 4, 9, 4])) == "five 4s and three 9s"
    assert mix(near([4, 9, 7, 4, 9, 4, 4, 9])) == "four 4s, three 9s and one 7"


def test_a_sure_digit_says_what_its_nearest_are_and_how_near():
    text = summary(near([7] * 8, 12.0), TYPICAL, SURE, 7)
    assert text == ("Its 8 nearest are all 7s; the nearest (a 7) is 12.0 away, 0.6× the typical; training digits "
                    "are typically 20.0 from their own nearest (95 in 100 within 30.0).")


def test_not_sure_gives_the_reason_the_examples_show():
    mixed = summary(near([1, 7, 1, 7, 7, 1, 1, 1], 12.0), TYPICAL, UNSURE, 1)
    assert mixed == ("Not sure: its 8 nearest are five 1s and three 7s: the net has seen each drawn like this. The "
                     "nearest (a 1) is 12.0 away, 0.6× the typical; training digits are typically 20.0 from their "
                     "own nearest (95 in 100 within 30.0).")
    far = summary(near([1] * 8, 45.0), TYPICAL, UNSURE, 1)
    assert far.startswith("Not sure: it is far from every training digit. The nearest (a 1) is 45.0 away, 2.2× the "
                          "typical")
    both = summary(near([1, 7] * 4, 45.0), TYPICAL, UNSURE, 1)
    assert "far from every training digit" in both and "four 1s and four 7s" in both
    neither = summary(near([1] * 8, 12.0), TYPICAL, UNSURE, 1)
    assert neither.startswith("Not sure, though its 8 nearest are all 1s and near")


def test_not_a_digit_says_how_far_it_is_from_the_nearest_digit_against_the_typical():
    far = summary(near([3, 8] * 4, 50.0), TYPICAL, NOT_A_DIGIT, 3)
    assert far.startswith("Not a digit: nothing like it among the training digits. The nearest (a 3) is 50.0 away, "
                          "2.5× the typical; training digits are typically 20.0 from their own nearest")
    close = summary(near([3, 8] * 4, 25.0), TYPICAL, NOT_A_DIGIT, 3)
    assert close.startswith("Not a digit, though not far from training digits: the nearest (a 3) is 25.0 away")


def test_a_not_a_digit_among_training_digits_the_net_doubts_says_so():
    text = summary(near([4, 0] * 4, 12.0), TYPICAL, NOT_A_DIGIT, 4, confidences=[0.2, 0.3] * 4)
    assert text.startswith("Not a digit. The net places it among training digits it is unsure of too: its 8 "
                           "nearest (four 4s and four 0s) get 25% from it on average. The nearest (a 4) is 12.0")
