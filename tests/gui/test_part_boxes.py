"""Box tags stay in view and readable."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from digitpad.core.result import Digit, Result
from digitpad.gui import theme
from digitpad.gui.part_boxes import paint_parts, tag_text_colour


def _digit(box, confidence=0.993):
    p = np.full(10, (1 - confidence) / 9, np.float32)
    p[9] = confidence
    return Digit(9, confidence, p, box, np.zeros((28, 28), np.float32))


def test_a_tag_at_the_right_edge_stays_whole_in_view(qapp):
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    result = Result((_digit((180, 40, 198, 100)),))  # a narrow 9 at the very right

    def to_widget(box):
        return QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])

    tags = paint_parts(painter, qapp.palette(), result, to_widget, 0.0, 200.0)
    painter.end()
    assert tags and tags[0].right() <= 200 and tags[0].left() >= 0


def test_a_zoomed_view_tags_only_the_parts_in_sight_and_keeps_them_in_it(qapp):
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    result = Result(
        (
            _digit((-60, 40, -10, 100)),  # panned out of sight on the left
            _digit((-20, 40, 30, 100)),  # half in sight: its tag must not start off it
            _digit((260, 40, 300, 100)),  # out of sight on the right
        )
    )

    def to_widget(box):
        return QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])

    sight = QRectF(0, 0, 200, 120)
    tags = paint_parts(painter, qapp.palette(), result, to_widget, 0.0, 200.0, sight)
    painter.end()
    assert len(tags) == 1 and tags[0].left() >= 0


def test_tag_text_reads_on_both_themes_colours(qapp):
    for palette in (theme.dark_palette(), theme.light_palette(qapp)):
        for colour in (theme.warning_colour(palette), palette.highlight().color()):
            text = tag_text_colour(colour)
            assert _contrast(text, colour) >= 4.5, (colour.name(), text.name())


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        ch = [
            v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
            for v in (c.redF(), c.greenF(), c.blueF())
        ]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
