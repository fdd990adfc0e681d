"""Painting helpers shared by the canvas and the views that show its pictures: strokes, and grey arrays as QImages."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

# A point of a stroke: x, y and pen width, all in canvas units.
StrokePoint = tuple[float, float, float]
Stroke = list[StrokePoint]


def paint_strokes(painter: QPainter, strokes: list[Stroke], side: float, color: QColor) -> None:
    """Draw strokes on a square of `side` pixels at the painter's origin.

    Each point after the first is the control point of a quadratic curve between the midpoints around it, which
    rounds off the corners of a polyline through the raw mouse positions. Runs of equal width share one path,
    so a mouse stroke is a single path while a pressure-varying one is split where its width changes.
    """
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for stroke in strokes:
        points = [QPointF(x * side, y * side) for x, y, _ in stroke]
        widths = [width * side for _, _, width in stroke]
        if len(points) == 1:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(points[0], widths[0] / 2, widths[0] / 2)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            continue
        path, width = QPainterPath(points[0]), widths[0]
        for i in range(1, len(points)):
            if widths[i] != width:
                _stroke_path(painter, path, width, color)
                path, width = QPainterPath(path.currentPosition()), widths[i]
            if i < len(points) - 1:
                path.quadTo(points[i], (points[i] + points[i + 1]) / 2)
            else:
                path.lineTo(points[i])
        _stroke_path(painter, path, width, color)


def _stroke_path(painter: QPainter, path: QPainterPath, width: float, color: QColor) -> None:
    painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    painter.drawPath(path)


def grey_to_qimage(grey: np.ndarray) -> QImage:
    """A 2-D array of grey levels in [0, 1] as an 8-bit grey QImage that owns its pixels."""
    pixels = np.ascontiguousarray(np.clip(grey * 255 + 0.5, 0, 255).astype(np.uint8))
    height, width = pixels.shape
    return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def qimage_to_grey(image: QImage) -> np.ndarray:
    """An 8-bit grey QImage as a 2-D uint8 array (rows are padded to 4 bytes in the QImage, not here)."""
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width()].copy()
