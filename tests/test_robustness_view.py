"""The Evaluate tab's robustness curves, driven in the real window with real clicks on the fake MNIST."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QProgressBar, QPushButton, QTabWidget, QWidget

from digitpad.evaluate.robustness_worker import STOPPED
from trainer.damage import DAMAGES

TIMEOUT_MS = 120_000


@pytest.fixture
def view(window, fake_mnist, qtbot):
    """The window's robustness page, open, on a fake MNIST of 64 test digits."""
    window.evaluate_tab.set_data_dir(str(fake_mnist(16, 64, seed=4)))
    qtbot.mouseClick(window.tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=window.tabs.tabBar().tabRect(window.tabs.indexOf(window.evaluate_tab)).center())
    pages = window.evaluate_tab.findChild(QTabWidget, "evaluateViews")
    qtbot.mouseClick(pages.tabBar(), Qt.MouseButton.LeftButton, pos=pages.tabBar().tabRect(1).center())
    chart = window.findChild(QWidget, "robustnessChart")
    assert chart is not None and chart.isVisible()
    return chart


def click(qtbot, view, name: str) -> None:
    qtbot.mouseClick(view.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def points(view, model: int) -> dict[str, int]:
    return {key: chart.lines[model, "accuracy"].count() for key, chart in view.plots.charts.items()}


def test_measure_draws_every_curve_of_both_models_with_progress(view, qtbot):
    compare = view.findChild(QComboBox, "compareWith")
    compare.setFocus()
    qtbot.keyClick(compare, Qt.Key.Key_Down)  # "the built-in model", as a person picks it with the keyboard
    assert compare.currentText() == "the built-in model" and view.other is not None
    progress = view.findChild(QProgressBar, "robustnessProgress")
    values = []
    view.job.progress.connect(lambda event: values.append(progress.value()))
    with qtbot.waitSignal(view.runDone, timeout=TIMEOUT_MS):
        click(qtbot, view, "runRobustness")
        assert progress.isVisible() and view.findChild(QPushButton, "stopRobustness").isEnabled()
    full = {damage.key: len(damage.levels) for damage in DAMAGES}
    assert points(view, 0) == points(view, 1) == full
    for chart in view.plots.charts.values():
        assert chart.lines[0, "not_sure"].count() == chart.lines[1, "not_sure"].count() == len(chart.damage.levels)
        assert len(chart.strip.images) == len(chart.damage.levels)  # the example digit at every step
        assert all(0 <= p.y() <= 100 for p in chart.lines[0, "accuracy"].points())
    assert values == sorted(values) and values[-1] == progress.maximum() > 0
    status = view.status.text()
    assert "2 models (with the built-in model)" in status and "all 64 MNIST test digits" in status
    assert not progress.isVisible() and view.findChild(QPushButton, "runRobustness").isEnabled()
    assert not view.findChild(QPushButton, "stopRobustness").isEnabled()


def test_stop_ends_a_run_and_keeps_the_curves_drawn_so_far(view, qtbot):
    with qtbot.waitSignal(view.job.progress, timeout=TIMEOUT_MS):
        click(qtbot, view, "runRobustness")
    with qtbot.waitSignal(view.runDone, timeout=TIMEOUT_MS):
        click(qtbot, view, "stopRobustness")
    drawn = sum(points(view, 0).values())
    assert 0 < drawn < sum(len(damage.levels) for damage in DAMAGES)
    assert view.status.text() == STOPPED and view.findChild(QPushButton, "runRobustness").isEnabled()


def test_a_file_that_is_no_model_is_refused_and_nothing_is_compared(view, tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_text("not a model")
    assert not view.compare_with(bad)
    assert "Could not compare" in view.status.text() and "not a PyTorch checkpoint" in view.status.text()
    assert view.other is None and view.findChild(QComboBox, "compareWith").currentText() == "nothing"


def test_missing_mnist_is_said_and_the_view_is_ready_again(view, qtbot, tmp_path):
    view.set_data_dir(str(tmp_path))
    with qtbot.waitSignal(view.runDone, timeout=TIMEOUT_MS):
        click(qtbot, view, "runRobustness")
    assert "MNIST" in view.status.text() and str(tmp_path) in view.status.text()
    assert view.findChild(QPushButton, "runRobustness").isEnabled()


def test_another_model_in_use_clears_the_curves(view, qtbot, window):
    with qtbot.waitSignal(view.job.progress, timeout=TIMEOUT_MS):
        click(qtbot, view, "runRobustness")
    with qtbot.waitSignal(view.runDone, timeout=TIMEOUT_MS):
        window.reset_model()  # the built-in model again: a model set anew
    assert sum(points(view, 0).values()) == 0 and "Press Measure" in view.status.text()
