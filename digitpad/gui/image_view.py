"""A loaded image with the digits found in it boxed and labelled: fitted to the view,
or zoomed (wheel, pinch, keys) and panned (drag)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QImage,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from digitpad.gui.part_boxes import paint_parts

if TYPE_CHECKING:
    from digitpad.core.result import Result

MARGIN = 16.0
CAPTION_HEIGHT = 30.0
# Fitted, a small image is enlarged at most this much (a 28x28 scan stays crisp).
MAX_FIT = 8.0
# Zoom steps (a key press, one notch of the wheel) and the range, in screen pixels per
# image pixel: from a quarter of the fitted size (or of 100%) to 32x.
ZOOM_STEP = 1.25
MAX_ZOOM = 32.0
MIN_ZOOM_SHARE = 0.25
WHEEL_NOTCH = 120  # angleDelta units of one notch


class ImageView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._size = (1, 1)
        self._result: Result | None = None
        self._name = ""
        # None: fitted to the view. Else screen pixels per image pixel, and the image
        # point shown at the middle of the view.
        self._zoom: float | None = None
        self._centre = QPointF(0.5, 0.5)
        self._drag: QPointF | None = None
        self.setAccessibleName("Loaded image")
        self.setToolTip(
            "The image and the digits found in it: the wheel zooms, dragging moves it,"
            " a double click fits it. Esc goes back to the canvas."
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_image(
        self, image: QImage | None, size: tuple[int, int], result: Result, name: str
    ) -> None:
        """`size` is the (width, height) that the result's boxes are measured in."""
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self._size = (max(1, size[0]), max(1, size[1]))
        self._result, self._name = result, name
        self.fit()
        count = len(result.digits)
        self.setAccessibleDescription(
            f"{name}: {count} digit{'s' if count != 1 else ''} found"
            + (f", read as {result.text}" if count else "")
            + (f", {len(result.rejected)} not a digit" if result.rejected else "")
        )

    def name(self) -> str:
        return self._name

    # --- zoom and pan ----------------------------------------------------------------

    def scale(self) -> float:
        """Screen pixels per image pixel (of the result's boxes), as shown now."""
        return self._fit_scale() if self._zoom is None else self._zoom

    def is_fitted(self) -> bool:
        return self._zoom is None

    def fit(self) -> None:
        self._zoom = None
        self._centre = QPointF(self._size[0] / 2, self._size[1] / 2)
        self._changed()

    def actual_size(self) -> None:
        """One image pixel to one screen pixel, about the middle of what is shown."""
        self._set_zoom(1.0, self._area().center())

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom by `factor`, keeping the image point under `at` (widget pixels; the
        middle of the view when None) where it is."""
        self._set_zoom(self.scale() * factor, self._area().center() if at is None else at)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) widget pixels, as a drag does."""
        if self._zoom is None:
            return
        self._centre -= QPointF(dx, dy) / self._zoom
        self._clamp()
        self._changed()

    def _set_zoom(self, zoom: float, at: QPointF) -> None:
        fit = self._fit_scale()
        zoom = min(max(zoom, MIN_ZOOM_SHARE * min(fit, 1.0)), MAX_ZOOM)
        point = self.to_image(at)  # stays under `at`
        self._zoom = zoom
        self._centre = point - (at - self._area().center()) / zoom
        self._clamp()
        self._changed()

    def _clamp(self) -> None:
        """Keep the image on show: centred on an axis where it is smaller than the view,
        else never leaving a gap at either edge."""
        if self._zoom is None:
            return
        area = self._area()
        centre = [self._centre.x(), self._centre.y()]
        for axis, (side, room) in enumerate(zip(self._size, (area.width(), area.height()))):
            half = room / 2 / self._zoom
            if side <= 2 * half:
                centre[axis] = side / 2
            else:
                centre[axis] = min(max(centre[axis], half), side - half)
        self._centre = QPointF(*centre)

    def _area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(MARGIN, MARGIN + CAPTION_HEIGHT, -MARGIN, -MARGIN)

    def _fit_scale(self) -> float:
        area = self._area()
        w, h = self._size
        return max(1e-6, min(area.width() / w, area.height() / h, MAX_FIT))

    def image_rect(self) -> QRectF:
        """Where the whole image is drawn, in widget pixels (beyond the view when zoomed)."""
        scale, middle = self.scale(), self._area().center()
        w, h = self._size
        return QRectF(
            middle.x() - self._centre.x() * scale,
            middle.y() - self._centre.y() * scale,
            w * scale,
            h * scale,
        )

    def to_image(self, point: QPointF) -> QPointF:
        """A widget point in the image's pixels."""
        rect = self.image_rect()
        return (point - rect.topLeft()) / self.scale()

    def box_rect(self, box: tuple[int, int, int, int]) -> QRectF:
        """A box in the image's pixels, in widget pixels."""
        rect, scale = self.image_rect(), self.scale()
        x0, y0, x1, y1 = box
        return QRectF(
            rect.left() + x0 * scale, rect.top() + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale
        )

    # --- events ------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:
        self._clamp()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / WHEEL_NOTCH
        if notches:
            self.zoom_by(ZOOM_STEP**notches, event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.NativeGesture and isinstance(event, QNativeGestureEvent):
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                self.zoom_by(1.0 + event.value(), event.position())
                return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self.is_fitted():
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self.pan_by(delta.x(), delta.y())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = None
            self._set_cursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Fitted: to 100% about the point clicked; zoomed: fitted again."""
        if self.is_fitted():
            fit = self._fit_scale()
            self._set_zoom(1.0 if fit < 1.0 else 2 * fit, event.position())
        else:
            self.fit()

    def _set_cursor(self) -> None:
        if self.is_fitted():
            self.unsetCursor()
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    def _changed(self) -> None:
        if self._drag is None:
            self._set_cursor()
        self.update()

    def _sight(self) -> QRectF:
        """The part of the widget the image is seen in: all but the caption."""
        return QRectF(self.rect()).adjusted(0, CAPTION_HEIGHT + 6, 0, 0)

    def sizeHint(self) -> QSize:
        return QSize(560, 420)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.alternateBase())
        target = self.image_rect()
        painter.save()
        painter.setClipRect(self._sight())
        if self._pixmap is not None:
            painter.setRenderHint(
                QPainter.RenderHint.SmoothPixmapTransform, target.width() < self._pixmap.width() * 2
            )
            painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        else:
            painter.setPen(QPen(palette.mid().color(), 1, Qt.PenStyle.DashLine))
            painter.drawRect(target)
        if self._result is not None:
            paint_parts(
                painter,
                palette,
                self._result,
                self.box_rect,
                target.top() - CAPTION_HEIGHT / 2 if self.is_fitted() else CAPTION_HEIGHT + 6,
                float(self.width()),
                None if self.is_fitted() else self._sight(),
            )
        painter.restore()
        painter.fillRect(QRectF(0, 0, self.width(), CAPTION_HEIGHT + 6), palette.alternateBase())
        painter.setPen(palette.windowText().color())
        caption = QRectF(MARGIN, 6, self.width() - 2 * MARGIN, CAPTION_HEIGHT)
        painter.drawText(
            caption, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._name
        )
        painter.setPen(palette.placeholderText().color())
        fitted = " (fitted)" if self.is_fitted() else ""
        painter.drawText(
            caption,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            f"{self.scale():.0%}{fitted} · Esc: back to the canvas",
        )
