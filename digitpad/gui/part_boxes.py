"""The boxes around the parts of a result, labelled: on an opened image and on the canvas.

Digits get a solid box with the digit and its probability, in the warning colour when
the model is not sure; ink that is not a digit gets a dashed box saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPalette, QPen

from digitpad.gui.probability_bars import percent
from digitpad.gui.result_panel import low_confidence
from digitpad.gui.theme import warning_colour

if TYPE_CHECKING:
    from digitpad.core.recognizer import Result

Box = tuple[int, int, int, int]


def paint_parts(
    painter: QPainter,
    palette: QPalette,
    result: Result,
    to_widget: Callable[[Box], QRectF],
    top: float,
) -> None:
    """Each part's box (``to_widget`` maps it to widget pixels) with its tag above it, or
    below it where the tag would rise above ``top``."""
    metrics = QFontMetricsF(painter.font())
    parts = [
        (
            d.box,
            f"{d.digit}  {percent(d.confidence)}",
            warning_colour(palette)
            if d.confidence < low_confidence()
            else palette.highlight().color(),
            Qt.PenStyle.SolidLine,
        )
        for d in result.digits
    ]
    parts += [
        (r.box, "not a digit", palette.mid().color(), Qt.PenStyle.DashLine) for r in result.rejected
    ]
    for box_in_input, label, colour, line in parts:
        box = to_widget(box_in_input).adjusted(-3, -3, 3, 3)
        painter.setPen(QPen(colour, 2, line))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 3, 3)
        tag = QRectF(0, 0, metrics.horizontalAdvance(label) + 10, metrics.height() + 4)
        tag.moveBottomLeft(QPointF(box.left(), box.top() - 1))
        if tag.top() < top:
            tag.moveTopLeft(QPointF(box.left(), box.bottom() + 1))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(tag, 3, 3)
        painter.setPen(QColor("white"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
