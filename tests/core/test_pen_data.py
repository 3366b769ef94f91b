"""Pen strokes as training data: the writer split, the stroke variations, drawn non-digits."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.io import pendigits
from digitpad.core.io.drawing import Drawing
from digitpad.core.made import nondigits
from digitpad.core.made.pen_augment import PenVariation, cross_stem, vary
from digitpad.core.page.field import drawing_to_field


@pytest.fixture(scope="module")
def pen_digits(pen):
    return pen


def test_the_three_writer_splits_are_disjoint_and_cover_everyone():
    splits = (pendigits.TRAIN_WRITERS, pendigits.CALIBRATION_WRITERS, pendigits.DEV_WRITERS)
    assert sum(len(s) for s in splits) == 30
    assert set().union(*splits) == set(range(1, 31))
    assert pendigits.DEV_WRITERS == frozenset(range(26, 31))


def test_no_dev_or_calibration_writer_reaches_training(pen_digits):
    train = pendigits.training_digits(pen_digits)
    assert {d.writer for d in train} == set(pendigits.TRAIN_WRITERS)
    assert len(pendigits.split(pen_digits, pendigits.DEV_WRITERS)) == 1248


def test_a_leaked_dev_writer_is_caught(pen_digits, monkeypatch):
    monkeypatch.setattr(pendigits, "TRAIN_WRITERS", frozenset(range(1, 28)))
    with pytest.raises(ValueError, match="held-out writers"):
        pendigits.training_digits(pen_digits)


def test_training_renditions_come_only_from_training_writers(pen_digits, tmp_path, monkeypatch):
    """The training images are exactly the training writers' digits (copy 0 is unvaried)."""
    pen_data = pytest.importorskip("training.pen_data")  # NumPy only, no TensorFlow
    path = pendigits.default_path()
    data = pen_data.load(path, copies=1, seed=0)
    train = pendigits.training_digits(pen_digits)
    assert len(data.train_y) == len(train)
    assert data.train_writers == len(pendigits.TRAIN_WRITERS)
    expected = pen_data.to_uint8([drawing_to_field(d.drawing) for d in train[:50]])
    np.testing.assert_array_equal(data.train_x[:50], expected)
    dev = pendigits.split(pen_digits, pendigits.DEV_WRITERS)
    dev_fields = pen_data.to_uint8([drawing_to_field(d.drawing) for d in dev])
    seen = {x.tobytes() for x in data.train_x}
    assert not any(x.tobytes() in seen for x in dev_fields)
    assert len(data.calibration_y) == len(
        pendigits.split(pen_digits, pendigits.CALIBRATION_WRITERS)
    )


def test_variations_keep_the_digit_recognisable_and_are_reproducible(pen_digits):
    from digitpad.core.models.ensemble import Recognizer

    recognizer = Recognizer.load()
    sample = pen_digits[::40]
    fields, labels = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        for d in sample:
            drawing, width = vary(d.drawing, rng)
            assert drawing.label == d.label
            assert PenVariation().width[0] <= width <= PenVariation().width[1]
            fields.append(drawing_to_field(drawing, width))
            labels.append(d.label)
    accuracy = (recognizer.predict(np.stack(fields)).argmax(axis=1) == labels).mean()
    assert accuracy > 0.9  # varied, not destroyed
    again, _ = vary(sample[0].drawing, np.random.default_rng(0))
    first, _ = vary(sample[0].drawing, np.random.default_rng(0))
    np.testing.assert_array_equal(np.concatenate(again.strokes), np.concatenate(first.strokes))


def test_variation_resamples_like_mouse_and_pen():
    drawing = Drawing.from_points([[[0, 0], [100, 0], [100, 100]]], 200, 200, label=7)
    counts = set()
    for seed in range(30):
        varied, _ = vary(drawing, np.random.default_rng(seed))
        counts.add(varied.point_count)
        has_pressure = not np.isnan(varied.strokes[0][:, 2]).all()
        if has_pressure:
            assert (0 <= varied.strokes[0][:, 2]).all() and (varied.strokes[0][:, 2] <= 1).all()
    assert min(counts) <= 3 and max(counts) > 50  # as recorded, and densely re-sampled


def test_crossed_seven_adds_a_bar_across_the_stem():
    seven = Drawing.from_points([[[0, 0], [100, 0], [40, 200]]], 200, 200, label=7)
    crossed = cross_stem(seven, np.random.default_rng(1))
    assert len(crossed.strokes) == 2
    bar = crossed.strokes[1][:, :2]
    assert np.ptp(bar[:, 1]) < 0.2 * np.ptp(bar[:, 0])  # about horizontal
    assert bar[:, 0].min() < 70 - 10 < bar[:, 0].max()  # it crosses the stem


def test_non_digits_are_reproducible_and_cover_every_family():
    a = nondigits.non_digits(120, seed=3)
    b = nondigits.non_digits(120, seed=3)
    assert [x.family for x in a] == [x.family for x in b]
    np.testing.assert_array_equal(
        np.concatenate(a[5].drawing.strokes), np.concatenate(b[5].drawing.strokes)
    )
    assert {x.family for x in nondigits.non_digits(len(nondigits.FAMILIES), 0)} == set(
        nondigits.FAMILIES
    )
    assert nondigits.HELD_OUT <= set(nondigits.FAMILIES)
    assert not set(nondigits.TRAINING_FAMILIES) & nondigits.HELD_OUT
    rendered = [drawing_to_field(x.drawing, x.stroke_width) for x in a if x.family != "dots"]
    assert all(f is not None and f.max() > 0.5 for f in rendered)


def test_no_family_is_a_shape_that_is_a_digit():
    """A single stroke upright (1) and a closed round loop (0) must never be taught as
    non-digits."""
    banned = {
        "O",
        "o",
        "I",
        "l",
        "i",
        "S",
        "s",
        "Z",
        "z",
        "B",
        "b",
        "G",
        "g",
        "q",
        "D",
        "Q",
        "circle",
        "oval",
        "line",
    }
    assert not banned & set(nondigits.FAMILIES)


def test_the_shipped_copy_holds_only_the_training_and_calibration_writers(pen_digits, tmp_path):
    path = pendigits.default_path()
    target = tmp_path / "pendigits-train"
    writers = pendigits.TRAIN_WRITERS | pendigits.CALIBRATION_WRITERS
    kept = pendigits.write_writers(path, target, writers)
    shipped = pendigits.read(target)
    assert kept == len(shipped) == sum(d.writer in writers for d in pen_digits)
    assert {d.writer for d in shipped} == set(writers)
    assert target.read_text().startswith(".INCLUDE")  # the header is kept
