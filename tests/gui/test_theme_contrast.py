"""Every text stays readable in both themes, across a switch at any time: measured on
each label as drawn (WCAG contrast of its text against its background)."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from digitpad.gui import theme

MIN_CONTRAST = 4.5  # WCAG AA for text


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_as_drawn(widget: QWidget) -> float:
    """The contrast of the text as the window draws it (the widget's part of the whole
    window, so that what shows through around the text is the parent's): its background
    is the commonest colour, its text the colour that stands out most from it."""
    top = widget.window()
    area = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    if isinstance(widget, QAbstractButton):
        area = area.adjusted(3, 3, -3, -3)  # inside the frame, which is no background
    image = top.grab(area).toImage()
    colours = Counter(
        image.pixelColor(x, y).getRgb()[:3]
        for y in range(0, image.height())
        for x in range(0, image.width())
    )
    background = colours.most_common(1)[0][0]
    return max(_ratio(background, c) for c in colours)


def unreadable(*windows: QWidget) -> list[str]:
    found = []
    for window in windows:
        for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
            text = widget.text().replace("&", "").strip()
            if not text or not widget.isVisible() or widget.width() < 4 or widget.height() < 4:
                continue
            if not widget.isEnabled():
                continue  # a disabled control may be dimmer (WCAG exempts it)
            ratio = contrast_as_drawn(widget)
            if ratio < MIN_CONTRAST:
                found.append(f"{type(widget).__name__} {text[:40]!r}: {ratio:.1f}")
    return found


@pytest.mark.parametrize(
    "order", [("light", "dark"), ("dark", "light")], ids=["to-dark", "to-light"]
)
def test_text_stays_readable_across_a_theme_switch(window, qapp, qtbot, order, one, idle):
    first, then = order
    try:
        theme.choose(qapp, first)
        one(window.canvas)  # a reading on show: the result panel's texts too
        qtbot.waitUntil(lambda: window.result_panel.text() == "1", timeout=5000)
        idle(window)
        window.show_error("The model is still loading; try again in a moment.")
        window.tools.evaluate()
        view = window.tools.evaluation_view
        qtbot.waitExposed(view)
        window.tools.retrain()
        dialog = window.tools.training_dialog
        qtbot.waitExposed(dialog)
        shown = (window, view, dialog)
        assert unreadable(*shown) == [], f"in {first}, before any switch"
        theme.choose(qapp, then)
        qtbot.wait(50)
        assert unreadable(*shown) == [], f"after switching to {then}"
        window.show_message("Saved.")  # a message shown after the switch
        window.tools.evaluate()  # shown again after the switch
        assert unreadable(*shown) == []
        dialog.close()
    finally:
        theme.choose(qapp, "system")
