"""The work the recognition thread does for the window: plain functions returning values.

A QImage (unlike a QPixmap) may be made outside the GUI thread, so images are
decoded here too and the window only has to show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QImageReader

from digitpad.core.models.ensemble import Recognizer
from digitpad.core.result import Result

# Larger pictures are shown reduced: ample for a window, and it bounds the memory.
DISPLAY_SIZE = 2400


@dataclass(frozen=True)
class ImageOutcome:
    name: str  # what to call it: the file name, or "pasted image"
    result: Result  # boxes in the full, upright image's pixels
    image: QImage | None  # for display, possibly reduced; None if Qt cannot decode it
    size: tuple[int, int]  # (width, height) of the full upright image


def recognize_file(
    recognizer: Recognizer, path: str, name: str, delete_after: bool = False
) -> ImageOutcome:
    """Recognise an image file the way `digitpad predict` does, and decode it for display."""
    from digitpad.core.api import recognize_path

    try:
        result = recognize_path(recognizer, path, None)
        reader = QImageReader(path)
        reader.setAutoTransform(True)  # EXIF orientation, as the recogniser reads it
        image = reader.read()
    finally:
        if delete_after:
            Path(path).unlink(missing_ok=True)
    if image.isNull():
        return ImageOutcome(name, result, None, _result_extent(result))
    size = (image.width(), image.height())
    if max(size) > DISPLAY_SIZE:
        image = image.scaled(
            DISPLAY_SIZE,
            DISPLAY_SIZE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return ImageOutcome(name, result, image, size)


def _result_extent(result: Result) -> tuple[int, int]:
    boxes = [d.box for d in result.digits]
    return (max((b[2] for b in boxes), default=1), max((b[3] for b in boxes), default=1))
