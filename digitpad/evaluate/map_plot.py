"""The points map's plot: one dot per digit of the evaluated set, coloured by its true digit, the mistakes ringed,
each class's name at its middle, and the drawing on the pad as a large live point.

10,000 dots are drawn once into a cached picture (rebuilt only when the points, the size or the highlight
change); a repaint (the live point moving while a person draws, the hover card) is that picture and a few shapes
on top, well under a millisecond. Hovering a dot shows its digit's picture and what the model read; clicking it
signals `digitClicked(index)` (an index into the set).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from .gallery import short_percent

# Ten colours told apart also by most colour-blind eyes (matplotlib's tab10), one per true digit.
COLOURS = [QColor(c) for c in ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                               "#7f7f7f", "#bcbd22", "#17becf")]
MARGIN = 14
LEGEND = 22        # a row of the legend along the bottom
LEGEND_WIDTH = 430  # the legend on one row; narrower, the markers go on a second
HOVER_PIXELS = 8   # how near the pointer must be to a dot for it to count as over it
DOT, MISTAKE = 3.0, 4.0  # dot width, and a mistake's radius (ringed in black on top of the rest)


class MapPlot(QWidget):
    digitClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pointsMapPlot")
        self.setAccessibleName("Map of the test digits")
        self.setMouseTracking(True)
        self.setMinimumSize(260, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.positions: np.ndarray | None = None  # N x 2, the map's own units
        self.labels = self.predictions = self.confidences = self.images = None
        self.live: np.ndarray | None = None        # the drawing's position, same units
        self.hovered: int | None = None
        self.empty_text = ""
        self._cache: QPixmap | None = None
        self._screen: np.ndarray | None = None     # N x 2, the dots in widget pixels

    def sizeHint(self) -> QSize:
        return QSize(460, 460)

    # ----- inputs -------------------------------------------------------------------------------------------
    def set_set(self, images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                confidences: np.ndarray) -> None:
        """The evaluated set the dots are (N x 28 x 28 pictures in [0, 1], for the hover card)."""
        self.images, self.labels, self.predictions, self.confidences = images, labels, predictions, confidences

    def set_positions(self, positions: np.ndarray | None, empty_text: str = "") -> None:
        """Where each digit of the set lies (N x 2), or None: nothing drawn but `empty_text`."""
        self.positions = None if positions is None else np.asarray(positions, np.float64)
        self.empty_text = empty_text
        self.hovered = None
        self._invalidate()

    def set_live(self, position: np.ndarray | None) -> None:
        """The drawing's position on the map, or None (nothing drawn, or no map)."""
        self.live = None if position is None else np.asarray(position, np.float64)
        self.update()

    # ----- geometry -----------------------------------------------------------------------------------------
    def _plot_rect(self) -> QRectF:
        legend = LEGEND * self._legend_rows()
        return QRectF(MARGIN, MARGIN, max(1, self.width() - 2 * MARGIN), max(1, self.height() - 2 * MARGIN - legend))

    def _legend_rows(self) -> int:
        return 1 if self.width() >= LEGEND_WIDTH else 2

    def _transform(self) -> tuple[np.ndarray, float, np.ndarray]:
        """(data centre, pixels per unit, screen centre): one scale for both axes, so distances read true."""
        low, high = self.positions.min(0), self.positions.max(0)
        span = np.maximum(high - low, 1e-9)
        rect = self._plot_rect()
        scale = min(rect.width() / span[0], rect.height() / span[1])
        return (low + high) / 2, scale, np.array([rect.center().x(), rect.center().y()])

    def to_screen(self, points: np.ndarray) -> np.ndarray:
        centre, scale, middle = self._transform()
        flipped = (np.asarray(points, np.float64) - centre) * scale
        flipped[..., 1] *= -1  # up is up
        return flipped + middle

    def point_at(self, index: int) -> QPoint:
        """Where the `index`-th digit's dot is, in widget pixels (tests click and hover there)."""
        x, y = self.to_screen(self.positions[index])
        return QPoint(round(x), round(y))

    def live_point(self) -> QPointF | None:
        """Where the live point is drawn (kept inside the plot), or None."""
        if self.live is None or self.positions is None:
            return None
        x, y = self.to_screen(self.live)
        rect = self._plot_rect()
        return QPointF(min(max(x, rect.left()), rect.right()), min(max(y, rect.top()), rect.bottom()))

    def index_at(self, point: QPointF) -> int | None:
        """The digit whose dot is nearest `point`, if within HOVER_PIXELS; mistakes win ties (drawn on top)."""
        if self._screen is None:
            return None
        distances = np.hypot(self._screen[:, 0] - point.x(), self._screen[:, 1] - point.y())
        near = np.flatnonzero(distances <= HOVER_PIXELS)
        if not len(near):
            return None
        wrong = near[self.labels[near] != self.predictions[near]]
        pool = wrong if len(wrong) else near
        return int(pool[distances[pool].argmin()])

    # ----- events -------------------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self._invalidate()
        super().resizeEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if index != self.hovered:
            self.hovered = index
            self.setCursor(Qt.CursorShape.PointingHandCursor if index is not None else Qt.CursorShape.ArrowCursor)
            self.update()

    def leaveEvent(self, event) -> None:
        if self.hovered is not None:
            self.hovered = None
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.index_at(event.position())
            if index is not None:
                self.digitClicked.emit(index)

    # ----- painting -----------------------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache = None
        self._screen = None if self.positions is None else self.to_screen(self.positions)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.positions is None:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._cache = self._render_dots()
        painter.drawPixmap(0, 0, self._cache)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_live(painter)
        if self.hovered is not None:
            self._paint_card(painter, self.hovered)

    def _render_dots(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.white)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        screen, labels = self._screen, self.labels
        wrong = labels != self.predictions
        for digit in range(10):  # one call per colour: 10,000 dots in a few milliseconds
            colour = QColor(COLOURS[digit])
            colour.setAlpha(150)
            painter.setPen(QPen(colour, DOT, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            chosen = screen[(labels == digit) & ~wrong]
            painter.drawPoints(QPolygonF([QPointF(x, y) for x, y in chosen]))
        for index in np.flatnonzero(wrong):  # the mistakes on top: the true digit's colour, ringed in black
            painter.setPen(QPen(QColor("#111111"), 1.2))
            painter.setBrush(COLOURS[labels[index]])
            painter.drawEllipse(QPointF(*screen[index]), MISTAKE, MISTAKE)
        self._paint_class_names(painter)
        self._paint_legend(painter)
        painter.end()
        return pixmap

    def _paint_class_names(self, painter: QPainter) -> None:
        """Each true digit's name at the middle (median) of its dots: the islands read at a glance."""
        font = QFont(self.font())
        font.setPixelSize(22)
        font.setBold(True)
        painter.setFont(font)
        for digit in range(10):
            members = self._screen[self.labels == digit]
            if len(members):
                x, y = np.median(members, axis=0)
                box = QRectF(x - 15, y - 15, 30, 30)
                painter.setPen(QColor(255, 255, 255, 220))
                for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):  # a white halo, readable over the dots
                    painter.drawText(box.translated(dx, dy), Qt.AlignmentFlag.AlignCenter, str(digit))
                painter.setPen(COLOURS[digit].darker(130))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, str(digit))

    def _paint_legend(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        x, y = MARGIN, self.height() - LEGEND * (self._legend_rows() - 0.5)
        for digit in range(10):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(COLOURS[digit])
            painter.drawEllipse(QPointF(x + 4, y), 4, 4)
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(x + 10, y - 8, 12, 16), Qt.AlignmentFlag.AlignVCenter, str(digit))
            x += 24
        if self._legend_rows() == 2:
            x, y = MARGIN, y + LEGEND
        painter.setPen(QPen(QColor("#111111"), 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(x + 6, y), MISTAKE, MISTAKE)
        painter.drawText(QRectF(x + 14, y - 8, 110, 16), Qt.AlignmentFlag.AlignVCenter, "read wrong")
        x += 92
        self._paint_marker(painter, QPointF(x + 6, y), 5)
        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(x + 14, y - 8, 110, 16), Qt.AlignmentFlag.AlignVCenter, "your drawing")

    @staticmethod
    def _paint_marker(painter: QPainter, centre: QPointF, radius: float) -> None:
        """The drawing's marker: a black diamond with a yellow heart, unlike any dot."""
        diamond = QPolygonF([centre + QPointF(0, -radius), centre + QPointF(radius, 0), centre + QPointF(0, radius),
                             centre + QPointF(-radius, 0)])
        painter.setPen(QPen(QColor("#111111"), max(1.5, radius / 4)))
        painter.setBrush(QColor("#ffd60a"))
        painter.drawPolygon(diamond)

    def _paint_live(self, painter: QPainter) -> None:
        point = self.live_point()
        if point is not None:
            self._paint_marker(painter, point, 11)

    def _paint_card(self, painter: QPainter, index: int) -> None:
        """The hovered digit: its picture, large, and what the model read, beside the pointer's dot."""
        side, width = 84, 112
        x, y = self._screen[index]
        left = x + 12 if x + 12 + width < self.width() else x - 12 - width
        top = min(max(4.0, y - side / 2), self.height() - side - 40)
        card = QRectF(left, top, width, side + 36)
        painter.setPen(QPen(QColor("#333333"), 1))
        painter.setBrush(QColor(255, 255, 255, 240))
        painter.drawRoundedRect(card, 4, 4)
        pixels = np.ascontiguousarray(np.clip(self.images[index] * 255 + 0.5, 0, 255).astype(np.uint8))
        picture = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8)
        painter.drawImage(QRectF(left + (width - side) / 2, top + 4, side, side), picture)
        label, read = int(self.labels[index]), int(self.predictions[index])
        painter.setPen(COLOURS[label].darker(130) if label == read else QColor("#c2410c"))
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        sure = short_percent(self.confidences[index])  # as the galleries say it: never a certainty it lacks
        text = f"#{index}: a {label}\n" + (f"read right, {sure}" if label == read else f"read as {read}, {sure}")
        painter.drawText(QRectF(left + 4, top + side + 4, width - 8, 30), Qt.AlignmentFlag.AlignHCenter, text)
