"""The window and its Draw tab, driven as a person drives them: mouse strokes, keys, files, models."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QSlider, QTabWidget

from digitpad import builtin_checkpoint_path
from digitpad.draw.canvas import DrawingCanvas
from digitpad.draw.confidence import ConfidenceBars
from digitpad.draw.preview import NetInputPreview
from digitpad.window import MainWindow
from trainer.checkpoint import meta_digest, weights_digest

from .drawing import ONE, SEVEN, ZERO, drag, line, move, press, release


def canvas_of(window) -> DrawingCanvas:
    return window.findChild(DrawingCanvas, "canvas")


def shown(window):
    """What the Draw tab shows: (digit label text, bar probabilities, whether the preview has an image)."""
    return (window.findChild(QLabel, "prediction").text(), window.findChild(ConfidenceBars, "confidence").probabilities(),
            window.findChild(NetInputPreview, "preview").image is not None)


def draw(window, strokes):
    for stroke in strokes:
        drag(canvas_of(window), stroke)


def error_boxes(window):
    return [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_the_window_has_a_title_an_icon_its_tabs_and_names_its_model(window):
    assert window.windowTitle() == "digitpad" and not window.windowIcon().isNull()
    tabs = window.findChild(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Draw", "Train", "Evaluate", "My handwriting"]
    assert min(canvas_of(window).width(), canvas_of(window).height()) >= 280
    assert window.findChild(QPushButton, "clear") is not None
    status = window.findChild(QLabel, "modelLabel").text()
    assert "built-in model" in status and "17,504 parameters" in status and "test accuracy" in status


def test_the_file_menu_offers_images_models_reset_and_quit_with_shortcuts(window):
    [file_menu] = [action.menu() for action in window.menuBar().actions()]
    entries = {action.text().replace("&", ""): action.shortcut().toString()
               for action in file_menu.actions() if not action.isSeparator()}
    assert entries == {"Open image...": "Ctrl+O", "Open model...": "Ctrl+Shift+O",
                       "Reset to the built-in model": "Ctrl+Shift+R", "Model's input convention...": "",
                       "Export to ONNX...": "", "Quit": "Ctrl+Q"}
    assert not window.convention_action.isEnabled()  # only for a model made elsewhere (tests/test_foreign_window.py)


def test_a_bad_model_given_at_start_is_reported_and_the_built_in_one_used(qtbot, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a model")
    window = MainWindow(bad)
    qtbot.addWidget(window)
    assert window.predictor.is_builtin
    [box] = window.findChildren(QMessageBox)
    assert str(bad) in box.informativeText()


def test_an_empty_canvas_predicts_nothing_and_asks_for_a_digit(window):
    assert canvas_of(window).is_empty() and window.draw_tab.reading is None
    assert shown(window) == ("", None, False)
    assert window.draw_tab.caption.text() == "Draw a digit, or a whole number"


@pytest.mark.parametrize("strokes, digit", [(ONE, 1), (ZERO, 0), (SEVEN, 7)], ids=["one", "zero", "seven"])
def test_a_digit_drawn_with_the_mouse_is_read_as_that_digit(window, strokes, digit):
    draw(window, strokes)
    text, probabilities, has_preview = shown(window)
    assert text == str(digit) and window.draw_tab.shown.digit == digit
    assert sum(probabilities) == pytest.approx(1, abs=1e-6)
    assert int(np.argmax(probabilities)) == digit and has_preview
    assert window.draw_tab.caption.text().endswith("% sure")


def test_the_prediction_follows_the_pen_while_drawing_but_not_on_every_move(window, qtbot, monkeypatch):
    canvas = canvas_of(window)
    calls = []
    read = window.predictor.read_strokes
    monkeypatch.setattr(window.predictor, "read_strokes", lambda *args: calls.append(args) or read(*args))
    press(canvas, (0.5, 0.2))
    for i in range(1, 201):  # a burst of moves, as a tablet sends them: far faster than predictions run
        move(canvas, (0.5, 0.2 + 0.6 * i / 200))
    assert calls == []  # no move waited for a prediction
    qtbot.waitUntil(lambda: window.draw_tab.reading is not None)  # the button is still held
    assert len(calls) == 1
    release(canvas, (0.5, 0.8))
    assert len(calls) == 2 and shown(window)[0] == "1"  # and once more, at once, when the pen lifts


@pytest.mark.parametrize("how", ["button", "Esc", "Delete"])
def test_clear_empties_the_canvas_the_bars_and_the_preview(window, qtbot, how):
    draw(window, SEVEN)
    assert shown(window)[0] == "7"
    if how == "button":
        qtbot.mouseClick(window.findChild(QPushButton, "clear"), Qt.MouseButton.LeftButton)
    else:
        QTest.keyClick(window, Qt.Key.Key_Escape if how == "Esc" else Qt.Key.Key_Delete)
    assert canvas_of(window).is_empty() and canvas_of(window).ink_image().max() == 0
    assert shown(window) == ("", None, False)
    assert window.draw_tab.caption.text() == "Draw a digit, or a whole number"


def test_undo_removes_the_last_stroke(window):
    draw(window, ONE)
    one = window.draw_tab.shown.probabilities
    draw(window, [line((0.2, 0.5), (0.8, 0.5))])  # a cross bar: no longer a 1
    assert canvas_of(window).stroke_count() == 2 and shown(window)[0] != "1"
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas_of(window).stroke_count() == 1
    assert window.draw_tab.shown.probabilities == pytest.approx(one)
    window.findChild(QPushButton, "undo").click()
    assert canvas_of(window).is_empty() and shown(window) == ("", None, False)
    window.findChild(QPushButton, "undo").click()  # nothing left to undo: nothing happens
    assert canvas_of(window).is_empty()


def test_draw_tab_keys_do_nothing_on_the_train_tab(window):
    draw(window, SEVEN)
    window.findChild(QTabWidget).setCurrentIndex(1)
    QTest.keyClick(window, Qt.Key.Key_Escape)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas_of(window).stroke_count() == 1


def test_the_pen_width_sets_the_thickness_of_new_strokes(window):
    slider = window.findChild(QSlider, "penWidth")
    ink = []
    for value in (slider.minimum(), slider.maximum()):
        slider.setValue(value)
        draw(window, ONE)
        ink.append(canvas_of(window).ink_image().astype(float).sum())
        canvas_of(window).clear()
    assert ink[1] > 4 * ink[0]


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over half the outline's length."""
    ink = image > 0.5
    outline = (ink[1:] != ink[:-1]).sum() + (ink[:, 1:] != ink[:, :-1]).sum()
    return 2 * float(image.sum()) / outline


@pytest.mark.parametrize("pen", ["minimum", "default", "maximum"])
def test_whatever_the_pen_the_net_reads_strokes_as_thick_as_mnists(window, mnist, pen):
    _, test = mnist
    slider = window.findChild(QSlider, "penWidth")
    slider.setValue({"minimum": slider.minimum(), "maximum": slider.maximum()}.get(pen, slider.value()))
    draw(window, SEVEN)
    drawn = stroke_width(window.draw_tab.shown.image)
    sevens = test.images[test.labels == 7][:300, 0].numpy()
    assert drawn == pytest.approx(np.median([stroke_width(seven) for seven in sevens]), rel=0.2)


def mnist_file(path, mnist, index, dark_on_light=True):
    """An MNIST test digit saved as an image file, enlarged, as a scan would be; returns its label."""
    _, test = mnist
    digit = np.asarray(Image.fromarray(test.images[index, 0].numpy()).resize((140, 140), Image.Resampling.BICUBIC))
    pixels = np.clip(digit * 255, 0, 255).astype(np.uint8)
    Image.fromarray(255 - pixels if dark_on_light else pixels).save(path)
    return int(test.labels[index])


def test_an_opened_image_is_shown_and_read_and_drawing_replaces_it(window, mnist, tmp_path):
    label = mnist_file(tmp_path / "scan.png", mnist, 0)
    window.findChild(QTabWidget).setCurrentIndex(1)
    assert window.open_image(tmp_path / "scan.png")
    assert window.findChild(QTabWidget).currentWidget() is window.draw_tab
    canvas = canvas_of(window)
    assert not canvas.is_empty() and canvas.stroke_count() == 0
    assert shown(window)[0] == str(label) and shown(window)[2]
    draw(window, ONE)
    assert canvas.stroke_count() == 1 and shown(window)[0] == "1"
    canvas.undo()
    assert canvas.is_empty()  # the picture is gone for good once drawn over


def test_an_image_dropped_on_the_canvas_is_read(window, mnist, tmp_path):
    label = mnist_file(tmp_path / "dropped.png", mnist, 1, dark_on_light=False)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.png"))])
    canvas = canvas_of(window)
    drop = QDropEvent(QPointF(canvas.rect().center()), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    canvas.dropEvent(drop)
    assert drop.isAccepted() and shown(window)[0] == str(label)


def test_an_unreadable_image_shows_an_error_and_changes_nothing(window, tmp_path):
    draw(window, SEVEN)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert not window.open_image(broken)
    [box] = error_boxes(window)
    assert box.text() == "Could not open the image" and str(broken) in box.informativeText()
    box.accept()
    assert canvas_of(window).stroke_count() == 1 and shown(window)[0] == "7"


def crafted_pickle(path, marker):
    class Exploit:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path.write_bytes(pickle.dumps(Exploit(), protocol=2))


@pytest.mark.parametrize("kind, message", [
    ("missing", "no such file"),
    ("text", "Use a checkpoint written by"),
    ("crafted pickle", "none of its code ran"),
    ("other PyTorch file", "not a digitpad checkpoint"),
    ("wrong architecture", "belong to another architecture"),
])
def test_a_bad_model_file_shows_an_error_and_keeps_the_current_model(window, tmp_path, kind, message):
    path, marker = tmp_path / "model.pt", tmp_path / "code-ran"
    if kind == "text":
        path.write_text("these are not weights")
    elif kind == "crafted pickle":
        crafted_pickle(path, marker)
    elif kind == "other PyTorch file":
        torch.save({"weights": torch.zeros(3)}, path)
    elif kind == "wrong architecture":
        torch.save({"format": "digitpad-checkpoint", "version": 1, "meta": {"model": "seed"},
                    "state_dict": {"features.0.0.weight": torch.zeros(8, 1, 5, 5)}}, path)
    draw(window, SEVEN)
    predictor, status = window.predictor, window.findChild(QLabel, "modelLabel").text()

    assert not window.use_model(path)
    [box] = error_boxes(window)
    assert box.text() == "Could not open the model"
    assert message in box.informativeText() and str(path) in box.informativeText()
    box.accept()
    assert not marker.exists()
    assert window.predictor is predictor and window.draw_tab.predictor is predictor
    assert window.findChild(QLabel, "modelLabel").text() == status and shown(window)[0] == "7"


def shifted_checkpoint(path):
    """The built-in model with its outputs rotated by one class: it reads every digit d as d + 1."""
    payload = torch.load(builtin_checkpoint_path(), weights_only=True)
    weight = payload["state_dict"]["classifier.0.weight"]
    payload["state_dict"]["classifier.0.weight"] = torch.roll(weight, 1, dims=0)
    payload["meta"]["test_accuracy"] = 0.1234
    payload["weights_sha256"] = weights_digest(payload["state_dict"])  # a sound file, of another model
    payload["meta_sha256"] = meta_digest(payload["meta"])
    torch.save(payload, path)


def test_a_model_is_swapped_in_live_and_reset_to_the_built_in_one(window, tmp_path):
    shifted_checkpoint(tmp_path / "shifted.pt")
    draw(window, SEVEN)
    assert window.use_model(tmp_path / "shifted.pt")
    assert shown(window)[0] == "8"  # the drawing on the canvas is read again at once
    status = window.findChild(QLabel, "modelLabel").text()
    assert "shifted.pt" in status and "12.34%" in status
    assert window.reset_model()
    assert shown(window)[0] == "7" and "built-in model" in window.findChild(QLabel, "modelLabel").text()


@pytest.mark.slow  # a subprocess
def test_digitpad_opens_the_window_with_the_built_in_model():
    """The `digitpad` command itself, in a process of its own, closed as soon as its window is up."""
    probe = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from digitpad.app import main\n"
        "def report():\n"
        "    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == 'mainWindow']\n"
        "    print(window.isVisible(), window.windowTitle(), window.predictor.is_builtin)\n"
        "    QApplication.quit()\n"
        "QTimer.singleShot(0, report)\n"
        "sys.exit(main([]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "digitpad", "True"]


def test_percentages_never_round_up_to_certainty(qtbot):
    from digitpad.draw.confidence import format_percent

    assert [format_percent(p) for p in (0.5, 0.0004, 0.9994, 0.99996, 1.0)] == \
        ["50.0%", "0.0%", "99.9%", ">99.9%", "100.0%"]
    bars = ConfidenceBars()
    qtbot.addWidget(bars)
    bars.set_probabilities([0.99996] + [0.00004 / 9] * 9)
    assert bars.accessibleDescription().startswith("0: >99.9%, 1: 0.0%")
    with pytest.raises(ValueError):
        bars.set_probabilities([0.5, 0.5])
