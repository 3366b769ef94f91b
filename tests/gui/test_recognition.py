"""The recognition thread: newest drawing wins, stale answers never reach the screen."""

from __future__ import annotations

import threading

from digitpad.gui.worker import RecognitionThread


def test_a_newer_job_replaces_one_that_has_not_started(qtbot):
    thread = RecognitionThread()
    gate = threading.Event()
    done = []
    thread.job_done.connect(lambda kind, job_id, value: done.append((kind, job_id, value)))
    thread.start()
    try:
        thread.submit("drawing", 1, lambda: gate.wait(5) and "first")
        qtbot.wait(50)  # job 1 is running
        thread.submit("drawing", 2, lambda: "stale")
        thread.submit("drawing", 3, lambda: "newest")
        thread.submit("image", 4, lambda: "image")
        gate.set()
        qtbot.waitUntil(lambda: len(done) == 3, timeout=5000)
        assert [d[1] for d in done] == [1, 3, 4]
    finally:
        thread.stop()


def test_a_failing_job_reports_one_line(qtbot):
    from digitpad.core.io.images import ImageError

    thread = RecognitionThread()
    failed = []
    thread.job_failed.connect(lambda kind, job_id, message: failed.append(message))
    thread.start()
    try:

        def broken():
            raise ImageError("not a supported image file")

        thread.submit("image", 1, broken)
        qtbot.waitUntil(lambda: bool(failed), timeout=5000)
        assert failed == ["not a supported image file"]
    finally:
        thread.stop()


def test_results_are_shown_only_when_newer_than_what_is_shown(window, qtbot, one, idle):
    shown = []
    window.result_shown.connect(shown.append)
    one(window.canvas)
    idle(window)
    window.canvas.clear()  # answered at once, outdating anything still on its way
    idle(window)
    assert shown[-1] is None and window.result_panel.state() == "empty"
