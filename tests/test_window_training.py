"""The Train tab inside the real window: a trained model is one click from the Draw tab, and closing the window
mid-run stops and joins the worker (MainWindow.closeEvent itself, not a copy of it)."""

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox

from digitpad.draw.canvas import DrawingCanvas
from digitpad.draw.confidence import ConfidenceBars
from trainer.checkpoint import load_checkpoint
from trainer.data import normalize
from trainer.paths import models_dir

from .drawing import SEVEN, drag


def start(window, qtbot, data_dir, epochs):
    tab = window.train_tab
    tab.findChild(QSpinBox, "epochs").setValue(epochs)
    tab.settings.dataDir.setText(data_dir)
    qtbot.mouseClick(tab.findChild(QPushButton, "start"), Qt.MouseButton.LeftButton)
    return tab


def test_use_in_draw_tab_makes_the_drawing_read_by_the_new_model(window, qtbot, fake_dir_512):
    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in SEVEN:
        drag(canvas, stroke)
    bars = window.findChild(ConfidenceBars, "confidence")
    qtbot.waitUntil(lambda: bars.probabilities() is not None)
    builtin_probabilities = np.array(bars.probabilities())

    with qtbot.waitSignal(window.train_tab.runFinished, timeout=120_000):
        tab = start(window, qtbot, fake_dir_512, epochs=1)
    saved = list(models_dir().glob("seed-*.pt"))
    assert len(saved) == 1

    qtbot.mouseClick(tab.findChild(QPushButton, "useModel"), Qt.MouseButton.LeftButton)
    assert window.predictor.path == saved[0]
    assert saved[0].name in window.findChild(QLabel, "modelLabel").text()
    # The drawing on the canvas is read again, now by the trained model: the bars are its probabilities.
    trained = load_checkpoint(saved[0]).model
    image = torch.from_numpy(window.draw_tab.shown.image)
    with torch.no_grad():
        expected = trained(normalize(image)[None, None]).exp()[0]
    qtbot.waitUntil(lambda: np.allclose(bars.probabilities(), expected.numpy(), atol=1e-4))
    assert not np.allclose(bars.probabilities(), builtin_probabilities, atol=1e-3)


def test_closing_the_window_mid_run_stops_and_joins_the_worker(window, qtbot, fake_dir_512):
    tab = start(window, qtbot, fake_dir_512, epochs=300)
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=120_000)
    worker = tab.worker
    assert window.close()
    assert worker.isFinished()  # joined in closeEvent, not left running behind a closed window
    leftovers = list(models_dir().iterdir())
    assert not [path for path in leftovers if path.suffix != ".pt"]  # no temporary, half-written file
    assert len(leftovers) == 1 and load_checkpoint(leftovers[0]).meta["stopped_early"]
