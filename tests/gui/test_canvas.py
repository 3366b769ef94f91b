"""The canvas: strokes from mouse, pen and touch; undo, redo, clear; resizing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest

from digitpad.gui.canvas import MAX_BRUSH, MIN_BRUSH, Canvas


@pytest.fixture
def canvas(qtbot):
    widget = Canvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_mouse_stroke_becomes_a_drawing_in_logical_pixels(canvas, draw_stroke):
    draw_stroke(canvas, [(100, 50), (110, 100), (120, 150), (130, 200)])
    drawing = canvas.drawing()
    assert (drawing.width, drawing.height) == (400, 300)
    assert len(drawing.strokes) == 1
    stroke = drawing.strokes[0]
    assert stroke.shape[1] == 3 and np.isnan(stroke[:, 2]).all()  # a mouse has no pressure
    assert stroke[0, :2].tolist() == [100, 50] and stroke[-1, :2].tolist() == [130, 200]


def test_signals_while_drawing_and_after(canvas, qtbot, draw_stroke):
    moved, changed = [], []
    canvas.stroke_moved.connect(lambda: moved.append(1))
    canvas.drawing_changed.connect(lambda: changed.append(1))
    draw_stroke(canvas, [(10, 10), (50, 50), (90, 90)])
    assert len(moved) >= 3 and len(changed) == 1


def test_undo_redo_and_clear(canvas, draw_stroke):
    draw_stroke(canvas, [(50, 50), (50, 150)])
    draw_stroke(canvas, [(150, 50), (150, 150)])
    assert canvas.stroke_count() == 2
    canvas.undo()
    assert canvas.stroke_count() == 1 and canvas.can_redo()
    canvas.redo()
    assert canvas.stroke_count() == 2
    canvas.clear()
    assert canvas.is_empty()
    canvas.undo()  # clearing is undoable: nothing is lost
    assert canvas.stroke_count() == 2
    canvas.undo()
    draw_stroke(canvas, [(250, 50), (250, 150)])
    assert not canvas.can_redo()  # a new stroke drops the redo list


def test_points_closer_than_a_pixel_are_dropped_and_strokes_stay_on_the_paper(canvas, draw_stroke):
    draw_stroke(canvas, [(100, 100), (100, 100), (100, 100), (300, 100)])
    canvas.begin_stroke(QPointF(390, 290))
    canvas.extend_stroke(QPointF(900, -50))  # a drag that left the widget
    canvas.end_stroke()
    first, second = canvas.drawing().strokes
    assert len(first) <= 3 and first[-1, :2].tolist() == [300, 100]
    assert second[-1, :2].tolist() == [400, 0]


def test_mouse_strokes_are_smoothed_but_end_where_the_pointer_was_lifted(canvas, draw_stroke):
    staircase = [(100 + i, 100 + i // 2 * 2) for i in range(0, 60)]  # a 1:1 slope in 2-px steps
    draw_stroke(canvas, staircase)
    stroke = canvas.drawing().strokes[0]
    assert stroke[0, :2].tolist() == [100, 100] and stroke[-1, :2].tolist() == [159, 158]
    inner = stroke[5:-5, :2]
    assert np.abs((inner[:, 1] - 100) - (inner[:, 0] - 100)).max() < 1.0  # on the line


def test_resize_keeps_the_drawing_scaled_and_centred(canvas, qtbot, draw_stroke):
    draw_stroke(canvas, [(200, 100), (200, 200)])
    canvas.resize(800, 300)  # wider: the same height, so the same size, shifted to the middle
    qtbot.waitUntil(lambda: canvas.width() == 800)
    stroke = canvas.drawing().strokes[0]
    assert stroke[[0, -1], :2].tolist() == [[400, 100], [400, 200]]
    canvas.resize(200, 150)  # a quarter of the width: scaled by 1/4, centred vertically
    qtbot.waitUntil(lambda: canvas.width() == 200)
    stroke = canvas.drawing().strokes[0]
    assert np.allclose(stroke[[0, -1], :2], [[100, 62.5], [100, 87.5]])
    canvas.undo()
    canvas.redo()  # undo states were moved too
    assert np.allclose(canvas.drawing().strokes[0][[0, -1], :2], [[100, 62.5], [100, 87.5]])


def _tablet(kind, pos, pressure, button=Qt.MouseButton.LeftButton):
    device = QPointingDevice.primaryPointingDevice()
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else button
    return QTabletEvent(
        kind,
        device,
        QPointF(*pos),
        QPointF(*pos),
        pressure,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        Qt.KeyboardModifier.NoModifier,
        button,
        buttons,
    )


def test_pen_pressure_is_recorded(canvas):
    from PySide6.QtWidgets import QApplication

    for kind, pos, p in (
        (QEvent.Type.TabletPress, (50, 50), 0.2),
        (QEvent.Type.TabletMove, (60, 80), 0.6),
        (QEvent.Type.TabletRelease, (70, 110), 0.9),
    ):
        QApplication.sendEvent(canvas, _tablet(kind, pos, p))
    stroke = canvas.drawing().strokes[0]
    assert np.allclose(stroke[:, 2], [0.2, 0.6, 0.9])


def test_a_mouse_press_synthesized_before_the_pen_press_does_not_lose_the_pressure(canvas):
    """Some platforms send the pen-down as a mouse press first, then as a tablet press."""
    from PySide6.QtWidgets import QApplication

    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    QApplication.sendEvent(canvas, _tablet(QEvent.Type.TabletPress, (50, 51), 0.3))
    QApplication.sendEvent(canvas, _tablet(QEvent.Type.TabletMove, (60, 90), 0.7))
    QTest.mouseMove(canvas, QPoint(61, 91))  # synthesized copies are ignored
    QApplication.sendEvent(canvas, _tablet(QEvent.Type.TabletRelease, (70, 120), 0.7))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(70, 120))
    strokes = canvas.drawing().strokes
    assert len(strokes) == 1
    assert not np.isnan(strokes[0][:, 2]).any()
    assert strokes[0][0, :2].tolist() == [50, 51]


def test_touch_draws_with_one_finger(canvas):
    device = QTest.createTouchDevice()
    QTest.touchEvent(canvas, device).press(0, QPoint(100, 40))
    QTest.touchEvent(canvas, device).move(0, QPoint(100, 120))
    QTest.touchEvent(canvas, device).move(0, QPoint(100, 200))
    QTest.touchEvent(canvas, device).release(0, QPoint(100, 200))
    strokes = canvas.drawing().strokes
    assert len(strokes) == 1
    ys = strokes[0][:, 1]
    # (QTest maps touch points through the window's frame: allow its offset.)
    assert np.allclose(ys[[0, -1]], [40, 200], atol=3) and (np.diff(ys) > 0).all()


def test_brush_width_is_clamped(canvas):
    canvas.set_brush_width(1000)
    assert canvas.brush_width() == MAX_BRUSH
    canvas.set_brush_width(-3)
    assert canvas.brush_width() == MIN_BRUSH


def test_painting_is_vector_and_sharp_at_twice_the_pixel_density(canvas, draw_stroke):
    from digitpad.gui.qimage import qimage_to_rgba

    draw_stroke(canvas, [(200, 60), (200, 240)])
    for ratio in (1.0, 2.0):
        from PySide6.QtGui import QImage, QPainter

        image = QImage(int(400 * ratio), int(300 * ratio), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        canvas.render(painter, QPoint())
        painter.end()
        rgba = qimage_to_rgba(image)
        dark = rgba[..., 0] < 128
        columns = np.flatnonzero(dark[int(150 * ratio)])
        # The ink is as wide as the brush, in logical pixels, at either density.
        assert math.isclose(len(columns) / ratio, canvas.painted_brush(), abs_tol=2)


def test_a_stroke_that_leaves_the_canvas_is_clipped_not_drawn_along_the_border(qtbot, draw_stroke):
    from digitpad.gui.canvas import Canvas

    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    # Right across the top edge and back: out at x = 100, in again at x = 300.
    draw_stroke(canvas, [(50, 50), (100, 10), (150, -40), (250, -40), (300, 10), (350, 50)])
    strokes = canvas.drawing().strokes
    assert len(strokes) == 2  # two strokes, nothing along the border between them
    assert strokes[0][:, 0].max() < 160 and strokes[1][:, 0].min() > 240
    assert (canvas.drawing().strokes[0][:, 1] >= 0).all()


def test_the_brush_scales_with_the_canvas(qtbot):
    from digitpad.gui.canvas import BRUSH_AT, Canvas

    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(*BRUSH_AT)
    assert canvas.painted_brush() == canvas.brush_width()
    canvas.resize(BRUSH_AT[0] // 2, BRUSH_AT[1] // 2)
    assert canvas.painted_brush() == canvas.brush_width() / 2
    canvas.resize(BRUSH_AT[0] * 4, BRUSH_AT[1] * 4)
    assert canvas.painted_brush() == canvas.brush_width() * 2  # at most twice
