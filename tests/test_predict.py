"""Predictor and `digitpad predict`: reading digits from image files, as scans and photos come."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from digitpad import builtin_checkpoint_path
from digitpad.app import main
from digitpad.reading.predictor import Predictor
from trainer.synth.pictures import LIGHTS, gradient, light_grid, photograph

from .commands import run_python
from .photos import UNEVEN_LIGHT, under

SCANS = 1000


def scan_of(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 MNIST digit as a scan would show it: enlarged, dark ink on a larger, off-white, grainy page."""
    size = int(rng.integers(36, 240))
    enlarged = np.clip(np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC)), 0, 1)
    height, width = int(rng.integers(size, size + 200)), int(rng.integers(size, size + 200))
    top, left = int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))
    paper, ink = rng.uniform(0.75, 1.0), rng.uniform(0.0, 0.3)
    page = np.full((height, width), paper, np.float32)
    page[top:top + size, left:left + size] -= enlarged * (paper - ink)
    page += rng.normal(0, 0.02, page.shape)
    return np.clip(page * 255 + 0.5, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load(builtin_checkpoint_path())


def write_digit(path, label_index, mnist, dark_on_light=True):
    _, test = mnist
    digit = np.asarray(Image.fromarray(test.images[label_index, 0].numpy()).resize((112, 112)))
    pixels = np.clip(digit * 255, 0, 255).astype(np.uint8)
    Image.fromarray(255 - pixels if dark_on_light else pixels).save(path)
    return int(test.labels[label_index])


def test_probabilities_sum_to_one_and_the_digit_is_the_most_likely(predictor, mnist):
    _, test = mnist
    rows = predictor.probabilities(test.images[:8, 0].numpy())
    assert rows.shape == (8, 10) and rows.dtype == np.float64
    assert rows.sum(axis=1) == pytest.approx(np.ones(8), abs=1e-9)
    (digit,) = predictor.read_field(test.images[0, 0].numpy()).digits
    assert digit.probabilities == pytest.approx(tuple(rows[0]))
    assert digit.digit == int(np.argmax(digit.probabilities)) == int(test.labels[0])
    assert digit.confidence == max(digit.probabilities)
    assert digit.image.shape == (28, 28) and 0 <= digit.image.min() and digit.image.max() <= 1


def test_the_net_runs_on_one_thread_and_leaves_the_callers_count_as_it_was(predictor, monkeypatch):
    """A few 28x28 pictures gain nothing from a second thread, and a hand-off to a busy core costs 100 ms."""
    seen = []
    model = predictor.model
    monkeypatch.setattr(predictor, "model", lambda batch: (seen.append(torch.get_num_threads()), model(batch))[1])
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        predictor.probabilities(np.zeros((3, 28, 28), np.float32))
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_blank_picture_reads_as_nothing(predictor):
    assert predictor.read_picture(np.full((200, 200), 255, np.uint8)) is None


def test_the_description_names_the_model_its_size_and_accuracy(predictor):
    accuracy = predictor.meta["test_accuracy"]
    assert predictor.is_builtin
    assert predictor.description() == f"built-in model (seed), 17,504 parameters, test accuracy {accuracy:.2%}"


def test_scanned_mnist_test_digits_are_recognized(mnist, tmp_path, capsys):
    """1,000 MNIST test digits, each pasted at a random place and size on a page, read from files."""
    _, test = mnist
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(test), SCANS, replace=False)
    files, labels = [], []
    for number, index in enumerate(chosen):
        path = tmp_path / f"scan{number}.{'jpg' if number % 4 == 0 else 'png'}"
        Image.fromarray(scan_of(test.images[index, 0].numpy(), rng)).save(path, quality=90)
        files.append(str(path))
        labels.append(int(test.labels[index]))

    assert main(["predict", "--json", *files]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [result["file"] for result in results] == files
    accuracy = np.mean([result["digit"] == label for result, label in zip(results, labels)])
    assert accuracy >= 0.97, f"{accuracy:.1%} of {SCANS} scanned digits recognized"
    assert all(sum(result["probabilities"]) == pytest.approx(1, abs=1e-4) for result in results)


def test_numbers_photographed_in_uneven_light_read_as_in_even_light(mnist, tmp_path, capsys):
    """Pairs of MNIST test digits written on a page (dark on light), photographed in even light and under a lamp
    to one side, shadows and a vignette (JPEG), read by `digitpad predict`: the shade is not read as ink."""
    _, test = mnist
    files, pages = [], 10
    for page in range(pages):
        sheet = np.full((300, 480), 235, np.uint8)
        for place, index in enumerate((2 * page, 2 * page + 1)):
            digit = np.asarray(Image.fromarray(test.images[index, 0].numpy()).resize((140, 140)))
            sheet[80:220, 90 + place * 160:230 + place * 160] -= np.clip(digit * 205, 0, 205).astype(np.uint8)
        for name, light in [("even", lambda y, x: 1.0 + 0 * x), *UNEVEN_LIGHT.items()]:
            path = tmp_path / f"page{page} {name}.jpg"
            Image.fromarray(under(light, sheet)).save(path, quality=85)
            files.append(str(path))

    assert main(["predict", "--json", *files]) == 0
    numbers = [result["number"] for result in json.loads(capsys.readouterr().out)]
    lights = len(UNEVEN_LIGHT) + 1
    even = numbers[::lights]
    truth = [f"{int(test.labels[2 * page])}{int(test.labels[2 * page + 1])}" for page in range(pages)]
    assert sum(e == t for e, t in zip(even, truth)) >= pages - 1  # the pages themselves are readable
    for shift, name in enumerate(UNEVEN_LIGHT, start=1):
        assert numbers[shift::lights] == even, name


def test_digits_that_fill_their_picture_read_as_with_one_background_level(predictor, mnist, monkeypatch):
    """Tight crops are mostly ink, too little paper to measure the light by: MNIST test digits cropped to their
    ink and enlarged (64 px high with 4 px of margin, or 200 px high with 8) read as they do with one background
    level for the whole picture."""
    import trainer.ink.preprocess as preprocess

    _, test = mnist
    pictures = []
    for index in range(600):
        digit = test.images[index, 0].numpy()
        rows, columns = np.flatnonzero(digit.max(axis=1) > 0.1), np.flatnonzero(digit.max(axis=0) > 0.1)
        crop = Image.fromarray(digit[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1])
        height, margin = (200, 8) if index % 2 else (64, 4)
        size = (max(1, round(crop.width * height / crop.height)), height)
        enlarged = np.asarray(crop.resize(size, Image.Resampling.BILINEAR))
        pictures.append(1 - np.clip(np.pad(enlarged, margin), 0, 1))  # dark on light
    read = [predictor.read_picture(picture).number for picture in pictures]
    monkeypatch.setattr(preprocess, "UNEVEN", float("inf"))
    assert read == [predictor.read_picture(picture).number for picture in pictures]


def test_mnists_held_out_digits_read_as_pictures_come_out_as_one_digit(predictor, mnist):
    """A picture of one digit is read as one digit, not as a number, even when the scan broke a faint stroke
    apart: 5,000 MNIST training digits held out of the built-in model's training, read as picture files are.
    (Before broken-off pieces joined their digit, 37 came out as two.)"""
    from trainer.data import split_validation

    train, _ = mnist
    _, held_out = split_validation(train, 5000)
    several = sum(len(predictor.read_picture(digit).digits) > 1 for digit in held_out.images[:, 0].numpy())
    assert several <= 30


def test_predict_prints_one_line_per_file_and_goes_on_past_bad_files(mnist, tmp_path, capsys):
    good_dark = tmp_path / "dark.png"
    good_light = tmp_path / "light.bmp"
    first = write_digit(good_dark, 0, mnist)
    second = write_digit(good_light, 1, mnist, dark_on_light=False)
    unreadable = tmp_path / "notes.png"
    unreadable.write_text("not an image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)

    files = [good_dark, unreadable, empty, blank, good_light]
    assert main(["predict", *map(str, files)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{good_dark}: {first} (") and lines[0].endswith("%)")
    assert lines[1].startswith(f"{good_light}: {second} (")
    errors = err.splitlines()
    assert len(errors) == 3
    assert str(unreadable) in errors[0] and "not an image" in errors[0]
    assert str(empty) in errors[1] and "not an image" in errors[1]
    assert str(blank) in errors[2] and "no digit found" in errors[2]


def test_predict_json_lists_every_file_with_its_digit_or_its_error(mnist, tmp_path, capsys):
    good = tmp_path / "good.png"
    label = write_digit(good, 2, mnist)
    missing = tmp_path / "missing.png"
    assert main(["predict", "--json", str(good), str(missing)]) == 1
    results = json.loads(capsys.readouterr().out)
    assert results[0]["file"] == str(good) and results[0]["digit"] == label
    assert len(results[0]["probabilities"]) == 10
    assert results[1]["file"] == str(missing) and "no such file" in results[1]["error"]


def test_predict_with_a_bad_model_says_so(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["predict", "--model", str(bad), str(tmp_path / "x.png")]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"digitpad predict: error: {bad}") and "Use a checkpoint written by" in error


@pytest.mark.slow  # a subprocess
def test_predict_runs_without_a_display_and_without_qt(mnist, tmp_path):
    image = tmp_path / "digit.png"
    label = write_digit(image, 3, mnist)
    probe = ("import sys; from digitpad.app import main; status = main(sys.argv[1:]); "
             "assert 'PySide6' not in sys.modules, 'digitpad predict imported Qt'; sys.exit(status)")
    result = run_python("predict", str(image), "--model", str(builtin_checkpoint_path()), code=probe,
                        env={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{image}: {label} (")


@pytest.mark.parametrize("light", [*LIGHTS.values(), gradient], ids=[*LIGHTS, "smooth grey gradient"])
def test_a_blank_page_photographed_under_any_light_reads_no_number(predictor, light):
    # With no ink to compare it with, the deepest shade is the darkest thing on the page: a shadow the paper's
    # level cannot follow, or the noise in a gradient's dark end, was read as a number ("11", sure). No ink, or
    # ink that is not a digit (a hard shadow's edge), never a number.
    rng = np.random.default_rng(7)
    y, x = light_grid((280, 280))
    for _ in range(20):
        reading = predictor.read_picture(photograph(np.zeros((280, 280), np.float32), light(rng, y, x), rng))
        assert reading is None or reading.number == "", reading.text


# Runs `digitpad predict ARGS...` as a command line would, and reports whether torch was imported.
NO_TORCH_PROBE = """
import sys
from digitpad.app import main
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
print('torch imported' if 'torch' in sys.modules else 'torch not imported', file=sys.stderr)
sys.exit(status)
"""


@pytest.mark.parametrize("args, status", [(["--help"], 0), (["digit.png", "--bogus"], 2), ([], 2),
                                          (["--model"], 2)])
@pytest.mark.slow  # a subprocess
def test_help_and_argument_errors_answer_before_torch_is_imported(args, status):
    result = run_python("predict", *args, code=NO_TORCH_PROBE)
    assert result.returncode == status, result.stderr
    assert result.stderr.endswith("torch not imported\n"), result.stderr
    assert ("usage: digitpad predict" in result.stdout) if status == 0 else ("error:" in result.stderr)


def test_help_shows_percent_signs_once(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    assert "7 (98.0%)" in text and "(62%)" in text and "%%" not in text


@pytest.mark.slow  # a subprocess
def test_a_reader_that_stops_reading_ends_predict_quietly(mnist, tmp_path):
    # `digitpad predict *.png | head`: the pipe's reader is gone before the answers are written.
    image = tmp_path / "digit.png"
    write_digit(image, 4, mnist)
    process = subprocess.Popen([sys.executable, "-m", "digitpad.app", "predict", str(image), str(image)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert error == ""  # neither a traceback nor "Exception ignored ... BrokenPipeError"
