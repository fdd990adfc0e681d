"""The Train tab's two charts (QtCharts): accuracy per epoch, and loss per epoch with the running batch loss."""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QChart,
    QChartView,
    QLineSeries,
    QLogValueAxis,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QWidget

from trainer.config import EpochEnd

TARGET_ACCURACY = 0.994  # the line marked on the accuracy chart

TRAIN_COLOR = QColor("#1f77b4")
TEST_COLOR = QColor("#e6550d")
VALIDATION_COLOR = QColor("#31a354")
RUNNING_COLOR = QColor("#6baed6")
TARGET_COLOR = QColor("#7f7f7f")
# The changes made while a run trains (trainer.steering), marked where they happened.
MARK_COLORS = {"lr_multiplier": QColor("#756bb1"), "augment": QColor("#31a354"), "epochs": QColor("#252525")}
# What a legend entry takes besides its text (the coloured square and the gaps around it), and the chart's own
# margins around the legend: measured on Qt 6.8's QtCharts, with room to spare.
LEGEND_MARKER_ROOM = 26
LEGEND_MARGINS = 28

ACCURACY_TIP = ("train (augmented): accuracy on the randomly turned, moved and scaled batches it trained on during "
                "the epoch, so often below test\nvalidation: the part of the training set held out, never trained "
                "on\ntest: MNIST's 10,000 test images\ndashed: the {target:.1%} target")


def _line(name: str, color: QColor, width: float = 2.0, points: bool = True,
          style: Qt.PenStyle = Qt.SolidLine) -> QLineSeries:
    series = QLineSeries()
    series.setName(name)
    pen = QPen(color)
    pen.setWidthF(width)
    pen.setStyle(style)
    series.setPen(pen)
    series.setPointsVisible(points)  # so that a single epoch shows as a dot
    return series


def _chart_view(name: str, title: str) -> tuple[QChartView, QChart]:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setBold(True)
    chart.setTitleFont(font)
    chart.legend().setAlignment(Qt.AlignBottom)
    chart.setMargins(QMargins(0, 0, 0, 0))
    chart.setBackgroundRoundness(0)
    view = QChartView(chart)
    view.setObjectName(name)
    view.setRenderHint(QPainter.Antialiasing)
    view.setMinimumHeight(230)  # lower, the axes' labels turn to "..."; the width: legend_width()
    return view, chart


def _plot(chart: QChart, x_axis, y_axis, series_list: list) -> None:
    """Put the series on the chart against epoch (x, bottom) and the given y axis (left)."""
    chart.addAxis(x_axis, Qt.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignLeft)
    for series in series_list:
        chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)


def _attach(chart: QChart, series) -> None:
    """Add a series to a chart already laid out, on its axes, and out of its legend."""
    chart.addSeries(series)
    for axis in chart.axes():
        series.attachAxis(axis)
    chart.legend().markers(series)[0].setVisible(False)


def legend_width(chart: QChart, unlisted: tuple = ()) -> int:
    """The chart width at which its one-line legend shows every name whole (QtCharts elides them otherwise);
    `unlisted`: series left out of the legend."""
    metrics = QFontMetricsF(chart.legend().font())
    names = [marker.label() for marker in chart.legend().markers() if marker.series() not in unlisted]
    return math.ceil(sum(metrics.horizontalAdvance(name) + LEGEND_MARKER_ROOM for name in names) + LEGEND_MARGINS)


def nice_step(span: float, ticks: int = 6) -> float:
    """A 1, 2 or 5 times a power of ten step giving about `ticks` intervals over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _epoch_axis(epochs: int) -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText("epoch")
    axis.setLabelFormat("%d")
    axis.setRange(0, epochs + max(0.05, epochs * 0.02))  # a little room so the last epoch's markers show whole
    axis.setTickType(QValueAxis.TicksDynamic)
    axis.setTickAnchor(0)
    axis.setTickInterval(max(1, math.ceil(epochs / 10)))
    return axis


class TrainingCharts(QWidget):
    """`reset(epochs)` before a run; then `add_loss_points` for the running batch loss and `add_epoch` per epoch."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.accuracyView, self.accuracyChart = _chart_view("accuracyChart", "Accuracy")
        self.lossView, self.lossChart = _chart_view("lossChart", "Loss")
        self.accuracyChart.setTitle(f"Accuracy <span style='font-weight:normal'>(dashed: {TARGET_ACCURACY:.1%} "
                                    f"target)</span>")
        self.accuracyView.setToolTip(ACCURACY_TIP.format(target=TARGET_ACCURACY))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.accuracyView)
        layout.addWidget(self.lossView)
        self.epochs: list[EpochEnd] = []
        self.reset(20)

    def reset(self, epochs: int) -> None:
        self.epochs = []
        self.marks: list[tuple[float, str]] = []  # (fractional epoch, label) of each change marked
        self._labels: dict[float, QScatterSeries] = {}  # the labelled point at each marked place
        self._loss_range: tuple[float, float] | None = None
        for chart in (self.accuracyChart, self.lossChart):
            chart.removeAllSeries()
            for axis in chart.axes():
                chart.removeAxis(axis)

        # Short names, so that the legend is whole in a chart a third of a 1024-pixel window wide; the tooltip
        # says what each measures.
        self.trainAccuracy = _line("train (augmented)", TRAIN_COLOR)
        self.testAccuracy = _line("test", TEST_COLOR)
        self.validationAccuracy = _line("validation", VALIDATION_COLOR)
        self.target = _line(f"{TARGET_ACCURACY:.1%} target", TARGET_COLOR, 1.5, points=False, style=Qt.DashLine)
        self.target.append([QPointF(0, TARGET_ACCURACY * 100), QPointF(epochs, TARGET_ACCURACY * 100)])
        x, y = _epoch_axis(epochs), QValueAxis()
        y.setTitleText("accuracy (%)")
        y.setLabelFormat("%g")
        y.setTickType(QValueAxis.TicksDynamic)
        y.setTickAnchor(100)
        y.setTickInterval(2)
        y.setRange(90, 100.4)
        _plot(self.accuracyChart, x, y, [self.target, self.trainAccuracy, self.validationAccuracy, self.testAccuracy])
        self.accuracyChart.legend().markers(self.target)[0].setVisible(False)  # the title names the dashed line
        self._accuracy_axis = y

        self.runningLoss = _line("running batch loss", RUNNING_COLOR, 1.5, points=False)
        self.trainLoss = _line("train", TRAIN_COLOR)
        self.testLoss = _line("test", TEST_COLOR)
        x, y = _epoch_axis(epochs), QLogValueAxis()
        y.setTitleText("loss (log scale)")
        y.setLabelFormat("%g")
        y.setBase(10)
        y.setMinorTickCount(-1)  # minor ticks at 2..9 x each decade
        y.setRange(0.01, 10)
        _plot(self.lossChart, x, y, [self.runningLoss, self.trainLoss, self.testLoss])
        self._loss_axis = y
        self._x_axes = [self.accuracyChart.axes(Qt.Horizontal)[0], self.lossChart.axes(Qt.Horizontal)[0]]
        self.accuracyView.setMinimumWidth(legend_width(self.accuracyChart, unlisted=(self.target,)))
        self.lossView.setMinimumWidth(legend_width(self.lossChart))

    def set_epochs(self, epochs: int) -> None:
        """The run now has `epochs` epochs (one more was asked for): the epoch axes and the target line follow."""
        for old in self._x_axes:
            new = _epoch_axis(epochs)
            old.setRange(new.min(), new.max())
            old.setTickInterval(new.tickInterval())
        self.target.replace([QPointF(0, TARGET_ACCURACY * 100), QPointF(epochs, TARGET_ACCURACY * 100)])

    def mark(self, x: float, what: str, label: str) -> None:
        """A change made at fractional epoch `x`: a dotted vertical line on both charts, labelled at the top of
        the accuracy chart (out of the legends: a run may have many)."""
        color = MARK_COLORS.get(what, TARGET_COLOR)
        for chart, low, high in ((self.accuracyChart, 0, 100), (self.lossChart, 1e-6, 1e6)):
            line = _line(label, color, 1.2, points=False, style=Qt.DotLine)
            line.append([QPointF(x, low), QPointF(x, high)])
            _attach(chart, line)
        self.marks.append((x, label))
        if self._labels.get(x) is not None:  # changes made together share one label, not two on top of each other
            point = self._labels[x]
            point.setPointLabelsFormat(point.pointLabelsFormat() + ", " + label)
            return
        point = self._labels[x] = QScatterSeries()
        point.setName(label)
        point.setColor(color)
        point.setMarkerSize(7)
        point.append(x, 100)
        point.setPointLabelsFormat(label)  # no @ placeholder: the label as it is
        point.setPointLabelsVisible(True)
        point.setPointLabelsColor(color)
        point.setPointLabelsClipping(False)
        _attach(self.accuracyChart, point)

    def add_loss_points(self, points: list[tuple[float, float]]) -> None:
        if points:
            self.runningLoss.append([QPointF(x, y) for x, y in points])
            self._extend_loss_range([y for _, y in points])

    def add_epoch(self, event: EpochEnd) -> None:
        self.epochs.append(event)
        self.trainAccuracy.append(event.epoch, event.train_accuracy * 100)
        self.testAccuracy.append(event.epoch, event.test_accuracy * 100)
        if event.validation_accuracy is not None:
            self.validationAccuracy.append(event.epoch, event.validation_accuracy * 100)
        self.trainLoss.append(event.epoch, event.train_loss)
        self.testLoss.append(event.epoch, event.test_loss)
        self._extend_loss_range([event.train_loss, event.test_loss])
        self._fit_accuracy_axis()

    def _extend_loss_range(self, values: list[float]) -> None:
        values = [v for v in values if v > 0 and math.isfinite(v)]
        if not values:
            return
        low, high = min(values), max(values)
        if self._loss_range is not None:
            low, high = min(low, self._loss_range[0]), max(high, self._loss_range[1])
        if (low, high) != self._loss_range:
            self._loss_range = (low, high)
            # Whole decades, a hair wider so that their end labels are drawn.
            self._loss_axis.setRange(10 ** math.floor(math.log10(low)) * 0.99,
                                     10 ** math.ceil(math.log10(high)) * 1.01)

    def _fit_accuracy_axis(self) -> None:
        # From the worst accuracy, rounded down to 5%, up to 100%; once a few epochs are in, the first (often far
        # lower) one is allowed to fall off the bottom so the differences near the top stay visible.
        recent = self.epochs[1:] if len(self.epochs) >= 3 else self.epochs
        worst = min(min(e.test_accuracy, e.train_accuracy) for e in recent) * 100
        worst = min(worst, TARGET_ACCURACY * 100 - 0.4)  # keep the target line in view
        step = nice_step(100 - worst)
        low = max(0.0, math.floor((worst - step / 4) / step) * step)  # a margin under the lowest point
        self._accuracy_axis.setTickInterval(nice_step(100 - low))
        self._accuracy_axis.setRange(low, 100 + (100 - low) * 0.04)
