"""One feature map, enlarged: the map with hard pixel edges, which block and channel it is, and its values' range."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

SIDE = 120
BOX_WIDTH = SIDE + 24  # the picture and a little room: the inside view fits beside the pad in a 1024-wide window


class _Picture(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.setFixedSize(SIDE, SIDE)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#e3e7ec"))
        if self.image is not None:
            painter.drawImage(self.rect(), self.image)
        painter.setPen(QColor("#8b93a1"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))


class EnlargedTile(QWidget):
    """Call `show_tile(...)` with a map's picture and facts, or `clear(hint)`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("enlargedTile")
        self.setAccessibleName("Enlarged feature map")
        self.picture = _Picture(self)
        self.title = QLabel(objectName="tileTitle")
        self.title.setWordWrap(True)
        self.range = QLabel(objectName="tileRange")
        self.range.setWordWrap(True)
        self.range.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.range)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setFixedWidth(BOX_WIDTH)
        # Room for a tile's name and range (six lines at this width) from the start: hovering never moves the rest.
        self.setMinimumHeight(SIDE + 6 * self.fontMetrics().lineSpacing() + 2 * layout.spacing())
        self.clear("Hover over a tile to enlarge it; right-click to keep it here.")

    def show_tile(self, image: QImage, title: str, low: float, high: float, scale: tuple[float, float],
                  what: str = "activations") -> None:
        """`low`..`high`: the channel's own range; `scale`: what the colours span (the whole block's range)."""
        self.picture.image = image
        self.picture.update()
        self.title.setText(title)
        self.range.setText(f"{what} {low:.3g} to {high:.3g}<br><span style='color:#6b7280'>colours span "
                           f"{scale[0]:.3g} to {scale[1]:.3g} (the whole block)</span>")

    def clear(self, hint: str = "") -> None:
        self.picture.image = None
        self.picture.update()
        self.title.setText(hint)
        self.range.setText("")

    def sizeHint(self) -> QSize:
        return QSize(BOX_WIDTH, SIDE + 60)
