"""Every block's feature maps as rows of small heat-map tiles, from the input at the top to the output at the bottom.

Each block is a caption (its name, output shape and receptive field) over its tiles, one per channel, all on the
block's own colour scale so that strong and dead channels stand out. Hovering a tile signals `tileHovered`,
clicking it `tileClicked` (block and channel indices; the inside view switches that channel off or on), a right
click `tileKept` (the inside view keeps it enlarged); either way the chosen tile gets a frame. Tiles named in
`set_off` are drawn switched off: greyed and crossed. The widget's height follows its width (tiles wrap), so it
sits in a scroll area.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

MARGIN, GAP, BLOCK_GAP = 6, 3, 8
MIN_TILE, MAX_TILE = 14, 44
MAX_COLUMNS = 16
EMPTY_COLOR = QColor("#e3e7ec")
EDGE_COLOR = QColor("#b8bec7")  # a thin line around each tile, so pale tiles side by side stay apart
FRAME_COLOR = QColor("#e8590c")
OFF_VEIL = QColor(235, 237, 240, 200)  # a switched-off tile: its map (all zeros now) seen faintly through grey
OFF_CROSS = QColor("#c92a2a")


@dataclass
class BlockTiles:
    """What one row of the view shows: a caption and one image per channel (None: not computed yet)."""
    title: str                          # e.g. "features.0"
    detail: str                         # e.g. "16×26×26 · RF 3"
    tooltip: str                        # the layers, in words
    channels: int
    images: list[QImage | None] = field(default_factory=list)
    tile_labels: list[str] | None = None  # a short label per tile (the digit, for a layer of class maps)


class FeatureMapsView(QWidget):
    tileHovered = Signal(int, int)  # block, channel; (-1, -1) when the pointer leaves the tiles
    tileClicked = Signal(int, int)  # a left click
    tileKept = Signal(int, int)     # a right click

    def __init__(self, parent: QWidget | None = None, max_columns: int = MAX_COLUMNS):
        super().__init__(parent)
        self.setObjectName("featureMaps")
        self.max_columns = max_columns
        self.max_tile = MAX_TILE
        self.setAccessibleName("Feature maps of every block")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.blocks: list[BlockTiles] = []
        self.selected: tuple[int, int] | None = None
        self._hovered: tuple[int, int] | None = None
        self.off: set[tuple[int, int]] = set()  # (block, channel) of the tiles drawn switched off
        self._rects: list[list[QRect]] = []
        self._captions: list[int] = []  # the top of each block's caption
        self._caption_font = QFont(self.font())
        self._caption_font.setPixelSize(12)

    # ----- content ------------------------------------------------------------------------------------------
    def set_blocks(self, blocks: list[BlockTiles]) -> None:
        """New rows (a new model): the layout is redone; the selection is kept where it still exists."""
        self.blocks = blocks
        if self.selected and not self._exists(*self.selected):
            self.selected = None
        self._relayout()

    def set_images(self, images: list[list[QImage | None]]) -> None:
        """New tiles for the same rows (a new input): only repaints."""
        for block, tiles in zip(self.blocks, images):
            block.images = tiles
        self.update()

    def set_off(self, tiles: set[tuple[int, int]]) -> None:
        """Draw these tiles (block, channel) switched off, and every other one on."""
        self.off = set(tiles)
        self.update()

    def select(self, block: int, channel: int) -> None:
        self.selected = (block, channel) if self._exists(block, channel) else None
        self.update()

    def tile_rect(self, block: int, channel: int) -> QRect:
        """Where a tile is drawn, in widget coordinates (tests click there)."""
        return QRect(self._rects[block][channel])

    def set_max_columns(self, columns: int, max_tile: int = MAX_TILE) -> None:
        """At most `columns` tiles a row, each at most `max_tile` pixels wide."""
        if (columns, max_tile) != (self.max_columns, self.max_tile):
            self.max_columns, self.max_tile = columns, max_tile
            self._relayout()

    def height_for(self, width: int, max_columns: int, max_tile: int = MAX_TILE) -> int:
        """The height the rows would take at this width with at most `max_columns` tiles a row."""
        channels = [block.channels for block in self.blocks]
        columns = min(max_columns, max(channels, default=1))
        tile = max(MIN_TILE, min(max_tile, (width - 2 * MARGIN - (columns - 1) * GAP) // max(1, columns)))
        rows = sum(-(-count // columns) for count in channels)
        return 2 * MARGIN + len(channels) * (self._caption_height() + BLOCK_GAP) + rows * (tile + GAP) - BLOCK_GAP

    def tile_size(self) -> int:
        columns = min(self.max_columns, max((block.channels for block in self.blocks), default=1))
        fitting = (self.width() - 2 * MARGIN - (columns - 1) * GAP) // max(1, columns)
        return max(MIN_TILE, min(self.max_tile, fitting))

    # ----- geometry -----------------------------------------------------------------------------------------
    def _exists(self, block: int, channel: int) -> bool:
        return 0 <= block < len(self.blocks) and 0 <= channel < self.blocks[block].channels

    def _caption_height(self) -> int:
        return QFontMetrics(self._caption_font).height() + 2

    def _relayout(self) -> None:
        tile = self.tile_size()
        columns = max(1, min(self.max_columns, (self.width() - 2 * MARGIN + GAP) // (tile + GAP)))
        y = MARGIN
        self._rects, self._captions = [], []
        for block in self.blocks:
            self._captions.append(y)
            y += self._caption_height()
            rects = []
            for channel in range(block.channels):
                row, column = divmod(channel, columns)
                rects.append(QRect(MARGIN + column * (tile + GAP), y + row * (tile + GAP), tile, tile))
            rows = -(-block.channels // columns)
            y += rows * (tile + GAP) - GAP + BLOCK_GAP
            self._rects.append(rects)
        height = y + MARGIN - BLOCK_GAP if self.blocks else 2 * MARGIN
        if self.minimumHeight() != height:
            self.setFixedHeight(height)
        self.update()

    def resizeEvent(self, event) -> None:
        self._relayout()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(self.max_columns * (28 + GAP) + 2 * MARGIN, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.max_columns * (MIN_TILE + GAP) + 2 * MARGIN, 2 * MARGIN)

    def _tile_at(self, x: int, y: int) -> tuple[int, int] | None:
        for block, rects in enumerate(self._rects):
            for channel, rect in enumerate(rects):
                if rect.contains(x, y):
                    return block, channel
        return None

    # ----- the pointer --------------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position().toPoint()
        hit = self._tile_at(position.x(), position.y())
        if hit != self._hovered:
            self._hovered = hit
            self.tileHovered.emit(*(hit or (-1, -1)))
            if hit is None:
                QToolTip.hideText()
        caption = next((b for b, top in enumerate(self._captions)
                        if top <= position.y() < top + self._caption_height()), None)
        if hit is None and caption is not None:
            self.setToolTip(self.blocks[caption].tooltip)
        elif hit is not None:
            self.setToolTip(f"{self.blocks[hit[0]].title}, channel {hit[1]}" + _what_a_click_does(hit, self.off))
        else:
            self.setToolTip("")

    def leaveEvent(self, event) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.tileHovered.emit(-1, -1)
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        position = event.position().toPoint()
        hit = self._tile_at(position.x(), position.y())
        if hit is not None and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.select(*hit)
            (self.tileClicked if event.button() == Qt.MouseButton.LeftButton else self.tileKept).emit(*hit)

    # ----- painting -----------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlpha(150)
        bold = QFont(self._caption_font)
        bold.setBold(True)
        height = self._caption_height()
        dirty = event.rect()
        edges = []
        for index, block in enumerate(self.blocks):
            top = self._captions[index]
            painter.setFont(bold)
            painter.setPen(text)
            painter.drawText(QRect(MARGIN, top, self.width(), height), Qt.AlignmentFlag.AlignVCenter, block.title)
            title_width = QFontMetrics(bold).horizontalAdvance(block.title + "  ")
            painter.setFont(self._caption_font)
            painter.setPen(muted)
            painter.drawText(QRect(MARGIN + title_width, top, self.width(), height), Qt.AlignmentFlag.AlignVCenter,
                             block.detail)
            for channel, rect in enumerate(self._rects[index]):
                if not dirty.intersects(rect):  # in a scroll area, most of the view is out of sight
                    continue
                image = block.images[channel] if channel < len(block.images) else None
                if image is None:
                    painter.fillRect(rect, EMPTY_COLOR)
                else:
                    painter.drawImage(rect, image)  # no smoothing: each pixel of the map stays a square
                edges.append(rect.adjusted(-1, -1, 0, 0))
                if block.tile_labels:
                    painter.setPen(QColor("white"))
                    painter.drawText(rect.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                                     block.tile_labels[channel])
                if (index, channel) in self.off:
                    _paint_off(painter, rect)
        painter.setPen(QPen(EDGE_COLOR, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRects(edges)
        if self.selected is not None:
            painter.setPen(QPen(FRAME_COLOR, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._rects[self.selected[0]][self.selected[1]].adjusted(-1, -1, 1, 1))


def _what_a_click_does(tile: tuple[int, int], off: set[tuple[int, int]]) -> str:
    if tile[0] == 0:  # the input: nothing to switch off
        return ": click to keep it enlarged"
    if tile in off:
        return ", switched off: click to switch it back on"
    return ": click to switch it off, right-click to keep it enlarged"


def _paint_off(painter: QPainter, rect: QRect) -> None:
    """A switched-off tile: greyed, with a red cross corner to corner."""
    painter.fillRect(rect, OFF_VEIL)
    painter.setPen(QPen(OFF_CROSS, 2))
    inner = rect.adjusted(2, 2, -2, -2)
    painter.drawLine(inner.topLeft(), inner.bottomRight())
    painter.drawLine(inner.topRight(), inner.bottomLeft())
