"""Reading files: the one place where a path becomes a Result (CLI, app, bench)."""

from __future__ import annotations

import dataclasses
import math
import os
import stat
from pathlib import Path

from digitpad.core import images
from digitpad.core.drawing import Drawing, DrawingError
from digitpad.core.recognizer import Recognizer, Result, recognize_drawing, recognize_image

# Far above any photo (a 48-megapixel JPEG is about 20 MB), far below a machine's memory.
MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024


def recognize_path(recognizer: Recognizer, path: str, max_digits: int | None = None) -> Result:
    """Recognise one image or drawing file; raises ImageError / DrawingError (one line).

    Only regular files are read: a device, a pipe or a link to one is refused before
    it is opened (reading /dev/zero never ends; a pipe can block forever).
    """
    info = os.stat(path)
    drawing = Path(path).suffix.lower() == ".json"
    error = DrawingError if drawing else images.ImageError
    if not stat.S_ISREG(info.st_mode):
        raise error("not a regular file (a device, a pipe or a link to one)")
    if drawing:
        return recognize_drawing(recognizer, Drawing.load(path), max_digits)
    if info.st_size == 0:
        raise images.ImageError("empty file")
    if info.st_size > MAX_IMAGE_FILE_BYTES:
        raise images.ImageError(
            f"file too large for an image ({info.st_size:,} bytes; at most "
            f"{MAX_IMAGE_FILE_BYTES:,})"
        )
    ink, (width, height) = images.load_grey_sized(path)
    result = recognize_image(recognizer, ink, max_digits)
    if (ink.shape[1], ink.shape[0]) == (width, height):
        return result
    # Boxes are in the reduced working image's pixels: map them back to the file's.
    sx, sy = width / ink.shape[1], height / ink.shape[0]

    def scaled(part):
        x0, y0, x1, y1 = part.box
        return dataclasses.replace(
            part,
            box=(
                max(0, math.floor(x0 * sx)),
                max(0, math.floor(y0 * sy)),
                min(width, math.ceil(x1 * sx)),
                min(height, math.ceil(y1 * sy)),
            ),
        )

    return Result(
        tuple(scaled(d) for d in result.digits),
        tuple(scaled(r) for r in result.rejected),
        tuple(scaled(m) for m in result.marks),
    )
