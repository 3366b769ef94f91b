"""Ten horizontal bars: the model's probability for each digit, with its value."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.gui.theme import warning_colour

ROW_HEIGHT = 24
LABEL_WIDTH = 22
VALUE_WIDTH = 58
RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight


def percent(p: float) -> str:
    """The one way the app writes a probability: one decimal ("99.8%"), "100%" for what
    rounds to it (never "100.0%"), "<0.1%" for a trace, "0%" for none."""
    if p >= 0.9995:
        return "100%"
    if p < 0.001:
        return "<0.1%" if p > 0 else "0%"
    return f"{p:.1%}"


class ProbabilityBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probabilities: list[float] | None = None
        self._muted = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Probability of each digit")
        self._describe()

    def set_probabilities(self, probabilities: Sequence[float] | None, muted: bool = False) -> None:
        """Ten values in [0, 1] (a float (10,) array), or None for no answer.

        `muted` marks the leading bar as a "not sure" answer.
        """
        self._probabilities = (
            None if probabilities is None else [min(max(float(p), 0.0), 1.0) for p in probabilities]
        )
        self._muted = muted
        self._describe()
        self.update()

    def probabilities(self) -> list[float] | None:
        return self._probabilities

    def _describe(self) -> None:
        if self._probabilities is None:
            text = "No digit yet."
        else:
            text = ", ".join(f"{d}: {percent(p)}" for d, p in enumerate(self._probabilities))
        self.setAccessibleDescription(text)
        self.setToolTip("How sure the model is of each digit.\n" + text.replace(", ", "\n"))

    def sizeHint(self) -> QSize:
        return QSize(260, ROW_HEIGHT * 10)

    def minimumSizeHint(self) -> QSize:
        return QSize(180, ROW_HEIGHT * 10)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text, muted_text = palette.windowText().color(), palette.placeholderText().color()
        track = _blend(palette.window().color(), text, 0.08)
        accent = palette.highlight().color()
        if self._muted:
            accent = warning_colour(palette)
        other = _blend(palette.window().color(), text, 0.35)
        probs = self._probabilities
        best = max(range(10), key=probs.__getitem__) if probs is not None else -1
        base = painter.font()
        bold = QFont(base)
        bold.setBold(True)
        width = self.width()
        bar_left, bar_right = LABEL_WIDTH + 6, width - VALUE_WIDTH - 4
        for digit in range(10):
            top = digit * ROW_HEIGHT
            is_best = digit == best
            painter.setFont(bold if is_best else base)
            painter.setPen(text if probs is not None else muted_text)
            painter.drawText(QRectF(0, top, LABEL_WIDTH, ROW_HEIGHT), RIGHT, str(digit))
            bar = QRectF(bar_left, top + 6, max(0, bar_right - bar_left), ROW_HEIGHT - 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar, 3, 3)
            if probs is None:
                continue
            p = probs[digit]
            if bar.width() * p >= 1.0:
                filled = QRectF(bar.left(), bar.top(), max(bar.width() * p, 6.0), bar.height())
                painter.setBrush(accent if is_best else other)
                painter.drawRoundedRect(filled, 3, 3)
            painter.setPen(text if is_best or p >= 0.01 else muted_text)
            painter.drawText(QRectF(bar_right, top, VALUE_WIDTH + 4, ROW_HEIGHT), RIGHT, percent(p))


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )
