"""The Evaluate tab's points map, driven as a person would: evaluate the fake MNIST, hover and click dots, choose a
layer and a map, draw on the pad and find the drawing on the map."""

import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QPushButton, QRadioButton, QWidget

from digitpad.draw.scripted import draw
from digitpad.evaluate.map_plot import HOVER_PIXELS
from digitpad.evaluate.tab import EvaluateTab
from trainer import projection
from trainer.data import load_test_split
from trainer.features import layer_features

FIT_MS = 240_000  # t-SNE in a child process, on a machine shared with other work


@pytest.fixture(scope="module")
def small_set(fake_mnist):
    test = load_test_split(str(fake_mnist(16, 300, seed=3)), download=False)
    return test.images[:40, 0].numpy(), test.labels[:40].numpy()


@pytest.fixture
def tab(qtbot, seed):
    tab = EvaluateTab()
    qtbot.addWidget(tab)
    tab.resize(1500, 800)
    tab.show()
    tab.set_model(seed, "built-in model")
    yield tab
    tab.shutdown()


def evaluate_and_map(tab, qtbot, images, labels, method="pca"):
    with qtbot.waitSignal(tab.points_map.mapReady, timeout=FIT_MS, check_params_cb=lambda _l, m: m == method):
        assert tab.evaluate_set(images, labels, "a small set")
    return tab.findChild(QWidget, "pointsMap")


def hover(widget, point) -> None:
    """The pointer moved over `widget` to `point`, no button held: the event a mouse sends (QTest's mouseMove
    sends none on the offscreen platform when the pointer is already there from an earlier test)."""
    position = QPointF(point)
    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, position, widget.mapToGlobal(position),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                               Qt.KeyboardModifier.NoModifier))


def loneliest(plot) -> int:
    """The dot furthest from every other on screen: hovering and clicking it can mean nothing else."""
    screen = plot.to_screen(plot.positions)
    gaps = np.hypot(*(screen[:, None] - screen[None]).transpose(2, 0, 1)) + np.eye(len(screen)) * 1e9
    return int(gaps.min(1).argmax())


def test_every_digit_is_a_dot_hover_shows_it_and_a_click_opens_it_among_the_mistakes(tab, qtbot, small_set):
    images, labels = small_set
    points = evaluate_and_map(tab, qtbot, images, labels)
    plot = points.plot
    assert points.positions().shape == (40, 2) and np.array_equal(plot.labels, labels)
    note = points.findChild(QLabel, "mapNote").text()
    assert "PCA of the 40 digits' features (800 numbers each)" in note and "exactly the same projection" in note
    index = loneliest(plot)
    screen = plot.to_screen(plot.positions)
    assert np.hypot(*(screen - screen[index]).T)[np.arange(40) != index].min() > HOVER_PIXELS
    hover(plot, plot.rect().center() + QPoint(1, 1))
    hover(plot, plot.point_at(index))
    qtbot.waitUntil(lambda: plot.hovered == index, timeout=2000)
    # the hover card shows the digit's own picture beside its dot: MNIST's black paper where the plot is white
    x, y = plot.point_at(index).x(), plot.point_at(index).y()
    left = x + 12 if x + 124 < plot.width() else x - 124  # the card is 112 wide, right of the dot if room
    corner = (round(left) + 14 + 2, round(min(max(4, y - 42), plot.height() - 124)) + 6)  # in the picture
    assert plot.grab().toImage().pixelColor(*corner).value() < 60
    qtbot.mouseClick(plot, Qt.MouseButton.LeftButton, pos=plot.point_at(index))
    wrong = plot.labels[index] != plot.predictions[index]
    assert tab.cell_gallery.selected() == index
    assert tab.mistakes.selected() == (index if wrong else None)
    assert f"{labels[index]}s read" in tab.cell_title.text()
    qtbot.mouseClick(plot, Qt.MouseButton.LeftButton, pos=plot.rect().topLeft())  # no dot there: nothing changes
    assert tab.cell_gallery.selected() == index
    tab.set_model(tab.model, "another model")  # a map of one model is never shown under another
    assert points.positions() is None and not points.spaces and not points.layer_box.isEnabled()


def test_t_sne_follows_the_pca_says_how_it_placed_the_rest_and_each_layer_has_its_map(tab, qtbot, small_set,
                                                                                      monkeypatch):
    monkeypatch.setattr(projection, "TSNE_SAMPLE", 30)  # 10 of the 40 placed by the out-of-sample step
    images, labels = small_set
    points = evaluate_and_map(tab, qtbot, images, labels, "tsne")
    tsne_button = points.findChild(QRadioButton, "mapTsne")
    assert tsne_button.isChecked() and tsne_button.isEnabled()
    note = points.note.text()
    assert "fitted on a fixed random sample of 30 of the 40 digits" in note
    assert "the other 10 digits and your drawing are placed at the distance-weighted mean" in note
    assert np.array_equal(points.positions(), points.tsnes["features.8"].positions)
    pca_button = points.findChild(QRadioButton, "mapPca")
    qtbot.mouseClick(pca_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(points.positions(), points.spaces["features.8"].positions) and "PCA" in points.note.text()

    layers = points.findChild(QComboBox, "mapLayer")
    assert layers.itemData(0) == "input" and layers.currentData() == "features.8" and layers.count() == 9
    layers.setFocus()
    with qtbot.waitSignal(points.mapReady, timeout=FIT_MS, check_params_cb=lambda layer, m: layer == "input"):
        qtbot.keyClick(layers, Qt.Key.Key_Home)  # the first layer: the pixels
    space = points.spaces["input"]
    assert space.dims == 784 and not np.allclose(points.positions(), points.spaces["features.8"].positions)
    # the pixels' PCA: exactly sklearn's on the pictures themselves (up to each axis's sign)
    from sklearn.decomposition import PCA

    expected = PCA(2).fit_transform(images.reshape(40, -1))
    assert np.allclose(np.abs(points.positions()), np.abs(expected), atol=1e-3)
    assert pca_button.isChecked()  # the person chose PCA: a t-SNE arriving later does not take over


def test_the_drawing_is_a_live_point_on_the_same_map(window, qtbot, small_set, monkeypatch):
    from digitpad.evaluate import points_map

    threads, real = [], points_map.layer_features
    monkeypatch.setattr(points_map, "layer_features",
                        lambda *given, **named: threads.append(torch.get_num_threads()) or real(*given, **named))
    images, labels = small_set
    tab = window.evaluate_tab
    window.tabs.setCurrentWidget(tab)
    points = evaluate_and_map(tab, qtbot, images, labels)
    window.tabs.setCurrentWidget(window.draw_tab)
    updates = len(points.live_seconds)
    draw(window.draw_tab.canvas, [[(0.5, 0.2), (0.5, 0.5), (0.52, 0.8)]])  # a 1, by mouse events
    drawn = window.draw_tab.shown.image
    assert len(points.live_seconds) == updates  # the map is hidden: the drawing waits to be projected
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: len(points.live_seconds) > updates, timeout=2000)
    space = points.spaces["features.8"]
    features = layer_features(points.model, torch.from_numpy(drawn)[None, None], "features.8").numpy()
    assert np.allclose(points.plot.live, space.reduce(features)[0, :2], atol=1e-4)
    assert points.plot.live_point() is not None
    # one torch thread, as the Draw tab reads: a second one's hand-off cost 100s of ms with the cores busy
    assert threads and set(threads) == {1}

    # A test digit opened in the Draw tab (as its gallery's click does) lands exactly on its own dot.
    index = loneliest(points.plot)
    tab.digitChosen.emit(images[index])
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: np.allclose(points.plot.live, points.positions()[index], atol=1e-3), timeout=2000)
    window.draw_tab.canvas.clear()
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: points.plot.live is None, timeout=2000)


def test_closing_the_window_during_a_t_sne_ends_it_at_once(window, qtbot, small_set, monkeypatch):
    from digitpad.evaluate import map_worker

    started, real = [], map_worker.run_stoppable

    def slow_tsne(function, arguments, stop=None):  # the t-SNE's child takes a minute unless stopped
        if function is not projection.fit_tsne:
            return real(function, arguments, stop)
        started.append(time.perf_counter())
        return real(time.sleep, (60,), stop)

    monkeypatch.setattr(map_worker, "run_stoppable", slow_tsne)
    images, labels = small_set
    tab = window.evaluate_tab
    evaluate_and_map(tab, qtbot, images, labels)
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    worker = tab.points_map.job.worker
    closing = time.perf_counter()
    assert window.close()
    assert worker.isFinished() and time.perf_counter() - closing < 5


def test_in_its_own_window_the_map_follows_the_pen_beside_the_pad(window, qtbot, small_set):
    images, labels = small_set
    tab = window.evaluate_tab
    window.tabs.setCurrentWidget(tab)
    points = evaluate_and_map(tab, qtbot, images, labels)
    qtbot.mouseClick(points.findChild(QPushButton, "mapFloat"), Qt.MouseButton.LeftButton)
    frame = points.own_window.frame
    assert frame is not None and frame.isVisible() and points.plot.window() is frame
    assert tab.findChild(QLabel, "mapElsewhere").isVisible()
    window.tabs.setCurrentWidget(window.draw_tab)  # the Evaluate tab hidden, the map still on screen
    qtbot.waitExposed(frame)
    before = len(points.live_seconds)
    draw(window.draw_tab.canvas, [[(0.3, 0.3), (0.7, 0.3), (0.45, 0.8)]])  # a 7
    assert len(points.live_seconds) > before and points.plot.live is not None
    frame.close()  # back in the tab
    assert points.own_window.frame is None and points.plot.window() is window
    assert tab.findChild(QLabel, "mapElsewhere").isHidden()
    qtbot.mouseClick(points.findChild(QPushButton, "mapFloat"), Qt.MouseButton.LeftButton)
    assert window.close() and points.own_window.frame is None  # closing the app takes the map's window too
