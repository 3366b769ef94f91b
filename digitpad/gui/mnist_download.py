"""Downloading the MNIST test set for the evaluation view: a worker thread and a
progress dialog whose Cancel stops it between two chunks.

The worker only reports progress through TaskState; the dialog is updated here, on
the GUI thread, from the thread's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from digitpad.gui.task_thread import TaskState, TaskThread


class MnistDownload(QObject):
    downloaded = Signal(str)  # the folder now holding the test files
    failed = Signal(str)  # one plain sentence
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._thread: TaskThread | None = None
        self.dialog: QProgressDialog | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        from digitpad.core.records import evaluation as evaluation_data

        if self._thread is not None:
            return

        def job(state: TaskState) -> str:
            def progress(name: str, done: int, total: int | None) -> None:
                size = (
                    f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
                )
                state.set_progress(done, total, f"Downloading {name}.gz… {size}")

            return str(evaluation_data.fetch_test_set(progress, state.is_interruption_requested))

        dialog = QProgressDialog("Connecting…", "Cancel", 0, 100, self._parent)
        dialog.setWindowTitle("Downloading the MNIST Test Set")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(self.cancel)
        self.dialog = dialog
        thread = self._thread = TaskThread(job)
        thread.progress_changed.connect(self._on_progress)
        thread.succeeded.connect(lambda folder: self._end(self.downloaded.emit, folder))
        thread.failed.connect(lambda message: self._end(self.failed.emit, message))
        thread.interrupted.connect(lambda: self._end(self.cancelled.emit))
        dialog.show()
        thread.launch()

    def cancel(self) -> None:
        if self._thread is not None:
            self._thread.cancel()
            if self.dialog is not None:
                self.dialog.setLabelText("Cancelling…")

    def _on_progress(self, percent: int, text: str) -> None:
        dialog = self.dialog
        if dialog is None or dialog.wasCanceled():
            return
        if percent < 0:
            dialog.setRange(0, 0)  # size unknown: a busy bar
        else:
            dialog.setRange(0, 100)
            dialog.setValue(percent)
        if text:
            dialog.setLabelText(text)

    def _end(self, emit, *values) -> None:
        self._thread = None
        if self.dialog is not None:
            self.dialog.hide()
            self.dialog.deleteLater()
            self.dialog = None
        emit(*values)
