"""The inside view: what every convolutional block of the net makes of one 28x28 input, and which pixels counted.

A reusable widget (objectName `insideView`) of four parts that know nothing of each other, wired here: the
feature maps of every block (maps_view), one map enlarged (tile_detail), the saliency map (saliency_view,
objectName `saliency`) and the switched-off channels (ablation_panel). The maps are computed by
trainer.inspection (pure PyTorch) in one forward pass.

Clicking a tile switches its channel off (trainer.ablation: a forward hook zeroes it), or back on; `channelsChanged`
then says so and the owner shows the input again (the Draw tab reads it again, with the same channels off: the
view's `switch` hooks any copy of the model). "What it costs" measures the test accuracy without them in a worker.

Use:
    view = InsideView()
    view.set_model(model)        # any checkpoint's model, or a foreign one (trainer.foreign): the view keeps a copy
    view.show_input(image)       # 28 x 28 floats in [0, 1], as the net reads them (DigitReading.image); None clears
    view.set_target(digit)       # explain another digit than the answer (a clicked confidence bar); None: the answer
    view.switch                  # trainer.ablation.ChannelSwitch: which channels are off (None: no model)

One update (forward pass, live saliency, the tiles' pictures) takes a few milliseconds on the GUI thread: see
bench/inside_view_speed.py. `updated` is signalled after each.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import torch
from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from trainer.ablation import ChannelSwitch, Hooks
from trainer.attribution import preload
from trainer.foreign import is_foreign
from trainer.foreign_maps import ForeignProbe
from trainer.inspection import Activations, Block, FeatureProbe

from ..worker import WorkerSlot
from .ablation_panel import AblationPanel
from .cost_worker import CostReport, cost_worker
from .heatmap import heat_images, value_range
from .maps_view import BlockTiles, FeatureMapsView
from .saliency_view import SaliencyView
from .tile_detail import EnlargedTile

PRELOAD_DELAY_MS = 300


def _caption(block: Block, last: bool) -> BlockTiles:
    channels, height, width = block.output
    field = block.receptive_field
    digits = last and channels == 10
    seen = f"; each of their pixels sees a {field}×{field} patch of the input (its receptive field)" if field else ""
    return BlockTiles(
        title=block.name,
        detail=f"{channels} × {height}×{width}" + (f" · RF {field}×{field}" if field else "")
               + (" · one map per digit" if digits else ""),
        tooltip=f"{block.describe()}\n{channels} feature maps of {height}×{width}{seen}.",
        channels=channels, tile_labels=[str(d) for d in range(10)] if digits else None)


_preloading: threading.Thread | None = None


def start_preload() -> None:
    """Import Captum in a background thread, once (not a daemon: an import is never cut off half way at exit)."""
    global _preloading
    if _preloading is None:
        _preloading = threading.Thread(target=preload, name="captum-preload")
        _preloading.start()


class InsideView(QWidget):
    updated = Signal()
    channelsChanged = Signal()  # channels were switched off or on: show the input again

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("insideView")
        self.setAccessibleName("Inside the net")
        self.model: torch.nn.Module | None = None
        self.probe: FeatureProbe | None = None
        self.image: np.ndarray | None = None
        self.activations: Activations | None = None
        self._scales: list[tuple[float, float]] = []
        self.source: torch.nn.Module | None = None  # the model given, unhooked: "what it costs" copies it
        self.switch: ChannelSwitch | None = None
        self._hooks: Hooks | None = None
        self._accuracy_all: tuple[torch.nn.Module, float] | None = None  # the source's, once measured
        self.data_dir: str | None = None
        self.cost_job = WorkerSlot(self)

        title = QLabel("<b>Feature maps</b> of each block, from the input down to one map per digit",
                       objectName="insideTitle")
        title.setWordWrap(True)
        title.setToolTip("Every tile is one channel's feature map for the current input; colours go from dark blue "
                         "(lowest in its block) to yellow (highest). Hover over a tile to enlarge it, right-click "
                         "to keep it. Click a tile to switch its channel off, again to switch it back on. Hover "
                         "over a block's name for its layers.")
        self.maps = FeatureMapsView(self)
        self.scroll = QScrollArea(self, objectName="featureMapsScroll")
        self.scroll.setWidget(self.maps)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.enlarged = EnlargedTile(self)
        self.saliency = SaliencyView(self)
        # What the view cannot show for a model made elsewhere, said plainly (hidden for digitpad's own nets).
        self.note = QLabel(objectName="insideNote")
        self.note.setWordWrap(True)
        self.note.hide()
        self.ablation = AblationPanel(self)

        bottom = QHBoxLayout()  # on top: the saliency map and the enlarged tile
        bottom.addWidget(self.saliency, 1)
        bottom.addWidget(self.enlarged)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bottom)
        layout.addWidget(self.ablation)
        layout.addWidget(self.note)
        layout.addWidget(title)
        layout.addWidget(self.scroll, 1)  # the tiles take the rest, and scroll when there is not enough

        self.maps.tileHovered.connect(self._on_hover)
        self.maps.tileKept.connect(self._on_hover)
        self.maps.tileClicked.connect(self.toggle_channel)
        self.ablation.restoreRequested.connect(self.restore_channels)
        self.ablation.costRequested.connect(self.measure_cost)
        self.cost_job.done.connect(self._on_cost)
        self.cost_job.failed.connect(self.ablation.show_failure)
        self.cost_job.finished.connect(self.ablation.measuring_ended)
        # Captum's import (over half a second, most of it matplotlib's) is paid while the window idles, not on the
        # first stroke, and in a thread of its own: on the GUI thread it stalled the event loop for 370 ms.
        QTimer.singleShot(PRELOAD_DELAY_MS, start_preload)

    # ----- what it shows ------------------------------------------------------------------------------------
    def set_model(self, model: torch.nn.Module | None) -> None:
        """Show this model's blocks from now on (the current input again, if any). The view works on a CPU copy,
        so the caller's model is never hooked and may be used by other threads meanwhile."""
        self.cost_job.forget()  # a cost still to come is about the previous model
        was_off = self.switch is not None and self.switch.active
        self.source, self._accuracy_all = model, None
        if model is None:
            self.model = self.probe = self.switch = self._hooks = None
            self.maps.set_blocks([])
        else:
            self.model = copy.deepcopy(model).cpu().eval()
            foreign = is_foreign(self.model)
            self.probe = ForeignProbe(self.model) if foreign else FeatureProbe(self.model)
            # Every channel on again: a new model has other channels. The hooks are on the view's own copy only
            # (a model made elsewhere takes no hooks: no switching; the note says so).
            self.switch = None if foreign else ChannelSwitch.for_model(self.model)
            self._hooks = None if foreign else self.switch.attach(self.model)
            self.ablation.setVisible(not foreign)  # its "click a tile" would contradict the note
            rows = [BlockTiles("input", "1 × 28×28 · what the net reads", "The 28×28 picture the net receives "
                               "(after preprocessing, before normalizing).", 1)]
            rows += [_caption(block, i == len(self.probe.blocks) - 1) for i, block in enumerate(self.probe.blocks)]
            self.maps.set_blocks(rows)
        self.saliency.set_model(self.model)
        self._show_notes()
        self._show_switched()
        self.show_input(self.image)
        if was_off:  # every channel is on again
            self.channelsChanged.emit()

    def _show_notes(self) -> None:
        """What the view cannot show for a model made elsewhere, in words (nothing for digitpad's own nets)."""
        notes = [getattr(self.probe, "note", ""), self.saliency.limits]
        if is_foreign(self.model):
            notes.append("Channels cannot be switched off: that hooks the net's layers, which a model opened from "
                         "an ONNX, TorchScript or torch.export file does not offer.")
        self.note.setText(" ".join(note for note in notes if note))
        self.note.setVisible(bool(self.note.text()))

    def show_input(self, image: np.ndarray | None) -> None:
        """Feature maps and saliency for a 28 x 28 input in [0, 1] (None: nothing drawn)."""
        self.image = None if image is None else np.asarray(image, dtype=np.float32).reshape(28, 28)
        if self.probe is None or self.image is None:
            self.activations, self._scales = None, []
            self.maps.set_images([[] for _ in self.maps.blocks])
            self.saliency.show_input(self.image if self.probe is not None else None, None)
        else:
            self.activations = self.probe.run(self.image)
            stacks = [self.activations.image[None]] + self.activations.maps
            self._scales = [(0.0, 1.0)] + [value_range(maps) for maps in self.activations.maps]
            self.maps.set_images([heat_images(maps, low, high, "viridis" if index else "grey")
                                  for index, (maps, (low, high)) in enumerate(zip(stacks, self._scales))])
            self.saliency.show_input(self.image, self.activations.digit)
        self._show_enlarged()
        self.updated.emit()

    def set_target(self, digit: int | None) -> None:
        """Explain `digit` in the saliency map (a bar clicked in the Draw tab), or the answer when None."""
        self.saliency.set_target(digit)

    def block_count(self) -> int:
        """The convolutional blocks shown (the input row not counted)."""
        return 0 if self.probe is None else len(self.probe.blocks)

    def set_data_dir(self, folder: str | None) -> None:
        """The folder that holds MNIST, whose test set "what it costs" measures on (None: the default)."""
        self.data_dir = folder or None

    def shutdown(self) -> None:
        """Stop a measurement in progress and wait for its thread (the window is closing)."""
        self.cost_job.join()

    # ----- switching channels off ---------------------------------------------------------------------------
    @Slot(int, int)
    def toggle_channel(self, block: int, channel: int) -> None:
        """Switch a channel of a block (a row of tiles; 0 is the input, which has none) off, or back on."""
        if self.switch is None or not 0 < block <= len(self.probe.blocks):
            self._on_hover(block, channel)  # the input's tile: only kept enlarged
            return
        self.switch.toggle(self.probe.blocks[block - 1].name, channel)
        self._channels_changed()

    @Slot()
    def restore_channels(self) -> None:
        """Every channel back on."""
        if self.switch is not None and self.switch.active:
            self.switch.clear()
            self._channels_changed()

    def _channels_changed(self) -> None:
        self._show_switched()
        self.channelsChanged.emit()

    def _show_switched(self) -> None:
        blocks = self.probe.blocks if self.probe is not None else []
        switch = self.switch
        self.maps.set_off({(index + 1, channel) for index, block in enumerate(blocks)
                           for channel in (switch.off(block.name) if switch else ())})
        self.ablation.show_switched(switch.describe() if switch else "", switch.count if switch else 0,
                                    sum(block.channels for block in blocks))

    @Slot()
    def measure_cost(self) -> bool:
        """Measure the test accuracy with the channels off now, and with none off, in a worker; False when
        nothing is off or a measurement is already running."""
        if self.switch is None or not self.switch.active or self.cost_job.busy:
            return False
        known = self._accuracy_all[1] if self._accuracy_all and self._accuracy_all[0] is self.source else None
        worker = cost_worker(self.source, self.switch.hooked(), self.switch.describe(), self.data_dir, known)
        self.ablation.show_measuring()
        return self.cost_job.start(worker)

    @Slot(object)
    def _on_cost(self, report: CostReport) -> None:
        self._accuracy_all = (report.model, report.cost.accuracy_all)
        self.ablation.show_cost(report.description, report.cost)

    # ----- the enlarged tile --------------------------------------------------------------------------------
    @Slot(int, int)
    def _on_hover(self, block: int, channel: int) -> None:
        self._show_enlarged(None if block < 0 else (block, channel))

    def _show_enlarged(self, tile: tuple[int, int] | None = None) -> None:
        tile = tile or self.maps.selected
        if tile is None or self.activations is None:
            # Never a bare grey box: before anything is drawn it says what will appear in it.
            self.enlarged.clear("Hover over a tile to enlarge it; right-click to keep it here." if self.activations
                                else "Enlarged tile: draw a digit, then hover over a tile of its feature maps.")
            return
        block, channel = tile
        values = self.activations.image if block == 0 else self.activations.maps[block - 1][channel]
        row = self.maps.blocks[block]
        name = f"{row.title}, channel {channel} of {row.channels}"
        if row.tile_labels:
            name += f" (digit {row.tile_labels[channel]})"
        if tile in self.maps.off:
            name += ": <b>switched off</b> (click it to switch it back on)"
        self.enlarged.show_tile(row.images[channel], name, float(values.min()), float(values.max()),
                                self._scales[block], "pixels" if block == 0 else "activations")
