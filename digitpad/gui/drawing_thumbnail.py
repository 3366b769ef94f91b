"""A drawing painted small: its ink fitted into a square, as a picture for lists.

The pen width is a share of the digit's size (as the model input is made), so a
small digit drawn in a corner of a large canvas looks like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap

from digitpad.gui.canvas import paint_stroke

if TYPE_CHECKING:
    from digitpad.core.io.drawing import Drawing

PEN_SHARE = 0.12  # pen width as a share of the digit's longer side
MARGIN = 0.14  # empty border, as a share of the picture


def render_drawing(
    drawing: Drawing, size: int, ink: QColor, background: QColor, ratio: float = 1.0
) -> QPixmap:
    """A `size` x `size` (logical pixels) picture of the drawing; `ratio`: the screen's
    device pixel ratio, for a sharp picture on high-DPI screens."""
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(background)
    bounds = drawing.bounds()
    if bounds is None:
        return pixmap
    x0, y0, x1, y1 = bounds
    extent = max(x1 - x0, y1 - y0, 1.0)
    inner = size * (1 - 2 * MARGIN)
    scale = inner / extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = max(1.5, PEN_SHARE * inner)
    for stroke in drawing.strokes:
        points = stroke.copy()
        points[:, 0] = (points[:, 0] - cx) * scale + size / 2
        points[:, 1] = (points[:, 1] - cy) * scale + size / 2
        paint_stroke(painter, points, pen, ink)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.end()
    return pixmap
