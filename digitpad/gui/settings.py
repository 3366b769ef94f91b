"""Where the app keeps its view options (QSettings) and their names in one place."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "DigitPad"
APPLICATION = "DigitPad"

GEOMETRY = "window/geometry"
WINDOW_STATE = "window/state"
SPLITTER = "window/splitter"
BRUSH_WIDTH = "canvas/brush_width"
THEME = "view/theme"  # "system", "light" or "dark"
LAST_DIR = "files/last_dir"
RECENT_FILES = "files/recent"  # the files opened last, newest first
MODEL_PATH = "model/path"  # a user's model; empty or missing: the bundled one
TRAIN_RECIPE = "training/recipe"
TRAIN_EPOCHS = "training/epochs"
TRAIN_BATCH_SIZE = "training/batch_size"
TRAIN_AUGMENT = "training/augment"
TRAIN_SAMPLES = "training/include_samples"
# The last whole run of each recipe on this machine: "minutes epochs", under its name.
TRAIN_LAST_RUN = "training/last_run/"


def open_settings() -> QSettings:
    """The user's settings in QSettings' default format.

    The names are given explicitly (not taken from the running QApplication) so that
    tests and tools that create their own application read and write the same store.
    """
    return QSettings(
        QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def read_int(settings: QSettings, key: str, default: int, low: int, high: int) -> int:
    """An integer setting clamped to [low, high]; the default when missing or garbled."""
    try:
        value = int(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """A yes/no setting (INI files hand it back as text); the default when missing."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
