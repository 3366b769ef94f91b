"""Light and dark palettes: the operating system's colour scheme, or the user's choice.

macOS' native style follows the system by itself. Elsewhere, and wherever the user
picks Light or Dark (View > Theme), the app uses Fusion, whose stock palette is light
only, so the dark one is built here and swapped in when the scheme changes.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

CHOICES = ("system", "light", "dark")  # View > Theme
_choice = "system"


def follow_system(app: QApplication, choice: str = "system") -> None:
    """Fusion with a light or dark palette: the system's scheme, or the user's choice."""
    global _choice
    _choice = choice if choice in CHOICES else "system"
    if sys.platform == "darwin" and _choice == "system":
        return
    app.setStyle("Fusion")
    apply(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply(app))


def choose(app: QApplication, choice: str) -> None:
    """The user's View > Theme choice, applied now."""
    global _choice
    if choice not in CHOICES:
        return
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    _choice = choice
    apply(app)


def choice() -> str:
    return _choice


def is_dark(app: QApplication) -> bool:
    if _choice != "system":
        return _choice == "dark"
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication) -> None:
    palette = dark_palette() if is_dark(app) else light_palette(app)
    app.setPalette(palette)
    # A widget with a style sheet keeps the colours it was polished with, even those
    # named palette(...): polish them again, and give toned texts their new colour, so
    # that every text follows the switch.
    for widget in app.allWidgets():
        if widget.property(TONE):
            _paint_tone(widget, palette)
        elif widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())


def light_palette(app: QApplication) -> QPalette:
    """Fusion's light palette, its muted text and its highlight (under white text: a
    selection, a box's caption) dark enough to read (4.5:1 and more)."""
    palette = app.style().standardPalette()
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#5c5f66"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#2470a8"))  # white on it 5.3:1
    return palette


def dark_palette() -> QPalette:
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#25272b",
        role.WindowText: "#e6e6e6",
        role.Base: "#1c1d20",
        role.AlternateBase: "#2c2e33",
        role.ToolTipBase: "#2c2e33",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8c8f96",
        role.Text: "#e6e6e6",
        role.Button: "#303237",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Light: "#3d4046",
        role.Midlight: "#34363b",
        role.Mid: "#4a4d54",
        role.Dark: "#15161a",
        role.Shadow: "#0b0b0d",
        role.Highlight: "#2f6fd6",  # white on it 4.8:1
        role.HighlightedText: "#ffffff",
        role.Link: "#7fb0ff",
        role.LinkVisited: "#b89cff",
    }
    palette = QPalette()
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, colour_role, QColor("#6c6f76"))
    return palette


def warning_colour(palette: QPalette) -> QColor:
    """Amber for "not sure", readable (4.5:1 and more) on the palette's window colour."""
    dark = palette.window().color().lightness() < 128
    return QColor("#f2a33a") if dark else QColor("#8a4b00")


def error_colour(palette: QPalette) -> QColor:
    """Red for errors, readable (4.5:1 and more) on the palette's window colour."""
    dark = palette.window().color().lightness() < 128
    return QColor("#ff8a65") if dark else QColor("#b3261e")


TONE = "digitpadTone"  # a text's colour by meaning: "error" or "warning"; "" for plain


def set_tone(widget: QWidget, tone: str) -> None:
    """Colour a text by its meaning, in the colour of the theme in use now and of any
    theme chosen later."""
    widget.setProperty(TONE, tone)
    if tone:
        _paint_tone(widget, QApplication.palette())
    else:
        widget.setStyleSheet("")


def _paint_tone(widget: QWidget, palette: QPalette) -> None:
    tone = widget.property(TONE)
    colour = error_colour(palette) if tone == "error" else warning_colour(palette)
    widget.setStyleSheet(f"color: {colour.name()};")
