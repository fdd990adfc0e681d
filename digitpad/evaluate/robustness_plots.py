"""The robustness chart's pictures (QtCharts): one small chart a damage kind, accuracy (solid) and the share
flagged "not sure" (dashed) of each model against the damage, with the same test digit drawn under each step
as that step damaged it, so a class sees what "blurred by 1.5" means beside what it does to the net."""

from __future__ import annotations

import numpy as np
from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from trainer.damage import DAMAGES, Damage
from trainer.robustness import Point

MODEL_COLORS = (QColor("#1f77b4"), QColor("#e6550d"))  # the model in use, the one compared with it
COLUMNS = 4
STRIP_HEIGHT = 34
LEGEND = ("<b>Solid</b>: accuracy. <b>Dashed</b>: share flagged \"not sure\" (the highest probability under the "
          "model's calibrated threshold, \"not a digit\" included).<br><span style='color:#1f77b4'>■ blue</span>: "
          "the model in use. <span style='color:#e6550d'>■ orange</span>: the model compared with it.<br>Under "
          "each chart: the same test digit at each step.")


def _series(color: QColor, dashed: bool) -> QLineSeries:
    series = QLineSeries()
    pen = QPen(color)
    pen.setWidthF(2.0)
    pen.setStyle(Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    series.setPen(pen)
    series.setPointsVisible(True)
    return series


class ExampleStrip(QWidget):
    """The damaged example digit of each level, under the chart, in the order of the levels."""

    def __init__(self, chart_view: QChartView, damage: Damage, parent: QWidget | None = None):
        super().__init__(parent)
        self.view, self.damage = chart_view, damage
        self.images: dict[float, QImage] = {}
        self.setFixedHeight(STRIP_HEIGHT)

    def set_example(self, level: float, example: np.ndarray | None) -> None:
        if example is None:
            return
        pixels = np.ascontiguousarray((np.clip(example, 0, 1) * 255).astype(np.uint8))
        self.images[level] = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
        self.update()

    def clear(self) -> None:
        self.images.clear()
        self.update()

    def paintEvent(self, _event) -> None:
        """The steps side by side in order across the width of the plot (not at their places on the axis: the
        resolution's are uneven, and its last steps' digits would overlap)."""
        painter = QPainter(self)
        plot = self.view.mapFromScene(self.view.chart().mapToScene(self.view.chart().plotArea())).boundingRect()
        left = plot.left() + self.view.x() - self.x()
        cell = plot.width() / len(self.damage.levels)
        size = min(STRIP_HEIGHT - 4, cell - 2)
        for index, level in enumerate(self.damage.levels):
            image = self.images.get(float(level))
            if image is not None:
                painter.drawImage(QRectF(left + (index + 0.5) * cell - size / 2, 2, size, size), image)


class KindChart(QWidget):
    """One damage kind: its chart and, under it, its example strip."""

    def __init__(self, damage: Damage, parent: QWidget | None = None):
        super().__init__(parent)
        self.damage = damage
        self.chart = QChart()
        self.chart.setTitle(damage.title)
        font = QFont(self.chart.titleFont())
        font.setBold(True)
        self.chart.setTitleFont(font)
        self.chart.legend().hide()  # one legend for all seven, beside them
        self.chart.setMargins(QMargins(0, 0, 0, 0))
        self.chart.setBackgroundRoundness(0)
        self.view = QChartView(self.chart, objectName=f"robustness-{damage.key}")
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(200, 120)  # the window must still fit 1024 x 640 (tests/test_window.py)
        self.strip = ExampleStrip(self.view, damage, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip)
        self.x_axis, self.y_axis = QValueAxis(), QValueAxis()
        self.x_axis.setTitleText(damage.axis)
        self.x_axis.setLabelFormat("%g")
        low, high = min(damage.levels), max(damage.levels)
        margin = (high - low) * 0.06  # room for the end steps' example digits
        self.x_axis.setRange(low - margin, high + margin)
        self.x_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        self.x_axis.setTickAnchor(damage.levels[0])
        # Every other step labelled (evenly spaced levels); resolution's are uneven: every 8 pixels from 28.
        self.x_axis.setTickInterval(abs(damage.levels[1] - damage.levels[0]) * (1 if damage.reverse else 2))
        self.x_axis.setReverse(damage.reverse)
        self.y_axis.setRange(0, 100)
        self.y_axis.setTickCount(3)  # 0, 50, 100%: labels that fit a chart 120 pixels high, with minor lines between
        self.y_axis.setMinorTickCount(1)
        self.y_axis.setLabelFormat("%d%%")
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.lines: dict[tuple[int, str], QLineSeries] = {}
        for model, color in enumerate(MODEL_COLORS):
            for measure, dashed in (("accuracy", False), ("not_sure", True)):
                series = _series(color, dashed)
                series.setName(f"{'model in use' if model == 0 else 'compared'}: {measure.replace('_', ' ')}")
                self.chart.addSeries(series)
                series.attachAxis(self.x_axis)
                series.attachAxis(self.y_axis)
                self.lines[model, measure] = series

    def add(self, point: Point) -> None:
        self.lines[point.model, "accuracy"].append(point.level, point.accuracy * 100)
        self.lines[point.model, "not_sure"].append(point.level, point.not_sure * 100)
        if point.model == 0:
            self.strip.set_example(point.level, point.example)

    def clear(self) -> None:
        for series in self.lines.values():
            series.clear()
        self.strip.clear()


class RobustnessPlots(QWidget):
    """The seven charts in a grid, the legend in the eighth place."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.charts = {damage.key: KindChart(damage, self) for damage in DAMAGES}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for index, chart in enumerate(self.charts.values()):
            layout.addWidget(chart, index // COLUMNS, index % COLUMNS)
        self.legend = QLabel(LEGEND, objectName="robustnessLegend")
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.legend, len(DAMAGES) // COLUMNS, len(DAMAGES) % COLUMNS)

    def add(self, point: Point) -> None:
        self.charts[point.kind].add(point)

    def clear(self) -> None:
        for chart in self.charts.values():
            chart.clear()
