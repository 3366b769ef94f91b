"""The model in use beside a newly trained one: test accuracy and loss, the user's own
held-out samples before and after, and the change in the confusion matrix."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from digitpad.core.records.model_versions import test_metric
from digitpad.gui.confusion_heatmap import BETTER, WORSE, ConfusionHeatmap
from digitpad.gui.labels import bold_label, muted_label

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def samples_summary(meta: dict | None) -> dict | None:
    """The sidecar's "samples" (count, held_out, accuracy_before, accuracy_after), checked."""
    samples = meta.get("samples") if isinstance(meta, dict) else None
    if not isinstance(samples, dict):
        return None

    def number(key: str) -> float | None:
        value = samples.get(key)
        return (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else None
        )

    return {
        "count": int(number("count") or 0),
        "held_out": int(number("held_out") or 0),
        "accuracy_before": number("accuracy_before"),
        "accuracy_after": number("accuracy_after"),
    }


class ModelComparison(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(28)
        self._grid.setVerticalSpacing(8)
        self._cells: dict[tuple[str, str], QLabel] = {}
        self.heatmap = ConfusionHeatmap()
        self.heatmap.setMinimumSize(self.heatmap.minimumSizeHint())
        self._heatmap_title = bold_label("Confusion matrix: new minus current")
        self._heatmap_note = muted_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._grid)
        layout.addSpacing(12)
        layout.addWidget(self._heatmap_title)
        layout.addWidget(self._heatmap_note)
        layout.addWidget(self.heatmap, 1)

    def text(self, row: str, column: str) -> str:
        """The figure on show; row "accuracy", "loss", "mistakes" or "samples", column
        "current", "new" or "change"."""
        label = self._cells.get((row, column))
        return label.text() if label is not None else ""

    def set_models(
        self, current_name: str, current_meta: dict | None, new_name: str, new_meta: dict | None
    ) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._cells.clear()
        for column, (head, sub) in enumerate(
            (("Current model", current_name), ("New model", new_name), ("Change", ""))
        ):
            header = bold_label(head)
            header.setAlignment(RIGHT)
            self._grid.addWidget(header, 0, column + 1)
            if sub:
                name = muted_label(sub, wrap=False)
                name.setAlignment(RIGHT)
                self._grid.addWidget(name, 1, column + 1)

        rows = []
        old_acc, new_acc = test_metric(current_meta, "accuracy"), test_metric(new_meta, "accuracy")
        rows.append(
            (
                "accuracy",
                "MNIST test accuracy",
                _pct(old_acc),
                _pct(new_acc),
                *_change(old_acc, new_acc, points=True),
            )
        )
        old_loss, new_loss = test_metric(current_meta, "loss"), test_metric(new_meta, "loss")
        rows.append(
            (
                "loss",
                "MNIST test loss",
                _fixed(old_loss),
                _fixed(new_loss),
                *_change(old_loss, new_loss, points=False, lower_is_better=True),
            )
        )
        old_cm, new_cm = _confusion(current_meta), _confusion(new_meta)
        old_miss, new_miss = _mistakes(old_cm), _mistakes(new_cm)
        count = _total(new_cm) or _total(old_cm)
        rows.append(
            (
                "mistakes",
                f"Mistakes (of {count:,})" if count else "Mistakes",
                _whole(old_miss),
                _whole(new_miss),
                *_change(old_miss, new_miss, points=False, lower_is_better=True, whole=True),
            )
        )
        samples = samples_summary(new_meta)
        if samples is not None:
            held = samples["held_out"]
            label = (
                f"Your samples ({held} held out of {samples['count']})"
                if held
                else f"Your samples ({samples['count']})"
            )
            before, after = samples["accuracy_before"], samples["accuracy_after"]
            if held:
                rows.append(
                    (
                        "samples",
                        label,
                        _pct(before),
                        _pct(after),
                        *_change(before, after, points=True),
                    )
                )
            else:
                rows.append(("samples", label, "–", "–", "too few to hold some out", None))

        for r, (key, name, old, new, change, good) in enumerate(rows, start=2):
            title = QLabel(name)
            title.setAlignment(LEFT)
            self._grid.addWidget(title, r, 0)
            for c, (column, text) in enumerate(
                (("current", old), ("new", new), ("change", change)), start=1
            ):
                cell = bold_label(text) if column == "new" else QLabel(text)
                cell.setAlignment(RIGHT)
                if column == "change" and good is not None:
                    cell.setStyleSheet(f"color: {(BETTER if good else WORSE).name()};")
                self._grid.addWidget(cell, r, c)
                self._cells[(key, column)] = cell
        self._grid.setColumnStretch(0, 1)

        if old_cm is not None and new_cm is not None:
            difference = [[new_cm[t][p] - old_cm[t][p] for p in range(10)] for t in range(10)]
            self.heatmap.set_matrix(difference, mode="difference")
            self._heatmap_note.setText(
                "Green: the new model does better there (more right on the diagonal, fewer "
                "mistakes off it); red: worse; empty: no change."
            )
            self.heatmap.show()
        else:
            self._heatmap_note.setText("One of the models has no stored confusion matrix.")
            self.heatmap.hide()

    def difference(self) -> list[list[int]]:
        return self.heatmap.matrix()


def _confusion(meta: dict | None) -> list[list[int]] | None:
    test = meta.get("test") if isinstance(meta, dict) else None
    matrix = test.get("confusion") if isinstance(test, dict) else None
    try:
        rows = [[int(v) for v in row] for row in matrix]
    except (TypeError, ValueError):
        return None
    return rows if len(rows) == 10 and all(len(r) == 10 for r in rows) else None


def _mistakes(matrix: list[list[int]] | None) -> int | None:
    if matrix is None:
        return None
    return sum(map(sum, matrix)) - sum(matrix[k][k] for k in range(10))


def _total(matrix: list[list[int]] | None) -> int:
    return sum(map(sum, matrix)) if matrix is not None else 0


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def _fixed(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _whole(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _change(
    old, new, points: bool, lower_is_better: bool = False, whole: bool = False
) -> tuple[str, bool | None]:
    """('+0.12 points', True): the change and whether it is for the better (None: same
    or unknown)."""
    if old is None or new is None:
        return "–", None
    delta = new - old
    if points:
        text = f"{delta * 100:+.2f} points"
    elif whole:
        text = f"{int(delta):+,}"
    else:
        text = f"{delta:+.4f}"
    text = text.replace("-", "−")
    if abs(delta) < 1e-12:
        return "no change", None
    return text, (delta < 0) if lower_is_better else (delta > 0)
