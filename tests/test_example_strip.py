"""The Draw tab's nearest examples, driven as a person drives them: strokes, hovering and clicks, in a real window
over a fake MNIST (its index made in the worker thread, as in the app)."""

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from digitpad.draw.example_strip import ExampleStrip, ExampleTile
from digitpad.draw.nearest_source import FAILED, MISSING, READY
from digitpad.window import MainWindow
from trainer.data import read_split
from trainer.features import layer_features

from .drawing import ONE, SEVEN, ZERO, drag, line, to_widget
from .fake_mnist import write_fake_mnist

HASH = [line((0.35, 0.2), (0.35, 0.8)), line((0.65, 0.2), (0.65, 0.8)), line((0.2, 0.4), (0.8, 0.4)),
        line((0.2, 0.6), (0.8, 0.6))]


def open_window(qtbot, monkeypatch, data: str) -> MainWindow:
    monkeypatch.setenv("DIGITPAD_DATA", data)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def wait_for(qtbot, source, state, timeout=60_000):
    """Until the source reaches `state`, in a real event loop (qWait would starve the worker thread)."""
    while source.state != state:
        with qtbot.waitSignal(source.changed, timeout=timeout):
            pass


def draw(window, strokes):
    window.draw_tab.canvas.clear()
    for stroke in strokes:
        drag(window.draw_tab.canvas, stroke)


@pytest.fixture
def mnist_300(tmp_path):
    return write_fake_mnist(tmp_path / "mnist", n_train=300, n_test=10)


def strip_of(window) -> ExampleStrip:
    return window.findChild(QWidget, "exampleStrip")


def exact_distances(window, root, image):
    """The distance to every training digit by brute force, from their features at float16 as stored."""
    model = window.predictor.model
    features = layer_features(model, read_split(root, train=True).images).half().float()
    query = layer_features(model, torch.from_numpy(image).reshape(1, 1, 28, 28))
    return torch.cdist(query, features)[0]


def assert_the_exact_nearest(tiles, exact):
    """The tiles show the 8 nearest, nearest first, each at its own distance (the fake digits tie often: which of
    two at the same distance comes first is left open)."""
    assert [tile.neighbour.distance for tile in tiles] == pytest.approx(exact.sort().values[:8].tolist(), rel=1e-3)
    assert [tile.neighbour.distance for tile in tiles] == pytest.approx(
        [float(exact[tile.neighbour.index]) for tile in tiles], rel=1e-3)


def test_the_strip_shows_the_8_nearest_training_digits_with_labels_and_distances(qtbot, monkeypatch, mnist_300):
    window = open_window(qtbot, monkeypatch, str(mnist_300))
    strip, source = strip_of(window), window.draw_tab.nearest
    assert not source.slot.busy  # the window opens and paints first; the index comes a moment later
    wait_for(qtbot, source, READY)
    draw(window, SEVEN)
    tiles = strip.findChildren(ExampleTile, "exampleTile")
    assert len(tiles) == 8 and all(tile.isVisible() and tile.neighbour is not None for tile in tiles)
    assert_the_exact_nearest(tiles, exact_distances(window, mnist_300, window.draw_tab.shown.image))
    train = read_split(mnist_300, train=True)
    for tile in tiles:
        label = int(train.labels[tile.neighbour.index])
        assert tile.neighbour.label == label and tile.text() == f"{label} · {tile.neighbour.distance:.1f}"
        assert tile.image is not None
    message = strip.findChild(QLabel, "exampleMessage").text()
    assert "nearest" in message and "typically" in message


def test_hovering_a_digit_of_a_number_shows_its_own_nearest(qtbot, monkeypatch, mnist_300):
    window = open_window(qtbot, monkeypatch, str(mnist_300))
    strip, tab = strip_of(window), window.draw_tab
    wait_for(qtbot, tab.nearest, READY)
    left = [[(x * 0.5, y) for x, y in stroke] for stroke in ONE]
    right = [[(0.5 + x * 0.5, y) for x, y in stroke] for stroke in ZERO]
    draw(window, left + right)
    assert len(tab.reading.digits) == 2
    assert_the_exact_nearest(strip.tiles, exact_distances(window, mnist_300, tab.reading.digits[1].image))
    before = [t.neighbour.index for t in strip.tiles]
    first = tab.canvas.digit_boxes()[0]
    centre = to_widget(tab.canvas, (first[0] + first[2] / 2, first[1] + first[3] / 2))
    QTest.mouseMove(tab.canvas, centre)  # a real move, no button held: the pointer over the first digit
    assert tab.shown_index == 0
    assert_the_exact_nearest(strip.tiles, exact_distances(window, mnist_300, tab.reading.digits[0].image))
    assert [t.neighbour.index for t in strip.tiles] != before


def test_clicking_an_example_opens_it_large_beside_the_digit(qtbot, monkeypatch, mnist_300):
    window = open_window(qtbot, monkeypatch, str(mnist_300))
    strip = strip_of(window)
    wait_for(qtbot, window.draw_tab.nearest, READY)
    draw(window, SEVEN)
    tile = strip.tiles[2]
    QTest.mouseClick(tile, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(10, 10))
    dialog = window.findChild(QDialog, "exampleDialog")
    assert dialog is not None and dialog.isVisible()
    large = dialog.findChild(QWidget, "exampleLarge")
    assert large.width() >= 28 * 8
    train = read_split(mnist_300, train=True)
    expected = np.clip(train.images[tile.neighbour.index, 0].numpy() * 255 + 0.5, 0, 255).astype(np.uint8)
    shown = large.image.convertToFormat(large.image.Format.Format_Grayscale8)
    pixels = np.frombuffer(shown.constBits(), np.uint8).reshape(28, shown.bytesPerLine())[:, :28]
    assert np.array_equal(pixels, expected)
    facts = dialog.findChild(QLabel, "exampleFacts").text()
    assert f"Number {tile.neighbour.index + 1:,} of MNIST's 300 training digits" in facts
    assert f"labelled {tile.neighbour.label}" in facts and f"{tile.neighbour.distance:.1f} away" in facts
    dialog.close()


def test_a_drawing_that_is_not_a_digit_is_told_how_far_it_is_from_any(qtbot, monkeypatch, mnist_300):
    window = open_window(qtbot, monkeypatch, str(mnist_300))
    wait_for(qtbot, window.draw_tab.nearest, READY)
    draw(window, HASH)
    assert window.draw_tab.reading.text == "not a digit"
    strip = strip_of(window)
    typical = window.draw_tab.nearest.index.typical
    message = strip.message.text()
    assert message.startswith("Not a digit") and f"{strip.neighbours[0].distance:.1f} away" in message
    assert f"typically {typical.median:.1f} from their own nearest" in message
    if strip.neighbours[0].distance > typical.high:
        assert message.startswith("Not a digit: nothing like it among the training digits")
    else:  # near some: how sure the net is of those training digits, from their pictures
        sure = window.predictor.probabilities(np.stack([strip.source.index.picture(n.index)
                                                        for n in strip.neighbours])).max(1).mean()
        assert f"unsure of too: its 8 nearest" in message and f"get {sure:.0%} from it on average" in message


def test_without_mnist_the_strip_says_where_it_looked_and_how_to_get_it(qtbot, monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    window = open_window(qtbot, monkeypatch, str(empty))
    strip, source = strip_of(window), window.draw_tab.nearest
    assert source.state == MISSING
    message = strip.message.text()
    assert str(empty / "MNIST" / "raw") in message and "Download MNIST in the Train tab" in message
    draw(window, SEVEN)  # reading goes on
    assert window.draw_tab.reading.number == "7" and all(tile.neighbour is None for tile in strip.tiles)
    write_fake_mnist(empty, n_train=300, n_test=10)  # downloaded meanwhile: the next digit finds it
    draw(window, ONE)
    wait_for(qtbot, source, READY)
    assert all(tile.neighbour is not None for tile in strip.tiles)


def test_another_model_gets_its_own_examples(qtbot, monkeypatch, mnist_300, tmp_path):
    from trainer.checkpoint import load_checkpoint
    from digitpad import builtin_checkpoint_path

    window = open_window(qtbot, monkeypatch, str(mnist_300))
    source = window.draw_tab.nearest
    wait_for(qtbot, source, READY)
    checkpoint = load_checkpoint(builtin_checkpoint_path())
    torch.save(torch.load(builtin_checkpoint_path(), weights_only=False), tmp_path / "same.pt")
    window.use_model(tmp_path / "same.pt")  # a model loaded afresh: its index made, or here read from the cache
    assert source.index is None
    wait_for(qtbot, source, READY)
    assert source.model is window.predictor.model and source.model is not checkpoint.model
    draw(window, SEVEN)
    assert strip_of(window).tiles[0].neighbour is not None


def test_closing_the_window_while_an_index_is_replaced_leaves_no_thread_running(qtbot, monkeypatch, mnist_300):
    window = open_window(qtbot, monkeypatch, str(mnist_300))
    source = window.draw_tab.nearest
    draw(window, SEVEN)  # a digit to show: its index starts at once
    assert source.slot.busy
    window.use_model(window.predictor.path)  # another model while the first index is made: that job is forgotten
    window.close()  # joins the forgotten job; its end must not start the next model's index
    with qtbot.waitSignal(source.slot.finished, timeout=10_000, raising=False):
        pass
    assert not source.slot.busy  # before: the next model's index began, its thread outliving the window


def test_the_train_tabs_data_folder_is_the_one_used_and_a_broken_file_is_said(qtbot, monkeypatch, tmp_path,
                                                                               mnist_300):
    broken = write_fake_mnist(tmp_path / "broken", n_train=300, n_test=10)
    images = broken / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])  # cut short
    window = open_window(qtbot, monkeypatch, str(tmp_path / "nowhere"))
    source = window.draw_tab.nearest
    assert source.state == MISSING
    window.train_tab.settings.set_data_dir(str(broken))  # the folder chosen in the Train tab
    draw(window, SEVEN)
    wait_for(qtbot, source, FAILED)
    message = strip_of(window).message.text()
    assert str(images) in message and "not a readable MNIST file" in message
    assert window.draw_tab.reading.number == "7"  # reading goes on
    window.train_tab.settings.set_data_dir(str(mnist_300))
    wait_for(qtbot, source, READY)
    assert source.index.source == mnist_300 / "MNIST" / "raw" / "train-images-idx3-ubyte"


def test_in_a_small_window_each_tile_shows_its_label_and_distance_whole(qtbot, monkeypatch, mnist_300):
    from PySide6.QtGui import QFontMetrics

    window = open_window(qtbot, monkeypatch, str(mnist_300))
    window.resize(1024, 640)
    wait_for(qtbot, window.draw_tab.nearest, READY)
    draw(window, SEVEN)
    for tile in strip_of(window).tiles:
        text, font = tile._fitted_text()
        assert text.replace("·", " · ").replace("  ", " ") == tile.text()
        assert QFontMetrics(font).horizontalAdvance(text) <= tile.width() and font.pixelSize() >= 9
