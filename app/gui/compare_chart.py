"""The comparison chart: accuracy (F1) against speed (tokens/s), one bubble per model whose
area is the memory it took. Drawn with QPainter, so it needs no browser and no plotting
library; the same drawing goes to a PNG (the CLI, docs) and onto the Models page.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QImageWriter,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QWidget

from documents.errors import InvalidInputError
from inference.evaluation.compare import ComparisonRun

_COLOURS = ("#2f6fb5", "#d0782a", "#3c9a5f", "#a04ba0", "#c23b3b", "#6b6b6b")
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 70, 30, 50, 60


def draw_chart(painter: QPainter, area: QRectF, run: ComparisonRun) -> None:
    """Draw the chart of `run` inside `area`."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(area, QColor("white"))
    plot = area.adjusted(_MARGIN_LEFT, _MARGIN_TOP, -_MARGIN_RIGHT, -_MARGIN_BOTTOM)
    models = run.models
    top_speed = max([m.tokens_per_s for m in models] + [1.0])
    x_max = _nice_ceiling(top_speed * 1.15)
    y_max = 1.0

    def to_point(speed: float, f1: float) -> QPointF:
        return QPointF(plot.left() + plot.width() * speed / x_max,
                       plot.bottom() - plot.height() * f1 / y_max)

    font = QFont(painter.font())
    font.setPointSize(9)
    painter.setFont(font)
    grid = QPen(QColor("#e3e3e3"))
    axis = QPen(QColor("#555555"))
    for step in range(6):
        f1 = y_max * step / 5
        y = to_point(0, f1).y()
        painter.setPen(grid)
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(axis)
        painter.drawText(QRectF(area.left(), y - 8, _MARGIN_LEFT - 8, 16),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         f"{f1:.1f}")
        speed = x_max * step / 5
        x = to_point(speed, 0).x()
        painter.setPen(grid)
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(axis)
        painter.drawText(QRectF(x - 30, plot.bottom() + 4, 60, 16),
                         Qt.AlignmentFlag.AlignHCenter, f"{speed:g}")
    painter.drawRect(plot)
    painter.drawText(QRectF(plot.left(), area.bottom() - 30, plot.width(), 20),
                     Qt.AlignmentFlag.AlignHCenter, "tokens per second on this machine")
    painter.save()
    painter.translate(area.left() + 16, plot.center().y())
    painter.rotate(-90)
    painter.drawText(QRectF(-plot.height() / 2, -10, plot.height(), 20),
                     Qt.AlignmentFlag.AlignHCenter, "answer F1 (higher is better)")
    painter.restore()
    title = QFont(font)
    title.setPointSize(11)
    title.setBold(True)
    painter.setFont(title)
    painter.drawText(QRectF(area.left(), area.top() + 8, area.width(), 24),
                     Qt.AlignmentFlag.AlignHCenter,
                     f"{len(run.questions)} questions on your documents: bubble area = RAM"
                     + (" (partial run)" if run.partial else ""))
    painter.setFont(font)

    biggest = max([m.ram_bytes or m.ram_estimate_bytes for m in models] + [1])
    for index, model in enumerate(models):
        ram = model.ram_bytes or model.ram_estimate_bytes
        radius = 8 + 32 * math.sqrt(ram / biggest)
        centre = to_point(model.tokens_per_s, model.f1)
        colour = QColor(_COLOURS[index % len(_COLOURS)])
        fill = QColor(colour)
        fill.setAlpha(110)
        painter.setPen(QPen(colour, 3 if model.name == run.recommended else 1.5))
        painter.setBrush(QBrush(fill))
        painter.setClipRect(plot)  # A bubble at F1 0 or at full speed stays inside.
        painter.drawEllipse(centre, radius, radius)
        painter.setClipping(False)
        painter.setPen(QPen(QColor("#222222")))
        label = f"{model.name} ({model.ram_bytes / 2**20:.0f} MB)"
        if model.name == run.recommended:
            label += " ✓ recommended"
        width = QFontMetricsF(painter.font()).horizontalAdvance(label)
        x = centre.x() + radius + 4
        if x + width > area.right() - 4:  # No room on the right: the label goes left.
            x = centre.x() - radius - 4 - width
        painter.drawText(QPointF(x, centre.y() + 4), label)
    painter.restore()


class CompareChart(QWidget):
    """The chart on the Models page: the shown run's, or a line saying there is none yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareChart")
        self._run: ComparisonRun | None = None

    @property
    def run(self) -> ComparisonRun | None:
        return self._run

    def set_run(self, run: ComparisonRun | None) -> None:
        self._run = run
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(520, 340)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        del event
        painter = QPainter(self)
        try:
            area = QRectF(self.rect())
            if self._run is None or not self._run.models:
                painter.fillRect(area, QColor("white"))
                painter.setPen(QColor("#777777"))
                painter.drawText(area, Qt.AlignmentFlag.AlignCenter,
                                 "Run a comparison, or open a past one, to see its chart")
            else:
                draw_chart(painter, area, self._run)
        finally:
            painter.end()


def chart_image(run: ComparisonRun, width: int = 900, height: int = 560) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        draw_chart(painter, QRectF(0, 0, width, height), run)
    finally:
        painter.end()
    return image


def write_chart_png(run: ComparisonRun, path: Path) -> Path:
    """Write the chart as a PNG; starts an off-screen Qt application when none runs (CLI)."""
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _keep.append(QGuiApplication([]))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QImageWriter(str(path), QByteArray(b"png"))
    if not writer.write(chart_image(run)):
        raise InvalidInputError(f"{path}: could not write the chart there")
    return path


#: The CLI's application object, kept alive for the process (Qt needs one for fonts).
_keep: list[QGuiApplication] = []


def _nice_ceiling(value: float) -> float:
    """1, 2, 5 × a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)
