"""Live loss and accuracy curves of a training run, drawn with QPainter.

Two small charts side by side, epochs along the bottom: the training figures (one
point every half second or so: faint as measured, bold smoothed) and the validation
figures (once an epoch) as dots joined by a dashed line. Loss is drawn on a log
scale, where its fall from 2.3 to 0.03 stays readable; accuracy on a linear one that
zooms in as it rises.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

TRAIN = QColor("#3b7ddd")
VALIDATION = QColor("#e8590c")
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 30, 28
SKIP_EARLY = 0.08  # the first 8% of the run does not set the zoom (its figures are wild)
SMOOTHING = 2  # the bold line averages each point with this many on either side


class TrainingCurves(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._epochs = 1
        self._train: list[tuple[float, float, float]] = []  # x, loss, accuracy
        self._validation: list[tuple[float, float, float]] = []  # epoch, loss, accuracy
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Loss and accuracy curves")
        self._describe()

    def reset(self, epochs: int = 1) -> None:
        self._epochs = max(1, epochs)
        self._train.clear()
        self._validation.clear()
        self._describe()
        self.update()

    def set_epochs(self, epochs: int) -> None:
        self._epochs = max(1, epochs)
        self.update()

    def add_batch(self, position: float, loss: float, accuracy: float) -> None:
        """`position` in epochs (1.5: half-way through the second epoch)."""
        if math.isfinite(position) and math.isfinite(loss) and math.isfinite(accuracy):
            self._train.append((position, loss, accuracy))
            self._describe()
            self.update()

    def add_epoch(self, epoch: int, val_loss: float, val_accuracy: float) -> None:
        if math.isfinite(val_loss) and math.isfinite(val_accuracy):
            self._validation.append((float(epoch), val_loss, val_accuracy))
            self._describe()
            self.update()

    def point_counts(self) -> tuple[int, int]:
        """(training points, validation points) on show."""
        return len(self._train), len(self._validation)

    def sizeHint(self) -> QSize:
        return QSize(640, 230)

    def minimumSizeHint(self) -> QSize:
        return QSize(360, 160)

    def _describe(self) -> None:
        if not self._train:
            self.setAccessibleDescription("No figures yet.")
            return
        _, loss, accuracy = self._train[-1]
        text = f"Training loss {loss:.4f}, accuracy {accuracy:.2%}."
        if self._validation:
            _, v_loss, v_accuracy = self._validation[-1]
            text += f" Validation loss {v_loss:.4f}, accuracy {v_accuracy:.2%}."
        self.setAccessibleDescription(text)

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        half = (self.width() - 12) / 2
        self._chart(painter, QRectF(0, 0, half, self.height()), "Loss", 1, log=True)
        self._chart(painter, QRectF(half + 12, 0, half, self.height()), "Accuracy", 2, log=False)

    def _chart(self, painter: QPainter, box: QRectF, title: str, column: int, log: bool) -> None:
        palette = self.palette()
        text = palette.windowText().color()
        muted = palette.placeholderText().color()
        grid_colour = QColor(text)
        grid_colour.setAlpha(28)
        plot = QRectF(
            box.left() + LEFT,
            box.top() + TOP,
            box.width() - LEFT - RIGHT,
            box.height() - TOP - BOTTOM,
        )
        if plot.width() < 20 or plot.height() < 20:
            return
        painter.fillRect(plot, palette.base())

        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(
            QRectF(box.left() + 4, box.top(), 120, TOP - 6),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        painter.setFont(self.font())
        self._legend(painter, QRectF(box.left() + 90, box.top(), box.width() - 94, TOP - 6))

        values = self._values(column)
        low, high = _log_range(values) if log else _accuracy_range(values)
        ticks = _log_ticks(low, high) if log else _linear_ticks(low, high)

        def y_of(v: float) -> float:
            if log:
                v = max(v, 1e-6)
                t = (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low))
            else:
                t = (v - low) / (high - low)
            return plot.bottom() - t * plot.height()

        def x_of(x: float) -> float:
            return plot.left() + x / self._epochs * plot.width()

        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        for value in ticks:
            y = y_of(value)
            painter.setPen(QPen(grid_colour, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(muted)
            label = (
                _format_loss(value)
                if log
                else f"{value:.0%}"
                if high - low >= 0.1
                else f"{value:.1%}"
            )
            painter.drawText(
                QRectF(box.left(), y - 9, LEFT - 6, 18),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        for epoch in _epoch_ticks(self._epochs):
            x = x_of(epoch)
            painter.setPen(QPen(grid_colour, 1))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.setPen(muted)
            painter.drawText(
                QRectF(x - 20, plot.bottom() + 2, 40, 16), Qt.AlignmentFlag.AlignCenter, str(epoch)
            )
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 12, plot.width(), 16),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            "epoch",
        )
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)

        painter.save()
        painter.setClipRect(plot.adjusted(-4, -4, 4, 4))
        if self._train:
            faint = QColor(TRAIN)
            faint.setAlpha(70)
            raw = [(p[0], p[column]) for p in self._train]
            for series, pen in ((raw, QPen(faint, 1.0)), (_smooth(raw), QPen(TRAIN, 1.8))):
                path = QPainterPath(QPointF(x_of(series[0][0]), y_of(series[0][1])))
                for x, value in series[1:]:
                    path.lineTo(x_of(x), y_of(value))
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
                painter.setPen(pen)
                painter.drawPath(path)
        if self._validation:
            points = [QPointF(x_of(p[0]), y_of(p[column])) for p in self._validation]
            if len(points) > 1:
                painter.setPen(QPen(VALIDATION, 1.4, Qt.PenStyle.DashLine))
                painter.drawPolyline(points)
            painter.setPen(QPen(palette.base().color(), 1.5))
            painter.setBrush(VALIDATION)
            for point in points:
                painter.drawEllipse(point, 4.0, 4.0)
        painter.restore()
        if not self._train:
            painter.setPen(muted)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Waiting for the first batch…")

    def _legend(self, painter: QPainter, rect: QRectF) -> None:
        muted = self.palette().placeholderText().color()
        x = rect.right()
        y = rect.center().y()
        metrics = painter.fontMetrics()
        for name, colour, dots in (("validation", VALIDATION, True), ("training", TRAIN, False)):
            width = metrics.horizontalAdvance(name)
            x -= width
            painter.setPen(muted)
            painter.drawText(
                QRectF(x, rect.top(), width + 2, rect.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            x -= 22
            if dots:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawEllipse(QPointF(x + 8, y), 3.5, 3.5)
            else:
                painter.setPen(QPen(colour, 2))
                painter.drawLine(QPointF(x, y), QPointF(x + 16, y))
            x -= 14

    def _values(self, column: int) -> list[float]:
        """The figures that set the zoom: not those of the run's first moments."""
        if not self._train:
            return [v[column] for v in self._validation]
        cut = SKIP_EARLY * max(p[0] for p in self._train)
        kept = [p[column] for p in self._train if p[0] >= cut] or [self._train[-1][column]]
        return kept + [v[column] for v in self._validation]


def _smooth(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A centred moving average (narrower at the ends): calmer, and unlike a running
    average it does not trail behind a curve that still falls fast."""
    out = []
    for i, (x, _) in enumerate(points):
        reach = min(SMOOTHING, i, len(points) - 1 - i)
        window = points[i - reach : i + reach + 1]
        out.append((x, sum(v for _, v in window) / len(window)))
    return out


def _log_range(values: list[float]) -> tuple[float, float]:
    positive = [v for v in values if v > 0]
    if not positive:
        return 0.01, 3.0
    smallest = min(positive)
    decade = 10 ** math.floor(math.log10(smallest))
    low = (
        max(step * decade for step in (1, 2, 5) if step * decade <= smallest * 0.98)
        if smallest * 0.98 >= decade
        else decade / 2
    )
    high = max(positive)
    for step in (1, 2, 5, 10):
        top = step * 10 ** math.floor(math.log10(high))
        if top >= high * 1.02:
            high = top
            break
    else:
        high = 10 ** (math.floor(math.log10(high)) + 1)
    return low, max(high, low * 5)


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps between low and high; fewer (1-5, then powers of ten) when crowded."""
    for steps in ((1, 2, 5), (1, 5), (1,)):
        ticks = [
            float(f"{step}e{exponent}")
            for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            for step in steps
            if low * 0.9999 <= step * 10.0**exponent <= high * 1.0001
        ]
        if len(ticks) <= 7:
            break
    return ticks


def _accuracy_range(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    low = min(values)
    for step in (0.01, 0.02, 0.05, 0.1, 0.2):
        floor = math.floor(low / step) * step
        if 1.0 - floor <= 6 * step:
            return max(0.0, min(floor, 1.0 - step)), 1.0
    return 0.0, 1.0


def _linear_ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next((s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2) if span / s <= 6), 0.25)
    count = round(span / step)
    return [round(low + k * step, 4) for k in range(count + 1)]


def _epoch_ticks(epochs: int) -> list[int]:
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100) if epochs / s <= 8), epochs)
    return list(range(0, epochs + 1, step))


def _format_loss(value: float) -> str:
    return f"{value:g}"
