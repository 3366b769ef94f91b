"""One long job on its own thread, with progress and cooperative cancel.

The job is a plain function of a TaskState: it reports progress and asks whether to
stop through it, and never sees a widget. The thread turns that into signals, which
Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)


class TaskState:
    """What a job may touch: progress and the cancel flag (after Orange3's TaskState)."""

    def __init__(self, thread: TaskThread) -> None:
        self._thread = thread
        self._last: tuple[int, str] | None = None

    def set_progress(self, done: float, total: float | None, text: str = "") -> None:
        """`done` of `total` (total None or 0: unknown). Emitted only when the rounded
        percentage or the text changes, so a tight loop cannot flood the GUI thread."""
        percent = -1 if not total else max(0, min(100, round(100 * done / total)))
        if (percent, text) != self._last:
            self._last = (percent, text)
            self._thread.progress_changed.emit(percent, text)

    def is_interruption_requested(self) -> bool:
        return self._thread.isInterruptionRequested()


class TaskThread(QThread):
    progress_changed = Signal(int, str)  # percent 0-100 (-1: unknown), a short line
    succeeded = Signal(object)  # the job's return value
    failed = Signal(str)  # one plain sentence
    interrupted = Signal()  # stopped on request

    def __init__(self, job: Callable[[TaskState], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job

    def launch(self) -> None:
        """start(), keeping the thread referenced until it ends, so that closing the
        window that asked for it cannot destroy a running thread."""
        _running.add(self)
        self.finished.connect(lambda: _running.discard(self))
        self.start()

    def cancel(self) -> None:
        self.requestInterruption()

    def run(self) -> None:
        try:
            value = self._job(TaskState(self))
        except Exception as exc:
            # Whatever a job raises once asked to stop is its way of stopping.
            if self.isInterruptionRequested():
                self.interrupted.emit()
            else:
                self.failed.emit(describe(exc))
        else:
            if self.isInterruptionRequested():
                self.interrupted.emit()
            else:
                self.succeeded.emit(value)


_running: set[TaskThread] = set()


def stop_all(timeout_ms: int = 5000) -> None:
    """Ask every running task to stop and wait for them (at exit)."""
    for thread in list(_running):
        thread.cancel()
    for thread in list(_running):
        thread.wait(timeout_ms)


def describe(exc: BaseException) -> str:
    from digitpad.core.io.mnist import MnistError
    from digitpad.gui.worker import describe as describe_recognition

    if isinstance(exc, MnistError):
        return " ".join(str(exc).split()) or "the MNIST files could not be read"
    return describe_recognition(exc)
