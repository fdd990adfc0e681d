"""The main window: the status bar always names the model that answers, and the window keeps its shape."""

import torch
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from trainer.checkpoint import save_checkpoint
from trainer.config import EpochEnd, TrainConfig
from trainer.model import build_model

HISTORY = [EpochEnd(1, 0.5, 0.9, 0.2, 0.95, 0.01, 3.0)]


def test_a_checkpoint_with_odd_metadata_is_refused_and_the_bar_names_the_model_still_answering(window, tmp_path,
                                                                                                qtbot):
    good = save_checkpoint(tmp_path / "good.pt", build_model(), TrainConfig(), HISTORY)
    assert window.use_model(good)
    label = window.findChild(QLabel, "modelLabel")
    assert "good.pt" in label.text()
    payload = torch.load(good, weights_only=True)
    payload["meta"]["test_accuracy"] = "99.5%"
    torch.save(payload, tmp_path / "odd.pt")
    assert window.use_model(tmp_path / "odd.pt") is False
    box = window.findChild(QMessageBox)
    assert "test_accuracy" in box.informativeText() and "odd.pt" in box.informativeText()
    assert window.predictor.path == good and "good.pt" in label.text()


def test_text_appearing_never_resizes_the_window(window, qtbot):
    window.resize(960, 720)
    qtbot.wait(50)
    size = window.size()
    long_path = "/home/someone/" + "very-long-folder-name/" * 20 + "seed-20261125-99.55.pt"
    window.train_tab.run_panel.result.setText(f"Saved as <code>{long_path}</code>")
    window.train_tab.run_panel.status.setText("Stopped after 3 of 20 epochs in 1m02s. " * 5)
    window.model_label.setText(f"Model: {long_path}, 17,504 parameters, test accuracy 99.55%")
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        assert window.size() == size


def test_a_small_window_keeps_every_widget_whole_and_apart(window, qtbot):
    window.resize(400, 300)
    qtbot.wait(50)
    hint = window.minimumSizeHint()
    assert window.width() >= hint.width() and window.height() >= hint.height()
    tab = window.draw_tab
    parts = [tab.canvas, tab.digit, tab.confidence, tab.preview]

    def rect(widget) -> QRect:
        return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    for i, first in enumerate(parts):
        assert first.width() >= first.minimumSizeHint().width() - 1, first.objectName()
        for second in parts[i + 1:]:
            assert not rect(first).intersects(rect(second)), (first.objectName(), second.objectName())


def test_reset_to_the_built_in_model_is_offered_only_while_another_model_is_in_use(window, tmp_path):
    from PySide6.QtWidgets import QPushButton

    resets = [window.reset_model_action, window.train_tab.findChild(QPushButton, "resetModel"),
              window.handwriting_tab.findChild(QPushButton, "useBuiltin")]
    assert window.predictor.is_builtin
    assert [reset.isEnabled() for reset in resets] == [False] * 3
    assert window.use_model(save_checkpoint(tmp_path / "other.pt", build_model(), TrainConfig(), HISTORY))
    assert [reset.isEnabled() for reset in resets] == [True] * 3
    window.reset_model_action.trigger()
    assert window.predictor.is_builtin
    assert [reset.isEnabled() for reset in resets] == [False] * 3


SCREENS = [(1920, 1080), (1280, 672), (1024, 640)]  # 1280 x 720 less a task bar; the smallest usable size


def show_at(window, qtbot, size, tab) -> None:
    window.tabs.setCurrentWidget(tab)
    window.resize(*size)
    qtbot.wait(30)
    assert window.size().toTuple() == size


def test_the_window_fits_a_1280x720_screen_with_its_task_bar_and_stays_whole_at_1024x640(window, qtbot):
    # Less than 640 high: a 1280 x 720 screen less its task bar (about 48 pixels) and the title bar (about 32).
    for hint in (window.minimumSizeHint(), window.minimumSize()):
        assert hint.width() <= 1024 and hint.height() <= 640, hint
    tab = window.draw_tab
    show_at(window, qtbot, (1024, 640), tab)
    parts = [tab.canvas, tab.digit, tab.caption, tab.confidence, tab.preview, tab.inside.saliency, tab.inside.enlarged]
    inside = QRect(0, 0, window.width(), window.height())
    # The inside view fits beside the pad (it scrolls sideways only in a narrower window).
    assert tab.inside.width() >= tab.inside.minimumSizeHint().width()
    assert not tab.findChild(QWidget, "insideScroll").horizontalScrollBar().isVisible()

    def rect(widget) -> QRect:
        return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    for i, first in enumerate(parts):
        assert first.isVisible() and inside.contains(rect(first)), first.objectName()
        assert first.width() >= first.minimumSizeHint().width() - 1, first.objectName()
        for second in parts[i + 1:]:
            assert not rect(first).intersects(rect(second)), (first.objectName(), second.objectName())


def legend_widths(chart) -> tuple[list[float], list[float]]:
    """The width each legend label is drawn in, and the width its whole text needs (both sorted)."""
    from PySide6.QtGui import QFontMetricsF

    legend = chart.legend()
    metrics = QFontMetricsF(legend.font())
    items = [item for group in legend.childItems() for item in group.childItems() if item.isVisible()]
    drawn = [max(child.boundingRect().width() for child in item.childItems()) for item in items]
    needed = [metrics.horizontalAdvance(marker.label()) for marker in legend.markers() if marker.isVisible()]
    return sorted(drawn), sorted(needed)


def test_the_train_charts_legends_and_the_data_folder_are_never_cut_short(window, qtbot):
    tab = window.train_tab
    field = tab.settings.dataDir
    # A typical default on Windows, as long as most people's.
    typical = "default: C:\\Users\\Someone\\AppData\\Local\\digitpad\\Cache\\mnist"
    smallest = window.minimumSizeHint().toTuple()
    for size in SCREENS + [smallest]:
        show_at(window, qtbot, size, tab)
        for chart in (tab.charts.accuracyChart, tab.charts.lossChart):
            drawn, needed = legend_widths(chart)
            assert len(drawn) == len(needed) >= 3
            assert all(room >= text for room, text in zip(drawn, needed)), (size, chart.title(), drawn, needed)
        room = field.width() - 16  # the frame and the text margins
        for text in (field.placeholderText(), typical):
            assert field.fontMetrics().horizontalAdvance(text) <= room, (size, text, room)
