"""Tools > My Samples: the drawings the user corrected, to look through and delete."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.io import files
from digitpad.core.records import sample_store
from digitpad.gui.drawing_thumbnail import render_drawing
from digitpad.gui.labels import muted_label, title_label
from digitpad.gui.thumbnail_grid import thumbnail_grid

THUMB = 72
PREVIEW = 260
ALL = -1


class SamplesDialog(QDialog):
    samples_changed = Signal(int)  # how many samples there are now

    def __init__(self, directory: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("My Samples — DigitPad")
        self.setSizeGripEnabled(True)
        self._directory = directory if directory is not None else sample_store.samples_dir()
        self._samples: list[sample_store.Sample] = []

        title = title_label("My samples")
        intro = muted_label(
            "Drawings you corrected, each saved with the right digit. "
            "Retraining with “Include my samples” (Tools › Retrain Model…) "
            "fine-tunes the model on them."
        )
        self.filter = QComboBox()
        self.filter.addItem("All digits", ALL)
        for digit in range(10):
            self.filter.addItem(f"Only {digit}s", digit)
        self.filter.setAccessibleName("Show samples of")
        self.filter.currentIndexChanged.connect(self._fill)
        self._summary = QLabel()
        self._summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._summary, 1)
        top.addWidget(self.filter)

        self.list = thumbnail_grid(
            THUMB,
            QSize(THUMB + 22, THUMB + 30),
            QAbstractItemView.SelectionMode.ExtendedSelection,
            "Samples",
        )
        self.list.itemSelectionChanged.connect(self._show_preview)

        self._preview = QLabel()
        self._preview.setFixedSize(PREVIEW, PREVIEW)
        self._preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._preview.setFrameShape(QLabel.Shape.StyledPanel)
        self._preview.setAccessibleName("Preview")
        self._preview_text = QLabel()
        self._preview_text.setWordWrap(True)
        self._preview_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected samples (Delete)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button = QPushButton("Undo Delete")
        self.undo_button.setToolTip("Bring back the samples deleted last (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_button.setEnabled(False)
        self._deleted: list[tuple[Path, bytes, int]] = []  # the last deletion: path, bytes, mtime
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self._preview)
        side_layout.addWidget(self._preview_text)
        side_layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignLeft)
        side_layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignLeft)
        side_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setChildrenCollapsible(False)

        open_folder = QPushButton("Open Folder")
        open_folder.setToolTip(str(self._directory))
        open_folder.clicked.connect(self._open_folder)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(open_folder)
        buttons.addStretch(1)
        buttons.addWidget(close)

        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.activated.connect(self.delete_selected)
        undo = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        undo.activated.connect(self.undo_delete)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(QSize(860, 560))
        self.reload()

    def reload(self) -> None:
        """Read the samples folder again."""
        self._samples = sample_store.list_samples(self._directory)
        self._fill()

    def sample_paths(self) -> list[Path]:
        """The samples listed (after the filter), in order."""
        return [
            Path(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        ]

    def select_paths(self, paths: list[Path]) -> None:
        wanted = {str(p) for p in paths}
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setSelected(item.data(Qt.ItemDataRole.UserRole) in wanted)

    def selected_paths(self) -> list[Path]:
        return [Path(item.data(Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()]

    def delete_samples(self, paths: list[Path]) -> None:
        """Delete them, keeping their bytes until the next deletion so that Undo Delete
        can write them back."""
        deleted = []
        for path in paths:
            try:
                data = files.read_regular(path, sample_store.MAX_SAMPLE_BYTES)
                deleted.append((path, data, path.stat().st_mtime_ns))
            except OSError:
                pass  # already gone: nothing to bring back
            sample_store.delete_sample(path)
        self._deleted = deleted
        self.undo_button.setEnabled(bool(deleted))
        self.reload()
        self.samples_changed.emit(len(self._samples))

    def undo_delete(self) -> None:
        from digitpad.core.io import atomic

        for path, data, saved in self._deleted:
            atomic.write_bytes(path, data)
            os.utime(path, ns=(saved, saved))  # its saved time, as it was
        restored = [path for path, _, _ in self._deleted]
        self._deleted = []
        self.undo_button.setEnabled(False)
        self.reload()
        self.select_paths(restored)
        self.samples_changed.emit(len(self._samples))

    def delete_selected(self) -> None:
        paths = self.selected_paths()
        if not paths:
            return
        if len(paths) > 1:
            answer = QMessageBox.question(
                self, "Delete Samples", f"Delete these {len(paths)} samples?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.delete_samples(paths)

    # --- showing -------------------------------------------------------------------------

    def _fill(self) -> None:
        digit = self.filter.currentData()
        shown = [s for s in self._samples if digit == ALL or s.label == digit]
        self.list.clear()
        for sample in shown:
            pixmap = self._picture(sample, THUMB)
            item = QListWidgetItem(QIcon(pixmap), str(sample.label))
            item.setData(Qt.ItemDataRole.UserRole, str(sample.path))
            item.setToolTip(f"A {sample.label}, saved {_when(sample.modified)}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.list.addItem(item)
        counts = [sum(s.label == d for s in self._samples) for d in range(10)]
        total = len(self._samples)
        if total == 0:
            self._summary.setText(
                "No samples yet. When DigitPad reads a drawing wrongly, "
                "click the right digit under the answer (or press "
                "Ctrl+0…9) to save it here."
            )
        else:
            per_digit = " · ".join(f"{d}: {n}" for d, n in enumerate(counts) if n)
            self._summary.setText(f"{total} sample{'s' if total != 1 else ''}  ({per_digit})")
        if self.list.count():
            self.list.setCurrentRow(0)
        self._show_preview()

    def _picture(self, sample: sample_store.Sample, size: int) -> QPixmap:
        """A drawn sample rendered like the canvas; a picture's as the field the model read."""
        if sample.drawing is not None:
            palette = self.palette()
            ink, paper = palette.text().color(), palette.base().color()
            return render_drawing(sample.drawing, size, ink, paper, self.devicePixelRatioF())
        from digitpad.gui.qimage import grey_to_qimage

        assert sample.field is not None
        image = grey_to_qimage(sample.field)
        return QPixmap.fromImage(image.scaled(size, size))  # nearest: the pixels stay crisp

    def _show_preview(self) -> None:
        selected = self.selected_paths()
        self.delete_button.setEnabled(bool(selected))
        self.delete_button.setText(
            f"Delete {len(selected)} Samples" if len(selected) > 1 else "Delete"
        )
        sample = next((s for s in self._samples if selected and s.path == selected[0]), None)
        if sample is None:
            self._preview.clear()
            self._preview_text.setText("")
            return
        self._preview.setPixmap(self._picture(sample, PREVIEW - 4))
        self._preview_text.setText(
            f"<b>A sample of {sample.label}</b><br>"
            f"saved {_when(sample.modified)}<br>"
            f"<small>{sample.path.name}</small>"
        )

    def _open_folder(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._directory)))


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
