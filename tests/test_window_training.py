"""The Train tab inside the window: a model trained there is one click away from the Draw tab."""

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox

from digitpad.canvas import DrawingCanvas
from digitpad.confidence import ConfidenceBars
from trainer.checkpoint import load_checkpoint, models_dir

from .drawing import SEVEN, drag


def test_use_in_draw_tab_makes_the_drawing_read_by_the_new_model(window, qtbot, mnist_dir):
    canvas = window.findChild(DrawingCanvas, "canvas")
    for stroke in SEVEN:
        drag(canvas, stroke)
    bars = window.findChild(ConfidenceBars, "confidence")
    qtbot.waitUntil(lambda: bars.probabilities() is not None)
    builtin_probabilities = np.array(bars.probabilities())

    tab = window.train_tab
    tab.findChild(QSpinBox, "epochs").setValue(1)
    tab.findChild(QSpinBox, "trainLimit").setValue(1000)
    tab.dataDir.setText(str(mnist_dir))
    with qtbot.waitSignal(tab.runFinished, timeout=120_000):
        qtbot.mouseClick(tab.findChild(QPushButton, "start"), Qt.MouseButton.LeftButton)
    saved = list(models_dir().glob("seed-*.pt"))
    assert len(saved) == 1

    qtbot.mouseClick(tab.findChild(QPushButton, "useModel"), Qt.MouseButton.LeftButton)
    assert window.predictor.path == saved[0]
    assert saved[0].name in window.findChild(QLabel, "modelLabel").text()
    # The drawing on the canvas is read again, now by the trained model: the bars are its probabilities.
    trained = load_checkpoint(saved[0]).model
    with torch.no_grad():
        expected = trained(torch.from_numpy(window.predictor.predict(canvas.ink_image()).net_input)[None]).exp()[0]
    qtbot.waitUntil(lambda: np.allclose(bars.probabilities(), expected.numpy(), atol=1e-4))
    assert not np.allclose(bars.probabilities(), builtin_probabilities, atol=1e-3)


def test_closing_the_window_mid_run_stops_and_joins_the_worker(window, qtbot, mnist_dir):
    tab = window.train_tab
    tab.findChild(QSpinBox, "epochs").setValue(30)
    tab.findChild(QSpinBox, "trainLimit").setValue(2000)
    tab.dataDir.setText(str(mnist_dir))
    qtbot.mouseClick(tab.findChild(QPushButton, "start"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.runningLoss.count() > 0, timeout=120_000)
    worker = tab._worker
    window.close()
    assert worker.isFinished()  # joined in closeEvent, not left running behind a closed window
    assert not [path for path in models_dir().glob("*") if path.suffix == ".tmp"]
