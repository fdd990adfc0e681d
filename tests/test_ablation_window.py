"""Switching channels off in the real window: a tile clicked in the Draw tab's inside view switches its channel
off (the bars, the reading, the saliency map and the tiles follow), again switches it back on; Restore all; What
it costs in its worker; the Evaluate tab runs without them and says so."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from trainer.ablation import measure_cost, resolve, zeroed
from trainer.data import load_test_split
from trainer.evaluation import evaluate

from .drawing import SEVEN, drag


@pytest.fixture
def drawn(window, qtbot):
    """The window with a 7 drawn on the pad, read, its inside view showing it."""
    window.resize(1320, 900)
    for stroke in SEVEN:
        drag(window.draw_tab.canvas, stroke)
    qtbot.waitUntil(lambda: window.draw_tab.shown is not None)
    return window


def click_tile(window, qtbot, block: int, channel: int, button=Qt.MouseButton.LeftButton) -> None:
    maps = window.draw_tab.inside.maps
    window.draw_tab.inside.scroll.ensureVisible(0, maps.tile_rect(block, channel).center().y())
    with qtbot.waitSignal(window.draw_tab.inside.updated, timeout=2000):
        qtbot.mouseClick(maps, button, pos=maps.tile_rect(block, channel).center())


def state(window):
    """(the bars' probabilities, the answer shown, the saliency map) of the digit shown."""
    tab = window.draw_tab
    return np.array(tab.confidence.probabilities()), tab.digit.text(), tab.inside.saliency.attribution.copy()


def test_clicking_a_tile_switches_its_channel_off_live_and_again_back_on(drawn, qtbot):
    inside, summary = drawn.draw_tab.inside, drawn.findChild(QLabel, "ablationSummary")
    bars, answer, saliency = state(drawn)
    assert answer == "7" and "Click a tile" in summary.text()
    click_tile(drawn, qtbot, 8, 7)  # classifier.0's map for 7: the net's evidence for a 7
    off_bars, off_answer, off_saliency = state(drawn)
    assert off_bars[7] < bars[7] - 0.05 and off_answer != "7"  # the reading follows
    assert np.abs(off_saliency - saliency).max() > 0           # and the saliency map
    assert inside.maps.off == {(8, 7)} and not inside.activations.maps[7][7].any()  # the tile reads zero
    assert "classifier.0: 7" in summary.text() and "1 of " in summary.text()
    assert "switched off" in inside.enlarged.title.text()
    # Drawn off: greyed with a red cross through its middle.
    rect = inside.maps.tile_rect(8, 7)
    picture = inside.maps.grab(rect).toImage()
    middle = picture.pixelColor(picture.width() // 2, picture.height() // 2)
    assert middle.red() > 150 and middle.green() < 120, middle.name()
    click_tile(drawn, qtbot, 8, 7)  # again: back on, exactly as before
    back, back_answer, back_saliency = state(drawn)
    np.testing.assert_array_equal(back, bars)
    assert back_answer == "7" and inside.maps.off == set() and not inside.switch.active
    np.testing.assert_array_equal(back_saliency, saliency)
    # The model the other tabs use was never hooked.
    assert not any(module._forward_hooks for module in drawn.predictor.model.modules())


def test_restore_all_brings_every_channel_back(drawn, qtbot):
    inside = drawn.draw_tab.inside
    restore = drawn.findChild(QPushButton, "restoreChannels")
    bars = state(drawn)[0]
    assert not restore.isEnabled()  # nothing to restore
    for block, channel in ((1, 3), (3, 5), (3, 9)):
        click_tile(drawn, qtbot, block, channel)
    assert inside.switch.switched_off() == {"features.0": [3], "features.2": [5, 9]} and restore.isEnabled()
    assert not np.array_equal(state(drawn)[0], bars)
    with qtbot.waitSignal(inside.updated, timeout=2000):
        qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(state(drawn)[0], bars)
    assert inside.maps.off == set() and not restore.isEnabled()
    assert "Click a tile" in drawn.findChild(QLabel, "ablationSummary").text()


def test_a_right_click_keeps_a_tile_enlarged_without_switching_it_off(drawn, qtbot):
    inside = drawn.draw_tab.inside
    bars = state(drawn)[0]
    maps = inside.maps
    qtbot.mouseClick(maps, Qt.MouseButton.RightButton, pos=maps.tile_rect(2, 4).center())
    assert maps.selected == (2, 4) and "features.1, channel 4" in inside.enlarged.title.text()
    assert not inside.switch.active
    np.testing.assert_array_equal(state(drawn)[0], bars)


def test_what_it_costs_runs_in_the_worker_and_shows_both_figures(drawn, qtbot, fake_dir, seed):
    drawn.draw_tab.set_data_dir(fake_dir)
    inside = drawn.draw_tab.inside
    cost = drawn.findChild(QPushButton, "ablationCost")
    assert not cost.isEnabled()  # nothing is off
    click_tile(drawn, qtbot, 4, 2)
    with qtbot.waitSignal(inside.cost_job.finished, timeout=20000):
        qtbot.mouseClick(cost, Qt.MouseButton.LeftButton)
        assert inside.cost_job.busy and not cost.isEnabled()  # running in its thread, the button waits
        assert "Measuring" in drawn.findChild(QLabel, "ablationSummary").text()
    split = load_test_split(fake_dir, download=False)
    expected = measure_cost(seed, split, resolve(["features.5:2"], seed).hooked())
    text = drawn.findChild(QLabel, "ablationSummary").text()
    assert f"{expected.accuracy_off:.2%}</b> with them off" in text and f"{expected.accuracy_all:.2%} with none off" \
        in text and f"({len(split):,} MNIST test digits" in text and "features.5: 2" in text
    assert cost.isEnabled()
    # A second measurement reuses the accuracy with none off (the model's own): one pass.
    click_tile(drawn, qtbot, 4, 3)
    with qtbot.waitSignal(inside.cost_job.finished, timeout=20000):
        qtbot.mouseClick(cost, Qt.MouseButton.LeftButton)
    assert inside._accuracy_all == (drawn.predictor.model, expected.accuracy_all)
    assert "features.5: 2, 3" in drawn.findChild(QLabel, "ablationSummary").text()


def test_what_it_costs_without_mnist_says_where_it_looked(drawn, qtbot, tmp_path):
    drawn.draw_tab.set_data_dir(str(tmp_path))
    click_tile(drawn, qtbot, 4, 2)
    with qtbot.waitSignal(drawn.draw_tab.inside.cost_job.finished, timeout=20000):
        qtbot.mouseClick(drawn.findChild(QPushButton, "ablationCost"), Qt.MouseButton.LeftButton)
    text = drawn.findChild(QLabel, "ablationSummary").text()
    assert "could not be measured" in text and str(tmp_path) in text


def test_the_evaluate_tab_runs_with_the_channels_off_and_says_so(drawn, qtbot, fake_dir, seed):
    tab = drawn.evaluate_tab
    tab.set_data_dir(fake_dir)
    note = drawn.findChild(QLabel, "evalSwitchedOff")
    assert note.isHidden()
    click_tile(drawn, qtbot, 4, 2)
    assert not note.isHidden() and "features.5: 2" in note.text() and "Restore all" in note.text()
    drawn.tabs.setCurrentWidget(tab)
    with qtbot.waitSignal(tab.evaluationDone, timeout=20000):
        qtbot.mouseClick(drawn.findChild(QPushButton, "runEvaluation"), Qt.MouseButton.LeftButton)
    split = load_test_split(fake_dir, download=False)
    with zeroed(seed, resolve(["features.5:2"], seed).hooked()):
        expected = evaluate(seed, split)
    assert tab.report.evaluation.predictions.tolist() == expected.predictions.tolist()
    assert "with channels switched off</b> (features.5: 2)" in tab.summary.text()
    drawn.tabs.setCurrentWidget(drawn.draw_tab)
    with qtbot.waitSignal(drawn.draw_tab.inside.updated, timeout=2000):
        qtbot.mouseClick(drawn.findChild(QPushButton, "restoreChannels"), Qt.MouseButton.LeftButton)
    assert note.isHidden() and tab.switched_off.off == ({}, "")


def test_a_new_model_brings_every_channel_back_and_drops_a_measurement_under_way(drawn, qtbot, fake_dir):
    drawn.draw_tab.set_data_dir(fake_dir)
    inside = drawn.draw_tab.inside
    cost = drawn.findChild(QPushButton, "ablationCost")
    click_tile(drawn, qtbot, 4, 2)
    qtbot.mouseClick(cost, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(inside.cost_job.finished, timeout=20000):
        drawn.reset_model()  # while it measures: the result is about the previous model
    assert not inside.switch.active and inside.maps.off == set()
    assert drawn.findChild(QLabel, "evalSwitchedOff").isHidden()
    summary = drawn.findChild(QLabel, "ablationSummary").text()
    assert "Click a tile" in summary and "%" not in summary  # no figures of the previous model's channels
    click_tile(drawn, qtbot, 4, 2)
    assert cost.isEnabled()  # and a new measurement can start
