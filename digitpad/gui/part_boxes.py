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
    from digitpad.core.result import Result

Box = tuple[int, int, int, int]


def paint_parts(
    painter: QPainter,
    palette: QPalette,
    result: Result,
    to_widget: Callable[[Box], QRectF],
    top: float,
    right: float = float("inf"),
    visible: QRectF | None = None,
) -> list[QRectF]:
    """Each part's box (``to_widget`` maps it to widget pixels) with its tag above it, or
    below it where the tag would rise above ``top``; no tag runs past ``right`` (the
    widget's edge: a box at the right end keeps its whole tag in view). With
    ``visible`` (a zoomed image's part on show), parts outside it are left out and
    tags stay within it. The tags' rects."""
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
    tags: list[QRectF] = []
    for box_in_input, label, colour, line in parts:
        box = to_widget(box_in_input).adjusted(-3, -3, 3, 3)
        if visible is not None and not box.intersects(visible):
            continue
        painter.setPen(QPen(colour, 2, line))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 3, 3)
        tag = _place_tag(
            box,
            QRectF(0, 0, metrics.horizontalAdvance(label) + 10, metrics.height() + 4),
            top,
            tags,
        )
        if tag.right() > right:
            tag.moveRight(max(right, tag.width()))
        if visible is not None and tag.left() < visible.left():
            tag.moveLeft(visible.left())
        tags.append(tag)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(tag, 3, 3)
        painter.setPen(tag_text_colour(colour))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
    return tags


def _place_tag(box: QRectF, tag: QRectF, top: float, taken: list[QRectF]) -> QRectF:
    """Above the box, else below it (at the top edge, or where a neighbour's tag is),
    else stacked above the tags in the way: never over another tag."""
    above = QRectF(tag)
    above.moveBottomLeft(QPointF(box.left(), box.top() - 1))
    below = QRectF(tag)
    below.moveTopLeft(QPointF(box.left(), box.bottom() + 1))
    for place in (above, below):
        if place.top() >= top and not any(place.intersects(t) for t in taken):
            return place
    place = above if above.top() >= top else below
    while any(place.intersects(t) for t in taken):
        place.moveBottom(min(t.top() for t in taken if place.intersects(t)) - 1)
    return place


def tag_text_colour(background: QColor) -> QColor:
    """White on a dark tag, near-black on a light one (the amber of a dark theme): the
    one that reads better."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    light = luminance(background)
    return QColor("white") if 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 else QColor("#111111")
