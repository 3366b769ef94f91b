"""Zoom, pan and turning on the image view: the boxes stay on their digits, the point
under the pointer stays under it, and a photo taken sideways is read upright."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from digitpad.core.result import Digit, Result
from digitpad.gui.image_view import MAX_ZOOM, ZOOM_STEP, ImageView

BOX = (50, 20, 90, 80)


@pytest.fixture
def view(qtbot):
    widget = ImageView()
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    image = QImage(400, 200, QImage.Format.Format_RGB888)
    image.fill(0xFFFFFF)
    digit = Digit(7, 0.99, np.full(10, 0.1, np.float32), BOX, None)
    widget.set_image(image, (400, 200), Result((digit,)), "sheet.png")
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _same(a: QPointF, b: QPointF, tolerance: float = 0.5) -> bool:
    return abs(a.x() - b.x()) <= tolerance and abs(a.y() - b.y()) <= tolerance


def test_zoom_keeps_the_point_under_the_pointer_and_the_boxes_on_the_image(view):
    fitted = view.scale()
    at = QPointF(200, 220)
    under = view.to_image(at)
    view.zoom_by(ZOOM_STEP**3, at)
    assert view.scale() == pytest.approx(fitted * ZOOM_STEP**3)
    assert _same(view.to_image(at), under)
    rect, box = view.image_rect(), view.box_rect(BOX)
    assert box.left() == pytest.approx(rect.left() + BOX[0] * view.scale())
    assert box.width() == pytest.approx((BOX[2] - BOX[0]) * view.scale())


def test_fit_actual_size_and_the_zoom_range(view):
    view.actual_size()
    assert view.scale() == 1.0 and view.image_rect().width() == pytest.approx(400)
    for _ in range(40):
        view.zoom_by(ZOOM_STEP)
    assert view.scale() == MAX_ZOOM
    view.fit()
    assert view.is_fitted()
    area_width = view.width() - 32
    assert view.image_rect().width() == pytest.approx(area_width)  # as wide as the view allows


def test_the_wheel_zooms_and_a_drag_pans_within_the_image(view, qtbot):
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    fitted = view.scale()
    wheel = QWheelEvent(
        QPointF(320, 260),
        QPointF(view.mapToGlobal(QPoint(320, 260))),
        QPoint(0, 0),
        QPoint(0, 240),  # two notches
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, wheel)
    assert view.scale() == pytest.approx(fitted * ZOOM_STEP**2)
    before = view.image_rect()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 250))
    qtbot.mouseMove(view, QPoint(340, 250))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(340, 250))
    assert view.image_rect().left() == pytest.approx(before.left() + 40)
    for _ in range(20):  # dragged far: the image's edge stops at the view's
        view.pan_by(200, 0)
    assert view.image_rect().left() == pytest.approx(16)


def test_a_double_click_zooms_in_and_back(view, qtbot):
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(320, 260))
    assert not view.is_fitted()
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(320, 260))
    assert view.is_fitted()


@pytest.mark.slow
def test_a_photo_taken_sideways_is_read_upright_once_turned(window, qtbot, tmp_path, mnist_test):
    images, labels = mnist_test
    page = np.full((120, 200), 255, np.uint8)
    for k in range(3):  # three digits side by side, on their sides
        page[46:74, 40 + 45 * k : 68 + 45 * k] = 255 - images[k]
    Image.fromarray(np.rot90(page, 1)).save(tmp_path / "sideways.png")  # turned anticlockwise
    window.open_path(str(tmp_path / "sideways.png"))
    qtbot.waitUntil(window.is_showing_image, timeout=20_000)
    assert window.image_view.image_rect().height() > window.image_view.image_rect().width()
    window.turn_image(1)
    want = "".join(str(int(d)) for d in labels[:3])
    qtbot.waitUntil(
        lambda: window.current_result() is not None and window.current_result().text == want,
        timeout=20_000,
    )
    rect = window.image_view.image_rect()
    assert rect.width() > rect.height()  # shown as read: upright
    assert window._image.turns == 1
    window.turn_image(-1)
    qtbot.waitUntil(lambda: window._image.turns == 0, timeout=20_000)


def test_a_multi_page_scan_says_which_page_is_shown(window, qtbot, tmp_path):
    pages = [Image.new("L", (120, 80), 255) for _ in range(3)]
    pages[0].save(tmp_path / "scan.tif", save_all=True, append_images=pages[1:])
    window.open_path(str(tmp_path / "scan.tif"))
    qtbot.waitUntil(window.is_showing_image, timeout=20_000)
    assert window.image_view.name() == "scan.tif (page 1 of 3)"
