"""Real pen strokes through the drawing path: the reader, and a guard on accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.io import pendigits
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.page.field import drawing_to_field


@pytest.fixture(scope="module")
def pen_digits(pen):
    return pen


def test_reader_finds_every_digit_the_right_way_up(pen_digits):
    assert len(pen_digits) == 7494
    counts = np.bincount(pendigits.labels(pen_digits))
    assert counts.tolist() == [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
    assert {len(d.drawing.strokes) for d in pen_digits} <= {1, 2, 3}
    # y grows upwards in the file: a 7's bar must end up at the top of the field.
    sevens = [d for d in pen_digits if d.label == 7][:50]
    wider_on_top = 0
    for d in sevens:
        rows = np.flatnonzero(drawing_to_field(d.drawing).max(axis=1) > 0.5)
        field = drawing_to_field(d.drawing) > 0.5
        top, bottom = field[rows[0] : rows[0] + 4], field[rows[-1] - 3 : rows[-1] + 1]
        wider_on_top += top.any(axis=0).sum() > bottom.any(axis=0).sum()
    assert wider_on_top >= 45


def test_bundled_model_reads_new_writers_pen_strokes(pen_digits):
    """Guards the drawing path against regressions on the writers training never saw
    (measured 0.994 with this model; the 0.985 target is tracked by `digitpad bench`)."""
    dev = pendigits.split(pen_digits, pendigits.DEV_WRITERS)
    fields = np.stack([drawing_to_field(d.drawing) for d in dev])
    predicted = Recognizer.load().predict(fields).argmax(axis=1)
    assert (predicted == pendigits.labels(dev)).mean() >= 0.985
