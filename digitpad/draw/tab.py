"""The Draw tab: the canvas on the left; on the right what the net reads, how sure it is, and what it saw.

Prediction runs on the GUI thread: preprocessing and one forward pass take about a millisecond (see
bench/predict_speed.py). While a stroke is drawn it runs at most every LIVE_INTERVAL_MS, so a pen that sends
hundreds of moves a second never queues predictions behind it; when the stroke ends it runs at once.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from ..reading.predictor import Prediction, Predictor
from .canvas import DEFAULT_PEN_WIDTH, DrawingCanvas
from .confidence import ConfidenceBars, format_percent
from .preview import NetInputPreview

LIVE_INTERVAL_MS = 40
PEN_WIDTH_STEPS = 1000  # the pen slider counts thousandths of the canvas side


class DrawTab(QWidget):
    """Signals `imageDropped(path)` when a file is dropped on the canvas, for the window to open it."""

    imageDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.predictor: Predictor | None = None
        self.prediction: Prediction | None = None

        self.canvas = DrawingCanvas(self)
        self.canvas.inkMoved.connect(self._schedule_live_prediction)
        self.canvas.inkChanged.connect(self.predict_now)
        self.canvas.fileDropped.connect(self.imageDropped)

        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(self.predict_now)

        # Window-wide shortcuts that work only while this tab is shown: Qt ignores the shortcuts of hidden widgets.
        self.clear_action = QAction("Clear", self)
        self.clear_action.setShortcuts([QKeySequence(Qt.Key.Key_Escape), QKeySequence(QKeySequence.StandardKey.Delete)])
        self.clear_action.triggered.connect(self.canvas.clear)
        self.undo_action = QAction("Undo stroke", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.canvas.undo)
        self.addActions([self.clear_action, self.undo_action])

        self.pen_width = QSlider(Qt.Orientation.Horizontal, objectName="penWidth")
        self.pen_width.setRange(20, 160)
        self.pen_width.setValue(round(DEFAULT_PEN_WIDTH * PEN_WIDTH_STEPS))
        self.pen_width.setToolTip("Pen width. The default draws strokes as thick as MNIST's, relative to the digit.")
        self.pen_width.setAccessibleName("Pen width")
        self.pen_width.setFixedWidth(180)
        self.pen_width.valueChanged.connect(self._set_pen_width)
        undo = _action_button(self.undo_action, "undo", "Remove the last stroke (Ctrl+Z)")
        clear = _action_button(self.clear_action, "clear", "Clear the canvas (Esc or Delete)")

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Pen width"))
        controls.addWidget(self.pen_width)
        controls.addStretch(1)
        controls.addWidget(undo)
        controls.addWidget(clear)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(controls)

        self.digit = QLabel(objectName="prediction", alignment=Qt.AlignmentFlag.AlignCenter)
        self.digit.setAccessibleName("Predicted digit")
        digit_font = QFont(self.font())
        digit_font.setPixelSize(104)
        digit_font.setBold(True)
        self.digit.setFont(digit_font)
        self.digit.setFixedHeight(124)
        self.caption = QLabel(objectName="caption", alignment=Qt.AlignmentFlag.AlignCenter)
        caption_font = QFont(self.font())
        caption_font.setPixelSize(16)
        self.caption.setFont(caption_font)
        self.confidence = ConfidenceBars(self)
        self.preview = NetInputPreview(self)
        preview_title = QLabel("What the net sees (28 × 28)")
        preview_title.setToolTip("The drawing after MNIST's preprocessing: cropped, scaled to 20 pixels, "
                                 "centred by its centre of mass")

        right = QVBoxLayout()
        right.addWidget(self.digit)
        right.addWidget(self.caption)
        right.addSpacing(16)
        right.addWidget(self.confidence)
        right.addStretch(1)
        right.addWidget(preview_title, alignment=Qt.AlignmentFlag.AlignHCenter)
        right.addWidget(self.preview, alignment=Qt.AlignmentFlag.AlignHCenter)
        right_panel = QWidget(self)
        right_panel.setLayout(right)
        right_panel.setFixedWidth(280)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addSpacing(12)
        layout.addWidget(right_panel)
        self._show(None)

    def set_predictor(self, predictor: Predictor) -> None:
        """Read with this model from now on, starting with what is on the canvas."""
        self.predictor = predictor
        self.predict_now()

    def show_picture(self, grey: np.ndarray) -> None:
        """Show an opened image on the canvas and read it, as if it had been drawn."""
        self.canvas.show_picture(grey)

    def predict_now(self) -> None:
        self._live_timer.stop()
        if self.predictor is None or self.canvas.is_empty():
            self._show(None)
        else:
            self._show(self.predictor.predict(self.canvas.ink_image()))

    def _set_pen_width(self, steps: int) -> None:
        self.canvas.pen_width = steps / PEN_WIDTH_STEPS

    def _schedule_live_prediction(self) -> None:
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _show(self, prediction: Prediction | None) -> None:
        self.prediction = prediction
        if prediction is not None:
            self.digit.setText(str(prediction.digit))
            self.caption.setText(f"{format_percent(prediction.confidence)} sure")
        else:
            self.digit.setText("")
            if self.predictor is None:
                self.caption.setText("No model loaded")
            elif self.canvas.is_empty():
                self.caption.setText("Draw a digit")
            else:
                self.caption.setText("No digit found")
        self.confidence.set_probabilities(None if prediction is None else prediction.probabilities)
        self.preview.set_input(None if prediction is None else prediction.image)


def _action_button(action: QAction, name: str, tooltip: str) -> QPushButton:
    button = QPushButton(action.text(), objectName=name)
    button.setToolTip(tooltip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep keyboard focus (and Esc, Ctrl+Z) with the canvas
    button.clicked.connect(action.trigger)
    return button
