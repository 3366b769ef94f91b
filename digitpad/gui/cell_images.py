"""The test images of one confusion-matrix cell, each with the model's probabilities."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QLabel,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.gui.labels import bold_label, muted_label
from digitpad.gui.probability_bars import percent
from digitpad.gui.thumbnail_grid import thumbnail_grid

if TYPE_CHECKING:
    from digitpad.core.records.evaluation import Evaluation

MAX_SHOWN = 240  # enough to see the pattern; a diagonal cell holds ~1,000
ICON = 56  # 28 x 2: each MNIST pixel a 2x2 block
LARGE = 280  # 28 x 10, opened on a double-click


class CellImages(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = bold_label("")
        self._note = muted_label()
        self.list = thumbnail_grid(
            ICON,
            QSize(ICON + 34, ICON + 38),
            QAbstractItemView.SelectionMode.SingleSelection,
            "Test images of the chosen cell",
        )
        self.list.setWordWrap(True)  # captions of two lines: digit and probability
        self.list.itemActivated.connect(self.open_large)  # double-click or Enter
        self._evaluation: Evaluation | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._title)
        layout.addWidget(self._note)
        layout.addWidget(self.list, 1)
        self.show_message("Click a cell of the matrix to see its test images.")

    def title(self) -> str:
        return self._title.text()

    def note(self) -> str:
        return self._note.text()

    def indices(self) -> list[int]:
        """The test-set indices on show, in order."""
        return [
            int(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())
        ]

    def show_message(self, text: str, title: str = "") -> None:
        self.list.clear()
        self._title.setText(title)
        self._title.setVisible(bool(title))
        self._note.setText(text)
        self._note.setVisible(bool(text))

    def open_large(self, item: QListWidgetItem) -> QDialog | None:
        """The test image at ten times its size, with the model's ten probabilities."""
        from digitpad.gui.probability_bars import ProbabilityBars
        from digitpad.gui.qimage import grey_to_qimage

        evaluation = self._evaluation
        if evaluation is None or not evaluation.has_images:
            return None
        assert evaluation.images is not None and evaluation.probabilities is not None
        index = int(item.data(Qt.ItemDataRole.UserRole))
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Test image #{index:,} — DigitPad")
        picture = QLabel()
        picture.setPixmap(
            QPixmap.fromImage(grey_to_qimage(evaluation.images[index]).scaled(LARGE, LARGE))
        )  # nearest: the 28 x 28 pixels as the model read them
        bars = ProbabilityBars()
        bars.set_probabilities(evaluation.probabilities[index])
        layout = QVBoxLayout(dialog)
        label = evaluation.labels[index] if evaluation.labels is not None else "?"
        layout.addWidget(
            bold_label(f"A {label}, read as {int(evaluation.probabilities[index].argmax())}")
        )
        layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(bars)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_cell(self, evaluation: Evaluation, true: int, predicted: int) -> None:
        from digitpad.gui.qimage import grey_to_qimage

        what = f"{true}s read as {predicted}" if true != predicted else f"{true}s read correctly"
        found = evaluation.cell(true, predicted)
        count = int(evaluation.confusion[true][predicted])
        if not evaluation.has_images:
            self.show_message(
                "The test images are needed to show these; they are being "
                "read, or can be downloaded above.",
                f"{what} · {count:,}",
            )
            return
        self.list.clear()
        self._evaluation = evaluation
        self._title.setText(f"{what} · {len(found):,} image{'s' if len(found) != 1 else ''}")
        self._title.setVisible(True)
        if len(found) == 0:
            self._note.setText("No test image falls in this cell.")
        elif len(found) > MAX_SHOWN:
            order = "surest mistakes" if true != predicted else "least sure answers"
            self._note.setText(f"Showing the {MAX_SHOWN} {order} of {len(found):,}.")
        elif true != predicted:
            self._note.setText(
                "Surest mistakes first. Under each image: the model's "
                "probability for what it read, then for the true digit."
            )
        else:
            self._note.setText("Least sure first.")
        self._note.setVisible(True)
        self.list.setUpdatesEnabled(False)
        for index in found[:MAX_SHOWN]:
            probabilities = evaluation.probabilities[index]
            image = grey_to_qimage(evaluation.images[index])
            pixmap = QPixmap.fromImage(image.scaled(ICON, ICON))  # nearest: pixels stay crisp
            if true != predicted:
                text = (
                    f"{predicted}: {percent(float(probabilities[predicted]))}\n"
                    f"{true}: {percent(float(probabilities[true]))}"
                )
            else:
                text = f"{true}: {percent(float(probabilities[true]))}"
            item = QListWidgetItem(QIcon(pixmap), text)
            top = sorted(range(10), key=lambda k: -float(probabilities[k]))[:3]
            item.setToolTip(
                f"Test image #{int(index):,} (a {true})\n"
                + "\n".join(f"{k}: {percent(float(probabilities[k]))}" for k in top)
            )
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.list.addItem(item)
        self.list.setUpdatesEnabled(True)
