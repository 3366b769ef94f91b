"""The work the recognition thread does for the window: plain functions returning values.

A QImage (unlike a QPixmap) may be made outside the GUI thread, so images are
decoded here too and the window only has to show them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QImageIOHandler, QImageReader, QTransform

from digitpad.core.models.ensemble import Recognizer
from digitpad.core.result import Result

# Larger pictures are shown reduced: ample for a window, and it bounds the memory.
DISPLAY_SIZE = 2400


@dataclass(frozen=True)
class ImageOutcome:
    name: str  # what to call it: the file name, or "pasted image"
    result: Result  # boxes in the full, upright (and turned) image's pixels
    image: QImage | None  # for display, possibly reduced; None if Qt cannot decode it
    size: tuple[int, int]  # (width, height) of the full upright (and turned) image
    # What it was read from, kept to read it again turned: the working grey image and
    # the full size as the file has them, and the quarter turns clockwise since.
    grey: np.ndarray | None = field(default=None, repr=False, compare=False)
    full: tuple[int, int] = (1, 1)
    turns: int = 0
    source: QImage | None = field(default=None, repr=False, compare=False)


def recognize_file(
    recognizer: Recognizer, path: str, name: str, delete_after: bool = False
) -> ImageOutcome:
    """Recognise an image file the way `digitpad predict` does, and decode it for display."""
    from digitpad.core.api import recognize_grey
    from digitpad.core.io.images import decode_grey

    try:
        grey, full = decode_grey(path)
        result = recognize_grey(recognizer, grey, full, None)
        image, size = display_image(path)
        pages = _pages(path)
    finally:
        if delete_after:
            Path(path).unlink(missing_ok=True)
    if pages > 1:  # the app shows the first; `digitpad predict` reads them all
        name = f"{name} (page 1 of {pages})"
    if image is None:  # Qt and Pillow cannot show it (a PDF): show what was read
        image, size = _grey_image(grey), full
    return ImageOutcome(name, result, image, size or _result_extent(result), grey, full, 0, image)


def turned(recognizer: Recognizer, outcome: ImageOutcome, turns: int) -> ImageOutcome:
    """The image read as if turned ``turns`` quarter turns clockwise from the file's
    upright (a photo taken sideways), and shown so."""
    from digitpad.core.api import recognize_grey

    if outcome.grey is None:
        raise ValueError("this image cannot be turned: it was not read from pixels")
    turns %= 4
    grey = np.rot90(outcome.grey, -turns)  # clockwise
    width, height = outcome.full
    full = (height, width) if turns % 2 else (width, height)
    result = recognize_grey(recognizer, np.ascontiguousarray(grey), full, None)
    image = outcome.source
    if image is not None and turns:
        image = image.transformed(QTransform().rotate(90 * turns))
    return dataclasses.replace(outcome, result=result, image=image, size=full, turns=turns)


def _pages(path: str) -> int:
    from digitpad.core.io.images import PAGED_SUFFIXES, ImageError, page_count

    try:
        return page_count(path) if Path(path).suffix.lower() in PAGED_SUFFIXES else 1
    except ImageError:
        return 1  # it was read: its first page is all there is to show


def _grey_image(grey: np.ndarray) -> QImage:
    """The working grey image (light = 1) as an 8-bit picture."""
    pixels = np.ascontiguousarray(np.clip(grey * 255 + 0.5, 0, 255).astype(np.uint8))
    h, w = pixels.shape
    return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()  # own pixels


def display_image(path: str) -> tuple[QImage | None, tuple[int, int] | None]:
    """The picture to show, upright and at most DISPLAY_SIZE on its longer side, and
    the (width, height) of the whole upright image (what the result's boxes are in).

    Qt decodes a large JPEG at a reduced scale; where it cannot (a picture over its
    256 MB allocation limit that its decoder cannot reduce, such as a huge PNG),
    Pillow makes the reduced copy. (None, None) when neither can decode it."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation, as the recogniser reads it
    stored = reader.size()
    whole = 4 * stored.width() * stored.height()  # bytes, as Qt would hold it
    if reader.format() != b"jpeg" and whole > QImageReader.allocationLimit() * 2**20:
        return _pillow_image(path)  # only Qt's JPEG decoder can decode at a reduced scale
    if stored.isValid() and max(stored.width(), stored.height()) > DISPLAY_SIZE:
        reader.setScaledSize(
            stored.scaled(DISPLAY_SIZE, DISPLAY_SIZE, Qt.AspectRatioMode.KeepAspectRatio)
        )
    image = reader.read()
    if image.isNull():
        return _pillow_image(path)
    if stored.isValid():
        turned = bool(
            reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90
        )
        size = (stored.height(), stored.width()) if turned else (stored.width(), stored.height())
    else:
        size = (image.width(), image.height())
    if max(image.width(), image.height()) > DISPLAY_SIZE:
        image = image.scaled(
            DISPLAY_SIZE,
            DISPLAY_SIZE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image, size


def _pillow_image(path: str) -> tuple[QImage | None, tuple[int, int] | None]:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as opened:
            width, height = opened.size  # before draft() reduces it
            turned = opened.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            opened.draft("RGB", (DISPLAY_SIZE, DISPLAY_SIZE))
            upright = ImageOps.exif_transpose(opened)
            upright.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE))
            rgb = upright.convert("RGB")
    except Exception:  # whatever Pillow cannot decode is shown as a frame with boxes
        return None, None
    image = QImage(rgb.tobytes(), rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return image.copy(), ((height, width) if turned else (width, height))  # copy: own pixels


def _result_extent(result: Result) -> tuple[int, int]:
    boxes = [d.box for d in result.digits]
    return (max((b[2] for b in boxes), default=1), max((b[3] for b in boxes), default=1))
