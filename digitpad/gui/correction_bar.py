"""Under the answer: "Wrong? 0 1 2 … 9" — one click saves the drawing as a sample of
the digit clicked, to teach DigitPad the user's handwriting."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

TIP = (
    "Read wrongly? Click the right digit (or press Ctrl+0…9): the drawn digit (in a "
    "number, the one selected below) is saved as a sample of it, and retraining with "
    "your samples teaches DigitPad your handwriting."
)


class CorrectionBar(QWidget):
    digit_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._caption = QLabel("Wrong?")
        self._which = ""
        self._caption.setToolTip(TIP)
        self._caption.setAccessibleName("Correction")
        self.buttons: list[QToolButton] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self._caption)
        row.addSpacing(4)
        for digit in range(10):
            button = QToolButton()
            button.setText(str(digit))
            button.setCheckable(True)
            button.installEventFilter(self)  # arrow keys move within the group
            button.setMinimumWidth(18)
            button.setToolTip(
                f"It is a {digit} (Ctrl+{digit}): save the drawn digit as a sample of {digit}"
            )
            button.setAccessibleName(f"It is a {digit}")
            button.clicked.connect(lambda _=False, d=digit: self.digit_chosen.emit(d))
            row.addWidget(button, 1)
            self.buttons.append(button)
        self.setToolTip(TIP)
        # The chosen digit must stand out from its neighbours, in either palette.
        self.setStyleSheet(
            "QToolButton:checked { background: palette(highlight); "
            "color: palette(highlighted-text); border: 1px solid "
            "palette(highlight); border-radius: 3px; padding: 2px; }"
        )
        self.set_available(False)

    # --- one Tab stop, arrow keys inside (as a button group should be) ------------------

    _KEYS = {
        Qt.Key.Key_Left: -1,
        Qt.Key.Key_Up: -1,
        Qt.Key.Key_Right: 1,
        Qt.Key.Key_Down: 1,
        Qt.Key.Key_Home: -10,
        Qt.Key.Key_End: 10,
    }

    def _set_tab_stop(self, index: int) -> None:
        """Only one button is in the Tab order: the chosen one, or the one last focused."""
        for k, button in enumerate(self.buttons):
            policy = Qt.FocusPolicy.TabFocus if k == index else Qt.FocusPolicy.NoFocus
            button.setFocusPolicy(policy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in self.buttons and event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.ShortcutOverride,  # the window's Left/Right step through digits
        ):
            step = self._KEYS.get(Qt.Key(event.key())) if isinstance(event, QKeyEvent) else None
            if step is not None and not event.modifiers():
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()  # the key is ours while a button has the focus
                    return False
                index = max(0, min(9, self.buttons.index(watched) + step))
                self._set_tab_stop(index)
                self.buttons[index].setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().eventFilter(watched, event)

    def caption(self) -> str:
        return self._caption.text()

    def target(self) -> str:
        """Which digit of a number a correction applies to ("digit 2 of 3"); "" for one."""
        return self._which

    def chosen(self) -> int | None:
        """The digit last saved for the drawing on show, else None."""
        return next((d for d, b in enumerate(self.buttons) if b.isChecked()), None)

    def set_available(self, available: bool, which: str = "") -> None:
        """Whether a correction makes sense now (a drawn digit on show); also forgets a
        choice. ``which``: the digit of a number it applies to ("digit 2 of 3")."""
        for button in self.buttons:
            button.setChecked(False)
            button.setEnabled(available)
        self._set_tab_stop(0)
        self._caption.setText("Wrong?")
        self._caption.setToolTip(f"For {which} of the number: {TIP}" if which else TIP)
        self._which = which
        self._caption.setEnabled(available)

    def show_saved(self, digit: int, count: int) -> None:
        """The drawing was saved as a sample of `digit`; `count` samples in all."""
        for d, button in enumerate(self.buttons):
            button.setChecked(d == digit)
        self._set_tab_stop(digit)
        self._caption.setText("Saved ✓")
        self._caption.setToolTip(
            f"Saved as a sample of {digit} ({count} samples in all). "
            "Click another digit to change it."
        )
