"""A loaded image, fitted to the view, with the digits found in it boxed and labelled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from digitpad.gui.part_boxes import paint_parts

if TYPE_CHECKING:
    from digitpad.core.result import Result

MARGIN = 16.0
CAPTION_HEIGHT = 30.0


class ImageView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._size = (1, 1)
        self._result: Result | None = None
        self._name = ""
        self.setAccessibleName("Loaded image")
        self.setToolTip("The image and the digits found in it. Esc goes back to the canvas.")

    def set_image(
        self, image: QImage | None, size: tuple[int, int], result: Result, name: str
    ) -> None:
        """`size` is the (width, height) that the result's boxes are measured in."""
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self._size = (max(1, size[0]), max(1, size[1]))
        self._result, self._name = result, name
        count = len(result.digits)
        self.setAccessibleDescription(
            f"{name}: {count} digit{'s' if count != 1 else ''} found"
            + (f", read as {result.text}" if count else "")
            + (f", {len(result.rejected)} not a digit" if result.rejected else "")
        )
        self.update()

    def name(self) -> str:
        return self._name

    def image_rect(self) -> QRectF:
        """Where the whole image is drawn, in widget pixels."""
        area = QRectF(self.rect()).adjusted(MARGIN, MARGIN + CAPTION_HEIGHT, -MARGIN, -MARGIN)
        w, h = self._size
        scale = min(area.width() / w, area.height() / h, 8.0)
        return QRectF(
            area.center().x() - w * scale / 2,
            area.center().y() - h * scale / 2,
            w * scale,
            h * scale,
        )

    def sizeHint(self) -> QSize:
        return QSize(560, 420)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.alternateBase())
        painter.setPen(palette.windowText().color())
        caption = QRectF(MARGIN, 6, self.width() - 2 * MARGIN, CAPTION_HEIGHT)
        painter.drawText(
            caption, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._name
        )
        painter.setPen(palette.placeholderText().color())
        painter.drawText(
            caption,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            "Esc: back to the canvas",
        )
        target = self.image_rect()
        if self._pixmap is not None:
            painter.setRenderHint(
                QPainter.RenderHint.SmoothPixmapTransform, target.width() < self._pixmap.width() * 2
            )
            painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        else:
            painter.setPen(QPen(palette.mid().color(), 1, Qt.PenStyle.DashLine))
            painter.drawRect(target)
        if self._result is not None:
            self._paint_boxes(painter, target)

    def _paint_boxes(self, painter: QPainter, target: QRectF) -> None:
        if self._result is None:
            return
        scale = target.width() / self._size[0]

        def to_widget(box: tuple[int, int, int, int]) -> QRectF:
            x0, y0, x1, y1 = box
            return QRectF(
                target.left() + x0 * scale,
                target.top() + y0 * scale,
                (x1 - x0) * scale,
                (y1 - y0) * scale,
            )

        paint_parts(
            painter,
            self.palette(),
            self._result,
            to_widget,
            target.top() - CAPTION_HEIGHT / 2,
            float(self.width()),
        )
