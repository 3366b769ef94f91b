"""`digitpad train` as a separate process (QProcess), its JSON-lines progress as signals.

The training runs in its own process: TensorFlow never loads into the app, a crash
cannot take the window down, and the installed app runs itself with the `train`
sub-command, so it works frozen too. Cancel sends SIGTERM (terminate()); the trainer
stops within one batch, writes nothing and exits with EXIT_CANCELLED (130). The events
it writes and their schema are in digitpad.core.records.training_events.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from digitpad.core.io import paths
from digitpad.core.records import training_events as events

log = logging.getLogger(__name__)

KILL_AFTER_MS = 20_000  # a trainer that ignores SIGTERM this long is killed
LOG_LIMIT = 200_000  # characters of stderr kept for the crash report
PHASES = {  # what a phase without its own message says
    "loading": "Loading MNIST…",
    "preparing": "Preparing the training images…",
    "evaluating": "Evaluating on the MNIST test set…",
}


def default_command() -> list[str]:
    """This program with its `train` sub-command: the frozen app runs itself."""
    return [*paths.program_command(), "train"]


class TrainingProcess(QObject):
    phase_changed = Signal(str)  # a short line: loading, training…
    run_started = Signal(int, int)  # epochs, batches per epoch
    progress_changed = Signal(float, float)  # done in [0, 1], seconds left (NaN: unknown)
    step_progress = Signal(float, float)  # the same for a counted step before training
    batch_measured = Signal(float, float, float)  # position in epochs, loss, accuracy of
    #                                                 the batches since the last report
    epoch_measured = Signal(int, float, float, float, float)  # epoch, loss, accuracy,
    #                                                 val_loss, val_accuracy (NaN: none)
    succeeded = Signal(str)  # the output folder
    cancelled = Signal()
    failed = Signal(str, str)  # one plain sentence, the log (stderr)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._stdout = b""
        self._log: list[str] = []
        self._log_size = 0
        self._error_message = ""
        self._done_output = ""
        self._cancelling = False
        self._output: Path | None = None
        self._epochs = 0
        self._batches = 0
        self._last_batch = (0, 0, 0.0, 0.0)  # epoch, batch, running loss and accuracy
        self._kill_timer = QTimer(self, singleShot=True, interval=KILL_AFTER_MS)
        self._kill_timer.timeout.connect(self._kill)

    def start(self, command: Sequence[str], arguments: Sequence[str], output: Path) -> None:
        """Run `command + arguments`; `output` is the folder it was told to write to."""
        if self.is_running():
            raise RuntimeError("a training is already running")
        self._stdout, self._log, self._log_size = b"", [], 0
        self._error_message, self._done_output = "", ""
        self._cancelling = False
        self._output = output
        self._epochs = self._batches = 0
        self._last_batch = (0, 0, 0.0, 0.0)
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")  # progress lines as they happen
        if not environment.contains("TF_CPP_MIN_LOG_LEVEL"):
            environment.insert("TF_CPP_MIN_LOG_LEVEL", "2")  # keep the log readable
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        program, *rest = list(command)
        log.info("training: %s", " ".join([program, *rest, *arguments]))
        self.phase_changed.emit("Starting…")
        process.start(program, [*rest, *arguments])

    def is_running(self) -> bool:
        return (
            self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning
        )

    def cancel(self) -> None:
        """Ask the trainer to stop (SIGTERM); it is killed if it has not within 20 s."""
        if not self.is_running() or self._cancelling:
            return
        self._cancelling = True
        self.phase_changed.emit("Stopping…")
        if sys.platform == "win32":
            # terminate() posts WM_CLOSE, which a console process never sees; nothing is
            # half-written either way (the output folder is removed).
            self._process.kill()
        else:
            self._process.terminate()
        self._kill_timer.start()

    def kill_now(self) -> None:
        """Stop at once, without waiting for the current batch (the app is quitting)."""
        if self.is_running():
            self._cancelling = True
            self._process.kill()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the process has ended (for closing the app)."""
        return self._process is None or self._process.waitForFinished(msecs)

    def log_text(self) -> str:
        return "".join(self._log)

    # --- reading the process -----------------------------------------------------------

    def _read_stdout(self) -> None:
        self._stdout += bytes(self._process.readAllStandardOutput())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            self._handle_line(line.decode("utf-8", "replace").strip())

    def _read_stderr(self) -> None:
        self._append_log(bytes(self._process.readAllStandardError()).decode("utf-8", "replace"))

    def _append_log(self, text: str) -> None:
        self._log.append(text)
        self._log_size += len(text)
        while self._log_size > LOG_LIMIT and len(self._log) > 1:
            self._log_size -= len(self._log.pop(0))

    def _handle_line(self, line: str) -> None:
        if not line:
            return
        try:
            event = events.from_json(json.loads(line))
        except ValueError:
            event = None
        if event is None:
            self._append_log(line + "\n")  # something printed outside the protocol
            return
        if isinstance(event, events.Phase):
            text = f"{event.message}…" if event.message else PHASES.get(event.step, "Working…")
            if event.total > 0:  # a counted step: "Rendering pen strokes · 1,200 of 7,494"
                text = f"{text.rstrip('…')} · {event.done:,} of {event.total:,}"
                done = min(max(event.done / event.total, 0.0), 1.0)
                self.step_progress.emit(done, event.eta_s)
            self.phase_changed.emit(text)
        elif isinstance(event, events.Start):
            self.phase_changed.emit("Training…")
            self._epochs, self._batches = event.epochs, event.batches
            self.run_started.emit(self._epochs, self._batches)
        elif isinstance(event, events.Batch):
            epochs, batches = event.epochs or self._epochs, event.batches or self._batches
            if epochs and batches:
                done = ((event.epoch - 1) * batches + event.batch) / (epochs * batches)
                self.progress_changed.emit(min(max(done, 0.0), 1.0), event.eta_s)
                loss, accuracy = self._since_last_report(
                    event.epoch, event.batch, event.loss, event.accuracy
                )
                self.batch_measured.emit(event.epoch - 1 + event.batch / batches, loss, accuracy)
        elif isinstance(event, events.Epoch):
            epochs = event.epochs or self._epochs
            if epochs:
                self.progress_changed.emit(min(event.epoch / epochs, 1.0), event.eta_s)
            self.epoch_measured.emit(
                event.epoch, event.loss, event.accuracy, event.val_loss, event.val_accuracy
            )
        elif isinstance(event, events.Done):
            self._done_output = event.output
        elif isinstance(event, events.Error):
            self._error_message = " ".join(event.message.split())
        elif isinstance(event, events.Cancelled):
            self._cancelling = True

    def _since_last_report(
        self, epoch: int, batch: int, loss: float, accuracy: float
    ) -> tuple[float, float]:
        """Keras reports the mean since the epoch began, which jumps back at every new
        epoch; the mean over the batches since the previous report does not."""
        last_epoch, last_batch, last_loss, last_accuracy = self._last_batch
        self._last_batch = (epoch, batch, loss, accuracy)
        if epoch != last_epoch or not 0 < last_batch < batch:
            return loss, accuracy
        span = batch - last_batch
        return (
            (loss * batch - last_loss * last_batch) / span,
            (accuracy * batch - last_accuracy * last_batch) / span,
        )

    # --- the end -------------------------------------------------------------------------

    def _on_finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        self._kill_timer.stop()
        self._read_stdout()
        if self._stdout.strip():
            self._handle_line(self._stdout.decode("utf-8", "replace").strip())
            self._stdout = b""
        self._read_stderr()
        crashed = exit_status == QProcess.ExitStatus.CrashExit
        self._process.deleteLater()
        self._process = None
        if self._cancelling or (exit_code == events.EXIT_CANCELLED and not crashed):
            # Asked to stop: whatever it managed to write is discarded by the caller.
            self.cancelled.emit()
            return
        output = self._output
        if (
            not crashed
            and exit_code == events.EXIT_OK
            and output is not None
            and (output / "model.keras").is_file()
            and (output / "model.json").is_file()
        ):
            self.succeeded.emit(str(output))
            return
        if self._error_message:
            message = self._error_message
        elif crashed:
            message = "The training process crashed"
        elif exit_code == events.EXIT_OK:
            message = "The training process ended without writing a model"
        else:
            message = f"The training process failed (exit status {exit_code})"
        self.failed.emit(message.rstrip("."), self.log_text())

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            program = self._process.program() if self._process is not None else "?"
            if self._process is not None:
                self._process.deleteLater()
            self._process = None
            self.failed.emit(
                f"The training process could not be started ({program})", self.log_text()
            )

    def _kill(self) -> None:
        if self.is_running():
            log.warning("the trainer did not stop within %d s; killing it", KILL_AFTER_MS // 1000)
            self._process.kill()
