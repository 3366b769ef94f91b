"""The main window end to end: drawing, files, clipboard, drag and drop, settings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication

from digitpad.core.io import images
from digitpad.core.io.drawing import Drawing
from digitpad.gui import main_window, settings


def one_png(path, size=(120, 160)) -> str:
    """A dark "1" on white paper, as a scan would have it."""
    image = Image.new("L", size, 255)
    w, h = size
    ImageDraw.Draw(image).line([(w // 2, h // 6), (w // 2, h * 5 // 6)], fill=0, width=9)
    image.save(path)
    return str(path)


def test_drawing_a_one_reads_1(window, qtbot, one, idle):
    assert window.result_panel.state() == "empty"
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    idle(window)
    result = window.current_result()
    assert result.text == "1" and result.digits[0].field.shape == (28, 28)
    assert window.result_panel.state() == "sure"
    assert window.actions_by_name["copy"].isEnabled()


def test_prediction_comes_while_drawing_too(window, qtbot, draw_stroke):
    answers = []
    window.result_shown.connect(answers.append)
    x = window.canvas.width() // 2
    qtbot.mousePress(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 40))
    for y in range(40, 300, 10):
        qtbot.mouseMove(window.canvas, QPoint(x, y))
        qtbot.wait(15)
    qtbot.waitUntil(lambda: any(a is not None for a in answers), timeout=5000)
    assert window.canvas.stroke_count() == 0  # the stroke is still being drawn
    qtbot.mouseRelease(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, 300))


def test_undo_redo_clear_through_the_shortcuts(window, qtbot, one, idle):
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.result_panel.state() == "empty", timeout=5000)
    assert window.canvas.is_empty()
    qtbot.keyClick(
        window.canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.result_panel.state() == "empty", timeout=5000)
    assert window.canvas.is_empty() and window.current_result() is None
    window.canvas.undo()
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.canvas.is_empty(), timeout=5000)


def test_open_image_shows_it_with_boxes(window, qtbot, tmp_path, idle):
    window.open_path(one_png(tmp_path / "one.png"))
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert window.result_panel.text() == "1"
    assert window.image_view.name() == "one.png"
    assert "one.png" in window.windowTitle()
    box = window.current_result().digits[0].box
    assert 50 <= box[0] < box[2] <= 70  # in the image's own pixels
    window.clear()  # Esc: back to the drawing, which was kept
    assert not window.is_showing_image()
    qtbot.waitUntil(lambda: window.result_panel.state() == "empty", timeout=5000)


def test_drop_an_image_file(window, qtbot, tmp_path):
    path = one_png(tmp_path / "dropped.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    event = QDropEvent(
        QPointF(200, 200),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert window.image_view.name() == "dropped.png"
    assert window.result_panel.text() == "1"


def test_paste_an_image(window, qtbot, tmp_path):
    image = QImage(one_png(tmp_path / "clip.png"))
    QGuiApplication.clipboard().setImage(image)
    window.paste()
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert window.image_view.name() == "Pasted image"
    assert window.result_panel.text() == "1"
    assert not list(tmp_path.glob("digitpad-paste-*"))  # the temporary copy is gone


def test_paste_without_an_image_says_so(window):
    QGuiApplication.clipboard().setText("not an image")
    window.paste()
    assert "no image" in window.message_text()


def test_copy_the_number(window, qtbot, one):
    window.copy_number()
    assert "Nothing to copy" in window.message_text()
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    window.copy_number()
    assert QGuiApplication.clipboard().text() == "1"


def test_save_and_open_a_drawing(window, qtbot, one, tmp_path):
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    saved = window.canvas.drawing()
    assert window.save_drawing_to(str(tmp_path / "mine"))  # the suffix is added
    data = json.loads((tmp_path / "mine.json").read_text())
    assert data["format"] == "digitpad-drawing" and len(data["strokes"]) == 1
    window.canvas.clear()
    qtbot.waitUntil(lambda: window.result_panel.state() == "empty", timeout=5000)
    window.open_path(str(tmp_path / "mine.json"))
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    loaded = window.canvas.drawing()
    assert np.allclose(loaded.strokes[0][:, :2], saved.strokes[0][:, :2], atol=0.01)


def test_a_drawing_from_elsewhere_is_fitted_to_the_canvas(window, qtbot):
    drawing = Drawing.from_points([[[5, 2], [5, 18]]], width=10, height=20)
    window.canvas.set_drawing(drawing)
    stroke = window.canvas.drawing().strokes[0]
    w, h = window.canvas.width(), window.canvas.height()
    assert abs(stroke[0, 0] - w / 2) < 1 and stroke[1, 1] <= h


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty file"),
        (b"this is text, not a PNG", "not a supported image"),
    ],
)
def test_a_bad_image_costs_one_line_and_nothing_else(
    window, qtbot, one, tmp_path, content, expected
):
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: expected in window.message_text(), timeout=10_000)
    assert "\n" not in window.message_text() and "bad.png" in window.message_text()
    assert not window.is_showing_image()
    assert window.result_panel.text() == "1" and window.canvas.stroke_count() == 1


def test_a_bad_drawing_or_unknown_file_costs_one_line(window, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    window.open_path(str(broken))
    assert "broken.json" in window.message_text() and "JSON" in window.message_text()
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    window.open_path(str(other))
    assert "notes.txt" in window.message_text()
    window.open_path(str(tmp_path / "missing.json"))
    assert "missing.json" in window.message_text()


def test_saving_an_empty_canvas_or_to_a_bad_place_says_so(window, tmp_path, one, qtbot):
    window.save_drawing_dialog()  # no dialog: there is nothing to save
    assert "empty" in window.message_text()
    one(window.canvas)
    (tmp_path / "a-file").write_text("")
    assert not window.save_drawing_to(str(tmp_path / "a-file" / "x.json"))
    assert "Could not save" in window.message_text()


def test_a_model_that_fails_to_load_falls_back_to_the_bundled_one(qtbot, tmp_path):
    broken = tmp_path / "model.keras"
    broken.write_bytes(b"not a zip")
    win = main_window.MainWindow(model_path=str(broken))
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.recognition.recognizer is not None, timeout=15_000)
    assert "bundled model" in win.message_text()
    assert win.model_text().startswith("Model: bundled model")
    win.close()


def test_status_bar_names_the_model_and_its_accuracy(window):
    text = window.model_text()
    assert "bundled model" in text and "% MNIST test accuracy" in text


def test_settings_are_remembered(qtbot):
    first = main_window.MainWindow(load_model=False)
    qtbot.addWidget(first)
    first.brush_slider.setValue(22)
    first.resize(790, 560)  # the offscreen screen is 800 x 600
    first.close()
    assert settings.open_settings().value(settings.BRUSH_WIDTH) in (22, "22")
    second = main_window.MainWindow(load_model=False)
    qtbot.addWidget(second)
    assert second.canvas.brush_width() == 22
    assert (second.width(), second.height()) == (790, 560)
    second.close()


def test_every_action_has_a_shortcut_and_a_tooltip(window):
    for name, action in window.actions_by_name.items():
        assert action.shortcuts(), name
        assert action.toolTip() and "(" in action.toolTip(), name
    undo = window.actions_by_name["undo"].shortcuts()
    redo = window.actions_by_name["redo"].shortcuts()
    assert QKeySequence("Ctrl+Z") in undo and QKeySequence("Ctrl+Shift+Z") in redo
    clear = window.actions_by_name["clear"].shortcuts()
    assert QKeySequence("Esc") in clear and QKeySequence("Delete") in clear


def test_widgets_have_accessible_names(window):
    for widget in (window.canvas, window.image_view, window.brush_slider):
        assert widget.accessibleName()


def test_the_image_filter_lists_what_core_reads():
    assert main_window.SUFFIXES == images.SUFFIXES
    for suffix in images.SUFFIXES:
        assert f"*{suffix}" in main_window.IMAGE_FILTER


def test_model_card_and_about(window, qtbot, monkeypatch):
    from digitpad.gui import dialogs

    card = dialogs.ModelCardDialog(dialogs.model_card_path(window.recognition.recognizer))
    qtbot.addWidget(card)
    assert "Model Card" in card.browser.toPlainText()
    shown = {}
    monkeypatch.setattr(
        dialogs.QMessageBox,
        "about",
        lambda parent, title, text: shown.update(title=title, text=text),
    )
    window.show_about()
    assert "DigitPad" in shown["text"] and "PySide6" in shown["text"]
    assert "99." in shown["text"]


def test_the_dark_palette_is_dark_with_light_text(qtbot):
    from digitpad.gui import theme

    app = QApplication.instance()
    palette = theme.dark_palette()
    assert palette.window().color().lightness() < 64
    assert palette.text().color().lightness() > 192
    theme.apply(app)  # whatever the system says, applying is harmless


def test_palette_follows_the_system_scheme(monkeypatch):
    import sys

    from digitpad.gui import theme

    if sys.platform == "darwin":
        pytest.skip("macOS' own style follows the system")
    app = QApplication.instance()
    system = {"dark": True}
    monkeypatch.setattr(theme, "is_dark", lambda _app: system["dark"])
    try:
        theme.follow_system(app)
        assert app.palette().window().color().lightness() < 64
        system["dark"] = False
        app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert app.palette().window().color().lightness() > 192
    finally:
        app.setPalette(app.style().standardPalette())


def test_a_hostile_chosen_model_still_leaves_the_app_with_a_model(qtbot, tmp_path):
    """A .keras zip whose config is a JSON list (it used to escape as AttributeError)."""
    import zipfile

    hostile = tmp_path / "model.keras"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("config.json", "[]")
        archive.writestr("model.weights.h5", b"")
    win = main_window.MainWindow(model_path=str(hostile))
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.recognition.recognizer is not None, timeout=15_000)
    assert "using the bundled model" in win.message_text()
    assert win.model_text().startswith("Model: bundled model")
    assert win.actions_by_name["revert"].isEnabled()  # the way back to a clean start
    win.close()


def test_undo_redo_and_save_leave_the_drawing_alone_while_an_image_is_shown(
    window, qtbot, draw_stroke, tmp_path, idle
):
    draw_stroke(window.canvas, [(60, 60), (62, 200)])
    draw_stroke(window.canvas, [(150, 60), (200, 60), (160, 200)])
    qtbot.waitUntil(lambda: len(window.result_panel.text()) == 2, timeout=5000)
    window.open_path(one_png(tmp_path / "one.png"))
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    actions = window.actions_by_name
    assert not actions["undo"].isEnabled() and not actions["save_drawing"].isEnabled()
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    actions["undo"].trigger()
    actions["redo"].trigger()
    assert window.is_showing_image() and window.result_panel.text() == "1"
    assert window.canvas.stroke_count() == 2
    window.save_drawing_dialog()  # no dialog: it says what to do instead
    assert "Esc" in window.message_text()
    window.clear()  # back to the drawing: both strokes, and undo works on them
    assert actions["undo"].isEnabled() and actions["save_drawing"].isEnabled()
    actions["undo"].trigger()
    assert window.canvas.stroke_count() == 1


def test_a_blank_image_says_no_digit_in_the_results_until_something_else_happens(
    window, qtbot, tmp_path, draw_stroke
):
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 150), 250).save(blank)
    window.open_path(str(blank))
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert "No digit found in this image" in window.result_panel.status_text()
    assert "Draw a digit" not in window.result_panel.status_text()
    window.clear()  # back to the (empty) canvas: its own hint again
    qtbot.waitUntil(lambda: "Draw a digit" in window.result_panel.status_text(), timeout=5000)


def test_the_digits_of_a_drawn_number_are_boxed_on_the_canvas(window, qtbot, draw_stroke):
    draw_stroke(window.canvas, [(60, 60), (62, 200)])
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    assert window.canvas.parts_shown() is None  # one digit: no box
    draw_stroke(window.canvas, [(150, 60), (200, 60), (160, 200)])
    qtbot.waitUntil(lambda: len(window.result_panel.text()) == 2, timeout=5000)
    qtbot.waitUntil(lambda: window.canvas.parts_shown() is not None, timeout=5000)
    shown = window.canvas.parts_shown()
    assert [d.box[0] < 100 for d in shown.digits] == [True, False]
    window.canvas.undo()  # the drawing changed: its old boxes go at once
    assert window.canvas.parts_shown() is None


@pytest.mark.parametrize(
    "size",
    [(1280, 680), (853, 440), (720, 410)],  # 1280 x 720 at 100% and 150%, 1440 x 900 at 200%,
    ids=["1280x720@100%", "1280x720@150%", "1440x900@200%"],  # less a title bar and panel
)
def test_the_answer_stays_in_view_on_small_and_high_dpi_screens(window, qtbot, size):
    from digitpad.core.result import Digit, Result

    def digit(value, confidence):
        p = np.full(10, (1 - confidence) / 9, np.float32)
        p[value] = confidence
        return Digit(value, confidence, p, (0, 0, 10, 10), np.zeros((28, 28), np.float32))

    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=2000)
    panel = window.result_panel
    panel.show_result(Result((digit(4, 0.99), digit(2, 0.55), digit(1, 0.97))))  # "not sure"
    QApplication.processEvents()
    for part in (panel._number, panel._status, panel.correction):
        shown = part.visibleRegion().boundingRect()
        assert shown.size() == part.size(), (type(part).__name__, shown, part.size())
    assert window.canvas.isVisible() and window.canvas.width() >= 240


def test_the_title_names_the_drawing_file(window, qtbot, one, tmp_path):
    one(window.canvas)
    assert window.windowTitle() == "DigitPad"
    assert window.save_drawing_to(str(tmp_path / "mine.json"))
    assert window.windowTitle() == "mine.json — DigitPad"
    window.open_path(one_png(tmp_path / "one.png"))
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    assert window.windowTitle() == "one.png — DigitPad"
    window.clear()  # back to the drawing
    assert window.windowTitle() == "mine.json — DigitPad"
    window.clear()  # cleared: no file's drawing any more
    assert window.windowTitle() == "DigitPad"


def test_dragging_a_file_over_the_window_says_it_will_open(window, tmp_path):
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(one_png(tmp_path / "one.png"))])
    enter = QDragEnterEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert window._drop_hint.isVisible() and "one.png" in window._drop_hint.text()
    window.dragLeaveEvent(None)
    assert not window._drop_hint.isVisible()


def test_recent_files_reopen_newest_first(window, qtbot, one, tmp_path):
    from PySide6.QtWidgets import QMenu

    one(window.canvas)
    assert window.save_drawing_to(str(tmp_path / "mine.json"))
    image = one_png(tmp_path / "one.png")
    window.open_path(image)
    qtbot.waitUntil(window.is_showing_image, timeout=10_000)
    window.open_path(str(tmp_path / "missing.png"))  # not a file: not remembered
    assert window.recent_files() == [str(tmp_path / "one.png"), str(tmp_path / "mine.json")]
    menu = QMenu()
    window.fill_recent_menu(menu)
    entries = [a.text() for a in menu.actions() if a.text()]
    assert entries[:2] == ["&1 one.png", "&2 mine.json"]
    menu.actions()[1].trigger()  # mine.json, back on the canvas
    assert not window.is_showing_image() and window.windowTitle() == "mine.json — DigitPad"
    (tmp_path / "one.png").unlink()  # gone from the disk: gone from the list
    assert window.recent_files() == [str(tmp_path / "mine.json")]


def test_view_theme_switches_the_palette_and_is_remembered(window, qapp):
    from PySide6.QtGui import QAction

    from digitpad.gui import theme

    light, dark = (window.findChild(QAction, f"theme_{c}") for c in ("light", "dark"))
    try:
        dark.trigger()
        assert qapp.palette().window().color().lightness() < 128
        assert settings.open_settings().value(settings.THEME) == "dark"
        light.trigger()
        assert qapp.palette().window().color().lightness() > 128
    finally:
        theme.choose(qapp, "system")


def test_the_wrong_buttons_are_one_tab_stop_with_arrow_keys_inside(window, qtbot, one, idle):
    one(window.canvas)
    qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
    idle(window)
    window.activateWindow()
    window.canvas.clearFocus()  # the drawing gave it focus by the mouse
    window.canvas.setFocus(Qt.FocusReason.TabFocusReason)
    assert window.canvas.has_focus_ring()
    buttons = window.result_panel.correction.buttons
    stepped = []
    for name in ("previous_digit", "next_digit"):
        window.actions_by_name[name].triggered.connect(lambda *_, n=name: stepped.append(n))
    window.focusNextChild()
    assert QApplication.focusWidget() is buttons[0]  # Tab: into the group, at its first
    assert not window.canvas.has_focus_ring()
    for k in range(1, 4):
        qtbot.keyClick(buttons[k - 1], Qt.Key.Key_Right)
        assert QApplication.focusWidget() is buttons[k]
    qtbot.keyClick(buttons[3], Qt.Key.Key_Left)
    assert QApplication.focusWidget() is buttons[2]
    qtbot.keyClick(buttons[2], Qt.Key.Key_End)
    assert QApplication.focusWidget() is buttons[9]
    assert stepped == []  # the window's Left/Right shortcuts did not take the keys
    window.focusNextChild()  # Tab: out of the group at once, not through its ten buttons
    assert QApplication.focusWidget() not in buttons


def test_save_never_makes_a_folder_that_was_not_there(window, qtbot, one, tmp_path):
    one(window.canvas)
    target = tmp_path / "typed" / "by" / "hand" / "mine.json"
    assert not window.save_drawing_to(str(target))
    assert not (tmp_path / "typed").exists()
    assert "no folder" in window.message_text()


def test_undo_delete_brings_a_sample_back_with_its_saved_time(qtbot, tmp_path):
    import os

    from digitpad.core.records import sample_store
    from digitpad.gui.samples import SamplesDialog

    drawing = Drawing.from_points([[[100, 40], [105, 240]]], label=1)
    path = sample_store.save_sample(drawing, 1, tmp_path)
    long_ago = 1_600_000_000
    os.utime(path, (long_ago, long_ago))
    dialog = SamplesDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.delete_samples([path])
    assert not path.exists()
    dialog.undo_delete()
    assert path.exists() and int(path.stat().st_mtime) == long_ago


def test_a_long_status_tip_is_cut_short_before_the_models_line(window, qtbot):
    """On a narrow window a status tip ends in "…" where it would reach the model's line,
    and the message it stood in for comes back after it."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QStatusTipEvent

    window.resize(720, 500)
    qtbot.waitUntil(lambda: window.width() <= 720, timeout=5_000)
    window.show_message("Copied 42")
    tip = window.actions_by_name["retrain"].statusTip()
    QCoreApplication.sendEvent(window, QStatusTipEvent(tip))
    message, model = window._message, window._model_label
    qtbot.waitUntil(lambda: message.text() == tip, timeout=5_000)
    QCoreApplication.processEvents()
    assert message.geometry().right() < model.geometry().left()
    assert message.shown_text() != tip and message.shown_text().endswith("…")
    assert message.toolTip() == tip  # the whole of it, on hovering
    width = message.fontMetrics().horizontalAdvance(message.shown_text())
    assert width <= message.contentsRect().width()
    QCoreApplication.sendEvent(window, QStatusTipEvent(""))
    assert message.text() == "Copied 42"


def test_the_models_line_gives_way_on_a_narrow_window(window, qtbot):
    from PySide6.QtCore import QCoreApplication

    window.resize(400, 500)
    QCoreApplication.processEvents()
    model = window._model_label
    assert model.geometry().right() <= window.statusBar().width()
    drawn = model.fontMetrics().horizontalAdvance(model.shown_text())
    assert drawn <= model.contentsRect().width()
