"""Teaching DigitPad: a correction saves the drawing as a labelled sample; the manager
lists, previews and deletes them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from digitpad.core.io.drawing import Drawing, DrawingError
from digitpad.core.records import sample_store
from digitpad.gui.drawing_thumbnail import render_drawing
from digitpad.gui.samples import SamplesDialog


def sample_files(suffix: str = ".json"):
    folder = sample_store.samples_dir()
    return sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []


def drawn_one(window, qtbot, one, idle):
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    idle(window)


def test_a_correction_saves_the_drawing_with_its_label(window, qtbot, one, idle):
    bar = window.result_panel.correction
    assert not bar.buttons[7].isEnabled()  # nothing drawn yet
    drawn_one(window, qtbot, one, idle)
    assert bar.buttons[7].isEnabled()
    qtbot.mouseClick(bar.buttons[7], Qt.MouseButton.LeftButton)

    files = sample_files()
    assert len(files) == 1 and files[0].name.startswith("7-")
    saved = Drawing.load(files[0])
    assert saved.label == 7
    drawn = window.canvas.drawing()
    assert len(saved.strokes) == len(drawn.strokes) == 1
    assert np.allclose(saved.strokes[0][:, :2], drawn.strokes[0][:, :2], atol=0.01)
    assert json.loads(files[0].read_text())["format"] == "digitpad-drawing"
    assert bar.chosen() == 7 and bar.caption() == "Saved ✓"
    assert "sample of 7" in window.message_text() and "read as 1" in window.message_text()

    # Changing one's mind about the same drawing replaces the sample.
    qtbot.mouseClick(bar.buttons[4], Qt.MouseButton.LeftButton)
    files = sample_files()
    assert len(files) == 1 and Drawing.load(files[0]).label == 4
    assert bar.chosen() == 4


def test_a_new_drawing_makes_a_new_sample(window, qtbot, one, idle, draw_stroke):
    drawn_one(window, qtbot, one, idle)
    window.tools.teach(7)
    window.canvas.clear()
    qtbot.waitUntil(lambda: window.result_panel.state() == "empty", timeout=5000)
    assert window.result_panel.correction.chosen() is None
    drawn_one(window, qtbot, one, idle)
    window.tools.teach(7)
    assert [Drawing.load(f).label for f in sample_files()] == [7, 7]


def test_ctrl_and_a_digit_teaches_too(window, qtbot, one, idle):
    drawn_one(window, qtbot, one, idle)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert [Drawing.load(f).label for f in sample_files()] == [3]


def test_nothing_to_teach_without_a_drawn_digit(window, qtbot):
    assert not window.actions_by_name["teach_5"].isEnabled()
    window.tools.teach(5)
    assert sample_files() == []
    assert "Draw a digit" in window.message_text()


def test_one_digit_of_a_drawn_number_is_corrected_with_its_strokes_alone(
    window, qtbot, draw_stroke, idle
):
    one = [(60, 60), (62, 200)]
    seven = [[(150, 60), (210, 60), (170, 200)], [(160, 130), (200, 130)]]  # crossed
    draw_stroke(window.canvas, one)
    for stroke in seven:
        draw_stroke(window.canvas, stroke)
    qtbot.waitUntil(lambda: len(window.result_panel.text()) == 2, timeout=5000)
    idle(window)
    bar = window.result_panel.correction
    assert bar.buttons[7].isEnabled() and window.actions_by_name["teach_7"].isEnabled()
    window.result_panel.select_digit(1)
    assert bar.target() == "digit 2 of 2"
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    (first,) = sample_files()
    saved = Drawing.load(first)
    assert saved.label == 7 and len(saved.strokes) == 2  # the seven's strokes, not the one's
    assert min(s[:, 0].min() for s in saved.strokes) >= 150
    qtbot.keyClick(window, Qt.Key.Key_Left)  # the other digit: a sample of its own
    assert bar.target() == "digit 1 of 2" and bar.chosen() is None
    qtbot.mouseClick(bar.buttons[1], Qt.MouseButton.LeftButton)
    labels = sorted(Drawing.load(f).label for f in sample_files())
    assert labels == [1, 7]
    ones = [Drawing.load(f) for f in sample_files() if Drawing.load(f).label == 1]
    assert len(ones[0].strokes) == 1


def test_the_manager_lists_previews_and_deletes(qtbot, tmp_path):
    drawing = Drawing.from_points([[[10, 10], [50, 90]], [[60, 20], [60, 80, 0.5]]], 100, 100)
    paths = [sample_store.save_sample(drawing, label) for label in (3, 1, 3)]
    (sample_store.samples_dir() / "broken.json").write_text("{not json")

    dialog = SamplesDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # Delete is a shortcut of the dialog's window
    listed = dialog.sample_paths()
    assert sorted(listed) == sorted(paths)  # the broken file is skipped
    assert dialog.list.item(0).text() == "1"  # by digit
    assert "3 samples" in dialog._summary.text()
    assert not dialog.list.item(0).icon().isNull()
    assert dialog._preview.pixmap() is not None and not dialog._preview.pixmap().isNull()

    dialog.filter.setCurrentIndex(dialog.filter.findData(3))
    assert len(dialog.sample_paths()) == 2

    dialog.select_paths([paths[0]])
    assert dialog.selected_paths() == [paths[0]]
    changed = []
    dialog.samples_changed.connect(changed.append)
    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Delete)
    assert not paths[0].exists() and paths[2].exists()
    assert changed == [2]
    assert dialog.sample_paths() == [paths[2]]
    before = paths[2].read_bytes()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo
    assert paths[0].exists() and changed == [2, 3]
    assert Drawing.load(paths[0]).label == 3 and paths[2].read_bytes() == before
    assert dialog.selected_paths() == [paths[0]] and not dialog.undo_button.isEnabled()


def test_the_manager_confirms_before_deleting_several(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    drawing = Drawing.from_points([[[10, 10], [10, 90]]], 100, 100)
    paths = [sample_store.save_sample(drawing, 1) for _ in range(2)]
    dialog = SamplesDialog()
    qtbot.addWidget(dialog)
    dialog.select_paths(paths)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    dialog.delete_selected()
    assert all(p.exists() for p in paths)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    dialog.delete_selected()
    assert not any(p.exists() for p in paths)


def test_the_manager_opens_from_the_menu(window, qtbot, one, idle):
    drawn_one(window, qtbot, one, idle)
    window.tools.teach(1)
    window.tools.show_samples()
    dialog = window.tools.samples_dialog
    assert dialog.isVisible() and len(dialog.sample_paths()) == 1
    window.tools.teach(2)  # the open manager follows
    assert [p.name[0] for p in dialog.sample_paths()] == ["2"]


def test_thumbnails_show_the_ink_wherever_it_was_drawn(qapp):
    corner = Drawing.from_points([[[900, 900], [905, 960]]], 1000, 1000)
    pixmap = render_drawing(corner, 64, QColor("black"), QColor("white"))
    image = pixmap.toImage()
    dark = sum(image.pixelColor(x, y).lightness() < 128 for x in range(64) for y in range(64))
    assert 64 < dark < 64 * 64 / 2  # a visible stroke, centred and scaled up
    assert image.pixelColor(32, 32).lightness() < 128


def test_sample_store_rejects_what_is_not_a_sample():
    with pytest.raises(ValueError):
        sample_store.save_sample(Drawing.from_points([[[1, 1], [2, 2]]]), 10)
    with pytest.raises(DrawingError):
        sample_store.save_sample(Drawing(), 1)
    assert sample_store.list_samples() == [] and sample_store.count_samples() == 0


def test_a_digit_in_a_picture_is_corrected_as_the_field_the_model_read(window, qtbot, tmp_path):
    from PIL import Image, ImageDraw

    path = tmp_path / "one.png"
    image = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(image).line([(60, 25), (60, 135)], fill=0, width=9)
    image.save(path)
    window.open_path(str(path))
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert window.actions_by_name["teach_7"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    (saved,) = sample_files(".png")
    assert saved.name.startswith("7-")
    (sample,) = sample_store.list_samples()
    assert sample.label == 7 and sample.drawing is None
    read = window.current_result().digits[0].field
    assert np.abs(sample.field - read).max() <= 0.5 / 255 + 1e-6  # the same 28 x 28 field
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # changed mind
    assert [p.name[0] for p in sample_files(".png")] == ["1"]
