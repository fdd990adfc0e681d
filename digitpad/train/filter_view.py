"""Watch it learn: the first layer's 3x3 filters and what they make of one fixed test digit, epoch by epoch.

Fed trainer.inspection.Snapshot objects (the worker takes one of the starting weights and one after every epoch);
all of a run's snapshots are kept in memory (a few kilobytes each) so that the slider replays the run epoch by
epoch, during the run or after it. While the slider is at the newest epoch it follows each new one.
Filters are drawn blue (negative weight), white (zero), red (positive), on one scale for the epoch shown; the
maps on the block's own scale, dark blue (low) to yellow (high), like the Draw tab's inside view.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSlider, QVBoxLayout, QWidget

from trainer.inspection import Snapshot

from ..inside.heatmap import heat_images, value_range
from ..inside.maps_view import MAX_TILE, BlockTiles, FeatureMapsView

COLUMNS = 8
MIN_BIG_TILE = 24  # below this, sixteen tiles a row read better than eight
MIN_WIDTH = 330  # room for 8 tiles of about 36 pixels: a 3x3 kernel's squares stay visible


class FilterView(QWidget):
    """`reset(epochs)` before a run, `add_snapshot(snapshot)` as they come; `show_epoch(i)` or the slider to look."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("filterView")
        self.setAccessibleName("First-layer filters and their feature maps, by epoch")
        self.setMinimumWidth(MIN_WIDTH)
        self.snapshots: list[Snapshot] = []
        self.epochs = 0
        self.shown: Snapshot | None = None

        self.title = QLabel("<b>Watch it learn</b>: the first layer's filters and what they see")
        self.title.setWordWrap(True)
        self.title.setToolTip("Each filter is a 3×3 kernel the net slides over the picture: red weights add the "
                              "pixel under them, blue ones subtract it. Training turns random kernels into "
                              "detectors of edges and strokes; the maps show what each one finds in a test digit.")
        self.tiles = FeatureMapsView(self, max_columns=COLUMNS)
        self.tiles.setObjectName("filterTiles")
        self.tiles.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.scroll = scroll = QScrollArea(self)  # a short window scrolls the tiles rather than squeezing them
        scroll.setWidget(self.tiles)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.legend = QLabel("<span style='color:#6b7280'>Filters: <span style='color:#2166ac'>blue</span> "
                             "negative, white zero, <span style='color:#b2182b'>red</span> positive. Maps: dark "
                             "low, yellow high.</span>")
        self.legend.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="filterEpoch")
        self.slider.setAccessibleName("Epoch shown")
        self.slider.setToolTip("replay the run epoch by epoch (0: the random starting weights)")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self.show_epoch)
        self.epoch_label = QLabel(objectName="filterEpochLabel")
        self.epoch_label.setMinimumWidth(110)
        row = QHBoxLayout()
        row.addWidget(QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.legend)
        layout.addLayout(row)
        self.reset(0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit)  # once the layout has given the scroll area its new size

    def _fit(self) -> None:
        """Eight tiles a row, as big as the height allows; sixteen smaller ones where eight would be too small to
        see a 3x3 kernel's squares: all of it in view when possible."""
        width, height = self.scroll.viewport().width(), self.scroll.height()
        for tile in range(MAX_TILE, MIN_BIG_TILE - 1, -1):
            if self.tiles.height_for(width, COLUMNS, tile) <= height:
                self.tiles.set_max_columns(COLUMNS, tile)
                return
        self.tiles.set_max_columns(2 * COLUMNS)

    def reset(self, epochs: int) -> None:
        """Forget the last run's snapshots; a run of `epochs` epochs is about to start."""
        self.snapshots, self.epochs, self.shown = [], epochs, None
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.tiles.set_blocks([])
        self.epoch_label.setText("")
        self.title.setText("<b>Watch it learn</b>: the first layer's filters and what they see. "
                           "They appear here when training starts." if not epochs else
                           "<b>Watch it learn</b>: the first layer's filters and what they see")

    @Slot(object)
    def add_snapshot(self, snapshot: Snapshot) -> None:
        following = not self.snapshots or self.slider.value() == len(self.snapshots) - 1
        self.snapshots.append(snapshot)
        self.slider.setEnabled(len(self.snapshots) > 1)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.snapshots) - 1)
        self.slider.blockSignals(False)
        if following:
            self.slider.setValue(len(self.snapshots) - 1)
            self.show_epoch(len(self.snapshots) - 1)
        else:
            self._label()

    @Slot(int)
    def show_epoch(self, index: int) -> None:
        """Show the `index`-th snapshot (0: before training, i: after epoch i when no epoch was skipped)."""
        if not 0 <= index < len(self.snapshots):
            return
        snapshot = self.shown = self.snapshots[index]
        channels, kernel_h, kernel_w = snapshot.filters.shape
        _, height, width = snapshot.maps.shape
        rows = [
            BlockTiles("test digit", "the same every epoch", "One MNIST test digit, the same every epoch", 1),
            BlockTiles("filters", f"{channels} × {kernel_h}×{kernel_w} weights",
                       "The first convolution's kernels, on one scale: blue negative, white zero, red positive",
                       channels),
            BlockTiles("feature maps", f"{channels} × {height}×{width}, what each filter finds",
                       f"The first block's output for the test digit: {snapshot.block}", channels),
        ]
        filter_range = value_range(snapshot.filters, signed=True)
        map_range = value_range(snapshot.maps)
        rows[0].images = heat_images(snapshot.image[None], 0.0, 1.0, "grey")
        rows[1].images = heat_images(snapshot.filters, *filter_range, "diverging")
        rows[2].images = heat_images(snapshot.maps, *map_range, "viridis")
        if [row.channels for row in rows] == [row.channels for row in self.tiles.blocks]:
            self.tiles.set_images([row.images for row in rows])
        else:
            self.tiles.set_blocks(rows)
        self._fit()
        if self.slider.value() != index:
            self.slider.setValue(index)
        self._label()

    def set_epochs(self, epochs: int) -> None:
        """The run now has `epochs` epochs (one more was asked for while it trained)."""
        self.epochs = epochs
        self._label()

    def _label(self) -> None:
        if self.shown is None:
            return
        epoch = self.shown.epoch
        of = f" of {self.epochs}" if self.epochs else ""
        self.epoch_label.setText("before training" if epoch == 0 else f"epoch {epoch}{of}")
