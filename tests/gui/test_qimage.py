"""The NumPy <-> QImage bridge keeps every pixel, whatever the row padding."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from digitpad.gui.qimage import grey_to_qimage, qimage_to_rgba


@pytest.mark.parametrize("width", [1, 3, 5, 28, 29, 31])
def test_grey_round_trip_with_padded_rows(width):
    rng = np.random.default_rng(width)
    grey = rng.integers(0, 256, size=(7, width), dtype=np.uint8)
    image = grey_to_qimage(grey)
    assert image.format() == QImage.Format.Format_Grayscale8
    assert (image.width(), image.height()) == (width, 7)
    assert image.bytesPerLine() % 4 == 0
    rgba = qimage_to_rgba(image)
    assert rgba.shape == (7, width, 4)
    assert np.array_equal(rgba[..., 0], grey) and (rgba[..., 3] == 255).all()


def test_float_fields_are_scaled_and_clipped():
    field = np.array([[0.0, 0.5, 1.0, 2.0, -1.0, np.nan]], np.float32)
    rgba = qimage_to_rgba(grey_to_qimage(field))
    assert rgba[0, :, 0].tolist() == [0, 128, 255, 255, 0, 0]


def test_the_image_owns_its_pixels():
    grey = np.zeros((2, 2), np.uint8)
    image = grey_to_qimage(grey)
    grey[:] = 255
    assert qimage_to_rgba(image)[..., 0].max() == 0


def test_rejects_non_2d():
    with pytest.raises(ValueError):
        grey_to_qimage(np.zeros((2, 2, 3)))
