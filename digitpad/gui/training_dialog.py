"""Tools > Retrain Model: options, a live run, then the new model beside the current one.

The training runs as a separate process (see training_process) into a new version
folder under the user's models folder; the model in use stays until the user picks
"Use New Model". Cancel stops the run within one batch; a crash shows the trainer's
log. Neither leaves anything behind, and neither changes the model in use.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.records.training_events import format_duration
from digitpad.gui import model_loading
from digitpad.gui.labels import muted_label, title_label
from digitpad.gui.model_comparison import ModelComparison
from digitpad.gui.training_curves import TrainingCurves
from digitpad.gui.training_options import (
    RECIPES,
    TrainingOptions,
    TrainingOptionsForm,
    build_arguments,
)
from digitpad.gui.training_process import TrainingProcess, default_command

if TYPE_CHECKING:
    from digitpad.core.models.ensemble import Recognizer

log = logging.getLogger(__name__)


class TrainingDialog(QDialog):
    model_chosen = Signal(str)  # the new model.keras, to use from now on
    state_changed = Signal(str)  # see state()

    def __init__(
        self,
        current: Recognizer | None,
        parent: QWidget | None = None,
        command: Sequence[str] | None = None,
        extra_arguments: Sequence[str] = (),
        samples_dir: Path | None = None,
    ) -> None:
        """`current`: the model in use (compared with, and fine-tuned from with samples).
        `command`: the trainer before its arguments (default: this program's `train`
        sub-command); `extra_arguments` go after the dialog's own."""
        from digitpad.core.records import sample_store

        super().__init__(parent)
        self.setWindowTitle("Retrain Model — DigitPad")
        self.setSizeGripEnabled(True)
        self._current = current
        self._command = list(command) if command is not None else default_command()
        self._extra = list(extra_arguments)
        self._samples_dir = samples_dir if samples_dir is not None else sample_store.samples_dir()
        self._output: Path | None = None
        self._state = "options"
        self._close_when_stopped = False
        self._clock = QElapsedTimer()
        self._last_validation = (math.nan, math.nan)

        self.process = TrainingProcess(self)
        self.process.phase_changed.connect(self._on_phase)
        self.process.run_started.connect(self._on_run_started)
        self.process.progress_changed.connect(self._on_progress)
        self.process.step_progress.connect(self._on_progress)  # a counted step: its own bar
        self.process.batch_measured.connect(self._on_batch)
        self.process.epoch_measured.connect(self._on_epoch)
        self.process.succeeded.connect(self._on_succeeded)
        self.process.cancelled.connect(self._on_cancelled)
        self.process.failed.connect(self._on_failed)

        self._pages = QStackedWidget()
        self.form = TrainingOptionsForm(sample_store.count_samples(self._samples_dir))
        self.form.set_starting_accuracy(model_loading.test_accuracy(current) if current else None)
        self._pages.addWidget(self.form)
        self._pages.addWidget(self._run_page())
        self._pages.addWidget(self._result_page())
        self._pages.addWidget(self._failed_page())

        self.start_button = QPushButton("Start Training")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel Training")
        self.cancel_button.setToolTip("Stop after the current batch; the model in use stays")
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use New Model")
        self.use_button.clicked.connect(self.use_new_model)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete the new model; the model in use stays")
        self.discard_button.clicked.connect(self.discard_new_model)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(lambda: self._set_state("options"))
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (
            self.discard_button,
            self.back_button,
            self.close_button,
            self.cancel_button,
            self.start_button,
            self.use_button,
        ):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.addWidget(self._pages, 1)
        layout.addLayout(buttons)
        self.resize(QSize(820, 700))
        self.setMinimumSize(QSize(620, 520))
        self._set_state("options")

    # --- pages ---------------------------------------------------------------------------

    def _run_page(self) -> QWidget:
        page = QWidget()
        self._run_title = title_label("Training…")
        self._phase = QLabel("Starting…")
        self._phase.setAccessibleName("Training phase")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setAccessibleName("Training progress")
        self.eta = QLabel("")
        self.eta.setAccessibleName("Time left")
        self.eta.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._figures = muted_label("")
        self._figures.setAccessibleName("Latest figures")
        self.curves = TrainingCurves()
        row = QHBoxLayout()
        row.addWidget(self._phase, 1)
        row.addWidget(self.eta)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._run_title)
        layout.addLayout(row)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self._figures)
        layout.addSpacing(6)
        layout.addWidget(self.curves, 1)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
        self._result_title = title_label("The new model is ready")
        self._result_note = muted_label("")
        self.comparison = ModelComparison()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._result_title)
        layout.addWidget(self._result_note)
        layout.addSpacing(8)
        layout.addWidget(self.comparison, 1)
        return page

    def _failed_page(self) -> QWidget:
        page = QWidget()
        self._failed_title = title_label("The training failed")
        self._failed_message = QLabel()
        self._failed_message.setWordWrap(True)
        self._failed_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log_view.setAccessibleName("Training log")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.log_view.setFont(font)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._failed_title)
        layout.addWidget(self._failed_message)
        layout.addWidget(muted_label("The trainer's log:"))
        layout.addWidget(self.log_view, 1)
        return page

    # --- state ---------------------------------------------------------------------------

    def state(self) -> str:
        """'options', 'running', 'stopping', 'done' or 'failed'."""
        return self._state

    def output_dir(self) -> Path | None:
        """The new version's folder, while it runs and once it is done."""
        return self._output

    def options(self) -> TrainingOptions:
        return self.form.options()

    def arguments(self, output: Path) -> list[str]:
        options = self.options()
        init_model = Path(self._current.path) if self._current is not None else None
        return build_arguments(options, output, self._samples_dir, init_model, self._extra)

    def status_text(self) -> str:
        return self.form.status_text()

    def failure_text(self) -> str:
        return self._failed_message.text()

    def _set_state(self, state: str) -> None:
        self._state = state
        page = {"options": 0, "running": 1, "stopping": 1, "done": 2, "failed": 3}[state]
        self._pages.setCurrentIndex(page)
        visible = {
            "options": (self.close_button, self.start_button),
            "running": (self.cancel_button,),
            "stopping": (self.cancel_button,),
            "done": (self.discard_button, self.use_button),
            "failed": (self.back_button, self.close_button),
        }[state]
        for button in (
            self.start_button,
            self.cancel_button,
            self.use_button,
            self.discard_button,
            self.back_button,
            self.close_button,
        ):
            button.setVisible(button in visible)
        self.cancel_button.setEnabled(state == "running")
        self.cancel_button.setText("Stopping…" if state == "stopping" else "Cancel Training")
        (self.start_button if state == "options" else self.use_button).setDefault(True)
        self.state_changed.emit(state)

    # --- the run -------------------------------------------------------------------------

    def start(self) -> None:
        from digitpad.core.records import model_versions

        if self.process.is_running():
            return
        options = self._run_options = self.options()
        self.form.remember()
        self._output = model_versions.new_version_dir(options.recipe)
        self.form.show_status("")
        self.curves.reset(options.epochs)
        self._last_validation = (math.nan, math.nan)
        self.progress_bar.setRange(0, 0)  # busy until the first batch
        self.eta.setText("")
        self._figures.setText("")
        choice = RECIPES[options.recipe]
        what = describe_run(choice.title, choice.members, options.epochs)
        if options.include_samples:
            what += f", fine-tuning with your {self.form.sample_count()} samples"
        self._run_title.setText(f"Training a new model ({what})")
        self._clock.start()
        self._set_state("running")
        self.process.start(self._command, self.arguments(self._output), self._output)

    def cancel(self) -> None:
        if self._state == "running":
            self._set_state("stopping")
            self.process.cancel()

    def _on_phase(self, text: str) -> None:
        if self._state == "stopping" and text != "Stopping…":
            return
        self._phase.setText(text)

    def _on_run_started(self, epochs: int, _batches: int) -> None:
        self.curves.set_epochs(epochs)

    def _on_progress(self, done: float, seconds_left: float) -> None:
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(done * 1000))
        self.progress_bar.setFormat(f"{done:.0%}")
        if math.isfinite(seconds_left) and done > 0:
            self.eta.setText(f"about {format_duration(seconds_left)} left")

    def _on_batch(self, position: float, loss: float, accuracy: float) -> None:
        self.curves.add_batch(position, loss, accuracy)
        epochs = self.options().epochs
        self._phase.setText(
            f"Epoch {min(int(position) + 1, epochs)} of {epochs}"
            if self._state == "running"
            else self._phase.text()
        )
        self._figures.setText(
            f"Training loss {loss:.4f} · accuracy {accuracy:.2%}" + self._validation_text()
        )

    def _on_epoch(
        self, epoch: int, loss: float, accuracy: float, val_loss: float, val_accuracy: float
    ) -> None:
        self.curves.add_epoch(epoch, val_loss, val_accuracy)
        self._last_validation = (val_loss, val_accuracy)
        if math.isfinite(loss) and math.isfinite(accuracy):
            self._figures.setText(
                f"Training loss {loss:.4f} · accuracy {accuracy:.2%}" + self._validation_text()
            )

    def _validation_text(self) -> str:
        val_loss, val_accuracy = self._last_validation
        if not math.isfinite(val_accuracy):
            return ""
        return f"   ·   validation loss {val_loss:.4f} · accuracy {val_accuracy:.2%}"

    def _on_succeeded(self, output: str) -> None:
        from digitpad.core.records import model_versions

        meta = model_versions.read_meta(Path(output))
        current_meta = self._current.meta if self._current is not None else {}
        current_name = model_loading.model_name(self._current) if self._current else "none"
        self.comparison.set_models(current_name, current_meta, Path(output).name, meta)
        seconds = self._clock.elapsed() / 1000
        self.form.record_run(self._run_options, seconds)
        new = model_versions.test_metric(meta, "accuracy")
        old = model_versions.test_metric(current_meta, "accuracy")
        if new is not None:
            self._result_title.setText(
                f"The new model reads {new:.2%} of the MNIST test set"
                + (f" (the current one: {old:.2%})" if old is not None else "")
            )
        self._result_note.setText(
            f"Trained in {format_duration(seconds)}. “Use New Model” switches to it (it is "
            "kept as a version, and Tools › Revert to Bundled Model goes back); “Discard” "
            "deletes it."
        )
        self._set_state("done")

    def _on_cancelled(self) -> None:
        self._remove_output()
        self.form.show_status("Training cancelled. The model in use has not changed.")
        self._set_state("options")
        if self._close_when_stopped:
            self._close_when_stopped = False
            self.close()

    def _on_failed(self, message: str, log_text: str) -> None:
        self._remove_output()
        self._failed_message.setText(f"{message}. The model in use has not changed.")
        self.log_view.setPlainText(log_text.strip() or "(the trainer wrote nothing)")
        self.log_view.moveCursor(self.log_view.textCursor().MoveOperation.End)
        self._close_when_stopped = False  # a crash is worth seeing even when closing
        self._set_state("failed")

    def use_new_model(self) -> None:
        if self._state != "done" or self._output is None:
            return
        path = self._output / "model.keras"
        self._output = None
        self.model_chosen.emit(str(path))
        self._set_state("options")
        self.accept()

    def discard_new_model(self) -> None:
        if self._state != "done":
            return
        from digitpad.gui import dialogs

        name = self._output.name if self._output is not None else ""
        detail = (
            f"The model {name} that was just trained is deleted from disk; the model in use "
            "stays. This cannot be undone."
        )
        if not dialogs.confirm(
            self, "Discard the New Model?", "Delete the new model?", detail, "Discard", "Keep It"
        ):
            return
        self._remove_output()
        self.form.show_status(f"Discarded the new model {name}. The model in use has not changed.")
        self._set_state("options")

    def _remove_output(self) -> None:
        from digitpad.core.records import model_versions

        if self._output is not None and self._output.exists():
            try:
                model_versions.discard(self._output)
            except ValueError:
                log.warning("not removing %s: outside the models folder", self._output)
        self._output = None

    # --- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc or the close button: a running training is stopped first."""
        if self._state in ("running", "stopping"):
            self._close_when_stopped = True
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._state in ("running", "stopping"):
            self._close_when_stopped = True
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)

    def shutdown(self) -> None:
        """The app is quitting: stop the trainer now and leave nothing behind."""
        if self.process.is_running():
            self.process.cancel()
            if not self.process.wait(5000):
                self.process.kill_now()
                self.process.wait(5000)
            self._remove_output()


def describe_run(title: str, members: int, epochs: int) -> str:
    """ "DigitPad default, 3 networks of 1 epoch each", "Model card, 15 epochs"."""
    count = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    return f"{title}, {members} networks of {count} each" if members > 1 else f"{title}, {count}"
