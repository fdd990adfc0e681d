"""Saliency: which pixels of the net's 28x28 input drove its score for a digit, as a heat map over that input.

Live, with every new input, one of the one-backward-pass methods (gradient saliency or Grad-CAM, a millisecond or
two); on request, Integrated Gradients or Occlusion (tens of milliseconds), computed in a thread on a copy of
the model. The caption always says which method the picture shows and for which digit. The attributions come
from Captum, through trainer.attribution.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
from PySide6.QtCore import QObject, QRect, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QWidget

from trainer.attribution import LIVE_METHODS, METHODS, attribute, last_block_layer
from trainer.foreign import is_foreign

from .heatmap import COLOR_TABLES, overlay, qimage, value_range

SCALE = 5  # screen pixels per input pixel
LEGEND_HEIGHT = 24


class _Picture(QWidget):
    """The overlay, enlarged with hard pixel edges, and a colour legend under it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("saliencyImage")
        self.setFixedSize(28 * SCALE, 28 * SCALE + LEGEND_HEIGHT)
        self.image: QImage | None = None
        self.table, self.ends = "viridis", ("less", "more")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        square = QRect(0, 0, 28 * SCALE, 28 * SCALE)
        painter.fillRect(square, QColor("black"))
        if self.image is not None:
            painter.drawImage(square, self.image)
        painter.setPen(QColor("#8b93a1"))
        painter.drawRect(square.adjusted(0, 0, -1, -1))
        strip = np.linspace(0, 255, square.width()).astype(np.uint8)[None].repeat(6, axis=0)
        painter.drawImage(QRect(0, square.bottom() + 4, square.width(), 6), qimage(COLOR_TABLES[self.table][strip]))
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        painter.setPen(self.palette().windowText().color())
        text_box = QRect(0, square.bottom() + 10, square.width(), LEGEND_HEIGHT - 10)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.ends[0])
        painter.drawText(text_box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.ends[1])


class _Relay(QObject):
    """Carries a finished attribution from its thread to the GUI thread (a queued signal)."""
    finished = Signal(int, object, str)  # request number, the 28x28 map (or None), an error message


class SaliencyView(QWidget):
    """`set_model(model)` (a CPU model this view may use on the GUI thread), then `show_input(image, answer)` for each
    new input; `set_target(digit)` explains another digit than the answer (None: the answer again)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("saliency")
        self.setAccessibleName("Saliency map")
        self.model = None
        self._layer = None
        self.gradients = False
        self.limits = ""
        self.image: np.ndarray | None = None
        self.answer: int | None = None
        self.method: str | None = None         # what the picture shows now (a METHODS key)
        self.attribution: np.ndarray | None = None
        self.shown_target: int | None = None
        self._request = 0                      # the latest on-request computation; older results are dropped
        self._pending: tuple[str, int] | None = None
        self._relay = _Relay()
        self._relay.finished.connect(self._on_finished)

        self.caption = QLabel(objectName="saliencyCaption")
        self.caption.setWordWrap(True)
        self.picture = _Picture(self)
        self.liveMethod = QComboBox(objectName="saliencyMethod")
        for key in LIVE_METHODS:
            self.liveMethod.addItem(METHODS[key].title, key)
            self.liveMethod.setItemData(self.liveMethod.count() - 1, METHODS[key].about, Qt.ItemDataRole.ToolTipRole)
        self.liveMethod.setToolTip("the method that follows the pen (one backward pass)")
        self.liveMethod.currentIndexChanged.connect(lambda _index: self.refresh())
        self.targetChoice = QComboBox(objectName="saliencyTarget")
        self.targetChoice.addItem("the answer", None)
        for digit in range(10):
            self.targetChoice.addItem(str(digit), digit)
        self.targetChoice.setToolTip("explain the net's answer, or any digit (clicking a confidence bar picks it)")
        self.targetChoice.currentIndexChanged.connect(lambda _index: self.refresh())
        self.slow_buttons = {}
        for key, name in (("integrated_gradients", "integratedGradients"), ("occlusion", "occlusion")):
            button = QPushButton(METHODS[key].title, objectName=name)
            button.setToolTip(f"{METHODS[key].about} Slower: computed when asked, for this input.")
            button.clicked.connect(lambda _checked=False, key=key: self.request(key))
            self.slow_buttons[key] = button

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption, 0, 0, 1, 2)
        layout.addWidget(self.picture, 1, 0, 4, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.liveMethod, 1, 1)
        layout.addWidget(self.targetChoice, 2, 1)
        layout.addWidget(self.slow_buttons["integrated_gradients"], 3, 1)
        layout.addWidget(self.slow_buttons["occlusion"], 4, 1, Qt.AlignmentFlag.AlignTop)
        self._show_map(None, None, None)

    # ----- what it explains ---------------------------------------------------------------------------------
    def set_model(self, model) -> None:
        self.model = model
        foreign = is_foreign(model)
        # A model made elsewhere has no layer to hold for Grad-CAM, and an ONNX one no gradients at all: what is
        # left is offered, and `limits` says what is not, in words.
        self.gradients = model is not None and (not foreign or model.has_gradients)
        self._layer = None if model is None or foreign else last_block_layer(model)
        self.limits = foreign_limits(model) if foreign else ""
        self.liveMethod.model().item(self.liveMethod.findData("gradcam")).setEnabled(self._layer is not None)
        if self._layer is None and self.live_method() == "gradcam":
            self.set_live_method("saliency")
        self.liveMethod.setEnabled(self.gradients)
        self.refresh()

    def show_input(self, image: np.ndarray | None, answer: int | None) -> None:
        self.image, self.answer = image, answer
        self.refresh()

    def set_target(self, digit: int | None) -> None:
        """Explain `digit` (0-9), or the answer when None."""
        self.targetChoice.setCurrentIndex(0 if digit is None else int(digit) + 1)

    def target(self) -> int | None:
        """The digit explained: the picked one, else the answer (None when there is no input)."""
        picked = self.targetChoice.currentData()
        return picked if picked is not None else self.answer

    def live_method(self) -> str:
        return self.liveMethod.currentData()

    def set_live_method(self, key: str) -> None:
        self.liveMethod.setCurrentIndex(self.liveMethod.findData(key))

    @Slot()
    def refresh(self) -> None:
        """Show the live method for the current input and target (an on-request result is for the old one)."""
        self._request += 1
        target = self.target()
        ready = self.model is not None and self.image is not None and target is not None
        for key, button in self.slow_buttons.items():
            button.setEnabled(ready and (self.gradients or key == "occlusion"))
        if not ready or not self.gradients:
            self._show_map(None, None, None)
            return
        method = self.live_method()
        self._show_map(method, target, attribute(self.model, self.image, target, method, self._layer))

    def request(self, key: str) -> None:
        """Compute a slower method for the current input and target, in a thread; shown when it is done."""
        target = self.target()
        if self.model is None or self.image is None or target is None:
            return
        self._request += 1
        request, relay = self._request, self._relay
        model, image = copy.deepcopy(self.model), self.image.copy()  # the thread never shares the GUI's model
        self.caption.setText(f"<b>{METHODS[key].title}</b> for {target}: computing…")

        def work():  # a daemon thread: a closed window neither waits for it nor is kept open by it
            try:
                relay.finished.emit(request, attribute(model, image, target, key), key)
            except Exception as error:  # never lose the app over an explanation
                relay.finished.emit(request, None, f"{METHODS[key].title} failed: {type(error).__name__}: {error}")
        self._pending = (key, target)
        threading.Thread(target=work, name=f"digitpad-{key}", daemon=True).start()

    @Slot(int, object, str)
    def _on_finished(self, request: int, values, message: str) -> None:
        if request != self._request:
            return  # the input or the digit changed meanwhile
        key, target = self._pending
        if values is None:
            self.caption.setText(message)
        else:
            self._show_map(key, target, values)

    # ----- showing ------------------------------------------------------------------------------------------
    def _show_map(self, method: str | None, target: int | None, values: np.ndarray | None) -> None:
        self.method, self.shown_target, self.attribution = method, target, values
        if values is None:
            self.picture.image = None
            if self.model is None:
                self.caption.setText("<b>Saliency</b>: no model.")
            elif not self.gradients:
                self.caption.setText("<b>Saliency</b>: no live map, ONNX Runtime computes no gradients. Occlusion "
                                     "(hiding patches, no gradients needed) shows which pixels count, on request.")
            else:
                self.caption.setText("<b>Saliency</b>: draw a digit to see which pixels count.")
        else:
            about = METHODS[method]
            signed = about.signed
            low, high = value_range(values, signed)
            self.picture.table = "diverging" if signed else "viridis"
            self.picture.ends = ("against", "for") if signed else ("counts less", "counts more")
            self.picture.image = overlay(self.image, values, low, high, self.picture.table)
            if self.targetChoice.currentData() is None:
                whose = f"{target}, the net's answer"
            else:
                whose = f"{target} (picked; the answer is {self.answer})"
            kind = "live" if about.live else "on request, for this input"
            self.caption.setText(f"<b>{about.title}</b> for {whose} · {kind}")
            self.caption.setToolTip(about.about)
        self.picture.update()


def foreign_limits(model) -> str:
    """What the saliency map cannot show for a foreign model (trainer.foreign), in one sentence."""
    if not model.has_gradients:
        return ("Saliency: ONNX Runtime computes no gradients, so there is no live saliency map, Grad-CAM or "
                "Integrated Gradients for an ONNX model; Occlusion works, on request.")
    return ("Saliency: gradient saliency, Integrated Gradients and Occlusion work; Grad-CAM does not (it holds a "
            "layer of the net, which a TorchScript or torch.export file does not expose as a module).")
