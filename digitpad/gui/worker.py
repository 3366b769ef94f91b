"""One background thread for recognition work; a newer job of a kind replaces an older one.

While the user draws, requests come faster than they may be served: only the newest
drawing matters, so a job that has not started yet is simply dropped when a newer
one of the same kind arrives. Jobs return values; they never touch widgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)


class RecognitionThread(QThread):
    job_done = Signal(str, int, object)  # kind, job id, the job's return value
    job_failed = Signal(str, int, str)  # kind, job id, one plain line

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wake = threading.Condition()
        self._pending: dict[str, tuple[int, Callable[[], object]]] = {}

    def submit(self, kind: str, job_id: int, job: Callable[[], object]) -> None:
        """Queue `job`; it replaces a job of the same kind that has not started yet."""
        with self._wake:
            self._pending[kind] = (job_id, job)
            self._wake.notify()

    def stop(self) -> None:
        """Drop what has not started, let the running job end, and join the thread."""
        self.requestInterruption()
        with self._wake:
            self._pending.clear()
            self._wake.notify()
        self.wait()

    def run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self.isInterruptionRequested():
                    self._wake.wait()
                if self.isInterruptionRequested():
                    return
                # Oldest first across kinds: ids only grow.
                kind = min(self._pending, key=lambda k: self._pending[k][0])
                job_id, job = self._pending.pop(kind)
            try:
                value = job()
            except Exception as exc:  # reported to the window as one line, never a crash
                self.job_failed.emit(kind, job_id, describe(exc))
            else:
                self.job_done.emit(kind, job_id, value)


def describe(exc: BaseException) -> str:
    """One plain line for the user; the traceback goes to the log for unexpected errors."""
    from digitpad.core.io.drawing import DrawingError
    from digitpad.core.io.images import ImageError
    from digitpad.core.models.keras_file import ModelError

    if isinstance(exc, (ImageError, DrawingError, ModelError)):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = exc.strerror or str(exc)
    else:
        log.error("recognition failed", exc_info=exc)
        text = f"unexpected error ({type(exc).__name__}: {exc})"
    return " ".join(text.split()) or type(exc).__name__
