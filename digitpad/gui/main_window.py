"""The main window: canvas (or a loaded image) on the left, the answer on the right."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QStatusTipEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from digitpad.gui import settings as keys
from digitpad.gui import theme
from digitpad.gui.canvas import DEFAULT_BRUSH, MAX_BRUSH, MIN_BRUSH, Canvas
from digitpad.gui.image_view import ImageView
from digitpad.gui.labels import ElidedLabel
from digitpad.gui.menus import build_menus_and_toolbar, make_actions
from digitpad.gui.model_tools import ModelTools
from digitpad.gui.recognition import Recognition
from digitpad.gui.result_panel import ResultPanel

if TYPE_CHECKING:
    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.result import Result
    from digitpad.gui.jobs import ImageOutcome

log = logging.getLogger(__name__)

# Image formats as core reads them; written out here because importing core.images
# (Pillow, NumPy) before the window shows would slow the start-up.
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pdf")
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in SUFFIXES) + ");;All files (*)"
DRAWING_FILTER = "DigitPad drawings (*.json);;All files (*)"
MESSAGE_MS = 8000


MINIMUM_SIZE = QSize(600, 400)
RECENT_COUNT = 8
DEFAULT_SIZE = QSize(1040, 720)


class MainWindow(QMainWindow):
    result_shown = Signal(object)  # the Result now on show; None when there is none

    def __init__(
        self,
        model_path: str | None = None,
        remember: bool = True,
        load_model: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        """`model_path`: a .keras file (default: the one in the settings, else the bundled
        one). `remember`: write settings (geometry and options on close, the last folder
        used). `load_model`: start reading the model now, rather than when `load_model()`
        is called once the window shows.
        """
        super().__init__(parent)
        self._settings = keys.open_settings()
        self._remember = remember
        self._result: Result | None = None
        self._showing_image = False
        self._image: ImageOutcome | None = None  # the image on show, kept to turn it
        self.setWindowTitle("DigitPad")
        self.setAcceptDrops(True)
        # Small enough for 1440 x 900 at 200% (720 x 450 points, less the title bar).
        self.setMinimumSize(MINIMUM_SIZE)

        self.canvas = Canvas()
        self.image_view = ImageView()
        self._stack = QStackedWidget()
        self._stack.addWidget(self.canvas)
        self._stack.addWidget(self.image_view)
        self.result_panel = ResultPanel()
        # Shown over the canvas or image while a file is dragged over the window.
        self._drop_hint = QLabel(self._stack)
        self._drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._drop_hint.setStyleSheet(
            "background: palette(alternate-base); border: 3px dashed palette(highlight); "
            "font-size: 16pt;"
        )
        self._drop_hint.hide()
        self._drawing_name = ""  # the file the drawing on the canvas was opened from or saved to
        self._splitter = QSplitter(Qt.Orientation.Horizontal)
        self._splitter.addWidget(self._stack)
        self._splitter.addWidget(self.result_panel)
        self._splitter.setStretchFactor(0, 1)
        self._splitter.setStretchFactor(1, 0)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.setSizes([700, 340])
        self.setCentralWidget(self._splitter)

        # Tab: the canvas, then each Wrong? button, then the brush slider.
        chain = [self.canvas, *self.result_panel.correction.buttons]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        self.tools = ModelTools(self)
        self.result_panel.correction.digit_chosen.connect(self.tools.teach)
        self.result_panel.digit_selected.connect(lambda _: self._correction_target())
        self.actions_by_name = make_actions(self)
        self.actions_by_name["revert"].setEnabled(False)
        self.brush_slider = build_menus_and_toolbar(self, self.actions_by_name)
        # Both elide: a message or tip never runs into the model's line, which gives way.
        self._message = ElidedLabel()
        self._message.setAccessibleName("Message")
        self._message.setContentsMargins(6, 0, 12, 0)
        self._model_label = ElidedLabel("Loading the model…", tip=False)  # its tip: the path
        self._model_label.setAccessibleName("Model in use")
        self._model_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._model_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self._message, 1)
        self.statusBar().addWidget(self._model_label)
        self._before_tip: str | None = None  # the message a status tip stands in for
        self._message_timer = QTimer(self, singleShot=True, interval=MESSAGE_MS)
        self._message_timer.timeout.connect(lambda: self._message.setText(""))

        self.recognition = Recognition(self)
        self.recognition.model_ready.connect(self._on_model_ready)
        self.recognition.model_failed.connect(self._on_model_failed)
        self.recognition.drawing_result.connect(self._on_drawing_result)
        self.recognition.image_result.connect(self._on_image_result)
        self.recognition.failed.connect(self.show_error)
        self.canvas.stroke_moved.connect(self._on_stroke_moved)
        self.canvas.drawing_changed.connect(self.tools.drawing_changed)
        self.canvas.drawing_changed.connect(self._on_drawing_changed)

        self._restore_settings()
        self._update_actions()
        self.result_panel.show_waiting("Loading the model…")
        if model_path is None:
            model_path = str(self._settings.value(keys.MODEL_PATH, "") or "") or None
        self._model_path = model_path
        if load_model:
            self.load_model()

    def load_model(self) -> None:
        """Read the model on the recognition thread; the answer comes as model_ready."""
        self.recognition.load_model(self._model_path)

    def use_model(self, path: str | None) -> None:
        """Switch to the model at `path` (None: the bundled one) and remember the choice."""
        self._model_path = path
        if self._remember:
            if path:
                self._settings.setValue(keys.MODEL_PATH, str(path))
            else:
                self._settings.remove(keys.MODEL_PATH)
            self._settings.sync()
        self._model_label.setText("Loading the model…")
        self.load_model()

    def model_path(self) -> str | None:
        """The model chosen (None: the bundled one); the one loaded is recognition.recognizer."""
        return self._model_path

    # --- what is on show -----------------------------------------------------------

    def current_result(self) -> Result | None:
        return self._result

    def is_showing_image(self) -> bool:
        return self._showing_image

    def message_text(self) -> str:
        return self._message.text()

    def model_text(self) -> str:
        """The status bar's line about the model in use."""
        return self._model_label.text()

    def show_message(self, text: str) -> None:
        self._show_message(text, error=False)

    def show_error(self, text: str) -> None:
        log.warning("%s", text)
        self._show_message(text, error=True)

    def event(self, event: QEvent) -> bool:
        # Status tips go to the message's line, elided like it; the message comes back.
        if event.type() == QEvent.Type.StatusTip and isinstance(event, QStatusTipEvent):
            self._show_tip(event.tip())
            return True
        return super().event(event)

    def _show_tip(self, tip: str) -> None:
        if tip:
            if self._before_tip is None:
                self._before_tip = self._message.text()
            theme.set_tone(self._message, "")
            self._message.setText(tip)
        elif self._before_tip is not None:
            self._message.setText(self._before_tip)
            self._before_tip = None

    def _show_message(self, text: str, error: bool) -> None:
        self._before_tip = None  # a new message outlives the tip it replaces
        theme.set_tone(self._message, "error" if error else "")
        self._message.setText(("⚠ " if error else "") + text)
        self._message_timer.start(MESSAGE_MS * (2 if error else 1))

    def _display(self, result: Result | None) -> None:
        self._result = result if result is not None and result.digits else None
        self.result_panel.show_result(result, in_image=self._showing_image)
        self._update_actions()
        self._correction_target()
        self.result_shown.emit(self._result)

    # --- recognition ---------------------------------------------------------------

    def _on_model_ready(self, recognizer: Recognizer, warning: str) -> None:
        from digitpad.gui import model_loading

        self._model_label.setText(model_loading.summary(recognizer))
        self._model_label.setToolTip(str(recognizer.path))
        if warning:
            self.show_error(warning)
        self.tools.model_changed(recognizer)
        if self.result_panel.state() == "waiting" and self.canvas.is_empty():
            self._display(None)
        elif not self._showing_image and not self.canvas.is_empty():
            self.recognition.request_drawing(self.canvas.drawing, now=True)  # a new model

    def _on_model_failed(self, message: str) -> None:
        self._model_label.setText("No model")
        self.result_panel.show_waiting("No model could be loaded, so nothing can be recognised.")
        self.show_error(f"No model could be loaded: {message}")

    def _on_stroke_moved(self) -> None:
        if not self._showing_image:
            # Back to drawing while an image is read: the reading must never take the
            # canvas from under the pen when it ends, so it is dropped.
            self._stop_reading("you went back to drawing")
        self._update_actions()
        self.recognition.request_drawing(self.canvas.drawing)

    def _stop_reading(self, why: str) -> bool:
        """Drop the image being read, if any, and say so; whether there was one."""
        if not self.recognition.cancel_image():
            return False
        self.show_message(f"Stopped reading {self.recognition.image_name}: {why}")
        return True

    def _on_drawing_changed(self) -> None:
        if self.canvas.is_empty() and self._drawing_name:
            self._set_drawing_name("")  # cleared: no longer that file's drawing
        self._update_actions()
        self.recognition.request_drawing(self.canvas.drawing, now=True)

    def _on_drawing_result(self, result: Result) -> None:
        if not self._showing_image:
            self._display(result)
            if not self.canvas.is_drawing():  # live answers while the pen moves: no boxes
                self.canvas.show_parts(result)

    def _on_image_result(self, outcome) -> None:
        self._image = outcome
        self._showing_image = True
        self.tools.drawing_changed()  # a new picture: a correction is a new sample
        self.image_view.set_image(outcome.image, outcome.size, outcome.result, outcome.name)
        self._stack.setCurrentWidget(self.image_view)
        self.setWindowTitle(f"{outcome.name} — DigitPad")
        self._display(outcome.result)
        self._update_actions()
        found = outcome.result.text
        self.show_message(
            f"{outcome.name}: read as {found}" if found else f"{outcome.name}: no digit found"
        )

    def turn_image(self, step: int) -> None:
        """Read the image on show again turned by `step` quarter turns (+1 clockwise)."""
        if not self._showing_image or self._image is None or self._image.grey is None:
            return
        turns = (self._image.turns + step) % 4
        self.show_message(f"Turning {self._image.name} and reading it again…")
        self.recognition.request_turn(self._image, turns)

    def back_to_canvas(self) -> None:
        if not self._showing_image:
            return
        self._showing_image = False
        self._image = None  # its pixels are let go
        self._stack.setCurrentWidget(self.canvas)
        self._set_drawing_name(self._drawing_name)
        self.recognition.request_drawing(self.canvas.drawing, now=True)
        self._update_actions()

    # --- actions ---------------------------------------------------------------------

    def clear(self) -> None:
        """Esc / Delete: stop reading an image, or close a loaded one, or else clear
        the canvas."""
        if self._stop_reading("cancelled"):
            return
        if self._showing_image:
            self.back_to_canvas()
        else:
            self.canvas.clear()

    def undo(self) -> None:
        """Undo the last stroke; nothing while an image is shown (the drawing behind it
        is kept as it is until the user goes back to it)."""
        if not self._showing_image:
            self.canvas.undo()

    def redo(self) -> None:
        if not self._showing_image:
            self.canvas.redo()

    def step_digit(self, step: int) -> None:
        """Left / Right: select the digit before or after, in a number."""
        if self._result is not None and len(self._result.digits) > 1:
            index = self.result_panel.selected_digit() + step
            self.result_panel.select_digit(min(max(index, 0), len(self._result.digits) - 1))

    def change_brush(self, step: int) -> None:
        self.brush_slider.setValue(self.canvas.brush_width() + step)

    def set_brush(self, width: int) -> None:
        self.canvas.set_brush_width(width)
        self.brush_slider.setToolTip(
            f"Brush width: {self.canvas.brush_width()} px (does not change what the model reads)"
        )

    def copy_number(self) -> None:
        text = self._result.text if self._result is not None else ""
        if not text:
            self.show_message("Nothing to copy: no number has been recognised yet.")
            return
        QGuiApplication.clipboard().setText(text)
        self.show_message(f"Copied {text}")

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasImage():
            image = clipboard.image()
            if not image.isNull():
                fd, path = tempfile.mkstemp(prefix="digitpad-paste-", suffix=".png")
                os.close(fd)
                if image.save(path, "PNG"):
                    self.show_message("Reading the pasted image…")
                    self.recognition.request_image(path, "Pasted image", delete_after=True)
                    return
                Path(path).unlink(missing_ok=True)
        files = _local_files(mime.urls()) if mime is not None and mime.hasUrls() else []
        if files:
            self.open_path(files[0])
        else:
            self.show_error("The clipboard holds no image.")

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", self._last_dir(), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def open_drawing_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open Drawing", self._last_dir(), DRAWING_FILTER
        )
        if path:
            self.open_path(path)

    def save_drawing_dialog(self) -> None:
        if self._showing_image:
            self.show_error("An image is shown: press Esc to go back to the drawing to save it.")
            return
        if self.canvas.is_empty():
            self.show_error("Nothing to save: the canvas is empty.")
            return
        start = str(Path(self._last_dir()) / "drawing.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save Drawing", start, DRAWING_FILTER)
        if path:
            self.save_drawing_to(path)

    def open_path(self, path: str) -> None:
        """Open an image or a drawing file; a bad file costs one line and nothing else."""
        name = Path(path).name
        suffix = Path(path).suffix.lower()
        self._remember_dir(path)
        if Path(path).is_file() and (suffix == ".json" or suffix in SUFFIXES):
            self._add_recent(path)
        if suffix == ".json":
            from digitpad.core.io.drawing import Drawing, DrawingError

            try:
                drawing = Drawing.load(path)
            except DrawingError as exc:
                self.show_error(f"{name}: {exc}")
                return
            self.back_to_canvas()
            self.canvas.set_drawing(drawing)
            self._set_drawing_name(name)
            self.show_message(f"Opened {name}")
        elif suffix in SUFFIXES:
            self.show_message(f"Reading {name}…")
            self.recognition.request_image(path, name)
        else:
            self.show_error(f"{name}: not an image ({', '.join(SUFFIXES)}) or a drawing (.json)")

    def save_drawing_to(self, path: str) -> bool:
        if not path.lower().endswith(".json"):
            path += ".json"
        if not Path(path).parent.is_dir():  # typed in the dialog: never make folders unasked
            self.show_error(f"Could not save: there is no folder {Path(path).parent}")
            return False
        from digitpad.core.io.drawing import DrawingError

        try:
            self.canvas.drawing().save(path)
        except (OSError, DrawingError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.show_error(f"Could not save {Path(path).name}: {reason}")
            return False
        self._remember_dir(path)
        self._add_recent(path)
        self._set_drawing_name(Path(path).name)
        self.show_message(f"Saved {Path(path).name}")
        return True

    def show_model_card(self) -> None:
        from digitpad.gui import dialogs

        dialogs.ModelCardDialog(dialogs.model_card_path(self.recognition.recognizer), self).exec()

    def show_about(self) -> None:
        from digitpad.gui import dialogs

        dialogs.show_about(self, self.recognition.recognizer)

    def _update_actions(self) -> None:
        a = self.actions_by_name
        drawing = not self._showing_image  # undo, redo and save act on the drawing only
        a["undo"].setEnabled(drawing and self.canvas.can_undo())
        a["redo"].setEnabled(drawing and self.canvas.can_redo())
        a["clear"].setEnabled(self._showing_image or not self.canvas.is_empty())
        a["copy"].setEnabled(self._result is not None)
        a["save_drawing"].setEnabled(drawing and not self.canvas.is_empty())
        for name in ("zoom_in", "zoom_out", "zoom_fit", "zoom_actual", "turn_right", "turn_left"):
            a[name].setEnabled(self._showing_image)
        teachable = self.tools.can_teach()
        for digit in range(10):
            a[f"teach_{digit}"].setEnabled(teachable)
        if teachable != self.result_panel.correction.buttons[0].isEnabled():
            self._correction_target()

    def _correction_target(self) -> None:
        """The Wrong? row names the digit of a number it would save (the selected one)."""
        result, teachable = self._result, self.tools.can_teach()
        count = len(result.digits) if result is not None else 0
        which = f"digit {self.result_panel.selected_digit() + 1} of {count}" if count > 1 else ""
        self.result_panel.correction.set_available(teachable, which if teachable else "")

    # --- drag and drop ---------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        files = _openable(_local_files(event.mimeData().urls()))
        if files:
            event.acceptProposedAction()
            self._drop_hint.setText(f"Drop to open {Path(files[0]).name}")
            self._drop_hint.setGeometry(self._stack.rect())
            self._drop_hint.raise_()
            self._drop_hint.show()

    def dragLeaveEvent(self, event) -> None:
        self._drop_hint.hide()

    def dragMoveEvent(self, event) -> None:
        if _openable(_local_files(event.mimeData().urls())):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_hint.hide()
        files = _openable(_local_files(event.mimeData().urls()))
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # --- settings ----------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        """The images and drawings opened or saved last, newest first, that still exist."""
        value = self._settings.value(keys.RECENT_FILES, [])
        names = [value] if isinstance(value, str) else list(value or [])
        return [n for n in names if isinstance(n, str) and Path(n).is_file()][:RECENT_COUNT]

    def _add_recent(self, path: str) -> None:
        full = str(Path(path).resolve())
        names = [full] + [n for n in self.recent_files() if n != full]
        self._settings.setValue(keys.RECENT_FILES, names[:RECENT_COUNT])

    def fill_recent_menu(self, menu) -> None:
        menu.clear()
        names = self.recent_files()
        for k, name in enumerate(names, 1):
            action = menu.addAction(f"&{k} {Path(name).name}")
            action.setToolTip(name)
            action.triggered.connect(lambda _=False, n=name: self.open_path(n))
        if not names:
            menu.addAction("No recent files").setEnabled(False)
            return
        menu.addSeparator()
        menu.addAction("&Clear the List").triggered.connect(
            lambda: self._settings.setValue(keys.RECENT_FILES, [])
        )

    def _remember_dir(self, path: str) -> None:
        if self._remember:
            self._settings.setValue(keys.LAST_DIR, str(Path(path).parent))

    def _fit_to_screen(self) -> None:
        """Never larger than the screen's free area (a window from a larger screen, or
        the default size on a small or high-DPI one), and on it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        free = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()
        width = max(MINIMUM_SIZE.width(), min(self.width(), free.width() - frame.width()))
        height = max(MINIMUM_SIZE.height(), min(self.height(), free.height() - frame.height()))
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        if not free.contains(self.frameGeometry().topLeft()):
            self.move(free.topLeft())

    def _set_drawing_name(self, name: str) -> None:
        """The title names the drawing's file, while the canvas shows it."""
        self._drawing_name = name
        if not self._showing_image:
            self.setWindowTitle(f"{name} — DigitPad" if name else "DigitPad")

    def _last_dir(self) -> str:
        return str(self._settings.value(keys.LAST_DIR, "") or Path.home())

    def _restore_settings(self) -> None:
        s = self._settings
        geometry = s.value(keys.GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(DEFAULT_SIZE)
        self._fit_to_screen()
        state = s.value(keys.WINDOW_STATE)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = s.value(keys.SPLITTER)
        if isinstance(splitter, QByteArray):
            self._splitter.restoreState(splitter)
        brush = keys.read_int(s, keys.BRUSH_WIDTH, DEFAULT_BRUSH, MIN_BRUSH, MAX_BRUSH)
        self.brush_slider.setValue(brush)
        self.set_brush(brush)

    def save_settings(self) -> None:
        s = self._settings
        s.setValue(keys.GEOMETRY, self.saveGeometry())
        s.setValue(keys.WINDOW_STATE, self.saveState())
        s.setValue(keys.SPLITTER, self._splitter.saveState())
        s.setValue(keys.BRUSH_WIDTH, self.canvas.brush_width())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        losing = self.tools.training_in_progress()
        if losing:
            from digitpad.gui import dialogs

            question = "Quit while a training is running?"
            if not dialogs.confirm(
                self, "Quit DigitPad?", question, losing, "Stop Training and Quit", "Keep Training"
            ):
                event.ignore()
                return
        if self._remember:
            self.save_settings()
        self.tools.shutdown()
        self.recognition.stop()
        super().closeEvent(event)


def _local_files(urls: list[QUrl]) -> list[str]:
    return [url.toLocalFile() for url in urls if url.isLocalFile()]


def _openable(files: list[str]) -> list[str]:
    return [f for f in files if Path(f).suffix.lower() in SUFFIXES + (".json",)]
