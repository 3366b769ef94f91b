"""Tools > Evaluate Model: how the model in use does on the 10,000 MNIST test images.

It opens at once with the metrics stored beside the model, then measures them again on
the test set in a worker thread when the files are on this computer (which also gives
each cell its images). Without them it offers the download (about 1.6 MB) and explains
the offline way (DIGITPAD_MNIST_DIR).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.cell_images import CellImages
from digitpad.gui.confusion_heatmap import ConfusionHeatmap
from digitpad.gui.labels import bold_label, muted_label, title_label
from digitpad.gui.mnist_download import MnistDownload
from digitpad.gui.stat_tile import StatTile
from digitpad.gui.task_thread import TaskState, TaskThread

if TYPE_CHECKING:
    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.records.evaluation import Evaluation

log = logging.getLogger(__name__)

MNIST_DIR_ENV = "DIGITPAD_MNIST_DIR"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class EvaluationView(QDialog):
    evaluation_changed = Signal()  # new figures on show (stored or measured)
    state_changed = Signal(str)  # see state()

    def __init__(
        self, recognizer: Recognizer | None, parent: QWidget | None = None, measure: bool = True
    ) -> None:
        """`measure`: measure on the test set as soon as the files are found."""
        super().__init__(parent)
        self.setWindowTitle("Evaluation — DigitPad")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setSizeGripEnabled(True)
        self._recognizer: Recognizer | None = None
        self._evaluation: Evaluation | None = None
        self._state = "empty"
        self._auto_measure = measure
        self._task: TaskThread | None = None
        self._download = MnistDownload(self)
        self._download.downloaded.connect(self._on_downloaded)
        self._download.failed.connect(self._on_download_failed)
        self._download.cancelled.connect(self._on_download_cancelled)
        self._last_dir = str(Path.home())
        self._auto_cell: tuple[int, int] | None = None  # selected by the view, not the user

        self._title = title_label("", 1.35)
        self._source = muted_label(wrap=False)
        self._source.setAccessibleName("Where these figures come from")

        self._banner_text = QLabel()
        self._banner_text.setWordWrap(True)
        self._banner_text.setTextFormat(Qt.TextFormat.RichText)
        self._banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton("Download Test Images…")
        self.download_button.setToolTip(
            "Download the MNIST test set (about 1.6 MB) into "
            "DigitPad's cache; each file is checked against its "
            "published SHA-256"
        )
        self.download_button.clicked.connect(self.download_test_set)
        self._banner = QFrame()
        self._banner.setObjectName("banner")
        self._banner.setStyleSheet(
            "#banner { background: palette(alternate-base); "
            "border: 1px solid palette(mid); border-radius: 6px; }"
        )
        banner_row = QHBoxLayout(self._banner)
        banner_row.setContentsMargins(12, 10, 12, 10)
        banner_row.addWidget(self._banner_text, 1)
        banner_row.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._banner.hide()

        self._progress_label = QLabel("Measuring on the test set…")
        self._progress = QProgressBar()
        self._progress.setRange(0, 100)
        self._progress.setAccessibleName("Measuring progress")
        self._progress_row = QWidget()
        progress_layout = QHBoxLayout(self._progress_row)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self._progress_label)
        progress_layout.addWidget(self._progress, 1)
        self._progress_row.hide()

        self._accuracy = StatTile("Accuracy")
        self._loss = StatTile("Loss (cross-entropy)")
        self._errors = StatTile("Mistakes")
        tiles = QHBoxLayout()
        tiles.setSpacing(10)
        for tile in (self._accuracy, self._loss, self._errors):
            tiles.addWidget(tile)

        self.heatmap = ConfusionHeatmap()
        self.heatmap.cell_selected.connect(self._show_cell)
        hint = muted_label(
            "Rows: the true digit · columns: what the model read. "
            "Click a cell (or use the arrow keys) to see its images."
        )

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addLayout(tiles)
        left_layout.addWidget(self.heatmap, 1)
        left_layout.addWidget(hint)

        self.per_class = QTableWidget(10, 4)
        self.per_class.setHorizontalHeaderLabels(["Digit", "Images", "Precision", "Recall"])
        self.per_class.verticalHeader().hide()
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.per_class.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.per_class.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.per_class.verticalHeader().setDefaultSectionSize(24)
        self.per_class.setAccessibleName("Precision and recall of each digit")
        self.per_class.setToolTip(
            "Precision: of the images read as this digit, the share "
            "that were this digit.\nRecall: of the images of this "
            "digit, the share read as it."
        )
        height = (
            self.per_class.horizontalHeader().sizeHint().height()
            + 10 * self.per_class.verticalHeader().defaultSectionSize()
            + 4
        )
        self.per_class.setFixedHeight(height)
        self.cell_images = CellImages()

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.addWidget(bold_label("Per digit"))
        right_layout.addWidget(self.per_class)
        right_layout.addSpacing(8)
        right_layout.addWidget(self.cell_images, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 420])

        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.setToolTip("Save the confusion matrix as a picture")
        self.export_png_button.clicked.connect(self.export_png_dialog)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip(
            "Save the confusion matrix with precision and recall as a spreadsheet (CSV)"
        )
        self.export_csv_button.clicked.connect(self.export_csv_dialog)
        self.measure_button = QPushButton("Measure Again")
        self.measure_button.setToolTip("Measure on the 10,000 MNIST test images now")
        self.measure_button.clicked.connect(self.measure)
        close = QPushButton("Close")
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_png_button)
        buttons.addWidget(self.export_csv_button)
        buttons.addStretch(1)
        buttons.addWidget(self.measure_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(self._title)
        layout.addWidget(self._source)
        layout.addSpacing(4)
        layout.addWidget(self._banner)
        layout.addWidget(self._progress_row)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(QSize(1060, 740))
        self.setMinimumSize(QSize(760, 560))
        self.set_recognizer(recognizer)

    # --- what the window calls -----------------------------------------------------

    def set_recognizer(self, recognizer: Recognizer | None) -> None:
        """Show the stored figures of `recognizer`'s model; then measure them if possible."""
        from digitpad.core.records import evaluation as evaluation_data
        from digitpad.gui import model_loading

        if (
            recognizer is not None
            and recognizer is self._recognizer
            and self._state in ("measured", "measuring")
        ):
            return  # already measured (or being measured) for this very model
        self._cancel_task()
        self._recognizer = recognizer
        if recognizer is None:
            self._title.setText("No model loaded")
            self._show(None)
            self._set_state("empty")
            return
        self._title.setText(
            f"{model_loading.model_name(recognizer).capitalize()} on the MNIST test set"
        )
        self._show(evaluation_data.from_meta(recognizer.meta))
        self._set_state("stored")
        if self._auto_measure:
            self.measure()

    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    def state(self) -> str:
        """'empty', 'stored' (figures from the sidecar), 'measuring', 'measured',
        'no-data' (test files missing), 'downloading' or 'failed'."""
        return self._state

    def banner_text(self) -> str:
        """The explanation on show when the test images are missing; "" when hidden."""
        return "" if self._banner.isHidden() else self._banner_text.text()

    def source_text(self) -> str:
        return self._source.text()

    def measure(self) -> None:
        """Measure on the test set in a worker, when the files are here; else offer them."""
        from digitpad.core.io.mnist import MnistError
        from digitpad.core.records import evaluation as evaluation_data

        if self._recognizer is None or self._task is not None:
            return
        try:
            directory = evaluation_data.find_test_set()  # a few stat() calls
        except MnistError as exc:
            self._offer_download(str(exc))
            return
        self._banner.hide()
        predict = self._recognizer.predict

        def job(state: TaskState) -> Evaluation:
            return evaluation_data.measure(
                predict,
                directory,
                progress=lambda done, total: state.set_progress(done, total),
                should_stop=state.is_interruption_requested,
            )

        task = self._task = TaskThread(job)
        # A task cancelled for a newer one may still answer: only the current one counts.
        task.progress_changed.connect(
            lambda percent, _: task is self._task and self._progress.setValue(percent)
        )
        task.succeeded.connect(lambda value: task is self._task and self._on_measured(value))
        task.failed.connect(lambda text: task is self._task and self._on_measure_failed(text))
        task.finished.connect(lambda: task is self._task and self._on_task_ended())
        self._progress.setValue(0)
        self._progress_label.setText(f"Measuring on the test set ({directory})…")
        self._progress_row.show()
        self._set_state("measuring")
        task.launch()

    def download_test_set(self) -> None:
        """Download the test files with a progress dialog (Cancel stops it), then measure."""
        if self._download.is_running():
            return
        self.download_button.setEnabled(False)
        self._set_state("downloading")
        self._download.start()

    def progress_dialog(self) -> QProgressDialog | None:
        """The download's progress dialog while it runs."""
        return self._download.dialog

    # --- export ------------------------------------------------------------------------

    def export_png(self, path: str | os.PathLike) -> bool:
        from digitpad.core.io import atomic

        title = self._title.text()
        if self._evaluation is not None:
            title += f" · accuracy {self._evaluation.accuracy:.2%}"
        image = self.heatmap.render_image(title)
        try:
            with atomic.atomic_path(path, suffix=".png") as tmp:
                if not image.save(str(tmp), "PNG"):
                    raise OSError("the picture could not be written")
        except OSError as exc:
            self._export_failed(path, exc)
            return False
        return True

    def export_csv(self, path: str | os.PathLike) -> bool:
        from digitpad.core.records import evaluation as evaluation_data

        if self._evaluation is None:
            return False
        try:
            evaluation_data.write_csv(path, self._evaluation)
        except OSError as exc:
            self._export_failed(path, exc)
            return False
        return True

    def export_png_dialog(self) -> None:
        path = self._ask_path(
            "Export Confusion Matrix", "confusion-matrix.png", "PNG pictures (*.png)", ".png"
        )
        if path and self.export_png(path):
            self._source.setText(f"Saved {Path(path).name}")

    def export_csv_dialog(self) -> None:
        path = self._ask_path(
            "Export Confusion Matrix", "confusion-matrix.csv", "CSV spreadsheets (*.csv)", ".csv"
        )
        if path and self.export_csv(path):
            self._source.setText(f"Saved {Path(path).name}")

    def _ask_path(self, title: str, name: str, file_filter: str, suffix: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self, title, str(Path(self._last_dir) / name), file_filter
        )
        if not path:
            return ""
        if not path.lower().endswith(suffix):
            path += suffix
        self._last_dir = str(Path(path).parent)
        return path

    def _export_failed(self, path, exc: OSError) -> None:
        from PySide6.QtWidgets import QMessageBox

        reason = exc.strerror or str(exc)
        QMessageBox.warning(self, "Export Failed", f"Could not save {Path(path).name}: {reason}.")

    # --- showing -----------------------------------------------------------------------

    def _show(self, evaluation: Evaluation | None) -> None:
        self._evaluation = evaluation
        enabled = evaluation is not None
        self.export_png_button.setEnabled(enabled)
        self.export_csv_button.setEnabled(enabled)
        if evaluation is None:
            self.heatmap.set_matrix([[0] * 10] * 10)
            self.heatmap.clear_selection()
            for tile in (self._accuracy, self._loss, self._errors):
                tile.set_value("–")
            self._source.setText("No test figures are stored with this model.")
            self.cell_images.show_message("No figures to show yet.")
            self.evaluation_changed.emit()
            return
        self.heatmap.set_matrix(evaluation.confusion)
        self._accuracy.set_value(f"{evaluation.accuracy:.2%}")
        self._loss.set_value("unknown" if evaluation.loss is None else f"{evaluation.loss:.4f}")
        self._errors.set_value(f"{evaluation.errors:,} of {evaluation.count:,}")
        if evaluation.measured:
            self._source.setText(
                f"Measured just now on the {evaluation.count:,} MNIST test images."
            )
        else:
            self._source.setText(
                f"As stored with the model when it was trained "
                f"({evaluation.count:,} MNIST test images)."
            )
        worst = min(evaluation.recall)
        for k in range(10):
            cells = [
                str(k),
                f"{int(evaluation.confusion[k].sum()):,}",
                f"{evaluation.precision[k]:.2%}",
                f"{evaluation.recall[k]:.2%}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(RIGHT if column else Qt.AlignmentFlag.AlignCenter)
                if column == 3 and evaluation.recall[k] == worst:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip(f"The {k}s are read correctly least often.")
                self.per_class.setItem(k, column, item)
        # The cell the user chose stays; one chosen for them follows the new figures.
        selected = self.heatmap.selected_cell()
        if selected is None or selected == self._auto_cell:
            selected = self._auto_cell = evaluation.most_confused() or (0, 0)
        self.heatmap.select_cell(*selected)  # shows that cell's images
        self.evaluation_changed.emit()

    def _show_cell(self, true: int, predicted: int) -> None:
        if self._evaluation is None:
            return
        self.cell_images.show_cell(self._evaluation, true, predicted)
        if not self._evaluation.has_images and self._state in ("no-data", "failed"):
            self.cell_images.show_message(
                "The test images are not on this computer: see above to get them.",
                self.cell_images.title() or f"True {true}, read as {predicted}",
            )

    def _set_state(self, state: str) -> None:
        self._state = state
        self.measure_button.setEnabled(
            state in ("stored", "measured", "failed", "no-data") and self._recognizer is not None
        )
        self.state_changed.emit(state)

    def _offer_download(self, reason: str, lead: str = "") -> None:
        """Explain how to get the test images. `reason`: why they could not be read;
        `lead`: a sentence about what just happened (a failed or cancelled download)."""
        from html import escape

        env = os.environ.get(MNIST_DIR_ENV)
        if env:
            text = (
                f"<b>The MNIST test images could not be read.</b> {escape(reason)}.<br>"
                f"Point <code>{MNIST_DIR_ENV}</code> at a folder holding "
                "<code>t10k-images-idx3-ubyte.gz</code> and "
                "<code>t10k-labels-idx1-ubyte.gz</code> (or unset it to download them), "
                "then start DigitPad again. The figures shown are those stored with the "
                "model."
            )
            self.download_button.hide()
        else:
            text = (
                f"{lead}<b>The MNIST test images are not on this computer</b>, so the figures "
                "shown are those stored with the model, and a cell cannot show its "
                "images. Download them (about 1.6 MB), or, offline, set "
                f"<code>{MNIST_DIR_ENV}</code> to a folder holding "
                "<code>t10k-images-idx3-ubyte.gz</code> and "
                "<code>t10k-labels-idx1-ubyte.gz</code> and start DigitPad again."
            )
            self.download_button.show()
            self.download_button.setEnabled(True)
        self._banner_text.setText(text)
        self._banner.show()
        self._set_state("no-data")
        cell = self.heatmap.selected_cell()
        if cell is not None:
            self._show_cell(*cell)

    # --- worker answers ----------------------------------------------------------------

    def _on_measured(self, evaluation: Evaluation) -> None:
        self._progress_row.hide()
        self._show(evaluation)
        self._set_state("measured")

    def _on_measure_failed(self, message: str) -> None:
        self._progress_row.hide()
        self._offer_download(message)
        self._set_state("failed")

    def _on_task_ended(self) -> None:
        self._task = None
        if self._state == "measuring":  # interrupted: back to the stored figures
            self._progress_row.hide()
            self._set_state("stored")

    def _cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._progress_row.hide()

    def _on_downloaded(self, _directory: str) -> None:
        self.download_button.setEnabled(True)
        self._banner.hide()
        self._set_state("stored")
        self.measure()

    def _on_download_failed(self, message: str) -> None:
        from html import escape

        self._offer_download(message, f"The download failed: {escape(message)}.<br>")

    def _on_download_cancelled(self) -> None:
        self._offer_download("download cancelled", "Download cancelled.<br>")

    def stop(self) -> None:
        """Stop the measuring and any download (the window is closing)."""
        self._cancel_task()
        self._download.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel_task()
        if self._state == "measuring":
            self._set_state("stored")
        super().closeEvent(event)
