"""The drawing file format v1: round trip and every way a file can be wrong."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitpad.core.io.drawing import MAX_POINTS, Drawing, DrawingError


def write(tmp_path, data, name="d.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def valid(**changes):
    data = {
        "format": "digitpad-drawing",
        "version": 1,
        "width": 280,
        "height": 280,
        "strokes": [[[10, 20], [30, 40, 0.5]], [[50, 60]]],
    }
    data.update(changes)
    return data


def test_round_trip_keeps_points_pressure_and_label(tmp_path):
    d = Drawing.from_dict(valid(label=7))
    d.save(tmp_path / "a.json")
    again = Drawing.load(tmp_path / "a.json")
    assert again.label == 7 and again.width == 280
    assert len(again.strokes) == 2
    np.testing.assert_allclose(again.strokes[0][:, :2], [[10, 20], [30, 40]])
    assert again.strokes[0][1, 2] == 0.5
    assert np.isnan(again.strokes[1][0, 2])  # no pressure recorded stays unrecorded
    assert list(tmp_path.iterdir()) == [tmp_path / "a.json"]  # no temp file left


@pytest.mark.parametrize(
    "data, words",
    [
        ([], "JSON object"),
        (valid(format="other"), "format"),
        (valid(version=2), "version"),
        (valid(width=0), "width"),
        (valid(height="big"), "height"),
        (valid(strokes={}), "strokes"),
        (valid(strokes=[5]), "stroke 0"),
        (valid(strokes=[[[1]]]), "point 0"),
        (valid(strokes=[[["1", "2"]]]), "point 0"),
        (valid(strokes=[[[1, 2, 3, 4]]]), "point 0"),
        (valid(label=12), "label"),
    ],
)
def test_wrong_structure_gives_one_line(tmp_path, data, words):
    with pytest.raises(DrawingError) as err:
        Drawing.load(write(tmp_path, data))
    message = str(err.value)
    assert words in message and "\n" not in message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_refused(tmp_path, literal):
    text = json.dumps(valid()).replace("[10, 20]", f"[{literal}, 20]")
    with pytest.raises(DrawingError, match="finite|point"):
        Drawing.load(write(tmp_path, text))


def test_invalid_json_and_missing_file(tmp_path):
    with pytest.raises(DrawingError, match="JSON"):
        Drawing.load(write(tmp_path, "{not json"))
    with pytest.raises(DrawingError, match="no such file"):
        Drawing.load(tmp_path / "missing.json")


def test_a_million_points_is_refused_quickly(tmp_path):
    stroke = [[i % 300, i % 200] for i in range(MAX_POINTS * 5)]
    with pytest.raises(DrawingError, match="too many points"):
        Drawing.load(write(tmp_path, valid(strokes=[stroke])))


def test_too_many_strokes_is_one_line_and_a_full_allowance_is_read(tmp_path):
    import json

    from digitpad.core.io.drawing import MAX_STROKES, Drawing, DrawingError
    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.reading import recognize_drawing

    many = [[[i * 30.0, 100.0], [i * 30.0 + 5, 160.0]] for i in range(MAX_STROKES + 1)]
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps(
            {
                "format": "digitpad-drawing",
                "version": 1,
                "width": 31_000,
                "height": 280,
                "strokes": many,
            }
        )
    )
    with pytest.raises(DrawingError, match="too many strokes"):
        Drawing.load(path)
    recognizer = Recognizer.load()
    allowed = Drawing.from_points(many[:MAX_STROKES], width=31_000, height=280)
    assert len(recognize_drawing(recognizer, allowed, max_digits=2).digits) <= 2
    built = Drawing(allowed.strokes + allowed.strokes[:1], 31_000, 280)
    with pytest.raises(DrawingError, match="too many strokes"):
        recognize_drawing(recognizer, built)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not utf-8",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"format": "digitpad-drawing", "version": 1, "width": 280, "height": 280, '
        b'"strokes": [[[1' + b"0" * 400 + b", 2]]]}",
    ],
)
def test_hostile_drawing_files_give_one_plain_line(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(DrawingError) as info:
        Drawing.load(path)
    message = str(info.value)
    assert "\n" not in message and "Error" not in message  # no exception names


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_before_they_are_read(tmp_path):
    import os

    from digitpad.core.api import recognize_path
    from digitpad.core.io import images
    from digitpad.core.models.ensemble import Recognizer

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    zero_png = tmp_path / "zero.png"
    zero_png.symlink_to("/dev/zero")
    recognizer = Recognizer.load()
    for path in (fifo, zero):
        with pytest.raises(DrawingError, match="not a regular file"):
            Drawing.load(path)
        with pytest.raises(DrawingError, match="not a regular file"):
            recognize_path(recognizer, str(path))
    with pytest.raises(images.ImageError, match="not a regular file"):
        recognize_path(recognizer, str(zero_png))
