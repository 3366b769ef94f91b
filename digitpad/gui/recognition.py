"""Live recognition for the window: throttled requests, a background thread, no stale answers.

Preparing and reading a drawing took 1 ms on a quiet machine and up to 25 ms on a
busy one (measured here), more than the GUI thread can spare, so it runs on one
background thread. While a stroke is being drawn, requests are throttled to one per
THROTTLE_MS; a finished stroke, undo or clear is recognised at once. Each answer
carries the id of its request and is shown only if nothing newer has been shown.

Core (NumPy, Pillow, h5py) is imported on first use, mostly on that thread, so that
the window can show before those libraries have loaded.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from digitpad.gui.worker import RecognitionThread

if TYPE_CHECKING:
    from digitpad.core.io.drawing import Drawing
    from digitpad.core.models.ensemble import Recognizer

log = logging.getLogger(__name__)

THROTTLE_MS = 70


class Recognition(QObject):
    model_ready = Signal(object, str)  # Recognizer, warning ("" when none)
    model_failed = Signal(str)  # one line: no model at all
    drawing_result = Signal(object)  # Result
    image_result = Signal(object)  # jobs.ImageOutcome
    failed = Signal(str)  # one line about an image or drawing

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recognizer: Recognizer | None = None
        self.model_ready_at: float | None = None  # time.perf_counter() when the model arrived
        self._ids = itertools.count(1)
        self._shown = {"drawing": 0, "image": 0}
        self._submitted = {"drawing": 0, "image": 0}
        self._drawing_source: Callable[[], Drawing] | None = None
        self._image_request: tuple[str, str, bool] | None = None
        self.image_name = ""  # the last image asked for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self._submit_drawing)
        self._thread = RecognitionThread(self)
        self._thread.job_done.connect(self._on_done)
        self._thread.job_failed.connect(self._on_failed)
        self._thread.start()

    def load_model(self, path: str | None) -> None:
        def load():
            from digitpad.gui import model_loading

            recognizer, warning = model_loading.load_with_fallback(path)
            _warm_up(recognizer)
            return recognizer, warning

        self._thread.submit("model", next(self._ids), load)

    def request_drawing(self, source: Callable[[], Drawing], now: bool = False) -> None:
        """Recognise `source()` soon (throttled) or now; `source` is called when it runs."""
        self._drawing_source = source
        if now:
            self._timer.stop()
            self._submit_drawing()
        elif not self._timer.isActive():
            self._timer.start()

    def request_image(self, path: str, name: str, delete_after: bool = False) -> None:
        self._image_request = (path, name, delete_after)
        self.image_name = name
        self._submit_image()

    def request_turn(self, outcome, turns: int) -> None:
        """Read the image on show again, turned ``turns`` quarter turns clockwise from
        how its file has it (jobs.turned); the answer comes as image_result."""
        self.cancel_image()
        recognizer = self.recognizer
        if recognizer is None:
            return
        from digitpad.gui import jobs

        self.image_name = outcome.name
        job_id = self._submitted["image"] = next(self._ids)
        self._thread.submit("image", job_id, lambda: jobs.turned(recognizer, outcome, turns))

    def reading_image(self) -> bool:
        """Whether an image is being read (or waits for the model to be read)."""
        return self._image_request is not None or self._submitted["image"] > self._shown["image"]

    def cancel_image(self) -> bool:
        """Forget the image being read: its answer, when it comes, is dropped. Whether
        there was one."""
        pending = self.reading_image()
        if self._image_request is not None and self._image_request[2]:
            Path(self._image_request[0]).unlink(missing_ok=True)  # a paste never read
        self._image_request = None
        self._shown["image"] = self._submitted["image"]
        return pending

    def busy(self) -> bool:
        """Whether a drawing or image request is still waiting for its answer."""
        return (
            self._timer.isActive()
            or self._drawing_source is not None
            or self._image_request is not None
            or any(self._submitted[k] > self._shown[k] for k in self._shown)
        )

    def stop(self) -> None:
        self._timer.stop()
        self._thread.stop()
        if self._image_request is not None and self._image_request[2]:
            Path(self._image_request[0]).unlink(missing_ok=True)  # a paste never read
        self._image_request = None

    def _submit_drawing(self) -> None:
        if self._drawing_source is None:
            return
        drawing = self._drawing_source()
        job_id = next(self._ids)
        if drawing.is_empty():  # nothing to read: answer at once, and outdate older answers
            from digitpad.core.result import EMPTY

            self._shown["drawing"] = job_id
            self._drawing_source = None
            self.drawing_result.emit(EMPTY)
            return
        recognizer = self.recognizer
        if recognizer is None:
            return  # kept in _drawing_source; submitted when the model arrives
        self._drawing_source = None
        self._submitted["drawing"] = job_id
        self._thread.submit("drawing", job_id, lambda: _recognize(recognizer, drawing))

    def _submit_image(self) -> None:
        if self._image_request is None or self.recognizer is None:
            return
        (path, name, delete_after), self._image_request = self._image_request, None
        recognizer = self.recognizer
        job_id = self._submitted["image"] = next(self._ids)
        self._thread.submit(
            "image", job_id, lambda: _recognize_file(recognizer, path, name, delete_after)
        )

    def _on_done(self, kind: str, job_id: int, value: object) -> None:
        if kind == "model":
            recognizer, warning = value
            self.recognizer = recognizer
            self.model_ready_at = time.perf_counter()
            self.model_ready.emit(recognizer, warning)
            self._submit_drawing()
            self._submit_image()
        elif job_id > self._shown[kind]:
            self._shown[kind] = job_id
            (self.drawing_result if kind == "drawing" else self.image_result).emit(value)

    def _on_failed(self, kind: str, job_id: int, message: str) -> None:
        if kind == "model":
            self.model_failed.emit(message)
        elif job_id > self._shown[kind]:
            self._shown[kind] = job_id
            self.failed.emit(f"{self.image_name}: {message}" if kind == "image" else message)


def _recognize(recognizer, drawing):
    from digitpad.core.reading import recognize_drawing

    return recognize_drawing(recognizer, drawing)


def _recognize_file(recognizer, path: str, name: str, delete_after: bool):
    from digitpad.gui import jobs

    return jobs.recognize_file(recognizer, path, name, delete_after)


def _warm_up(recognizer) -> None:
    """Read one small drawing, so that the user's first one does not wait for the
    imports and first-call costs of preprocessing."""
    import numpy as np

    from digitpad.core.io.drawing import Drawing

    stroke = np.array([[10.0, 10.0, np.nan], [10.0, 90.0, np.nan]])
    try:
        _recognize(recognizer, Drawing([stroke], 100.0, 100.0))
    except Exception:  # a real drawing will report the problem properly
        log.debug("warm-up failed", exc_info=True)
