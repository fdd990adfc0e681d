"""The drawing canvas: strokes with the mouse, a pen tablet (pressure varies the width) or a touch screen.

Strokes are kept as points in canvas units (0-1 across the square paper, so they survive resizing) and drawn as
round-capped curves through the midpoints of successive points, so a fast stroke is smooth and has no gaps.
The net reads the strokes themselves (`strokes()`, see digitpad.reading.reader), independent of the window's size
and the screen's pixel ratio, so the same drawing always reads the same; `ink_image` renders them as a picture.
The canvas also outlines the digits the reader found (`set_digit_boxes`), and says where the pointer hovers
(`pointerMoved`, in canvas units) so the tab can show the digit under it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from .painting import Stroke, StrokePoint, grey_to_qimage, paint_strokes, qimage_to_grey

# The pen only has to look right and keep digits apart: the net reads each digit redrawn with a pen in proportion
# to it (digitpad.reading.reader), so a number of 8 digits fits on the paper with this pen and still reads well.
DEFAULT_PEN_WIDTH = 0.045
INK_IMAGE_SIZE = 280  # the net's view is rendered at 10x MNIST's size: ample for a 20-pixel digit box
PAPER_COLOR = QColor("#16181d")
INK_COLOR = QColor("#f4f4f4")
HINT_COLOR = QColor("#6b7280")
BOX_COLOR = QColor(150, 160, 175, 150)
CURRENT_BOX_COLOR = QColor("#2f7de1")
# A box in canvas units (0-1 across the paper): left, top, width, height.
Box = tuple[float, float, float, float]
# Moves shorter than this (canvas units; about half a pixel on a 1000-pixel canvas) add nothing but work.
MIN_STEP = 0.0005


class DrawingCanvas(QWidget):
    """A square paper centred in the widget. Shows either the strokes drawn on it or an opened picture.

    Signals: `inkMoved` while a stroke is being drawn (often: throttle what you do with it), `inkChanged` when
    the picture has settled (a stroke ended, undo, clear, a picture shown), `fileDropped(path)` when a file is
    dropped on it.
    """

    inkMoved = Signal()
    inkChanged = Signal()
    fileDropped = Signal(str)
    pointerMoved = Signal(QPointF)  # in canvas units, while no button is pressed
    pointerLeft = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName("Drawing canvas")
        self.setMinimumSize(280, 280)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pen_width = DEFAULT_PEN_WIDTH
        self._strokes: list[Stroke] = []
        self._drawing = False  # a stroke is in progress: it is the last of _strokes
        self._picture: np.ndarray | None = None  # grey levels of an opened image, shown instead of strokes
        self._picture_image: QImage | None = None
        self._boxes: list[Box] = []
        self._current_box: int | None = None
        self.setMouseTracking(True)  # hovering (no button pressed) points at a digit

    # ----- what there is ------------------------------------------------------------------------------------
    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes and self._picture is None

    def strokes(self) -> list[list[tuple[float, float]]]:
        """The strokes' points in canvas units (0-1 across the paper), without their widths."""
        return [[(x, y) for x, y, _ in stroke] for stroke in self._strokes]

    def drawing(self) -> list[Stroke]:
        """The strokes with their widths, to give back to `set_drawing` (an undone save puts them back)."""
        return [list(stroke) for stroke in self._strokes if stroke]

    def picture(self) -> np.ndarray | None:
        """The opened picture shown instead of strokes, if any (grey levels in [0, 1])."""
        return self._picture

    def ink_image(self) -> np.ndarray:
        """What the net should read: the opened picture as it is, or the strokes, light on a dark square."""
        if self._picture is not None:
            return self._picture
        image = QImage(INK_IMAGE_SIZE, INK_IMAGE_SIZE, QImage.Format.Format_Grayscale8)
        image.fill(Qt.GlobalColor.black)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_strokes(painter, self._strokes, INK_IMAGE_SIZE, QColor(Qt.GlobalColor.white))
        painter.end()
        return qimage_to_grey(image)

    # ----- digit boxes --------------------------------------------------------------------------------------
    def set_digit_boxes(self, boxes: list[Box], current: int | None = None) -> None:
        """Outline these boxes (canvas units), the `current` one highlighted."""
        self._boxes, self._current_box = list(boxes), current
        self.update()

    def digit_boxes(self) -> list[Box]:
        return list(self._boxes)

    def picture_box_to_canvas(self, box: tuple[float, float, float, float]) -> Box:
        """A box in the opened picture's pixels as canvas units, as the picture is shown (fitted and centred)."""
        height, width = self._picture.shape
        scale = min(1 / width, 1 / height)
        left, top = (1 - width * scale) / 2, (1 - height * scale) / 2
        return left + box[0] * scale, top + box[1] * scale, box[2] * scale, box[3] * scale

    # ----- changing it --------------------------------------------------------------------------------------
    def clear(self) -> None:
        self._strokes.clear()
        self._drawing = False
        self._picture = self._picture_image = None
        self.update()
        self.inkChanged.emit()

    def undo(self) -> None:
        """Remove the last stroke (a stroke still being drawn is not undone: it has not happened yet)."""
        if self._strokes and not self._drawing:
            self._strokes.pop()
            self.update()
            self.inkChanged.emit()

    def set_drawing(self, strokes: list[Stroke]) -> None:
        """Put strokes (from `drawing`) on the canvas in place of whatever is there."""
        self._strokes = [list(stroke) for stroke in strokes]
        self._drawing = False
        self._picture = self._picture_image = None
        self.update()
        self.inkChanged.emit()

    def show_picture(self, grey: np.ndarray) -> None:
        """Show an opened image (2-D grey levels in [0, 1]) in place of the drawing; drawing again replaces it."""
        self._strokes.clear()
        self._drawing = False
        self._picture = grey
        self._picture_image = grey_to_qimage(grey)
        self.update()
        self.inkChanged.emit()

    def begin_stroke(self, position: QPointF, width_factor: float = 1.0) -> None:
        """Start a stroke at a widget position; `width_factor` scales the pen width (tablet pressure)."""
        if self._picture is not None:
            self._picture = self._picture_image = None
        self._strokes.append([self._stroke_point(position, width_factor)])
        self._drawing = True
        self.update()
        self.inkMoved.emit()

    def extend_stroke(self, position: QPointF, width_factor: float = 1.0) -> None:
        if not self._drawing:
            return
        stroke = self._strokes[-1]
        point = self._stroke_point(position, width_factor)
        last = stroke[-1]
        if abs(point[0] - last[0]) < MIN_STEP and abs(point[1] - last[1]) < MIN_STEP:
            return
        stroke.append(point)
        self.update()
        self.inkMoved.emit()

    def end_stroke(self) -> None:
        if self._drawing:
            self._drawing = False
            self.inkChanged.emit()

    def _stroke_point(self, position: QPointF, width_factor: float) -> StrokePoint:
        paper = self.paper_rect()
        return ((position.x() - paper.left()) / paper.width(), (position.y() - paper.top()) / paper.height(),
                self.pen_width * width_factor)

    # ----- geometry and painting ----------------------------------------------------------------------------
    def paper_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def sizeHint(self) -> QSize:
        return QSize(480, 480)

    def paintEvent(self, event: QPaintEvent) -> None:
        paper = self.paper_rect()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        outline = QPainterPath()
        outline.addRoundedRect(paper, 10, 10)
        painter.fillPath(outline, PAPER_COLOR)
        painter.setClipPath(outline)
        if self._picture_image is not None:
            picture = self._picture_image.size().scaled(paper.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(0, 0, picture.width(), picture.height())
            target.moveCenter(paper.center())
            painter.drawImage(target, self._picture_image)
        elif self._strokes:
            painter.save()
            painter.translate(paper.topLeft())
            paint_strokes(painter, self._strokes, paper.width(), INK_COLOR)
            painter.restore()
        else:
            painter.setPen(HINT_COLOR)
            font = painter.font()
            font.setPixelSize(max(14, round(paper.width() / 18)))
            painter.setFont(font)
            painter.drawText(paper, Qt.AlignmentFlag.AlignCenter, "Draw a digit or a number")
        if len(self._boxes) > 1:  # one digit alone is drawn as it always was, without a box
            self._paint_boxes(painter, paper)

    def _paint_boxes(self, painter: QPainter, paper: QRectF) -> None:
        margin = 4
        for index, (x, y, w, h) in enumerate(self._boxes):
            current = index == self._current_box
            pen = QPen(CURRENT_BOX_COLOR if current else BOX_COLOR, 2 if current else 1)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(paper.left() + x * paper.width() - margin,
                                           paper.top() + y * paper.height() - margin,
                                           w * paper.width() + 2 * margin, h * paper.height() + 2 * margin), 4, 4)

    # ----- input --------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.begin_stroke(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())
        elif not self._drawing:
            paper = self.paper_rect()
            self.pointerMoved.emit(QPointF((event.position().x() - paper.left()) / paper.width(),
                                           (event.position().y() - paper.top()) / paper.height()))

    def leaveEvent(self, event) -> None:
        self.pointerLeft.emit()
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.end_stroke()

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Half pressure draws the set width; a light touch half of it, a firm press half as much again.
        width_factor = 0.5 + event.pressure()
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self.begin_stroke(event.position(), width_factor)
        elif kind == QTabletEvent.Type.TabletMove:
            self.extend_stroke(event.position(), width_factor)
        elif kind == QTabletEvent.Type.TabletRelease:
            self.end_stroke()
        # Accepted, so Qt does not also synthesize mouse events from the pen and draw every stroke twice.
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.fileDropped.emit(str(path))


def _dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    return Path(urls[0].toLocalFile()) if urls and urls[0].isLocalFile() else None
