"""The 10x10 confusion matrix as a heatmap with its counts; click or arrow keys pick a cell.

Two modes: "counts" (correct answers in blue on the diagonal, mistakes in orange, the
colour growing with the count) and "difference" (one model's matrix minus another's:
green where the new one does better, red where it does worse).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

N = 10
AXIS = 46  # room for the axis title and the digit labels, left and top
CENTRE = Qt.AlignmentFlag.AlignCenter

HIT = QColor("#2f6fdb")
MISS = QColor("#e8590c")
BETTER = QColor("#2b8a3e")
WORSE = QColor("#d6336c")


@dataclass(frozen=True)
class Colours:
    background: QColor
    empty: QColor  # a cell with nothing in it
    text: QColor
    muted: QColor
    highlight: QColor

    @classmethod
    def from_palette(cls, palette: QPalette) -> Colours:
        window, text = palette.window().color(), palette.windowText().color()
        return cls(
            window,
            _mix(palette.base().color(), text, 0.05),
            text,
            palette.placeholderText().color(),
            palette.highlight().color(),
        )

    @classmethod
    def light(cls) -> Colours:
        """For exported pictures: the same on every screen."""
        return cls(
            QColor("white"),
            QColor("#f3f4f6"),
            QColor("#1f2328"),
            QColor("#6b7280"),
            QColor("#1f2328"),
        )


class ConfusionHeatmap(QWidget):
    cell_selected = Signal(int, int)  # true digit, predicted digit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[int]] = [[0] * N for _ in range(N)]
        self._mode = "counts"
        self._selected: tuple[int, int] | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Confusion matrix")
        self._describe()

    # --- state ---------------------------------------------------------------------

    def set_matrix(self, matrix, mode: str = "counts") -> None:
        """`matrix`: (10, 10) integers, rows the true digit (an array or nested lists).
        `mode`: "counts", or "difference" for a signed difference of two matrices."""
        if mode not in ("counts", "difference"):
            raise ValueError(f"unknown mode {mode!r}")
        rows = [[int(v) for v in row] for row in matrix]
        if len(rows) != N or any(len(r) != N for r in rows):
            raise ValueError("expected a 10x10 matrix")
        self._matrix, self._mode = rows, mode
        self._describe()
        self.update()

    def matrix(self) -> list[list[int]]:
        return [row[:] for row in self._matrix]

    def value(self, true: int, predicted: int) -> int:
        return self._matrix[true][predicted]

    def selected_cell(self) -> tuple[int, int] | None:
        return self._selected

    def select_cell(self, true: int, predicted: int, notify: bool = True) -> None:
        if not (0 <= true < N and 0 <= predicted < N):
            return
        self._selected = (true, predicted)
        self.update()
        if notify:
            self.cell_selected.emit(true, predicted)

    def clear_selection(self) -> None:
        self._selected = None
        self.update()

    # --- geometry ------------------------------------------------------------------

    def grid_rect(self, size: QSize | None = None) -> QRectF:
        """The 10x10 cells' square, inside the axis labels."""
        size = size or self.size()
        side = max(10.0, min(size.width() - AXIS - 8, size.height() - AXIS - 8))
        side = math.floor(side / N) * N
        left = AXIS + max(0.0, (size.width() - AXIS - 8 - side) / 2)
        return QRectF(left, AXIS, side, side)

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        grid = self.grid_rect()
        step = grid.width() / N
        return QRectF(grid.left() + predicted * step, grid.top() + true * step, step, step)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        grid = self.grid_rect()
        if not grid.contains(pos):
            return None
        step = grid.width() / N
        predicted = min(N - 1, int((pos.x() - grid.left()) / step))
        true = min(N - 1, int((pos.y() - grid.top()) / step))
        return true, predicted

    def sizeHint(self) -> QSize:
        return QSize(AXIS + 40 * N + 8, AXIS + 40 * N + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(AXIS + 26 * N + 8, AXIS + 26 * N + 8)

    # --- input ---------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            self.select_cell(*cell)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.cell_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
        }
        move = moves.get(Qt.Key(event.key()))
        if move is None:
            super().keyPressEvent(event)
            return
        true, predicted = self._selected or (0, 0)
        if self._selected is not None:
            true = min(N - 1, max(0, true + move[0]))
            predicted = min(N - 1, max(0, predicted + move[1]))
        self.select_cell(true, predicted)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cell = self.cell_at(QPointF(event.pos()))
            if cell is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe_cell(*cell), self)
            return True
        return super().event(event)

    def describe_cell(self, true: int, predicted: int) -> str:
        value = self._matrix[true][predicted]
        if self._mode == "difference":
            what = "correct answers" if true == predicted else "mistakes"
            change = "no change" if value == 0 else f"{value:+d} {what}"
            return f"True {true}, read as {predicted}: {change}"
        row = sum(self._matrix[true])
        share = f" ({value / row:.1%} of the {true}s)" if row else ""
        noun = "image" if value == 1 else "images"
        return f"True {true}, read as {predicted}: {value:,} {noun}{share}"

    def _describe(self) -> None:
        if self._mode == "difference":
            self.setAccessibleDescription(
                "Change in the confusion matrix, new model minus current; rows are the true digit."
            )
            return
        total = sum(map(sum, self._matrix))
        hits = sum(self._matrix[k][k] for k in range(N))
        self.setAccessibleDescription(
            f"Rows: true digit; columns: predicted digit. {hits:,} of {total:,} correct. "
            "Arrow keys move between cells."
        )

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colours = Colours.from_palette(self.palette())
        paint_heatmap(
            painter,
            self.grid_rect(),
            self._matrix,
            self._mode,
            colours,
            self._selected,
            self.font(),
        )
        if self.hasFocus() and self._selected is not None:
            painter.setPen(QPen(colours.highlight, 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(*self._selected).adjusted(-3, -3, 3, 3))

    def render_image(self, title: str = "", scale: float = 2.0) -> QImage:
        """The heatmap as a picture for export: light colours, `title` above, at `scale`
        times a 460-pixel layout."""
        width, height = 460 + AXIS, 460 + AXIS + (36 if title else 0)
        image = QImage(
            round(width * scale), round(height * scale), QImage.Format.Format_ARGB32_Premultiplied
        )
        colours = Colours.light()
        image.fill(colours.background)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(scale, scale)
        font = QFont(self.font())
        font.setPointSizeF(10)
        top = 0
        if title:
            bold = QFont(font)
            bold.setBold(True)
            bold.setPointSizeF(11)
            painter.setFont(bold)
            painter.setPen(colours.text)
            painter.drawText(
                QRectF(12, 6, width - 24, 28),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                title,
            )
            top = 36
        grid = QRectF(AXIS, top + AXIS, 450, 450)
        paint_heatmap(painter, grid, self._matrix, self._mode, colours, None, font)
        painter.end()
        return image


def paint_heatmap(
    painter: QPainter,
    grid: QRectF,
    matrix: list[list[int]],
    mode: str,
    colours: Colours,
    selected: tuple[int, int] | None,
    font: QFont,
) -> None:
    """Cells, counts, digit labels and axis titles; the labels go left of and above `grid`."""
    step = grid.width() / N
    off = [matrix[t][p] for t in range(N) for p in range(N) if t != p]
    largest_miss = max([v for v in off if v > 0], default=1)
    largest_change = max((abs(v) for row in matrix for v in row), default=0) or 1

    small = QFont(font)
    small.setPointSizeF(max(6.5, min(font.pointSizeF(), step * 0.30)))
    # The widest figure must fit its cell: "1,135" or "−135" in a small window.
    widest = max((_cell_text(v, mode) for row in matrix for v in row), key=len)
    while small.pointSizeF() > 6.0 and QFontMetricsF(small).horizontalAdvance(widest) > step - 5:
        small.setPointSizeF(small.pointSizeF() - 0.5)
    label_font = QFont(font)
    label_font.setBold(True)
    painter.setFont(label_font)
    painter.setPen(colours.text)
    for k in range(N):
        painter.drawText(QRectF(grid.left() + k * step, grid.top() - 22, step, 20), CENTRE, str(k))
        painter.drawText(QRectF(grid.left() - 24, grid.top() + k * step, 20, step), CENTRE, str(k))
    painter.setFont(font)
    painter.setPen(colours.muted)
    painter.drawText(
        QRectF(grid.left(), grid.top() - AXIS, grid.width(), 22),
        CENTRE,
        "Read as (predicted digit)",
    )
    painter.save()
    painter.translate(grid.left() - AXIS + 2, grid.bottom())
    painter.rotate(-90)
    painter.drawText(QRectF(0, 0, grid.height(), 20), CENTRE, "True digit")
    painter.restore()

    painter.setFont(small)
    gap = 1.0 if step >= 18 else 0.5
    for t in range(N):
        for p in range(N):
            value = matrix[t][p]
            rect = QRectF(
                grid.left() + p * step + gap,
                grid.top() + t * step + gap,
                step - 2 * gap,
                step - 2 * gap,
            )
            if mode == "difference":
                good = value > 0 if t == p else value < 0
                strength = math.sqrt(abs(value) / largest_change) if value else 0.0
                hue = BETTER if good else WORSE
            elif t == p:
                row = sum(matrix[t]) or 1
                strength = 0.25 + 0.75 * value / row if value else 0.0
                hue = HIT
            else:
                strength = 0.15 + 0.85 * math.sqrt(value / largest_miss) if value else 0.0
                hue = MISS
            text = _cell_text(value, mode)
            fill = _mix(colours.empty, hue, strength)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 2, 2)
            if text:
                painter.setPen(QColor("white") if _luminance(fill) < 0.55 else colours.text)
                painter.drawText(rect, CENTRE, text)
    if selected is not None:
        t, p = selected
        rect = QRectF(grid.left() + p * step, grid.top() + t * step, step, step)
        painter.setPen(QPen(colours.highlight, 2.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)


def _cell_text(value: int, mode: str) -> str:
    if value == 0:
        return ""
    return f"{value:+d}".replace("-", "−") if mode == "difference" else f"{value:,}"


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(max(t, 0.0), 1.0)
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def _luminance(colour: QColor) -> float:
    return 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()
