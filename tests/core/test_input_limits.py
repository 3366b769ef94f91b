"""Inputs given in memory get the budgets that files get, and absurd values end in one
clear error (never a bare ValueError, a warning on stderr or a 309-digit box)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

from digitpad.core import api
from digitpad.core.io import images
from digitpad.core.io.drawing import Drawing, DrawingError


def test_a_huge_array_is_refused_before_any_copy():
    # 10^10 pixels held in one byte: the budget counts pixels, not the bytes behind them.
    huge = as_strided(np.zeros(1, np.uint8), shape=(100_000, 100_000), strides=(0, 0))
    with pytest.raises(images.ImageError, match="too large"):
        images.grey_from_array(huge)


def test_a_large_array_is_reduced_band_by_band_to_the_same_picture():
    """A 6400 x 6400 float64 page: averaged in blocks, band by band, then reduced as
    before; the digit-sized square is where it was."""
    page = np.ones((6400, 6400))
    page[2000:3000, 3000:3600] = 0.0
    grey, size = images.grey_from_array(page)
    assert size == (6400, 6400) and max(grey.shape) == images.WORKING_SIZE
    dark = np.argwhere(grey < 0.5)
    scale = 6400 / images.WORKING_SIZE
    assert abs(dark[:, 0].min() * scale - 2000) <= 2 * scale
    assert abs(dark[:, 1].max() * scale - 3600) <= 2 * scale
    small = np.ones((400, 400))
    small[100:200, 150:250] = 0.0  # no reduction at all: the pixels as they are
    np.testing.assert_array_equal(images.grey_from_array(small)[0], small.astype(np.float32))


def test_complex_pixels_are_refused_and_extreme_floats_are_quiet():
    with pytest.raises(images.ImageError, match="expected numeric pixels"):
        images.grey_from_array(np.ones((20, 20), complex))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail here
        extreme = np.full((40, 40), 1.7e308)
        extreme[10:30, 18:22] = -1.7e308
        api.read(extreme)


def _drawing(**changes) -> dict:
    data = {
        "format": "digitpad-drawing",
        "version": 1,
        "width": 280,
        "height": 280,
        "strokes": [[[100, 100], [120, 200]]],
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"strokes": [[[1e308, 0], [-1e308, 5]]]}, "coordinates beyond"),
        ({"strokes": [[[0, 2e6], [1, 1]]]}, "coordinates beyond"),
        ({"version": True}, "unsupported drawing version"),
    ],
    ids=["1e308", "2e6", "version-true"],
)
def test_absurd_drawings_are_refused_in_one_line(tmp_path, changes, message):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_drawing(**changes)))
    with pytest.raises(DrawingError, match=message):
        Drawing.load(path)
    with pytest.raises(DrawingError, match=message):  # the API: a DrawingError too
        api.read(path)


def test_points_off_the_canvas_within_reason_still_read():
    drawing = Drawing.from_dict(_drawing(strokes=[[[-50, 100], [120, 400]]]))
    assert drawing.bounds() is not None
