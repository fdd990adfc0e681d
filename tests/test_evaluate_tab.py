"""The Evaluate tab: its parts alone, then real evaluations in the background worker (the fake set for speed, the
real MNIST test set once, against `trainer eval` of the same checkpoint)."""

import json
import re
import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from digitpad import builtin_checkpoint_path
from digitpad.draw.canvas import DrawingCanvas
from digitpad.evaluate.confusion import ConfusionMatrixView
from digitpad.evaluate.gallery import DigitGallery
from digitpad.evaluate.tab import EvaluateTab
from trainer.checkpoint import load_checkpoint
from trainer.data import load_test_split
from trainer.evaluation import evaluate

from .commands import run_trainer

TIMEOUT_MS = 60_000
PERCENT = re.compile(r"\d+(\.\d+)?\s*%")


@pytest.fixture(scope="module")
def fake_dir(fake_mnist):
    return str(fake_mnist(16, 300, seed=3))  # a test set larger than the evaluation's batch, hardly any training


@pytest.fixture
def tab(qtbot, seed):
    tab = EvaluateTab()
    qtbot.addWidget(tab)
    tab.resize(1100, 800)
    tab.show()
    tab.set_model(seed, "built-in model")
    yield tab
    tab.shutdown()


def percent(value):
    return "–" if value is None else "100%" if value == 1 else f"{value:.1%}"


def run(tab, qtbot) -> None:
    with qtbot.waitSignal(tab.evaluationDone, timeout=TIMEOUT_MS):
        qtbot.mouseClick(tab.findChild(QPushButton, "runEvaluation"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.worker is None)


# ----- the parts alone -----------------------------------------------------------------------------------------
def test_clicking_a_matrix_cell_signals_true_and_predicted_digit(qtbot):
    matrix = ConfusionMatrixView()
    qtbot.addWidget(matrix)
    matrix.resize(400, 400)
    matrix.show()
    matrix.set_matrix(np.arange(100).reshape(10, 10))
    with qtbot.waitSignal(matrix.cellClicked, timeout=1000) as signal:
        qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(4, 9).center())
    assert signal.args == [4, 9] and matrix.selected == (4, 9)
    with qtbot.assertNotEmitted(matrix.cellClicked):
        qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))  # the axis titles, no cell


def test_a_wide_matrix_is_centred_and_its_cells_still_answer_clicks(qtbot):
    from digitpad.evaluate.confusion import HEADER

    matrix = ConfusionMatrixView()
    qtbot.addWidget(matrix)
    matrix.resize(900, 400)  # the Evaluate tab's left half at 1920 x 1080 is wider than tall
    matrix.show()
    matrix.set_matrix(np.arange(100).reshape(10, 10))
    left_gap = matrix.cell_rect(0, 0).left() - 2 * HEADER  # the headers sit left of the cells
    right_gap = matrix.width() - 1 - matrix.cell_rect(0, 9).right()
    assert left_gap > 100 and abs(left_gap - right_gap) <= 2
    with qtbot.waitSignal(matrix.cellClicked, timeout=1000) as signal:
        qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(2, 7).center())
    assert signal.args == [2, 7]


def test_the_gallery_shows_the_digits_asked_for_and_signals_the_one_clicked(qtbot):
    gallery = DigitGallery("cellGallery")
    qtbot.addWidget(gallery)
    gallery.resize(400, 300)
    gallery.show()
    images = np.random.default_rng(0).random((20, 28, 28), dtype=np.float32)
    labels, predictions = np.arange(20) % 10, (np.arange(20) + 1) % 10
    gallery.set_set(images, labels, predictions, np.full(20, 0.999))
    gallery.show_indices([7, 3, 12])
    assert gallery.indices() == [7, 3, 12] and gallery.model().rowCount() == 3
    assert gallery.model().data(gallery.model().index(0)) == "7→8\n>99%"  # 99.9% is not "100%"
    with qtbot.waitSignal(gallery.digitClicked, timeout=1000) as signal:
        qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=gallery.item_rect(1).center())
    assert signal.args == [3]


# ----- the tab ---------------------------------------------------------------------------------------------------
def test_an_evaluation_shows_accuracy_matrix_galleries_and_per_digit_figures(tab, qtbot, fake_dir, seed):
    tab.set_data_dir(fake_dir)
    accuracy = tab.findChild(QLabel, "evalAccuracy")
    assert not PERCENT.search(accuracy.text())
    run(tab, qtbot)
    test = load_test_split(fake_dir, download=False)
    expected = evaluate(seed, test)
    assert accuracy.text() == f"{expected.accuracy * 100:.2f}%"
    assert "300 images" in tab.summary.text() and f"{expected.wrong} wrong" in tab.summary.text()
    matrix = tab.findChild(QWidget, "confusionMatrix")
    assert np.array_equal(matrix.matrix, expected.confusion_matrix().numpy())

    labels, predictions = expected.labels.numpy(), expected.predictions.numpy()
    confidences = expected.confidences.numpy()
    wrong = np.flatnonzero(labels != predictions)
    mistakes = tab.findChild(QWidget, "mistakes")
    assert sorted(mistakes.indices()) == sorted(wrong.tolist()) and len(wrong) > 0
    assert np.all(np.diff(confidences[mistakes.indices()]) <= 0)  # the most confident first

    counts = matrix.matrix.copy()
    np.fill_diagonal(counts, 0)
    true_digit, predicted = np.unravel_index(counts.argmax(), counts.shape)
    qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(true_digit, predicted).center())
    cell = tab.findChild(QWidget, "cellGallery")
    members = np.flatnonzero((labels == true_digit) & (predictions == predicted))
    assert sorted(cell.indices()) == members.tolist() and len(members) == matrix.matrix[true_digit, predicted]
    assert f"{true_digit}s read as {predicted}: {len(members)}" in tab.cell_title.text()

    per_class = expected.per_class()
    table = tab.findChild(QWidget, "perClass")
    for digit in range(10):
        recall, precision = per_class["recall"][digit], per_class["precision"][digit]
        assert table.item(1, digit).text() == percent(recall)
        assert table.item(2, digit).text() == percent(precision)

    with qtbot.waitSignal(tab.digitChosen, timeout=1000) as signal:
        qtbot.mouseClick(cell.viewport(), Qt.MouseButton.LeftButton, pos=cell.item_rect(0).center())
    assert np.array_equal(signal.args[0], test.images[cell.indices()[0], 0].numpy())


def test_missing_mnist_is_said_plainly_and_nothing_runs(tab, qtbot, tmp_path):
    tab.set_data_dir(str(tmp_path))
    message = tab.findChild(QLabel, "evalMessage")
    assert message.isVisible() and "MNIST is not in" in message.text() and str(tmp_path) in message.text()
    assert "Train tab" in message.text()
    assert tab.run_evaluation() is False and tab.worker is None
    assert not PERCENT.search(tab.findChild(QLabel, "evalAccuracy").text())


def test_another_labelled_set_goes_through_the_same_views(tab, qtbot, seed):
    images = np.zeros((4, 28, 28), np.float32)
    images[:, 5:23, 13:15] = 1.0  # four "1"s
    with qtbot.waitSignal(tab.evaluationDone, timeout=TIMEOUT_MS):
        assert tab.evaluate_set(images, [1, 1, 7, 1], "my handwriting")
    assert tab.accuracy.text() == "75.00%" and "my handwriting (4 images)" in tab.summary.text()
    assert tab.mistakes.indices() == [2]
    qtbot.waitUntil(lambda: tab.worker is None)
    tab.set_model(seed, "another model")  # results of one model are never shown under another
    assert tab.accuracy.text() == "" and tab.mistakes.indices() == []
    with pytest.raises(ValueError, match="one digit per image"):
        tab.evaluate_set(images, [1, 1], "short")


def test_when_it_says_done_a_new_run_can_start_at_once(tab, qtbot):
    # A second evaluation asked for as the first one is said to be done was refused without a word while the
    # first one's thread was still ending (seen in the full suite, under load).
    busy_when_done = []
    tab.evaluationDone.connect(lambda: busy_when_done.append(tab.job.busy))
    images, labels = np.zeros((4, 28, 28), np.float32), np.arange(4)
    for _ in range(3):
        with qtbot.waitSignal(tab.evaluationDone, timeout=30_000):
            assert tab.evaluate_set(images, labels, "four blank pictures")
    assert busy_when_done == [False, False, False]


@pytest.mark.slow  # a subprocess
def test_the_tab_matches_trainer_eval_on_the_real_test_set(tab, qtbot, mnist_dir):
    tab.set_data_dir(str(mnist_dir))
    run(tab, qtbot)
    cli = run_trainer("eval", str(builtin_checkpoint_path()), "--data-dir", str(mnist_dir), "--no-download", "--json")
    assert cli.returncode == 0, cli.stderr
    report = json.loads(cli.stdout)
    shipped = load_checkpoint(builtin_checkpoint_path()).test_accuracy  # what training recorded for it
    assert tab.accuracy.text() == f"{report['accuracy'] * 100:.2f}%" == f"{shipped * 100:.2f}%"
    assert tab.matrix.matrix.tolist() == report["confusion_matrix"]
    assert len(tab.mistakes.indices()) == round((1 - report["accuracy"]) * 10_000)


# ----- in the window ---------------------------------------------------------------------------------------------
def test_the_window_s_evaluate_tab_uses_the_train_tab_s_folder_and_opens_digits_in_the_draw_tab(window, qtbot,
                                                                                               fake_dir):
    index = next(i for i in range(window.tabs.count()) if "Evaluate" in window.tabs.tabText(i))
    tab = window.tabs.widget(index)
    window.train_tab.settings.dataDir.setText(fake_dir)
    assert tab.data_dir == fake_dir
    window.tabs.setCurrentIndex(index)
    run(tab, qtbot)
    index = tab.mistakes.indices()[0]
    digit = tab.report.split.images[index, 0].numpy()
    tab.digitChosen.emit(digit)
    assert window.tabs.currentWidget() is window.draw_tab
    canvas = window.findChild(DrawingCanvas, "canvas")
    assert np.array_equal(canvas.ink_image(), digit)
    # The Draw tab reads it exactly as the evaluation did: the same answer, the same picture for the inside view.
    shown = window.draw_tab.reading.digits[0]
    assert shown.digit == int(tab.mistakes.digits.predictions[index]) and np.array_equal(shown.image, digit)
    window.use_model(builtin_checkpoint_path())  # the model in use changed: the old figures go
    assert tab.accuracy.text() == ""


def test_closing_the_window_mid_evaluation_stops_and_joins_the_worker(window, qtbot, mnist_dir):
    tab = window.evaluate_tab
    tab.set_data_dir(str(mnist_dir))
    assert tab.run_evaluation()
    worker = tab.worker
    assert window.close()
    assert worker.isFinished()



def test_the_evaluate_tab_runs_on_my_handwriting_too(window, qtbot, tmp_path, monkeypatch):
    from PIL import Image

    from trainer.ink.render import render
    from trainer.synth.digits import random_digit

    tab = window.evaluate_tab
    with qtbot.waitSignal(tab.evaluationDone, timeout=10_000):
        qtbot.mouseClick(tab.findChild(QPushButton, "runPersonal"), Qt.LeftButton)
    assert "no readable samples" in tab.message.text()

    rng = np.random.default_rng(0)
    for digit in (1, 7):
        for i in range(3):
            ink = render(random_digit(digit, rng, size=0.6, centre=(0.5, 0.5)), 120, 0.05)
            folder = window.personal_set.folder / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray((255 - ink * 255).astype(np.uint8)).save(folder / f"s{i}.png")
    # The set is read in the worker's thread: the first read of a large set takes over a second.
    read_in = []
    load = window.personal_set.load
    monkeypatch.setattr(window.personal_set, "load", lambda: read_in.append(threading.current_thread()) or load())
    with qtbot.waitSignal(tab.evaluationDone, timeout=60_000):
        qtbot.mouseClick(tab.findChild(QPushButton, "runPersonal"), Qt.LeftButton)
    assert read_in and threading.main_thread() not in read_in
    assert re.fullmatch(r"\d+\.\d\d%", tab.accuracy.text())
    assert tab.matrix.matrix.sum() == 6 and "my handwriting (6 samples)" in tab.summary.text()
