"""The answer: the number in large type, how sure the model is, its ten probabilities
for the selected digit, and the 28x28 fields it actually read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from digitpad.gui.correction_bar import CorrectionBar
from digitpad.gui.field_view import FIELD, FieldView
from digitpad.gui.labels import bold_label
from digitpad.gui.probability_bars import ProbabilityBars, percent
from digitpad.gui.theme import warning_colour

if TYPE_CHECKING:
    from digitpad.core.result import Digit, Result

NUMBER_POINTS = 54
EMPTY_HINT = "Draw a digit on the canvas,\nor open an image (Ctrl+O)."
SMALL_DRAWING = 90  # canvas pixels: a digit drawn shorter than this reads better larger
NOTHING_IN_IMAGE = "No digit found in this image.\nEsc goes back to the drawing."


def low_confidence() -> float:
    """Below this probability an answer is shown as "not sure"."""
    from digitpad.core import result as result_module

    return float(getattr(result_module, "LOW_CONFIDENCE", 0.7))


class ResultPanel(QWidget):
    digit_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: Result | None = None
        self._selected = 0
        self._state = "empty"
        self._in_image = False
        self._views: list[FieldView] = []

        self._number = QLabel()
        self._number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._number.setAccessibleName("Recognised number")
        self._number.installEventFilter(self)  # a click on a digit of a number selects it
        self._number.setMinimumHeight(QFontMetrics(self._number_font(NUMBER_POINTS)).height())
        self._status = QLabel()
        self._status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._status.setWordWrap(True)
        self._status.setAccessibleName("Confidence")
        # Two lines (and the padding of a warning) whatever it says, so that the space
        # left for the explanation, and whether it scrolls, does not jump with the text.
        lines = QFontMetrics(self._status.font()).lineSpacing()
        self._status.setMinimumHeight(2 * lines + 14)
        self._bars_title = bold_label("Probabilities")
        self._bars = ProbabilityBars()
        self.correction = CorrectionBar()
        self._fields_title = bold_label("What the model sees · 28 × 28")
        self._fields_box = QWidget()
        self._fields_row = QHBoxLayout(self._fields_box)
        self._fields_row.setContentsMargins(0, 0, 0, 0)
        self._fields_row.setSpacing(8)
        self._fields_row.addStretch(1)
        self._fields_row.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self._fields_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setAccessibleName("Model inputs")
        self._scroll = scroll

        # The answer stays in view at the top; what explains it scrolls below it, so a
        # short window (a small or high-DPI screen) never hides the number.
        answer = QVBoxLayout()
        answer.setContentsMargins(18, 10, 18, 4)
        answer.setSpacing(6)
        answer.addWidget(self._number)
        answer.addWidget(self._status)
        answer.addWidget(self.correction)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(18, 4, 18, 14)
        layout.setSpacing(6)
        layout.addWidget(self._fields_title)
        layout.addWidget(scroll)
        layout.addSpacing(8)
        layout.addWidget(self._bars_title)
        layout.addWidget(self._bars)
        layout.addStretch(1)
        # In a short window the explanation scrolls rather than squeezing the bars.
        outer = QScrollArea()
        outer.setAccessibleName("What the model saw and its probabilities")
        outer.setWidget(content)
        outer.setWidgetResizable(True)
        outer.setFrameShape(QFrame.Shape.NoFrame)
        outer.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(answer)
        box.addWidget(outer, 1)
        self.setMinimumWidth(300)
        self._set_fields([None])
        self.show_result(None)

    # --- what the window calls ---------------------------------------------------

    def show_waiting(self, message: str) -> None:
        """No answer possible yet (the model is loading, or failed to load)."""
        self._state, self._result = "waiting", None
        self._show_number("…", muted=True)
        self._show_status(message, "muted")
        self._bars.set_probabilities(None)
        self._set_fields([None])

    def show_result(self, result: Result | None, in_image: bool = False) -> None:
        """``in_image``: the result is of an opened image, not of the canvas."""
        self._result = result if result is not None and result.digits else None
        self._in_image = in_image
        if self._result is None and result is not None and result.rejected:
            # Ink, but nothing in it is a digit: say so, and show no digit's probabilities.
            self._state = "rejected"
            self._show_number("Not a digit", muted=False, warn=True)
            self._show_status(
                "Nothing in this image looks like a digit."
                if in_image
                else "This does not look like a digit. Draw one of 0–9.",
                "warn",
            )
            self._bars_title.setText("Probabilities")
            self._bars.set_probabilities(None)
            self._set_fields([r.field for r in result.rejected])
            return
        if self._result is None:
            self._state = "empty"
            self._show_number("–", muted=True)
            self._show_status(NOTHING_IN_IMAGE if in_image else EMPTY_HINT, "muted")
            self._bars_title.setText("Probabilities")
            self._bars.set_probabilities(None)
            self._set_fields([None])
            return
        digits = self._result.digits
        threshold = low_confidence()
        unsure = [i for i, d in enumerate(digits) if d.confidence < threshold]
        self._state = "unsure" if unsure else "sure"
        # The least sure digit, sure or not: its probabilities are the ones worth seeing.
        self._selected = min(range(len(digits)), key=lambda i: digits[i].confidence)
        self._show_number(self._result.text, muted=False, warn=bool(unsure))
        status = self._confidence_text(unsure)
        if self._result.rejected:
            left_out = len(self._result.rejected)
            status += (
                f" · {left_out} mark{'s' if left_out > 1 else ''} that "
                f"{'are' if left_out > 1 else 'is'} not a digit left out"
            )
        self._show_status(status, "warn" if unsure else "muted")
        self._set_fields([d.field for d in digits])
        self.select_digit(self._selected)

    def select_digit(self, index: int) -> None:
        if self._result is None or not 0 <= index < len(self._result.digits):
            return
        self._selected = index
        digits = self._result.digits
        digit = digits[index]
        if len(digits) > 1:
            self._bars_title.setText(f"Probabilities · digit {index + 1} of {len(digits)}")
        else:
            self._bars_title.setText("Probabilities")
        self._bars.set_probabilities(digit.probabilities, muted=digit.confidence < low_confidence())
        for i, view in enumerate(self._views):
            view.set_selected(i == index and len(digits) > 1, selectable=len(digits) > 1)
        if len(digits) > 1:
            self._mark_digits()
            if index < len(self._views):  # once the strip is laid out for this result
                QTimer.singleShot(0, lambda: self._show_field(index))
        self.digit_selected.emit(index)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._number
            and event.type() == QEvent.Type.MouseButtonPress
            and self._result is not None
            and len(self._result.digits) > 1
        ):
            index = self.digit_at(event.position().x())
            if index is not None:
                self.select_digit(index)
                return True
        return super().eventFilter(watched, event)

    def digit_at(self, x: float) -> int | None:
        """The digit of the number under x (the label's pixels); None beside the number."""
        if self._result is None:
            return None
        text = self._result.text
        metrics = QFontMetrics(self._number.font())
        left = (self._number.width() - metrics.horizontalAdvance(text)) / 2  # centred
        for k in range(len(text)):
            if x < left + metrics.horizontalAdvance(text[: k + 1]):
                return k if x >= left else None
        return None

    def _show_field(self, index: int) -> None:
        if index == self._selected and index < len(self._views):  # still the one selected
            self._scroll.ensureWidgetVisible(self._views[index], 4, 0)

    def _mark_digits(self) -> None:
        """In the number, the digits the model is not sure of in the warning colour, and
        the selected one (whose probabilities are shown) underlined."""
        assert self._result is not None
        threshold = low_confidence()
        warn, normal = warning_colour(self.palette()), self.palette().windowText().color()
        spans = []
        for i, d in enumerate(self._result.digits):
            colour = warn if d.confidence < threshold else normal
            line = "underline" if i == self._selected else "none"
            spans.append(
                f'<span style="color: {_css(colour)}; text-decoration: {line};">{d.digit}</span>'
            )
        self._number.setText("".join(spans))

    def number_html(self) -> str:
        return self._number.text()

    def text(self) -> str:
        """The recognised number on show; "" when there is none."""
        return self._result.text if self._result is not None else ""

    def state(self) -> str:
        """'empty', 'waiting', 'sure', 'unsure' or 'rejected' (ink, but no digit in it)."""
        return self._state

    def selected_digit(self) -> int:
        return self._selected

    def status_text(self) -> str:
        return self._status.text()

    # --- pieces ------------------------------------------------------------------

    def _confidence_text(self, unsure: list[int]) -> str:
        digits = self._result.digits
        if len(digits) == 1:
            d = digits[0]
            if not unsure:
                return f"{percent(d.confidence)} sure"
            runner_up = sorted(range(10), key=lambda k: float(d.probabilities[k]))[-2]
            return (
                f"Not sure ({percent(d.confidence)}): it could also be a {runner_up}. "
                + self._what_may_help(d)
            )
        if not unsure:
            lowest = min(d.confidence for d in digits)
            if percent(lowest) == "100%":
                return f"{len(digits)} digits · all 100% sure"
            return f"{len(digits)} digits · the least sure at {percent(lowest)}"
        which = ", ".join(str(i + 1) for i in unsure)
        return f"Not sure about digit {which} (of {len(digits)}); click a field to inspect it."

    def _what_may_help(self, digit: Digit) -> str:
        """A hint that fits the case: a small drawing is best drawn larger; a large one
        more plainly; for a picture, a sharper or closer one."""
        if self._in_image:
            return "A sharper or closer picture of it may help."
        height = digit.box[3] - digit.box[1]
        if height < SMALL_DRAWING:
            return "Try drawing it larger."
        return f"Try writing it the way a {digit.digit} usually looks, or correct it below."

    def _number_font(self, points: float, bold: bool = True) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(points)
        font.setBold(bold)
        return font

    def _show_number(self, text: str, muted: bool, warn: bool = False) -> None:
        points = NUMBER_POINTS
        available = max(120, self.width() - 48)
        while (
            points > 16
            and QFontMetrics(self._number_font(points)).horizontalAdvance(text) > available
        ):
            points -= 2
        self._number.setFont(self._number_font(points, bold=not muted))
        self._number.setText(text)
        role = self.palette().placeholderText() if muted else self.palette().windowText()
        colour = warning_colour(self.palette()) if warn else role.color()
        self._number.setStyleSheet(f"color: {_css(colour)};")

    def _show_status(self, text: str, tone: str) -> None:
        self._status.setText(text)
        self._status_tone = tone
        if tone == "warn":
            colour = warning_colour(self.palette())
            tint = QColor(colour)
            tint.setAlpha(38)
            self._status.setStyleSheet(
                f"color: {_css(colour)}; background: {_css(tint)};"
                "border-radius: 6px; padding: 6px 8px;"
            )
        else:
            muted = self.palette().placeholderText().color()
            self._status.setStyleSheet(f"color: {_css(muted)}; padding: 6px 8px;")

    def _set_fields(self, fields: list) -> None:
        while len(self._views) > len(fields):
            view = self._views.pop()
            self._fields_row.removeWidget(view)
            view.deleteLater()
        scale = self._field_scale(len(fields))
        while len(self._views) < len(fields):
            view = FieldView(scale)
            index = len(self._views)
            view.clicked.connect(lambda i=index: self.select_digit(i))
            self._fields_row.insertWidget(1 + index, view)
            self._views.append(view)
        for view, field in zip(self._views, fields):
            view.set_scale(scale)
            view.set_field(field)
            view.set_selected(False, selectable=len(fields) > 1)
        self._fit_strip()
        self._scroll.horizontalScrollBar().setValue(0)  # each result starts at its start

    def _field_scale(self, count: int) -> float:
        """One field large; up to three at half that; more as large as lets them all fit
        the strip's width (at most a third of one alone, at least 28 px: past that, about
        nine, the strip scrolls)."""
        if count <= 3:
            return 6 if count == 1 else 3
        spacing = self._fields_row.spacing()
        room = self._scroll.viewport().width() - (count - 1) * spacing - 4 * count
        return max(1.0, min(2.0, room / (FIELD * count)))

    def _fit_strip(self) -> None:
        if len(self._views) > 3:
            scale = self._field_scale(len(self._views))
            for view in self._views:
                view.set_scale(scale)
        height = self._views[0].sizeHint().height() if self._views else 0
        scrolls = self._fields_box.sizeHint().width() > self._scroll.viewport().width()
        self._scroll.setFixedHeight(height + (16 if scrolls else 2))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._views:
            self._fit_strip()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_status_tone"):
            # Colours chosen from the palette must follow a light/dark switch.
            if self._result is not None:
                self.show_result(self._result, self._in_image)
            elif self._state == "empty":
                self.show_result(None, self._in_image)


def _css(colour: QColor) -> str:
    """A colour for a style sheet, alpha included (a name() would drop it)."""
    return f"rgba({colour.red()}, {colour.green()}, {colour.blue()}, {colour.alpha()})"
