"""Which model the app uses, falling back to the bundled one, and how it is described."""

from __future__ import annotations

from pathlib import Path

from digitpad.core.io import paths
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.keras_file import ModelError


def load_with_fallback(path: str | None) -> tuple[Recognizer, str]:
    """(recognizer, warning): the model at `path`, or the bundled one with a warning.

    Raises ModelError only when the bundled model itself cannot be read.
    """
    warning = ""
    if path:
        try:
            return Recognizer.load(path, repair=True), ""
        except ModelError as exc:
            warning = f"Could not load the chosen model ({exc}); using the bundled model."
    return Recognizer.load(), warning


def is_bundled(recognizer: Recognizer) -> bool:
    try:
        return Path(recognizer.path).resolve() == paths.bundled_model_path().resolve()
    except OSError:
        return False


def model_name(recognizer: Recognizer) -> str:
    if is_bundled(recognizer):
        return "bundled model"
    path = Path(recognizer.path)
    return path.parent.name if path.name == paths.MODEL_FILE else path.name


def test_accuracy(recognizer: Recognizer) -> float | None:
    test = recognizer.meta.get("test") if isinstance(recognizer.meta, dict) else None
    value = test.get("accuracy") if isinstance(test, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def summary(recognizer: Recognizer) -> str:
    """For the status bar: 'Model: bundled model (default) · 3 networks · 99.40% MNIST
    test accuracy'."""
    recipe = recognizer.meta.get("recipe") if isinstance(recognizer.meta, dict) else None
    text = f"Model: {model_name(recognizer)}" + (f" ({recipe})" if recipe else "")
    if len(recognizer.members) > 1:
        text += f" · {len(recognizer.members)} networks"
    accuracy = test_accuracy(recognizer)
    if accuracy is None:
        return text + " · test accuracy unknown"
    return text + f" · {accuracy:.2%} MNIST test accuracy"
