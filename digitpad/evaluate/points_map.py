"""A map of what the net learnt: every evaluated digit's features at one layer, projected to two dimensions.

Given an evaluated set (`set_set`), the PCA map of the last layer is fitted at once in a worker (the features
pass takes seconds), then the t-SNE map in the background (about half a minute); the view switches to t-SNE when
it is ready, unless the person chose PCA. The layer choice refits both for that layer (kept once fitted), from
the pixels themselves to the last block: how the classes come apart as the picture goes through the net.

The drawing on the pad (`set_drawing`) is a live point, projected with the same fitted map: exactly, for PCA; by
the stated out-of-sample step for t-SNE (trainer.projection). It runs on the GUI thread (a forward pass of one
picture and a small matrix product, about a millisecond), only while the map is on screen. Clicking a dot
signals `digitClicked(index)`.
"""

from __future__ import annotations

import copy
import time
from collections import deque

import numpy as np
import torch
from PySide6.QtCore import QEvent, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from trainer.features import INPUT, feature_layers, last_layer, layer_features
from trainer.foreign import FEATURES_NOTE, is_foreign
from trainer.inspection import torch_threads
from trainer.projection import NEIGHBOURS, PCA_DIMENSIONS, LayerSpace, TsneMap

from ..worker import WorkerSlot
from .map_plot import MapPlot
from .map_worker import space_worker, tsne_worker
from .own_window import OwnWindow

PCA, TSNE = "pca", "tsne"


def layer_names(model: torch.nn.Module) -> list[tuple[str, str]]:
    """(layer, what the person reads) for the layer choice, from the pixels to the classifier."""
    layers, last = feature_layers(model), last_layer(model)
    named = []
    for number, layer in enumerate(layers):
        if layer == INPUT:
            named.append((layer, "the pixels themselves"))
        elif layer == last:
            named.append((layer, f"block {number} ({layer}), the last: what the classifier reads"))
        elif number == len(layers) - 1:
            named.append((layer, f"the classifier's ten digit maps ({layer})"))
        else:
            named.append((layer, f"block {number} ({layer})"))
    return named


def describe_pca(space: LayerSpace, count: int) -> str:
    sample = "" if space.fitted_on == count else f", fitted on a fixed sample of {space.fitted_on:,} of them"
    return (f"PCA of the {count:,} digits' features ({space.dims:,} numbers each{sample}): the two directions "
            f"along which they vary most, {space.variance[:2].sum():.0%} of the variance; made in "
            f"{space.seconds:.1f} s. Your drawing goes through exactly the same projection.")


def describe_tsne(tsne: TsneMap, count: int) -> str:
    if tsne.fitted_count == count:
        fitted = f"t-SNE of all {count:,} digits (after PCA to {PCA_DIMENSIONS} dimensions), made in {tsne.seconds:.0f} s"
        others = "your drawing is"
    else:
        fitted = (f"t-SNE fitted on a fixed random sample of {tsne.fitted_count:,} of the {count:,} digits (after "
                  f"PCA to {PCA_DIMENSIONS} dimensions), made in {tsne.seconds:.0f} s")
        others = f"the other {count - tsne.fitted_count:,} digits and your drawing are"
    return (f"{fitted}: near neighbours stay near, but the distances between islands mean little. t-SNE has no "
            f"way to place new points, so: {others} placed at the distance-weighted mean of the t-SNE positions of "
            f"the {NEIGHBOURS} nearest fitted digits in that {PCA_DIMENSIONS}-dimension space.")


class PointsMap(QWidget):
    digitClicked = Signal(int)   # an index into the evaluated set
    mapReady = Signal(str, str)  # (layer, "pca" or "tsne"): a fitted map came

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pointsMap")
        self.images: torch.Tensor | None = None    # N x 1 x 28 x 28, the evaluated set
        self.model: torch.nn.Module | None = None  # the GUI thread's own copy, for the live point
        self.spaces: dict[str, LayerSpace] = {}
        self.tsnes: dict[str, TsneMap] = {}
        self.failed: dict[str, str] = {}           # layer -> why its map could not be made
        self.layer, self.method, self._pca_chosen = "", PCA, False
        self._drawing: np.ndarray | None = None
        self._live_stale = False
        self.live_seconds: deque[float] = deque(maxlen=2000)  # each live point's update, for bench/
        self.job = WorkerSlot(self)
        self._job_layer = ""
        self._shown: np.ndarray | None = None      # the positions the plot shows

        self.layer_box = QComboBox(objectName="mapLayer")
        self.layer_box.setToolTip("Which layer's features to map: from the pixels to the last block, the classes "
                                  "come apart as the picture goes through the net")
        self.layer_box.activated.connect(self._on_layer_chosen)
        # the names are long: shown cut in a narrow map rather than widening it (the list shows them whole)
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_box.setMinimumContentsLength(10)
        self.pca_button = QRadioButton("PCA", objectName="mapPca")
        self.tsne_button = QRadioButton("t-SNE", objectName="mapTsne")
        self.methods = QButtonGroup(self)
        self.methods.addButton(self.pca_button)
        self.methods.addButton(self.tsne_button)
        self.methods.buttonClicked.connect(self._on_method_chosen)
        self.plot = MapPlot(self)
        self.plot.digitClicked.connect(self.digitClicked)
        self.note = QLabel(objectName="mapNote")
        self.note.setWordWrap(True)
        self._lay_out()

        self.job.progress.connect(lambda text: self._say_fitting(str(text)))
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.finished.connect(self._next)
        self.clear("The map of the digits comes with an evaluation.")

    def _lay_out(self) -> None:
        self.float_button = QPushButton("Own window", objectName="mapFloat")
        self.float_button.setToolTip("Show the map in a window of its own, beside the pad, to watch your drawing's "
                                     "point move as you draw")
        layer = QHBoxLayout()
        layer.addWidget(QLabel("Map of"))
        layer.addWidget(self.layer_box, 1)
        method = QHBoxLayout()  # a row of its own: the map stays narrow enough for the tab's three columns
        method.addWidget(self.pca_button)
        method.addWidget(self.tsne_button)
        method.addStretch(1)
        method.addWidget(self.float_button)
        self.body = QWidget(self)  # what goes to a window of its own
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(layer)
        body.addLayout(method)
        body.addWidget(self.plot, 1)
        body.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.body, 1)
        self.own_window = OwnWindow(self.body, self)
        self.float_button.clicked.connect(lambda: self.own_window.close() if self.own_window.is_open
                                          else self.own_window.open())
        self.own_window.toggled.connect(lambda out: self.float_button.setText("Back to the tab" if out
                                                                              else "Own window"))
        self.plot.installEventFilter(self)  # the live point is projected when the plot shows, wherever it is

    # ----- inputs -------------------------------------------------------------------------------------------
    def set_set(self, model: torch.nn.Module, images: torch.Tensor, labels: np.ndarray, predictions: np.ndarray,
                confidences: np.ndarray) -> None:
        """Map this evaluated set (images N x 1 x 28 x 28 in [0, 1]) as `model` sees it, starting with its last
        layer's PCA."""
        if is_foreign(model):  # a model made elsewhere: its features cannot be read, so there is nothing to map
            self.clear(f"No map of the digits: it {FEATURES_NOTE}.")
            return
        self.clear("")
        self.model, self.images = copy.deepcopy(model).cpu().eval(), images
        self.plot.set_set(images[:, 0].numpy(), labels, predictions, confidences)
        self.layer_box.clear()
        for layer, name in layer_names(model):
            self.layer_box.addItem(name, layer)
        self.layer = last_layer(model)
        self.layer_box.setCurrentIndex(self.layer_box.findData(self.layer))
        self.layer_box.setEnabled(True)
        self._show()
        self._next()

    def clear(self, message: str) -> None:
        """No set: the map's work under way is stopped, what it fitted dropped."""
        self.job.forget()
        self.images = self.model = None
        self.spaces, self.tsnes, self.failed = {}, {}, {}
        self.method, self._pca_chosen = PCA, False
        self.layer_box.clear()
        self.layer_box.setEnabled(False)
        self._show(message)

    @Slot(object)
    def set_drawing(self, image: np.ndarray | None) -> None:
        """The digit on the pad, as the net reads it (28 x 28 in [0, 1]), or None. Projected now when the map is
        on screen, else when it next shows."""
        if image is self._drawing:  # the Draw tab says it again as the pointer moves over the pad
            return
        self._drawing = image
        self._live_stale = True
        if self.plot.isVisible():
            self._update_live()

    def float_out(self) -> None:
        """The map in a window of its own (its button does the same)."""
        self.own_window.open()

    def shutdown(self) -> None:
        self.own_window.close()
        self.job.join()

    def positions(self) -> np.ndarray | None:
        """The dots' positions as shown, N x 2 (None while no map is fitted)."""
        return self.plot.positions

    # ----- fitting ------------------------------------------------------------------------------------------
    @Slot()
    def _next(self) -> None:
        """Start what the chosen layer still lacks: its PCA, then its t-SNE (one job at a time)."""
        if self.job.busy or self.images is None or self.layer in self.failed:
            return
        if self.layer not in self.spaces:
            self._job_layer = self.layer
            self.job.start(space_worker(self.model, self.images, self.layer))
        elif self.layer not in self.tsnes:
            self._job_layer = self.layer
            self.job.start(tsne_worker(self.spaces[self.layer]))
        self._show()

    @Slot(object)
    def _on_done(self, result) -> None:
        if isinstance(result, LayerSpace):
            self.spaces[result.layer] = result
            layer, method = result.layer, PCA
        else:
            layer, tsne = result
            self.tsnes[layer], method = tsne, TSNE
            if layer == self.layer and not self._pca_chosen:
                self.method = TSNE
        self._show()
        self.mapReady.emit(layer, method)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed[self._job_layer] = message
        self._show()

    def _on_layer_chosen(self, row: int) -> None:
        self.layer = self.layer_box.itemData(row)
        if self.job.busy and self._job_layer != self.layer:
            self.job.forget()  # its work is for a layer no longer shown; _next starts this one's when it ends
        self.method = TSNE if self.layer in self.tsnes and not self._pca_chosen else PCA
        self._show()
        self._next()

    def _on_method_chosen(self, button) -> None:
        self.method = TSNE if button is self.tsne_button else PCA
        self._pca_chosen = self.method == PCA
        self._show()

    # ----- showing ------------------------------------------------------------------------------------------
    def _show(self, message: str = "") -> None:
        space, tsne = self.spaces.get(self.layer), self.tsnes.get(self.layer)
        if self.method == TSNE and tsne is None:
            self.method = PCA
        count = 0 if self.images is None else len(self.images)
        self.pca_button.setEnabled(space is not None)
        self.tsne_button.setEnabled(tsne is not None)
        self.tsne_button.setText("t-SNE" if tsne is not None or self.layer in self.failed or count == 0
                                 else "t-SNE (fitting…)")
        (self.tsne_button if self.method == TSNE else self.pca_button).setChecked(True)
        if space is None:
            waiting = self.failed.get(self.layer) or message or "Reading the digits' features…"
            self.plot.set_positions(None, waiting)
            self._shown = None
            self.note.setText(self.failed.get(self.layer, "") or message)
        else:
            shown = tsne.positions if self.method == TSNE else space.positions
            if shown is not self._shown:  # a new picture of 10,000 dots only for new positions
                self.plot.set_positions(shown)
                self._shown = shown
            text = describe_tsne(tsne, count) if self.method == TSNE else describe_pca(space, count)
            if self.method == PCA and tsne is None:
                text += " " + (f"No t-SNE: {self.failed[self.layer]}" if self.layer in self.failed
                               else "t-SNE is being fitted in the background (about half a minute).")
            self.note.setText(text)
        self._live_stale = True
        if self.plot.isVisible():
            self._update_live()

    def _say_fitting(self, text: str) -> None:
        if self.layer not in self.spaces:
            self.plot.set_positions(None, text)
            self._shown = None

    def eventFilter(self, watched, event) -> bool:
        if watched is self.plot and event.type() == QEvent.Type.Show and self._live_stale:
            self._update_live()
        return False

    def _update_live(self) -> None:
        started = time.perf_counter()
        self._live_stale = False
        space = self.spaces.get(self.layer)
        if self._drawing is None or space is None or self.model is None:
            self.plot.set_live(None)
            return
        picture = torch.from_numpy(np.asarray(self._drawing, np.float32)).reshape(1, 1, 28, 28)
        # One thread, as the Draw tab reads: while other work keeps the cores busy, a second thread's hand-off
        # made each update 310 ms at the median, 520 ms at the 95th percentile (bench/points_map_speed.py).
        with torch_threads(1):
            features = layer_features(self.model, picture, self.layer).numpy()
        coords = space.reduce(features)
        tsne = self.tsnes.get(self.layer)
        self.plot.set_live(tsne.place(coords, space)[0] if self.method == TSNE and tsne else coords[0, :2])
        self.live_seconds.append(time.perf_counter() - started)
