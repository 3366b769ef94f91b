"""A figure in large type over its name, in a light frame (accuracy, loss, mistakes)."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from digitpad.gui.labels import muted_label


class StatTile(QFrame):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setStyleSheet("#tile { border: 1px solid palette(mid); border-radius: 6px; }")
        self._value = QLabel("–")
        font = QFont(self._value.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self._value.setFont(font)
        self._value.setAccessibleName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(0)
        layout.addWidget(self._value)
        layout.addWidget(muted_label(name, wrap=False))

    def value(self) -> str:
        return self._value.text()

    def set_value(self, text: str) -> None:
        self._value.setText(text)
