"""The MNIST fit: properties that must hold for any drawing, and the image path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from digitpad.core.io.drawing import Drawing
from digitpad.core.page import field as field_module
from digitpad.core.page.field import drawing_to_field, image_to_field, place_by_mass


def centre_of_mass(field: np.ndarray) -> tuple[float, float]:
    mass = field.sum()
    rows = (field.sum(axis=1) * np.arange(field.shape[0])).sum() / mass
    cols = (field.sum(axis=0) * np.arange(field.shape[1])).sum() / mass
    return float(rows), float(cols)


def ink_extent(field: np.ndarray) -> tuple[float, float]:
    """Sub-pixel (height, width): summed coverage of the max-projection on each axis."""
    return float(field.max(axis=1).sum()), float(field.max(axis=0).sum())


coordinate = st.floats(min_value=0, max_value=400, allow_nan=False)
point = st.tuples(coordinate, coordinate)
stroke = st.lists(point, min_size=1, max_size=12)
strokes = st.lists(stroke, min_size=1, max_size=3)


def make(strokes_, width=400.0, height=400.0) -> Drawing:
    return Drawing.from_points([[list(p) for p in s] for s in strokes_], width, height)


def is_digit_sized(d: Drawing) -> bool:
    return any(np.ptp(s[:, :2], axis=0).max() >= field_module.speck_size(d) for s in d.strokes)


@settings(max_examples=150, deadline=None)
@given(strokes)
def test_output_is_a_field_in_range(s):
    field = drawing_to_field(make(s))
    if field is None:
        assert not is_digit_sized(make(s))
        return
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() >= 0 and field.max() <= 1 and field.max() > 0.5


@settings(max_examples=150, deadline=None)
@given(strokes)
def test_centre_of_mass_is_at_the_centre(s):
    drawing = make(s)
    assume(is_digit_sized(drawing))
    patch = field_module.render_strokes(drawing)
    field = place_by_mass(patch)
    assert field.sum() == pytest.approx(patch.sum(), rel=1e-5)  # no ink is ever cut off
    pr, pc = centre_of_mass(patch)
    h, w = patch.shape
    # Where centring would push ink out of the field, the patch is kept whole instead.
    assume(0 <= round(14 - pr) <= 28 - h and 0 <= round(14 - pc) <= 28 - w)
    r, c = centre_of_mass(field)
    assert abs(r - 14) <= 0.5 + 1e-4 and abs(c - 14) <= 0.5 + 1e-4


@settings(max_examples=150, deadline=None)
@given(strokes)
def test_longer_side_of_the_ink_box_is_20(s):
    drawing = make(s)
    assume(is_digit_sized(drawing))
    field = drawing_to_field(drawing)
    rows = np.flatnonzero(field.max(axis=1) > 0)
    cols = np.flatnonzero(field.max(axis=0) > 0)
    longer = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert 19 <= longer <= 21


@settings(max_examples=150, deadline=None)
@given(st.floats(0.3, 1.0), st.floats(0, 1), st.floats(0, 1))
def test_aspect_ratio_is_kept(aspect, tx, ty):
    # A rectangle outline: its ink box is known exactly, its edges are straight.
    w, h = 200.0 * aspect, 200.0
    x0, y0 = 50 + 100 * tx, 50 + 100 * ty
    box = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
    for drawing in (make([box]), make([[[y, x] for x, y in box]])):
        field = drawing_to_field(drawing)
        x_a, y_a, x_b, y_b = drawing.bounds()
        t = field_module.STROKE_WIDTH * max(x_b - x_a, y_b - y_a)
        expected = (x_b - x_a + t) / (y_b - y_a + t)
        height, width = ink_extent(field)
        assert width / height == pytest.approx(expected, rel=0.05)


@settings(max_examples=100, deadline=None)
@given(strokes, st.floats(-1000, 1000), st.floats(-1000, 1000), st.floats(0.2, 5.0))
def test_translation_and_scale_do_not_change_the_field(s, dx, dy, k):
    drawing = make(s)
    assume(is_digit_sized(drawing))
    moved = make(
        [[(x * k + dx, y * k + dy) for x, y in st_] for st_ in s], width=400 * k, height=400 * k
    )
    a, b = drawing_to_field(drawing), drawing_to_field(moved)
    assert b is not None
    assert np.abs(a - b).max() <= 0.05


def test_canvas_size_and_brush_do_not_matter():
    seven = [[[60, 60], [200, 60], [110, 240]]]
    small = Drawing.from_points(seven, 280, 280)
    big = Drawing.from_points([[[x * 3, y * 3] for x, y in s] for s in seven], 840, 840)
    assert np.abs(drawing_to_field(small) - drawing_to_field(big)).max() <= 0.05


def test_empty_and_specks_give_no_digit():
    assert drawing_to_field(Drawing()) is None
    assert drawing_to_field(Drawing.from_points([[[100, 100]]])) is None  # a tap
    assert (
        drawing_to_field(Drawing.from_points([[[100, 100], [102, 101]], [[50, 50]]])) is None
    )  # specks
    assert image_to_field(np.zeros((50, 50))) is None


def test_a_single_tap_inside_a_digit_is_a_dot():
    line = [[100, 40], [100, 240]]
    with_dot = Drawing.from_points([line, [[160, 140]]])
    without = Drawing.from_points([line])
    assert drawing_to_field(with_dot).sum() > drawing_to_field(without).sum()


def test_pressure_modulates_the_width():
    line = [[100, 40], [160, 240]]
    light = drawing_to_field(Drawing.from_points([[p + [0.1] for p in line]]))
    heavy = drawing_to_field(Drawing.from_points([[p + [1.0] for p in line]]))
    assert heavy.sum() > 1.3 * light.sum()


def test_mnist_test_images_come_back_close_to_themselves(mnist_test):
    """An MNIST image is already fitted and centred: the image path is nearly the identity.

    The path stretches contrast to a peak of 1 (scans vary), so compare with the image
    divided by its own peak. Bounds, from measuring all 10,000: identical for >= 97% of
    them; mean absolute change <= 0.001 per pixel for 99.9% (faint edge pixels below the
    ink threshold shrink the box by a pixel and the fit resamples); <= 0.1 for every
    image (the whole-pixel centring can move a digit whose centre of mass sits on a
    half-pixel boundary by one pixel, as MNIST's own centring would).
    """
    images = mnist_test[0].astype(np.float32) / 255.0
    errors = np.array([np.abs(image_to_field(im) - im / im.max()).mean() for im in images])
    assert (errors == 0).mean() >= 0.97
    assert np.quantile(errors, 0.999) <= 0.001
    assert errors.max() <= 0.1
