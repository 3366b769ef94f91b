"""A photo that takes a while to read never takes the canvas from a user who went back
to drawing, and Esc stops the reading."""

from __future__ import annotations

import threading

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, Qt

from digitpad.gui import jobs


@pytest.fixture
def slow_reading(monkeypatch):
    """Image readings wait for `release` (a photo that takes seconds to read)."""
    release = threading.Event()
    started = threading.Event()
    real = jobs.recognize_file

    def slow(*args, **kwargs):
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "recognize_file", slow)
    yield started, release
    release.set()


def _photo(path) -> str:
    image = Image.new("L", (300, 200), 255)
    ImageDraw.Draw(image).line([(150, 30), (150, 170)], fill=0, width=12)
    image.save(path)
    return str(path)


def test_a_stroke_begun_while_a_photo_is_read_is_kept_whole(
    window, qtbot, tmp_path, slow_reading, idle
):
    started, release = slow_reading
    window.open_path(_photo(tmp_path / "photo.png"))
    qtbot.waitUntil(started.is_set, timeout=5000)
    canvas = window.canvas
    x = canvas.width() // 2
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 60))
    for y in range(60, 200, 10):
        qtbot.mouseMove(canvas, QPoint(x, y))
    release.set()  # the reading ends mid-stroke
    qtbot.wait(300)
    for y in range(200, 320, 10):
        qtbot.mouseMove(canvas, QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 320))
    idle(window)
    qtbot.wait(200)
    assert not window.is_showing_image()
    assert canvas.stroke_count() == 1
    stroke = canvas.drawing().strokes[0]
    assert stroke[:, 1].max() - stroke[:, 1].min() >= 240  # the whole stroke, 60 to 320
    assert "Stopped reading photo.png" in window.message_text()


def test_esc_stops_a_reading_and_keeps_the_drawing(window, qtbot, tmp_path, slow_reading, one):
    started, release = slow_reading
    one(window.canvas)
    window.open_path(_photo(tmp_path / "photo.png"))
    qtbot.waitUntil(started.is_set, timeout=5000)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert "Stopped reading photo.png: cancelled" in window.message_text()
    assert not window.canvas.is_empty()  # the first Esc stops the reading only
    release.set()
    qtbot.waitUntil(lambda: not window.recognition.busy(), timeout=10_000)
    qtbot.wait(200)
    assert not window.is_showing_image()
