"""A photo too large for Qt to hold whole is shown reduced, its boxes where they belong."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw
from PySide6.QtGui import QImageReader

from digitpad.gui import jobs


@pytest.fixture
def small_qt_limit():
    """Qt's limit on a decoded picture, lowered from 256 MB so that a test-sized image
    stands for a 10000 x 7500 photo."""
    before = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(8)  # MB
    yield
    QImageReader.setAllocationLimit(before)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_photo_over_qts_limit_is_shown_reduced_with_its_own_size(
    tmp_path, small_qt_limit, suffix
):
    path = tmp_path / f"big{suffix}"
    image = Image.new("RGB", (4000, 3000), (240, 240, 235))  # 48 MB as Qt holds it
    ImageDraw.Draw(image).line([(2000, 600), (2000, 2400)], fill=(0, 0, 0), width=120)
    image.save(path)
    shown, size = jobs.display_image(str(path))
    assert shown is not None and not shown.isNull()
    assert size == (4000, 3000)  # what the result's boxes are measured in
    assert max(shown.width(), shown.height()) <= jobs.DISPLAY_SIZE
    assert abs(shown.width() / shown.height() - 4000 / 3000) < 0.01  # the aspect kept


def test_a_turned_photo_keeps_its_upright_size(tmp_path, small_qt_limit):
    path = tmp_path / "turned.jpg"
    image = Image.new("RGB", (4000, 3000), (240, 240, 235))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: upright it is 3000 wide, 4000 high
    image.save(path, exif=exif)
    shown, size = jobs.display_image(str(path))
    assert size == (3000, 4000)
    assert shown is not None and shown.height() > shown.width()


def test_the_window_shows_the_reduced_photo(window, qtbot, tmp_path, small_qt_limit):
    path = tmp_path / "big.png"
    image = Image.new("L", (4000, 3000), 255)
    ImageDraw.Draw(image).line([(2000, 600), (2000, 2400)], fill=0, width=120)
    image.convert("RGB").save(path)
    window.open_path(str(path))
    qtbot.waitUntil(window.is_showing_image, timeout=20_000)
    view = window.image_view
    rect = view.image_rect()
    assert abs(rect.width() / rect.height() - 4000 / 3000) < 0.01
    assert view._pixmap is not None and not view._pixmap.isNull()
