"""`digitpad --smoke-test`: the whole app, one built-in drawing, timings as JSON.

The drawing goes in as synthesized mouse events on the canvas, so it takes the same
path as a user's strokes: canvas -> Drawing -> recognition thread -> result panel.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from digitpad.gui.launch_clock import LaunchClock
from digitpad.gui.main_window import MainWindow

# A hand-drawn "7" in the unit square: the bar, then the stem with a slight curve.
SEVEN = [
    [
        (0.30, 0.24),
        (0.50, 0.23),
        (0.70, 0.22),
        (0.67, 0.34),
        (0.61, 0.50),
        (0.55, 0.66),
        (0.50, 0.80),
    ]
]
EXPECTED = "7"
TIMEOUT_MS = 20_000
STEP_PX = 4.0


def stroke_points(stroke: list[tuple[float, float]], width: int, height: int) -> list[QPointF]:
    """Scale a unit-square stroke into the middle of the canvas, one point every STEP_PX."""
    side = 0.8 * min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    corners = [QPointF(left + x * side, top + y * side) for x, y in stroke]
    points = [corners[0]]
    for a, b in zip(corners, corners[1:]):
        steps = max(1, int((b - a).manhattanLength() / STEP_PX))
        points += [a + (b - a) * (i / steps) for i in range(1, steps + 1)]
    return points


def send_mouse(widget, kind: QEvent.Type, pos: QPointF) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    buttons = (
        Qt.MouseButton.NoButton
        if kind == QEvent.Type.MouseButtonRelease
        else Qt.MouseButton.LeftButton
    )
    event = QMouseEvent(
        kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QCoreApplication.sendEvent(widget, event)


def draw(window: MainWindow, strokes: list) -> None:
    canvas = window.canvas
    for stroke in strokes:
        points = stroke_points(stroke, canvas.width(), canvas.height())
        send_mouse(canvas, QEvent.Type.MouseButtonPress, points[0])
        for point in points[1:]:
            send_mouse(canvas, QEvent.Type.MouseMove, point)
            QCoreApplication.processEvents()
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1])


def wait_for(
    app: QApplication, condition: Callable[[], bool], timeout_ms: int = TIMEOUT_MS
) -> bool:
    timer = QElapsedTimer()
    timer.start()
    while not condition():
        if timer.elapsed() > timeout_ms:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.001)
    return True


def run_smoke_test(
    app: QApplication, window: MainWindow, clock: LaunchClock, visible_at: float | None
) -> int:
    """Prints one JSON line; 0 when the built-in drawing was read correctly."""
    report: dict = {
        "platform": app.platformName(),
        "clock": "process start" if clock.since_process_start else "app start",
    }
    shown: list = []
    window.result_shown.connect(lambda result: shown.append((clock(), result)))
    try:
        if visible_at is None:
            raise RuntimeError("the window did not become visible")
        report["window_visible_s"] = round(clock(visible_at), 3)
        draw(window, SEVEN)
        report["drawn_s"] = round(clock(), 3)

        def answered() -> bool:
            return (
                window.recognition.recognizer is not None
                and bool(shown)
                and not window.recognition.busy()
            )

        if not wait_for(app, answered):
            raise RuntimeError(
                "no prediction within 20 s: " + (window.message_text() or "the model did not load")
            )
        report["model_ready_s"] = round(clock(window.recognition.model_ready_at), 3)
        report["first_prediction_s"] = round(shown[-1][0], 3)
        final = window.current_result()
        report["text"] = final.text if final is not None else ""
        report["confidence"] = round(min(d.confidence for d in final.digits), 4) if final else 0
        report["expected"] = EXPECTED
        report["model"] = str(window.recognition.recognizer.path)
        # The app must start without TensorFlow (it is only for the training process).
        report["tensorflow_imported"] = "tensorflow" in sys.modules
        ok = report["text"] == EXPECTED and not report["tensorflow_imported"]
        if report["text"] != EXPECTED:
            report["error"] = f"read the built-in {EXPECTED} as {report['text']!r}"
        elif not ok:
            report["error"] = "TensorFlow was imported by the desktop app"
    except Exception as exc:  # the report is the output; a failure is part of it
        report["error"] = f"{type(exc).__name__}: {exc}"
        ok = False
    finally:
        window.close()
    print(json.dumps(report), flush=True)
    return 0 if ok else 1
