"""The drawing canvas: mouse, tablet pen (with pressure) and touch strokes.

It records vector strokes in logical (device-independent) pixels and hands core a
Drawing; what is painted on screen is only a view of those points, so screen DPI,
brush width and the window's size never change what the model reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFocusEvent,
    QInputDevice,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from digitpad.gui.part_boxes import paint_parts
from digitpad.gui.stroke_history import StrokeHistory, fit_transform, transform_stroke

if TYPE_CHECKING:
    from digitpad.core.io.drawing import Drawing
    from digitpad.core.result import Result

MIN_BRUSH, MAX_BRUSH, DEFAULT_BRUSH = 4, 40, 14
BRUSH_AT = (700, 640)  # the canvas size (about that of the default window) a brush is set for
# Points closer than this to the previous one add nothing but the jitter of a still hand.
MIN_STEP = 0.75
# Mouse and touch positions come in whole pixels, which draws a slanted line as a
# staircase. Following the pointer with a little lag (each point moves this fraction
# of the way towards the new position) smooths it; the stroke still ends exactly where
# the pointer was lifted. A pen reports sub-pixel positions and is taken as it is.
FOLLOW = 0.5
# Some platforms deliver a synthesized mouse press *before* the pen's tablet press.
# A tablet press this soon after a mouse press, near its first point, is the same
# pen-down: the mouse stroke is dropped and redone with the pen's pressure.
PEN_ADOPT_MS = 250
PEN_ADOPT_PX = 16.0
NO_PRESSURE = math.nan


def keep_every_point() -> None:
    """Turn off Qt's merging of mouse moves (and tablet moves) that queue up while the
    app is busy: merged, a zigzag drawn during a stall arrives as one straight line
    (measured under X11: 3 points left of 32 drawn in a 3-second stall). Application-wide,
    because Qt decides it when the events are queued, before any widget sees them."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_CompressTabletEvents, False)


class Canvas(QWidget):
    """Strokes in logical pixels; `drawing()` is what recognition reads."""

    stroke_moved = Signal()  # the stroke being drawn grew (live prediction while drawing)
    drawing_changed = Signal()  # a stroke ended, or undo, redo, clear or a loaded drawing

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = StrokeHistory()
        self._points: list[tuple[float, float, float]] | None = None
        self._pointer: tuple[float, float, float] | None = None  # last raw position
        self._source: str | None = None  # "mouse", "tablet" or "touch" while drawing
        self._touch_id: int | None = None
        self._pressed = QElapsedTimer()
        self._brush = DEFAULT_BRUSH
        self._parts: Result | None = None  # the boxes on show, see show_parts
        self._outside = False  # the pointer left the canvas with the button down
        self._keyboard_focus = False
        self._parts_transform = (1.0, 0.0, 0.0)  # resizes since they were found
        keep_every_point()
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; a ring shows it
        self.setAccessibleName("Drawing canvas")
        self.setAccessibleDescription("Draw digits here with the mouse, a pen or a finger.")
        self.setToolTip(
            "Draw digits here: mouse, pen or touch. Ctrl+Z undoes a stroke, Esc clears."
        )
        self._update_cursor()

    # --- state -------------------------------------------------------------------

    def drawing(self) -> Drawing:
        """The finished strokes plus the one being drawn, in this canvas' logical pixels."""
        import numpy as np  # deferred, like all of core: the window shows before they load

        from digitpad.core.io.drawing import Drawing

        strokes = list(self._history.strokes)
        if self._points:
            strokes.append(np.array(self._points, dtype=np.float64))
        return Drawing(strokes, float(max(1, self.width())), float(max(1, self.height())))

    def set_drawing(self, drawing: Drawing) -> None:
        """Show a loaded drawing, fitted to this canvas; undo brings back the previous one."""
        self.cancel_stroke(notify=False)
        scale, dx, dy = fit_transform(
            (drawing.width, drawing.height), (max(1, self.width()), max(1, self.height()))
        )
        self._history.replace(tuple(transform_stroke(s, scale, dx, dy) for s in drawing.strokes))
        self._changed()

    def is_empty(self) -> bool:
        return not self._history.strokes and not self._points

    def stroke_count(self) -> int:
        return len(self._history.strokes)

    def can_undo(self) -> bool:
        return self._history.can_undo() or bool(self._points)

    def can_redo(self) -> bool:
        return self._history.can_redo()

    def undo(self) -> None:
        if self._points is not None:
            self.cancel_stroke()
        elif self._history.undo():
            self._changed()

    def redo(self) -> None:
        if self._points is None and self._history.redo():
            self._changed()

    def clear(self) -> None:
        """Remove every stroke (undoable)."""
        drawing = self._points is not None
        self.cancel_stroke(notify=False)
        if self._history.clear() or drawing:
            self._changed()

    def painted_brush(self) -> float:
        """The brush as drawn: its width at the canvas' usual size, scaled with the
        canvas (within half and twice), so that writing keeps its look when the window
        is made smaller or larger, and small windows do not turn digits into blobs."""
        scale = min(self.width() / BRUSH_AT[0], self.height() / BRUSH_AT[1])
        return self._brush * min(max(scale, 0.5), 2.0)

    def brush_width(self) -> int:
        return self._brush

    def set_brush_width(self, width: int) -> None:
        self._brush = min(max(int(width), MIN_BRUSH), MAX_BRUSH)
        self._update_cursor()
        self.update()

    # --- building strokes (every input device ends up here) ----------------------

    def begin_stroke(
        self, pos: QPointF, pressure: float = NO_PRESSURE, source: str = "mouse"
    ) -> None:
        if self._points is not None:
            self.end_stroke()
        self._source = source
        self._outside = False
        self._parts = None
        self._pointer = self._point(pos, pressure)
        self._points = [self._pointer]
        self._pressed.start()
        self.update()
        self.stroke_moved.emit()

    def extend_stroke(self, pos: QPointF, pressure: float = NO_PRESSURE) -> None:
        if self._points is None:
            return
        # Off the paper the stroke is clipped: it ends where it left the canvas (never
        # drawn along the border), and a new stroke begins where it comes back.
        inside = QRectF(self.rect()).contains(pos)
        if not inside and self._outside:
            return
        if inside and self._outside:
            source = self._source or "mouse"
            self.end_stroke()
            self.begin_stroke(pos, pressure, source)
            return
        self._outside = not inside
        self._pointer = point = self._point(pos, pressure)
        last = self._points[-1]
        if self._source != "tablet":
            point = (
                last[0] + FOLLOW * (point[0] - last[0]),
                last[1] + FOLLOW * (point[1] - last[1]),
                point[2],
            )
        if not self._far_enough(point, last):
            return
        self._points.append(point)
        self.update()
        self.stroke_moved.emit()

    @staticmethod
    def _far_enough(a: tuple, b: tuple) -> bool:
        return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= MIN_STEP**2

    def end_stroke(self) -> None:
        if self._points is None:
            return
        import numpy as np

        if self._pointer is not None and self._far_enough(self._pointer, self._points[-1]):
            self._points.append(self._pointer)  # catch up with the smoothing's lag
        stroke = np.array(self._points, dtype=np.float64)
        self._points, self._source, self._pointer = None, None, None
        self._history.add(stroke)
        self._changed()

    def cancel_stroke(self, notify: bool = True) -> None:
        if self._points is None:
            return
        self._points, self._source, self._pointer = None, None, None
        if notify:
            self._changed()
        self.update()

    def _point(self, pos: QPointF, pressure: float) -> tuple[float, float, float]:
        # Keep strokes on the paper: a drag that leaves the widget still reports points.
        x = min(max(pos.x(), 0.0), float(self.width()))
        y = min(max(pos.y(), 0.0), float(self.height()))
        if not math.isnan(pressure):
            pressure = min(max(pressure, 0.0), 1.0)
        return (x, y, pressure)

    def show_parts(self, result: Result | None) -> None:
        """Box the parts of the drawing's result, as on an image: the digits of a number,
        and any ink that is not a digit. A lone digit needs no box. The boxes go as soon
        as the drawing changes, until its new result comes."""
        several = result is not None and len(result.digits) + len(result.rejected) > 1
        shown = result if result is not None and (several or result.rejected) else None
        self._parts, self._parts_transform = shown, (1.0, 0.0, 0.0)
        self.update()

    def parts_shown(self) -> Result | None:
        return self._parts

    def is_drawing(self) -> bool:
        """A stroke is being drawn (the pen or button is down)."""
        return self._points is not None

    def _changed(self) -> None:
        self._parts = None
        self.update()
        self.drawing_changed.emit()

    # --- input devices -----------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton and self._source is None:
            self.begin_stroke(event.position(), NO_PRESSURE, "mouse")

    def mouseMoveEvent(self, event) -> None:
        event.accept()
        if self._source == "mouse":
            self.extend_stroke(event.position())

    def mouseReleaseEvent(self, event) -> None:
        event.accept()
        if self._source == "mouse" and event.button() == Qt.MouseButton.LeftButton:
            self.end_stroke()

    def tabletEvent(self, event) -> None:
        # Accepting every tablet event stops Qt from synthesizing mouse events after it.
        event.accept()
        kind, pos, pressure = event.type(), event.position(), float(event.pressure())
        if kind == QEvent.Type.TabletPress:
            if self._source == "mouse" and self._is_same_pen_down(pos):
                self._points, self._source = None, None  # redo it with the pen's pressure
            if self._source is None:
                self.begin_stroke(pos, pressure, "tablet")
        elif kind == QEvent.Type.TabletMove and self._source == "tablet":
            self.extend_stroke(pos, pressure)
        elif kind == QEvent.Type.TabletRelease and self._source == "tablet":
            self.extend_stroke(pos, pressure)
            self.end_stroke()

    def _is_same_pen_down(self, pos: QPointF) -> bool:
        if not self._points or self._pressed.elapsed() > PEN_ADOPT_MS:
            return False
        x, y, _ = self._points[0]
        return math.hypot(pos.x() - x, pos.y() - y) <= PEN_ADOPT_PX

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DevicePixelRatioChange:  # moved to a screen of another density
            self._update_cursor()
        touch = (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        )
        # Touchpads send touch events too; only a touch screen draws.
        if kind in touch and event.device().type() == QInputDevice.DeviceType.TouchScreen:
            self._touch_event(event)
            return True
        return super().event(event)

    def _touch_event(self, event) -> None:
        event.accept()
        kind, points = event.type(), event.points()
        if kind == QEvent.Type.TouchCancel:
            self._touch_id = None
            if self._source == "touch":
                self.cancel_stroke()
            return
        if kind == QEvent.Type.TouchBegin and self._source is None and points:
            self._touch_id = points[0].id()
            self.begin_stroke(points[0].position(), NO_PRESSURE, "touch")
            return
        if self._source != "touch":
            return
        for point in points:
            if point.id() != self._touch_id:
                continue  # a second finger does not draw
            self.extend_stroke(point.position())
            if point.state() == point.State.Released or kind == QEvent.Type.TouchEnd:
                self._touch_id = None
                self.end_stroke()

    def resizeEvent(self, event) -> None:
        # The paper scales with the window: the drawing is scaled uniformly and kept
        # centred, so a smaller window never cuts a digit off (the model does not mind:
        # it reads the strokes relative to their own size).
        old, new = event.oldSize(), event.size()
        if old.width() > 0 and old.height() > 0 and old != new:
            scale, dx, dy = fit_transform((old.width(), old.height()), (new.width(), new.height()))
            self._history.transform(scale, dx, dy)
            s0, x0, y0 = self._parts_transform
            self._parts_transform = (s0 * scale, x0 * scale + dx, y0 * scale + dy)
            if self._points:
                self._points = [(x * scale + dx, y * scale + dy, p) for x, y, p in self._points]
                x, y, p = self._pointer
                self._pointer = (x * scale + dx, y * scale + dy, p)
        super().resizeEvent(event)
        self._update_cursor()  # the brush ring follows the painted width

    # --- painting ----------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        reasons = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)
        self._keyboard_focus = event.reason() in reasons
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._keyboard_focus = False
        self.update()
        super().focusOutEvent(event)

    def has_focus_ring(self) -> bool:
        return self._keyboard_focus

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        if self._keyboard_focus:  # reached with Tab: a focus ring, as other widgets get
            painter.setPen(QPen(palette.highlight().color(), 2))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        else:
            painter.setPen(QPen(palette.mid().color(), 1))
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        if self.is_empty():
            self._paint_hint(painter)
            return
        ink = palette.text().color()
        brush = self.painted_brush()
        for stroke in self._history.strokes:
            paint_stroke(painter, stroke, brush, ink)
        if self._points:
            paint_stroke(painter, self._points, brush, ink)
        elif self._parts is not None:
            scale, dx, dy = self._parts_transform
            half = brush / 2  # boxes hold the points; the ink reaches half a brush out

            def to_widget(box: tuple[int, int, int, int]) -> QRectF:
                x0, y0, x1, y1 = box
                return QRectF(
                    x0 * scale + dx - half,
                    y0 * scale + dy - half,
                    (x1 - x0) * scale + 2 * half,
                    (y1 - y0) * scale + 2 * half,
                )

            paint_parts(painter, palette, self._parts, to_widget, 0.0, float(self.width()))

    def _paint_hint(self, painter: QPainter) -> None:
        colour = self.palette().placeholderText().color()
        painter.setPen(colour)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        painter.setFont(font)
        rect = QRectF(self.rect())
        painter.drawText(
            rect.adjusted(0, 0, 0, -rect.height() * 0.06),
            Qt.AlignmentFlag.AlignCenter,
            "Draw digits here",
        )
        font.setPointSizeF(font.pointSizeF() / 1.6)
        painter.setFont(font)
        painter.drawText(
            rect.adjusted(0, rect.height() * 0.12, 0, 0),
            Qt.AlignmentFlag.AlignCenter,
            "mouse, pen or touch  ·  Ctrl+Z undoes  ·  Esc clears",
        )

    def _update_cursor(self) -> None:
        # A ring as wide as the brush; drawn at the screen's pixel density so it stays sharp.
        ratio = self.devicePixelRatioF()
        brush = self.painted_brush()
        size = math.ceil(brush) + 6
        pixmap = QPixmap(QSize(round(size * ratio), round(size * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre, radius = QPointF(size / 2, size / 2), brush / 2
        for colour, width in ((QColor(255, 255, 255, 220), 3.0), (QColor(0, 0, 0, 230), 1.2)):
            painter.setPen(QPen(colour, width))
            painter.drawEllipse(centre, radius, radius)
        painter.end()
        self.setCursor(QCursor(pixmap))

    def sizeHint(self) -> QSize:
        return QSize(560, 420)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 200)


def paint_stroke(painter: QPainter, stroke: Sequence, brush: float, ink: QColor) -> None:
    """A smooth stroke: quadratic curves through the midpoints between recorded points.

    `stroke` holds (x, y, pressure) rows (an array or a list); with pressure, each piece
    gets the width core uses: brush x (0.5 + pressure).
    """
    rows = stroke.tolist() if hasattr(stroke, "tolist") else stroke
    given = [p for _, _, p in rows if not math.isnan(p)]
    pressure = [0.5 if math.isnan(p) else p for _, _, p in rows]
    if len(rows) == 1:
        width = brush * (0.5 + pressure[0]) if given else brush
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ink)
        painter.drawEllipse(QPointF(rows[0][0], rows[0][1]), width / 2, width / 2)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    pen = QPen(
        ink, brush, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    )
    varying = bool(given)
    points = [QPointF(x, y) for x, y, _ in rows]
    start = points[0]
    path = QPainterPath(start)
    for i in range(1, len(points)):
        end = (points[i] + points[i + 1]) / 2 if i + 1 < len(points) else points[i]
        if varying:
            piece = QPainterPath(start)
            piece.quadTo(points[i], end)
            pen.setWidthF(brush * (0.5 + (pressure[i - 1] + pressure[i]) / 2))
            painter.strokePath(piece, pen)
        else:
            path.quadTo(points[i], end)
        start = end
    if not varying:
        painter.strokePath(path, pen)
