"""Whole numbers: on the canvas (real mouse strokes), and in image files through `digitpad predict`."""

import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QLabel

from digitpad.app import main
from trainer.ink.render import render
from trainer.ink.segment import find_digits
from trainer.synth.digits import ASPECT, random_digit
from trainer.verdicts import SURE, UNSURE

from .drawing import drag


def number_strokes(digits, rng, size=0.22, gap=0.07, top=0.5):
    widths = [size * ASPECT[d] for d in digits]
    x = 0.5 - (sum(widths) + gap * (len(digits) - 1)) / 2
    strokes = []
    for digit, width in zip(digits, widths):
        strokes += random_digit(digit, rng, size=size, centre=(x + width / 2, top), slant=0.1)
        x += width + gap
    return strokes


def write(window, strokes):
    for stroke in strokes:
        drag(window.draw_tab.canvas, stroke)


@pytest.mark.parametrize("number", ["7", "42", "2026", "31415926"])
def test_a_number_written_on_the_canvas_is_read_whole_with_a_box_per_digit(window, number):
    rng = np.random.default_rng(int(number))
    digits = [int(c) for c in number]
    write(window, number_strokes(digits, rng, size=0.3 if len(digits) < 5 else 0.14,
                                 gap=0.07 if len(digits) < 5 else 0.055))
    tab = window.draw_tab
    label = window.findChild(QLabel, "prediction")
    # Every digit read, in order. Being sure of each is another matter: the generator draws this seed's last 6
    # with its loop left open, which the built-in model reads as a 6 but not sure (77%); the label then says so
    # with a "?" after that digit, and no other mark.
    assert [d.digit for d in tab.reading.digits] == digits
    assert label.text() == "".join(d.text for d in tab.reading.digits)
    assert label.text().replace("?", "") == number and all(d.verdict in (SURE, UNSURE) for d in tab.reading.digits)
    boxes = tab.canvas.digit_boxes()
    assert len(boxes) == len(digits) and boxes == sorted(boxes)  # left to right
    assert all(right[0] >= left[0] + left[2] for left, right in zip(boxes, boxes[1:]))  # apart
    # The bars show one digit: the last one written.
    assert tab.shown is tab.reading.digits[-1] and tab.shown.digit == digits[-1]
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()  # fits, even 8 digits


def test_hovering_a_digit_shows_its_bars_and_picture(window, qtbot):
    write(window, number_strokes([4, 2], np.random.default_rng(1), size=0.35))
    tab = window.draw_tab
    first = tab.canvas.digit_boxes()[0]
    tab.canvas.pointerMoved.emit(QPointF(first[0] + first[2] / 2, first[1] + first[3] / 2))
    assert tab.shown_index == 0 and tab.shown.digit == 4
    assert tab.confidence.probabilities() == pytest.approx(tab.reading.digits[0].probabilities)
    assert tab.caption.text().startswith("digit 1 of 2: 4")
    tab.canvas.pointerLeft.emit()
    assert tab.shown_index == 1 and tab.shown.digit == 2


def test_a_five_whose_cap_is_a_second_stroke_stays_one_digit():
    rng = np.random.default_rng(0)
    five = random_digit(5, rng, size=0.5, centre=(0.5, 0.5), style=0)  # the body, then the cap apart from it
    assert len(five) == 2
    segments = find_digits(render(five, 280, 0.045, supersample=1))
    assert len(segments) == 1


def test_a_piece_broken_off_a_digit_joins_it_but_a_digit_as_tall_as_its_neighbour_does_not():
    ink = np.zeros((40, 80), np.float32)
    ink[10:30, 10:14] = 1       # a 1, 20 px tall
    ink[14:23, 17] = 1          # a sliver 9 px tall beside it, 3 px away: the faint edge of a stroke, broken off
    ink[10:30, 40:44] = 1       # another 1, as tall as the first, far enough away to be a digit of its own
    ink[4:6, 45:60] = 1         # a cap written apart, over to the right of it
    segments = find_digits(ink)
    assert [segment.box for segment in segments] == [(10, 10, 8, 20), (40, 4, 20, 26)]
    ink[10:30, 17:21] = 1       # a full-height digit where the sliver was: two digits again
    assert len(find_digits(ink)) == 3


def test_a_small_one_beside_a_big_digit_stays_a_digit_and_a_mark_far_below_does_not_join():
    rng = np.random.default_rng(0)
    eight = random_digit(8, rng, size=0.5, centre=(0.35, 0.5))
    one = random_digit(1, rng, size=0.5 * 0.55, centre=(0.66, 0.5 + 0.25 - 0.25 * 0.55))  # 55% as tall, close by
    assert len(find_digits(render(eight + one, 400, 0.012))) == 2
    ink = np.zeros((400, 200), np.float32)
    ink[10:110, 40:60] = 1      # a digit 100 px tall
    ink[300:330, 62:66] = 1     # a short mark 190 px below it, just to the side: not part of it
    assert [segment.box for segment in find_digits(ink)] == [(40, 10, 20, 100), (62, 300, 4, 30)]


def test_predict_reads_numbers_in_image_files_dark_on_light_and_light_on_dark(tmp_path, capsys):
    rng = np.random.default_rng(7)
    files = {}
    for number, dark in (("42", True), ("2026", False), ("907", True)):
        image = render(number_strokes([int(c) for c in number], rng, size=0.25), 400, 0.02)
        pixels = (255 - image * 255 if dark else image * 255).astype(np.uint8)
        path = tmp_path / f"{number}.png"
        Image.fromarray(pixels).save(path)
        files[number] = path
    assert main(["predict", "--json", *map(str, files.values())]) == 0
    results = json.loads(capsys.readouterr().out)
    for (number, path), result in zip(files.items(), results):
        assert result["file"] == str(path) and result["number"] == number and result["sure"] is True
        assert [d["digit"] for d in result["digits"]] == [int(c) for c in number]
        assert result["digit"] == int(number[0]) and result["probabilities"] == result["digits"][0]["probabilities"]
        boxes = [d["box"] for d in result["digits"]]
        assert all(len(box) == 4 and box[2] > 0 and box[3] > 0 for box in boxes)
        assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)
    assert main(["predict", str(files["42"])]) == 0
    assert capsys.readouterr().out == f"{files['42']}: 42\n"


def test_touching_digits_are_cut_where_the_net_reads_both_sides_best():
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor

    predictor = Predictor.load(builtin_checkpoint_path())
    rng = np.random.default_rng(3)
    for left, right, number in ((0, 0, "00"), (4, 0, "40")):
        first = random_digit(left, rng, size=0.4, centre=(0.345, 0.5), slant=0, style=0)
        second = random_digit(right, rng, size=0.4, centre=(0.655, 0.5), slant=0, style=0)
        image = render(first + second, 280, 0.05)  # their ink touches where the digits meet
        assert len(find_digits(image)) == 1, number  # they touch: one blob of ink
        assert predictor.read_picture(image).number == number


# ----- numbers written neatly: read whole (bench/whole_numbers.py) ------------------------------------------------
def _whole_numbers_bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "whole_numbers.py"
    spec = importlib.util.spec_from_file_location("whole_numbers_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Measured with the shipped model on the bench's first 20 numbers of each length (seed 20261203):
# `python bench/whole_numbers.py --n 20`. Before the digits were found in ink drawn with a thin pen (SEGMENT_PEN),
# 12.9% of them came out with too few digits (the pad's default pen made neighbours' ink touch) and 77.1% were
# read whole; the handwritten ones 84.3%.
WHOLE_READ = {"all": 85.0, "handwriting": 98.6}


def test_numbers_of_two_to_eight_digits_written_neatly_are_read_whole():
    pytest.importorskip("HersheyFonts", reason="the Hershey-font numbers need hershey-fonts (the test extra)")
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor

    bench = _whole_numbers_bench()
    numbers = bench.read_numbers(Predictor.load(builtin_checkpoint_path()), bench.sample(20, bench.SEED, True))
    sources = bench.shares(numbers, "source")
    assert sources["all"]["split"] == 0, "a number came out with the wrong count of digits"
    for source, figure in WHOLE_READ.items():
        assert sources[source]["whole"] >= figure - 1.5, (source, sources[source])


def test_a_one_with_a_flag_and_a_foot_is_a_one_alone_and_inside_a_number():
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor
    from trainer.synth.digits import FOOTED_ONES
    from trainer.synth.written_numbers import handwritten_number

    predictor = Predictor.load(builtin_checkpoint_path())
    rng = np.random.default_rng(11)
    for style in FOOTED_ONES:
        for size, pen in ((0.6, 0.045), (0.3, 0.02), (0.3, 0.045)):
            one = random_digit(1, rng, size=size, style=style)
            assert predictor.read_strokes(one, pen).text == "1", (style, size, pen)
        for text in ("1017", "71914", "4116781", "31415926"):  # with the pad's default pen, written small
            reading = predictor.read_strokes(handwritten_number(text, rng, styles={1: style}), 0.045)
            assert reading.number == text and all(
                d.sure for d, c in zip(reading.digits, text) if c == "1"), (style, text, reading.text)


def test_digits_whose_ink_touches_only_because_of_a_bold_pen_are_found_apart():
    from trainer.ink.redraw import rendered
    from trainer.synth.written_numbers import handwritten_number

    rng = np.random.default_rng(4)
    strokes = handwritten_number("90210", rng, height=0.12)  # gaps of 0.024-0.048 between the strokes' boxes
    assert len(find_digits(render(strokes, 280, 0.06, supersample=1))) < 5  # the pen's ink touches
    _, ink = rendered(strokes, 0.06)
    assert len(find_digits(ink)) == 5  # where the strokes run, they are apart


def test_each_digits_box_holds_its_ink_as_the_pads_pen_drew_it():
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor

    strokes = [[(0.2, 0.3), (0.2, 0.7)], [(0.5, 0.3), (0.5, 0.7)]]  # two 1s, drawn with a pen 0.05 wide
    reading = Predictor.load(builtin_checkpoint_path()).read_strokes(strokes, 0.05)
    ink = render(strokes, 280, 0.05, supersample=1)
    for digit, x in zip(reading.digits, (0.2, 0.5)):
        left, top, width, height = digit.box
        assert ink[top:top + height, left:left + width].sum() == pytest.approx(
            ink[:, round(x * 280) - 20:round(x * 280) + 20].sum(), rel=0.02)


def test_a_stroke_leaving_a_digits_box_and_coming_back_is_not_joined_across_the_gap():
    from trainer.ink.redraw import own_strokes
    from trainer.ink.segment import Segment

    box = Segment(28, 28, 56, 56, np.ones((56, 56), np.float32))  # 0.1-0.3 of the side, in 280 pixels
    u_turn = [(0.15, 0.15), (0.5, 0.15), (0.5, 0.25), (0.2, 0.25)]
    assert own_strokes([u_turn], box) == [[(0.15, 0.15)], [(0.2, 0.25)]]
