"""The public API: from a file, an array of pixels or a drawing to a Result.

The one place where an input becomes an answer: `digitpad predict`, the app, the
benches and `digitpad.read` all come here. Qt-free and TensorFlow-free.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.core.io import files, images
from digitpad.core.io.drawing import Drawing, DrawingError
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.graph import GraphError
from digitpad.core.models.sequence import SequenceModelError
from digitpad.core.page.ink import ink_from_grey
from digitpad.core.reading import recognize_drawing, recognize_image
from digitpad.core.result import Result

log = logging.getLogger(__name__)

MAX_IMAGE_FILE_BYTES = images.MAX_FILE_BYTES

Source = str | os.PathLike | np.ndarray | Drawing
#: The files `input_files` lists: the images `images` decodes, and drawings.
SUPPORTED = images.SUFFIXES + (".json",)
NO_FILE = files.NO_FILE  # predict's error for a path that does not exist


def read(
    source: Source,
    model: Recognizer | str | os.PathLike | None = None,
    max_digits: int | None = None,
    page: int | None = None,
) -> Result:
    """Read the digits in ``source``; ``result.text`` is the number, "" when there is none.

    ``source`` is a path to an image (PNG, JPEG, BMP, TIFF, GIF, WebP) or a drawing
    (.json); an array of pixels, as an image file holds them: uint8 (H, W) grey,
    (H, W, 3) RGB or (H, W, 4) RGBA, or floats in [0, 1], paper of either polarity; or
    a Drawing. ``model`` is a loaded Recognizer, the path of a .keras model, or None for
    the bundled model (loaded once, then kept). ``max_digits`` caps the count (1: the
    whole input is one digit). ``page`` (1 for the first) reads that page of a
    multi-page TIFF (see `page_count`, `read_pages`); by default the first.

    The Result holds ``digits`` (each: ``digit``, ``confidence``, ``probabilities``
    float32 (10,), ``box`` (x0, y0, x1, y1) in the input's pixels, end-exclusive),
    ``rejected`` (parts with ink that are not digits) and ``marks`` (".", ",", "-",
    "=" written among the digits); ``to_json()`` is what `digitpad predict --json`
    prints. Raises images.ImageError, DrawingError or ModelError, each one line.
    """
    recognizer = model if isinstance(model, Recognizer) else _recognizer(model)
    if page is not None and not isinstance(source, (str, os.PathLike)):
        raise ValueError("page is a page of an image file")
    if isinstance(source, Drawing):
        return recognize_drawing(recognizer, source, max_digits)
    if isinstance(source, np.ndarray):
        return recognize_pixels(recognizer, source, max_digits)
    return recognize_path(recognizer, os.fspath(source), max_digits, page)


def page_count(path: str | os.PathLike) -> int:
    """How many pages an image file holds: a multi-page TIFF's, else 1 (a drawing: 1).
    Raises images.ImageError (one line) for a file that cannot be opened."""
    if Path(path).suffix.lower() == ".json":
        return 1
    return images.page_count(path)


def read_pages(
    path: str | os.PathLike,
    model: Recognizer | str | os.PathLike | None = None,
    max_digits: int | None = None,
) -> list[Result]:
    """`read` of every page of a file, in order (one for a file of one page). A page
    that cannot be read raises its images.ImageError (naming the page); to go on past
    one, read page by page: ``read(path, page=k)`` for k in 1..``page_count(path)``."""
    recognizer = model if isinstance(model, Recognizer) else _recognizer(model)
    count = page_count(path)
    if count == 1:
        return [read(path, recognizer, max_digits)]
    results = []
    for k in range(1, count + 1):
        try:
            results.append(read(path, recognizer, max_digits, k))
        except images.ImageError as exc:
            raise images.ImageError(f"page {k}: {exc}") from None
    return results


def read_json_line(
    path: str | os.PathLike,
    model: Recognizer | str | os.PathLike | None = None,
    max_digits: int | None = None,
) -> dict:
    """`digitpad predict --json`'s object for one file, never an exception for a bad one.

    ``{"path": path, **read(path).to_json()}``, or ``{"path": path, "error": message}``
    when the file cannot be read (missing, not an image, corrupt), exactly as predict
    prints it. ``model`` as for `read`; a model that does not load still raises
    ModelError, since no input could be read with it.
    """
    path = os.fspath(path)
    recognizer = model if isinstance(model, Recognizer) else _recognizer(model)
    answer = read_or_error(recognizer, path, max_digits) if os.path.exists(path) else NO_FILE
    return json_object(path, answer)


def read_or_error(
    recognizer: Recognizer, path: str, max_digits: int | None = None, page: int | None = None
) -> Result | str:
    """The Result for one file (or one page of it), or why it cannot be read: one line,
    as predict prints it."""
    try:
        with np.errstate(all="ignore"):  # absurd inputs end in an error, not a warning
            return recognize_path(recognizer, path, max_digits, page)
    except (images.ImageError, DrawingError, OSError) as exc:
        problem = str(exc) if not isinstance(exc, OSError) else (exc.strerror or str(exc))
    except (GraphError, SequenceModelError) as exc:  # a damaged install's line model
        problem = f"the line recogniser failed: {exc}"
    except Exception as exc:  # one bad input must not stop the others
        log.debug("unexpected failure on %s", path, exc_info=True)
        problem = f"cannot use this file ({type(exc).__name__}: {exc})"
    return " ".join(problem.split()) or "unreadable"


def json_object(path: str, answer: Result | str, page: int | None = None) -> dict:
    """predict --json's object for ``path`` (and ``"page"`` for a page of a multi-page
    file): its Result, or ``{"error": ...}``."""
    where: dict = {"path": path} if page is None else {"path": path, "page": page}
    if isinstance(answer, str):
        return {**where, "error": answer}
    return {**where, **answer.to_json()}


def input_files(folder: str | os.PathLike) -> list[str]:
    """The files predict reads in ``folder``: supported suffixes, sub-folders included,
    sorted as paths."""
    found = (p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
    return [str(p) for p in sorted(found)]


# Threads that start together (a Dask worker's, a server's) load a model once.
_loading = threading.Lock()


def _recognizer(path: str | os.PathLike | None) -> Recognizer:
    with _loading:
        return _loaded(None if path is None else str(Path(path).resolve()))


@functools.lru_cache(maxsize=4)
def _loaded(path: str | None) -> Recognizer:
    return Recognizer.load(path)


def recognize_path(
    recognizer: Recognizer, path: str, max_digits: int | None = None, page: int | None = None
) -> Result:
    """Recognise one image or drawing file; raises ImageError / DrawingError (one line).

    Only regular files are read: the file is opened without blocking and a device, a
    pipe or a link to one is refused before any byte is read (reading /dev/zero never
    ends; a pipe can block forever).
    """
    drawing = Path(path).suffix.lower() == ".json"
    if drawing:
        return recognize_drawing(recognizer, Drawing.load(path), max_digits)
    return recognize_grey(recognizer, *images.decode_grey(path, page), max_digits)


def recognize_pixels(
    recognizer: Recognizer, pixels: np.ndarray, max_digits: int | None = None
) -> Result:
    """Recognise an image given as its pixels (see `read`); boxes in the array's pixels."""
    return recognize_grey(recognizer, *images.grey_from_array(pixels), max_digits)


def recognize_grey(
    recognizer: Recognizer, grey: np.ndarray, full: tuple[int, int], max_digits: int | None
) -> Result:
    """Recognise a decoded image: ``grey``, the (reduced) working image that
    io.images.decode_grey gives (light = 1), and ``full``, the (width, height) of the
    image it stands for, which the boxes are mapped back to."""
    with np.errstate(all="ignore"):
        ink = ink_from_grey(grey)
    result = recognize_image(recognizer, ink, max_digits, grey)
    width, height = full
    if (ink.shape[1], ink.shape[0]) == (width, height):
        return result
    # Boxes are in the reduced working image's pixels: map them back to the input's.
    sx, sy = width / ink.shape[1], height / ink.shape[0]

    def scaled(part: Any) -> Any:  # a Digit, Rejected or Mark
        x0, y0, x1, y1 = part.box
        box = (
            max(0, math.floor(x0 * sx)),
            max(0, math.floor(y0 * sy)),
            min(width, math.ceil(x1 * sx)),
            min(height, math.ceil(y1 * sy)),
        )
        return dataclasses.replace(part, box=box)

    return Result(
        tuple(scaled(d) for d in result.digits),
        tuple(scaled(r) for r in result.rejected),
        tuple(scaled(m) for m in result.marks),
    )
