"""The result panel's states: empty, waiting, sure, not sure, several digits."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core import result as result_module
from digitpad.core.result import Digit, Result
from digitpad.gui.probability_bars import percent
from digitpad.gui.result_panel import ResultPanel, low_confidence


def digit(value: int, confidence: float, runner_up: int = 0) -> Digit:
    probabilities = np.full(10, (1 - confidence) / 9, np.float32)
    probabilities[value] = confidence
    if runner_up != value and confidence < 0.9:
        probabilities[runner_up] += 0.05
        probabilities[(runner_up + 1) % 10 if (runner_up + 1) % 10 != value else 5] -= 0.05
    field = np.zeros((28, 28), np.float32)
    field[4:24, 13:15] = 1
    return Digit(value, confidence, probabilities, (0, 0, 10, 10), field)


@pytest.fixture
def panel(qtbot):
    widget = ResultPanel()
    qtbot.addWidget(widget)
    widget.resize(320, 640)
    widget.show()
    return widget


def test_empty_state(panel):
    panel.show_result(None)
    assert panel.state() == "empty" and panel.text() == ""
    assert "Draw a digit" in panel.status_text()
    panel.show_result(Result(()))
    assert panel.state() == "empty"


def test_waiting_state(panel):
    panel.show_waiting("Loading the model…")
    assert panel.state() == "waiting" and "Loading" in panel.status_text()


def test_a_sure_digit(panel):
    panel.show_result(Result((digit(7, 0.998),)))
    assert panel.state() == "sure" and panel.text() == "7"
    assert "99.8% sure" in panel.status_text()
    assert panel._bars.probabilities()[7] == pytest.approx(0.998, abs=1e-6)


def test_not_sure_below_the_threshold(panel):
    panel.show_result(Result((digit(4, 0.52, runner_up=9),)))
    assert panel.state() == "unsure"
    assert "Not sure" in panel.status_text() and "9" in panel.status_text()


def test_the_threshold_comes_from_core_when_it_has_one(panel, monkeypatch):
    monkeypatch.setattr(result_module, "LOW_CONFIDENCE", 0.999, raising=False)
    assert low_confidence() == 0.999
    panel.show_result(Result((digit(7, 0.998),)))
    assert panel.state() == "unsure"


def test_several_digits_select_the_least_sure_and_switch_on_click(panel, qtbot):
    from PySide6.QtCore import QPoint, Qt

    result = Result((digit(4, 0.99), digit(2, 0.55, runner_up=7), digit(1, 0.97)))
    panel.show_result(result)
    assert panel.text() == "421" and panel.state() == "unsure"
    assert panel.selected_digit() == 1
    assert "digit 2 of 3" in panel._bars_title.text()
    assert len(panel._views) == 3
    spans = panel.number_html().split("</span>")[:3]  # the unsure 2, underlined as selected
    assert ["underline" in x for x in spans] == [False, True, False]
    warn = [x.split("color: ")[1].split(";")[0] for x in spans]
    assert warn[0] == warn[2] != warn[1]
    qtbot.mouseClick(panel._views[2], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert panel.selected_digit() == 2
    assert "underline" in panel.number_html().split("</span>")[2]
    assert panel._bars.probabilities()[1] == pytest.approx(0.97, abs=1e-6)
    panel.show_result(Result((digit(3, 0.999),)))  # back to one: one large field
    assert len(panel._views) == 1


def test_a_sure_number_selects_its_least_sure_digit_too(panel):
    """As the README says: the least sure digit is selected, also when all are sure."""
    panel.show_result(Result((digit(4, 0.99), digit(2, 0.93), digit(1, 0.97))))
    assert panel.state() == "sure" and panel.selected_digit() == 1


def test_bars_describe_themselves_for_screen_readers(panel):
    panel.show_result(Result((digit(7, 0.998),)))
    description = panel._bars.accessibleDescription()
    assert "7: 99.8%" in description and description.count(":") == 10


@pytest.mark.parametrize(
    "p, text",
    [
        (1.0, "100%"),
        (0.99996, "100%"),
        (0.9996, "100%"),
        (0.9994, "99.9%"),
        (0.5, "50.0%"),
        (0.0004, "<0.1%"),
        (0.0, "0%"),
    ],
)
def test_percent(p, text):
    assert percent(p) == text


def test_not_a_digit_is_said_plainly_without_probabilities(panel):
    from digitpad.core.result import Rejected

    field = np.zeros((28, 28), np.float32)
    field[13:15, 4:24] = 1  # a dash
    panel.show_result(Result((), (Rejected((0, 0, 20, 3), field),)))
    assert panel.state() == "rejected" and panel.text() == ""
    assert panel._number.text() == "Not a digit"
    assert "does not look like a digit" in panel.status_text()
    assert panel._bars.probabilities() is None


def test_marks_left_out_of_a_number_are_mentioned(panel):
    from digitpad.core.result import Rejected

    field = np.zeros((28, 28), np.float32)
    panel.show_result(Result((digit(4, 0.99), digit(2, 0.99)), (Rejected((30, 0, 40, 3), field),)))
    assert panel.state() == "sure" and panel.text() == "42"
    assert "1 mark that is not a digit left out" in panel.status_text()


def test_the_not_sure_hint_fits_the_case(panel):
    import dataclasses

    small = digit(4, 0.52, runner_up=9)  # 10 px high
    large = dataclasses.replace(small, box=(20, 20, 220, 320))
    panel.show_result(Result((small,)))
    assert "larger" in panel.status_text()
    panel.show_result(Result((large,)))
    assert "larger" not in panel.status_text() and "correct it" in panel.status_text()
    panel.show_result(Result((large,)), in_image=True)
    assert "picture" in panel.status_text()


def test_a_long_number_shows_its_selected_field(panel, qtbot):
    long = Result(tuple(digit(k % 10, 0.99) for k in range(12)))
    panel.show_result(long)
    bar = panel._scroll.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)  # twelve fields scroll
    assert bar.value() == 0
    visible = panel._scroll.viewport().width() // panel._views[0].width()
    assert visible >= 4  # more than the three and a half that used to fit
    panel.select_digit(11)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)
    panel.show_result(long)  # a new result starts at its start again
    assert bar.value() == 0


def test_a_click_on_a_digit_of_the_number_selects_it(panel, qtbot):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QFontMetrics

    panel.show_result(Result((digit(4, 0.99), digit(2, 0.98), digit(1, 0.97))))
    label = panel._number
    metrics = QFontMetrics(label.font())
    left = (label.width() - metrics.horizontalAdvance("421")) / 2
    last = left + metrics.horizontalAdvance("42") + metrics.horizontalAdvance("1") / 2
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(round(last), 20))
    assert panel.selected_digit() == 2
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(round(left) + 3, 20))
    assert panel.selected_digit() == 0
    assert panel.digit_at(left - 5) is None


def test_the_answer_area_keeps_its_height_from_empty_to_a_result(panel, qtbot):
    """The explanation below does not gain or lose a scrollbar as the answer changes."""
    panel.resize(340, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_result(None)
    qtbot.wait(20)
    empty = panel._status.height()
    panel.show_result(Result((digit(7, 0.998),)))
    qtbot.wait(20)
    assert panel._status.height() == empty


def test_five_digits_fit_the_strip_without_scrolling(panel, qtbot):
    panel.resize(340, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_result(Result(tuple(digit(d, 0.99) for d in (1, 2, 3, 4, 5))))
    qtbot.wait(20)
    viewport = panel._scroll.viewport().width()
    assert panel._fields_box.sizeHint().width() <= viewport
    assert all(v.geometry().right() < viewport for v in panel._views)  # none cut off
    assert panel._views[0].width() >= 28 + 4
