"""One 28x28 model input, enlarged with every pixel visible (nearest neighbour plus a grid)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    import numpy as np

FIELD = 28


class FieldView(QWidget):
    """Shows the field as the model reads it: ink bright on black, like MNIST."""

    clicked = Signal()

    def __init__(self, scale: float = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale = scale
        self._image = None
        self._selected = False
        self._selectable = False
        self.setFixedSize(self.sizeHint())
        self.setAccessibleName("Model input, 28 by 28 pixels")

    def set_field(self, field: np.ndarray | None) -> None:
        """float32 (28, 28) in [0, 1], ink = 1; None for an empty field."""
        if field is None:
            self._image = None
        else:
            from digitpad.gui.qimage import grey_to_qimage  # NumPy loads after the window shows

            self._image = grey_to_qimage(field)
        self.update()

    def set_selected(self, selected: bool, selectable: bool = True) -> None:
        self._selected, self._selectable = selected, selectable
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if selectable else Qt.CursorShape.ArrowCursor
        )
        self.update()

    def set_scale(self, scale: float) -> None:
        self._scale = scale
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        side = round(FIELD * self._scale) + 4
        return QSize(side, side)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._selectable:
            self.clicked.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        inner = QRectF(2, 2, FIELD * self._scale, FIELD * self._scale)
        painter.fillRect(inner, QColor(0, 0, 0))
        if self._image is not None:
            # No smoothing: the point is to see the pixels the model saw.
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(inner, self._image)
        if self._scale >= 4:
            painter.setPen(QPen(QColor(128, 128, 128, 60), 0))
            for i in range(1, FIELD):
                offset = round(2 + i * self._scale)
                painter.drawLine(int(inner.left()), offset, int(inner.right()), offset)
                painter.drawLine(offset, int(inner.top()), offset, int(inner.bottom()))
        frame = palette.highlight().color() if self._selected else palette.mid().color()
        painter.setPen(QPen(frame, 2 if self._selected else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
