"""The Tools menu's work for the window: evaluation, retraining, samples, model versions.

The window owns the canvas and which model is loaded; this object opens the tool
windows (each made on first use, so that none of them slows the start-up), saves
corrected drawings as samples, and hands the window the model the user picks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from digitpad.core.io.drawing import Drawing

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.result import Result
    from digitpad.gui.canvas import Canvas
    from digitpad.gui.evaluation_view import EvaluationView
    from digitpad.gui.recognition import Recognition
    from digitpad.gui.result_panel import ResultPanel
    from digitpad.gui.samples import SamplesDialog
    from digitpad.gui.training_dialog import TrainingDialog

log = logging.getLogger(__name__)


class ToolsWindow(Protocol):
    """What the tools need of the main window (which owns them: the dependency runs one
    way, from the window to its tools)."""

    canvas: Canvas
    result_panel: ResultPanel
    recognition: Recognition
    actions_by_name: dict[str, QAction]

    def use_model(self, path: str | None) -> None: ...
    def model_path(self) -> str | None: ...
    def current_result(self) -> Result | None: ...
    def is_showing_image(self) -> bool: ...
    def show_message(self, text: str) -> None: ...
    def show_error(self, text: str) -> None: ...


class ModelTools(QObject):
    def __init__(self, window: ToolsWindow) -> None:
        super().__init__(window)
        self._window = window
        self.evaluation_view: EvaluationView | None = None
        self.training_dialog: TrainingDialog | None = None
        self.samples_dialog: SamplesDialog | None = None
        self.training_command: list[str] | None = None  # None: `digitpad train`
        self.training_extra_arguments: list[str] = []
        self._taught: Path | None = None  # the sample saved from the drawing on show
        self._taught_index = 0  # ... of which digit of its number

    # --- evaluation ----------------------------------------------------------------------

    def evaluate(self) -> None:
        recognizer = self._window.recognition.recognizer
        if recognizer is None:
            self._window.show_error("The model is still loading; try again in a moment.")
            return
        from digitpad.gui.evaluation_view import EvaluationView

        if self.evaluation_view is None:
            self.evaluation_view = EvaluationView(recognizer, self._window)
        elif self.evaluation_view.isHidden():
            self.evaluation_view.set_recognizer(recognizer)
        _raise(self.evaluation_view)

    # --- retraining ----------------------------------------------------------------------

    def retrain(self) -> None:
        from digitpad.gui.training_dialog import TrainingDialog

        dialog = self.training_dialog
        if dialog is not None and (dialog.isVisible() or dialog.state() in ("running", "stopping")):
            _raise(dialog)  # a run, or its result, is on show: never start a second one
            return
        # Closed on its result (the new model was kept as a version): a fresh form.
        if dialog is not None:
            dialog.deleteLater()
        dialog = TrainingDialog(
            self._window.recognition.recognizer,
            self._window,
            command=self.training_command,
            extra_arguments=self.training_extra_arguments,
        )
        dialog.model_chosen.connect(self._use_trained_model)
        self.training_dialog = dialog
        _raise(dialog)

    def _use_trained_model(self, path: str) -> None:
        self._window.use_model(path)
        self._window.show_message(f"Now using the new model {Path(path).parent.name}.")

    def revert_to_bundled_model(self) -> None:
        self._window.use_model(None)
        self._window.show_message("Now using the bundled model.")

    def fill_versions_menu(self, menu: QMenu) -> None:
        """The bundled model and every retrained version, the one in use checked."""
        from digitpad.core.records import model_versions
        from digitpad.gui import model_loading

        menu.clear()
        group = QActionGroup(menu)
        current = self._window.recognition.recognizer
        in_use = Path(current.path).resolve() if current is not None else None
        bundled = menu.addAction("Bundled model")
        bundled.setCheckable(True)
        bundled.setChecked(current is not None and model_loading.is_bundled(current))
        bundled.triggered.connect(self.revert_to_bundled_model)
        group.addAction(bundled)
        versions = model_versions.list_versions()
        if versions:
            menu.addSeparator()
        for version in versions:
            accuracy = version.test_accuracy
            recipe = version.meta.get("recipe", "")
            text = version.name + (f"  ·  {accuracy:.2%}" if accuracy is not None else "")
            action = menu.addAction(text)
            action.setToolTip(
                f"{recipe} recipe, {version.folder}" if recipe else str(version.folder)
            )
            action.setCheckable(True)
            action.setChecked(in_use is not None and version.model_path.resolve() == in_use)
            action.triggered.connect(
                lambda _=False, p=str(version.model_path): self._use_trained_model(p)
            )
            group.addAction(action)
        if not versions:
            note = menu.addAction("No retrained models yet")
            note.setEnabled(False)

    # --- teaching ------------------------------------------------------------------------

    def can_teach(self) -> bool:
        """A correction makes sense for a digit on show, drawn or in a picture: the only
        one, or the digit of a number selected in the results."""
        window = self._window
        result = window.current_result()
        shown = window.is_showing_image() or not window.canvas.is_empty()
        return shown and result is not None and len(result.digits) >= 1

    def teach(self, digit: int) -> None:
        """Save the drawn digit on show (of a number: the selected one, its strokes alone)
        as a sample of `digit`."""
        from digitpad.core.io.drawing import DrawingError
        from digitpad.core.records import sample_store

        window = self._window
        result = window.current_result()
        if not self.can_teach() or result is None:
            window.show_error("Draw a digit or open a picture of one to teach DigitPad.")
            return
        index = window.result_panel.selected_digit() if len(result.digits) > 1 else 0
        if self._taught is not None and self._taught_index != index:
            self._taught = None  # another digit of the number: a sample of its own
        try:
            if window.is_showing_image():  # the digit as the model read it from the picture
                field = result.digits[index].field
                path = sample_store.save_field_sample(field, digit, replaces=self._taught)
            else:
                drawing = window.canvas.drawing()
                if len(result.digits) > 1 or result.rejected:
                    drawing = strokes_in(drawing, result, index)
                path = sample_store.save_sample(drawing, digit, replaces=self._taught)
        except (OSError, DrawingError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            window.show_error(f"Could not save the sample: {reason}")
            return
        self._taught, self._taught_index = path, index
        count = sample_store.count_samples()
        read = str(result.digits[index].digit)
        window.result_panel.correction.show_saved(digit, count)
        if read == str(digit):
            window.show_message(f"Saved as a sample of {digit}.")
        else:
            window.show_message(
                f"Saved as a sample of {digit} (read as {read}). Retrain "
                "with your samples to teach it (Ctrl+R)."
            )
        if self.samples_dialog is not None and self.samples_dialog.isVisible():
            self.samples_dialog.reload()

    def drawing_changed(self) -> None:
        """A new drawing: the next correction is a new sample."""
        if self._taught is not None:
            self._taught = None
            bar = self._window.result_panel.correction
            bar.set_available(bar.buttons[0].isEnabled())  # back to the hint

    def show_samples(self) -> None:
        from digitpad.gui.samples import SamplesDialog

        if self.samples_dialog is None:
            self.samples_dialog = SamplesDialog(parent=self._window)
        else:
            self.samples_dialog.reload()
        _raise(self.samples_dialog)

    # --- the window's events -------------------------------------------------------------

    def model_changed(self, recognizer: Recognizer) -> None:
        from digitpad.gui import model_loading

        # A chosen model that failed to load still counts: reverting is how to stop
        # being warned about it at every start.
        self._window.actions_by_name["revert"].setEnabled(
            not model_loading.is_bundled(recognizer) or bool(self._window.model_path())
        )
        view = self.evaluation_view
        if view is not None and view.isVisible():
            view.set_recognizer(recognizer)

    def training_in_progress(self) -> str:
        """ "" when no training runs; else what quitting now would lose, in one sentence."""
        dialog = self.training_dialog
        if dialog is None or dialog.state() not in ("running", "stopping"):
            return ""
        left = dialog.eta.text()
        return (
            "A new model is being trained"
            + (f" ({left})" if left else "")
            + ". Quitting stops it, and the model it is making is discarded; your current "
            "model, your samples and your drawing are kept."
        )

    def shutdown(self) -> None:
        """The window is closing: stop the background work, leave nothing half-done."""
        from digitpad.gui import task_thread

        if self.training_dialog is not None:
            self.training_dialog.shutdown()
        if self.evaluation_view is not None:
            self.evaluation_view.stop()
        task_thread.stop_all(3000)


def _raise(widget) -> None:
    widget.show()
    widget.raise_()
    widget.activateWindow()


def strokes_in(drawing: Drawing, result: Result, index: int) -> Drawing:
    """The strokes of the result's digit ``index`` alone: a number's parts are whole
    strokes, each inside its own part's box (the smallest box holding a stroke wins
    where boxes overlap)."""
    boxes = [d.box for d in result.digits] + [r.box for r in result.rejected]
    kept = []
    for stroke in drawing.strokes:
        (sx0, sy0), (sx1, sy1) = stroke[:, :2].min(axis=0), stroke[:, :2].max(axis=0)
        holding = [
            (area, k)
            for k, (x0, y0, x1, y1) in enumerate(boxes)
            if x0 <= sx0 and y0 <= sy0 and sx1 <= x1 and sy1 <= y1
            for area in [(x1 - x0) * (y1 - y0)]
        ]
        if holding and min(holding)[1] == index:
            kept.append(stroke)
    return Drawing(kept, drawing.width, drawing.height)
