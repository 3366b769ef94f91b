"""Small label styles shared by the windows: a title, a bold caption, a muted note, and
a one-line label that elides what does not fit."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def title_label(text: str, scale: float = 1.3) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def bold_label(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


def muted_label(text: str = "", wrap: bool = True) -> QLabel:
    """Secondary text in the palette's placeholder colour (it follows light and dark)."""
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


class ElidedLabel(QLabel):
    """One line that ends in "…" where it does not fit, instead of pushing its
    neighbours aside or running into them; text() stays whole, and with ``tip`` it is
    the tooltip while it is cut."""

    def __init__(self, text: str = "", parent: QWidget | None = None, tip: bool = True) -> None:
        super().__init__(text, parent)
        self._tip = tip
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # type: ignore[override]
        super().setText(text)
        self._update_tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def _update_tip(self) -> None:
        if self._tip:
            self.setToolTip(self.text() if self.shown_text() != self.text() else "")

    def shown_text(self) -> str:
        """The text as drawn at the label's width."""
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.shown_text())
