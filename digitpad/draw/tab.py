"""The Draw tab: the canvas; beside it what the net read, how sure it is and what it saw; then the inside view.

Reading runs on the GUI thread: finding the digits, redrawing each for the net and one batched forward pass take
a median of 1.7 ms for one digit and 5.9 ms for eight (bench/predict_speed.py), the inside view 5.4 ms more
(bench/inside_view_speed.py); docs/speed.md keeps the figures. While a stroke is drawn it runs at most every
LIVE_INTERVAL_MS, so a pen that sends hundreds of moves a second never queues readings behind it; when the stroke
ends it runs at once.
"""

from __future__ import annotations

import copy

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from trainer.ink.redraw import SEGMENT_SIZE

from ..inside.view import InsideView
from ..reading.predictor import Predictor
from ..reading.reader import DigitReading, Reading
from .canvas import DEFAULT_PEN_WIDTH, DrawingCanvas
from .example_strip import ExampleStrip
from .nearest_source import NearestSource
from .reading_panel import ReadingPanel

LIVE_INTERVAL_MS = 40
PANEL_WIDTH = 280  # what the net read: the number, the bars and the 28x28 picture
PANEL_MIN_WIDTH = 240
INSIDE_MIN_WIDTH = 240  # the inside view scrolls sideways when narrower than its own minimum
PEN_WIDTH_STEPS = 1000  # the pen slider counts thousandths of the canvas side


class DrawTab(QWidget):
    """Signals `imageDropped(path)` when a file is dropped on the canvas, for the window to open it, and
    `digitShown(image)` with the 28 x 28 picture the net read of the digit shown (None: none), for the other tabs."""

    imageDropped = Signal(str)
    digitShown = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.predictor: Predictor | None = None
        self._switched: tuple | None = None  # (the inside view's switch, a Predictor on a hooked copy)
        self.reading: Reading | None = None         # what the net read on the canvas
        self.shown: DigitReading | None = None       # the digit whose bars and picture are shown
        self.shown_index: int | None = None
        self._boxes: list[tuple[float, float, float, float]] = []  # the digits' boxes, in canvas units
        self._hovered: int | None = None
        self._net_input: np.ndarray | None = None  # an opened picture that is already the net's input

        self._build_canvas()
        left = self._build_controls()
        right_panel = self._build_reading_panel()
        self._lay_out(left, right_panel)
        self._show()

    def _build_canvas(self) -> None:
        """The canvas, wired to live reading, and the shortcuts that clear it and undo a stroke."""
        self.canvas = DrawingCanvas(self)
        self.canvas.inkMoved.connect(self._schedule_live_prediction)
        self.canvas.inkChanged.connect(self.predict_now)
        self.canvas.fileDropped.connect(self.imageDropped)
        self.canvas.pointerMoved.connect(self._on_pointer_moved)
        self.canvas.pointerLeft.connect(self._on_pointer_left)

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

    def _build_controls(self) -> QVBoxLayout:
        """The canvas above the pen width slider and the undo and clear buttons."""
        self.pen_width = QSlider(Qt.Orientation.Horizontal, objectName="penWidth")
        self.pen_width.setRange(20, 160)
        self.pen_width.setValue(round(DEFAULT_PEN_WIDTH * PEN_WIDTH_STEPS))
        self.pen_width.setToolTip("Pen width: how the ink looks. The net reads every digit redrawn with a pen in "
                                  "proportion to the digit, as thick as MNIST's strokes.")
        self.pen_width.setAccessibleName("Pen width")
        self.pen_width.setMinimumWidth(60)  # narrower in a small window, so that the canvas keeps its room
        self.pen_width.setMaximumWidth(180)
        self.pen_width.valueChanged.connect(self._set_pen_width)
        undo = _action_button(self.undo_action, "undo", "Remove the last stroke (Ctrl+Z)")
        clear = _action_button(self.clear_action, "clear", "Clear the canvas (Esc or Delete)")

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Pen width"))
        controls.addWidget(self.pen_width, 1)
        controls.addStretch(1)
        controls.addWidget(undo)
        controls.addWidget(clear)
        # The training digits nearest the digit in view, as the net sees them (their index made in a worker).
        self.nearest = NearestSource(self)
        self.examples = ExampleStrip(self.nearest, self)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(controls)
        left.addWidget(self.examples)
        return left

    def _build_reading_panel(self) -> QWidget:
        """The panel that shows the reading: the number, the caption, the bars, the 28x28 view."""
        self.panel = ReadingPanel(self)
        # Parts others find by name (tests, automation): the number, the caption, the bars, the 28x28 view.
        self.digit, self.caption = self.panel.digit, self.panel.caption
        self.confidence, self.preview = self.panel.confidence, self.panel.preview
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.panel)
        right_panel = QWidget(self)
        right_panel.setLayout(right)
        right_panel.setMinimumWidth(PANEL_MIN_WIDTH)  # narrower only in a small window, where room is short
        right_panel.setMaximumWidth(PANEL_WIDTH)
        return right_panel

    def _lay_out(self, left: QVBoxLayout, right_panel: QWidget) -> None:
        """The inside view, and the pad (canvas and reading) beside it in a splitter."""
        # Inside the net: every block's feature maps and a saliency map for the digit shown, updated with it.
        self.inside = InsideView(self)
        self.confidence.digitClicked.connect(self.inside.set_target)
        self.inside.channelsChanged.connect(self.predict_now)  # a channel switched off or on: read again
        pad = QWidget(self)
        pad_layout = QHBoxLayout(pad)
        pad_layout.setContentsMargins(0, 0, 0, 0)
        pad_layout.addLayout(left, 1)
        pad_layout.addSpacing(8)
        pad_layout.addWidget(right_panel)
        # In a small window (1024 x 640) the inside view scrolls sideways rather than being cut, or widening the
        # window past the screen.
        self.inside_scroll = QScrollArea(self, objectName="insideScroll")
        self.inside_scroll.setWidget(self.inside)
        self.inside_scroll.setWidgetResizable(True)
        self.inside_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.inside_scroll.setMinimumWidth(INSIDE_MIN_WIDTH)
        self.inside.setAutoFillBackground(False)  # the tab's background, as before the scroll area
        self.inside_scroll.viewport().setAutoFillBackground(False)
        # A splitter, so the inside view can be narrowed, or folded away by dragging its edge to the right.
        splitter = _PadSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(pad)
        splitter.addWidget(self.inside_scroll)
        # Room beyond the minimum goes half to the pad, half to the inside view, whose tiles grow with its width.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)

    def set_predictor(self, predictor: Predictor) -> None:
        """Read with this model from now on, starting with what is on the canvas."""
        self.predictor, self._switched = predictor, None
        self.inside.set_model(predictor.model)
        self.nearest.set_model(predictor.model)
        self.predict_now()

    def set_data_dir(self, folder: str | None) -> None:
        """The folder that holds MNIST, whose training digits the nearest examples are ('' or None: the
        default)."""
        self.nearest.set_data_dir(folder)
        self.inside.set_data_dir(folder)

    def shutdown(self) -> None:
        """Stop the nearest examples' and the inside view's work and wait for their threads (the window is
        closing)."""
        self.nearest.shutdown()
        self.inside.shutdown()

    def _reader(self) -> Predictor | None:
        """The predictor that reads: the model in use, or, while channels are switched off in the inside view, a
        copy of it hooked to that view's switch (the model itself stays whole for every other tab and thread)."""
        switch = self.inside.switch
        if self.predictor is None or switch is None or not switch.active:
            return self.predictor
        if self._switched is None or self._switched[0] is not switch:
            model = copy.deepcopy(self.predictor.model).cpu().eval()
            switch.attach(model)
            self._switched = (switch, self.predictor.using(model))
        return self._switched[1]

    def show_picture(self, grey: np.ndarray) -> None:
        """Show an opened image on the canvas and read it, as if it had been drawn."""
        self._net_input = None
        self.canvas.show_picture(grey)

    def show_net_input(self, field: np.ndarray) -> None:
        """Show a digit that is already the net's 28x28 input (an MNIST test image) and read it exactly as it is,
        without preprocessing it again: the Evaluate tab's mistakes are then explained as they were made."""
        self._net_input = field
        self.canvas.show_picture(field)

    def predict_now(self) -> None:
        """Read what is on the canvas now."""
        self._live_timer.stop()
        reading, reader = None, self._reader()
        if reader is not None and not self.canvas.is_empty():
            picture = self.canvas.picture()
            if picture is not None and picture is self._net_input:
                reading = reader.read_field(picture)
            elif picture is not None:
                reading = reader.read_picture(picture)
            else:
                reading = reader.read_strokes(self.canvas.strokes(), self.canvas.pen_width)
        self.reading = reading
        self._boxes = [] if reading is None else [self._to_canvas(d.box) for d in reading.digits]
        self._show()

    def _to_canvas(self, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        if self.canvas.picture() is not None:
            return self.canvas.picture_box_to_canvas(box)
        return tuple(v / SEGMENT_SIZE for v in box)

    def _digit_at(self, x: float, y: float, margin: float = 0.02) -> int | None:
        for index, (left, top, width, height) in enumerate(self._boxes):
            if left - margin <= x <= left + width + margin and top - margin <= y <= top + height + margin:
                return index
        return None

    def _current_index(self) -> int | None:
        """The digit hovered, else the one the last stroke belongs to, else the last one."""
        if self.reading is None:
            return None
        if self._hovered is not None and self._hovered < len(self._boxes):
            return self._hovered
        strokes = self.canvas.strokes()
        if strokes and self.canvas.picture() is None:
            x, y = strokes[-1][len(strokes[-1]) // 2]
            index = self._digit_at(x, y)
            if index is not None:
                return index
        return len(self.reading.digits) - 1

    def _on_pointer_moved(self, point: QPointF) -> None:
        hovered = self._digit_at(point.x(), point.y(), margin=0)
        if hovered != self._hovered:
            self._hovered = hovered
            self._show()

    def _on_pointer_left(self) -> None:
        if self._hovered is not None:
            self._hovered = None
            self._show()

    def _set_pen_width(self, steps: int) -> None:
        self.canvas.pen_width = steps / PEN_WIDTH_STEPS

    def _schedule_live_prediction(self) -> None:
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _show(self) -> None:
        index = self._current_index()
        self.canvas.set_digit_boxes(self._boxes, index)
        if self.predictor is None:
            empty = "No model loaded"
        elif self.canvas.is_empty():
            empty = "Draw a digit, or a whole number"
        else:
            empty = "No ink found"
        self.panel.show_reading(self.reading, index, empty)
        self.shown_index = index
        self.shown = None if self.reading is None or index is None else self.reading.digits[index]
        self.inside.show_input(None if self.shown is None else self.shown.image)
        self.examples.show_digit(self.shown)
        self.digitShown.emit(None if self.shown is None else self.shown.image)


class _PadSplitter(QSplitter):
    """The pad beside the inside view (in its scroll area). When the window narrows, room the pad can spare goes to
    the inside view first, so that it scrolls sideways only when both are at their minimum (a splitter shares a
    shortfall by its stretch factors, and would have the inside view scroll while the pad had room left)."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        pad, inside = self.sizes()
        wanted = self.widget(1).widget().minimumSizeHint().width()
        spare = pad - self.widget(0).minimumSizeHint().width()
        move = min(spare, wanted - inside)
        if inside > 0 and move > 0:  # 0: folded away on purpose
            self.setSizes([pad - move, inside + move])


def _action_button(action: QAction, name: str, tooltip: str) -> QPushButton:
    button = QPushButton(action.text(), objectName=name)
    button.setToolTip(tooltip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep keyboard focus (and Esc, Ctrl+Z) with the canvas
    button.clicked.connect(action.trigger)
    return button
