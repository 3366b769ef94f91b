"""PDF pages -> grey float arrays, as io.images gives for image files.

A scanner's PDF holds one picture per page; a form made on a computer holds vector
lines and text. Either way a page is rendered by PDFium (pypdfium2: Apache-2.0 or
BSD-3-Clause, PDFium's own BSD-3-Clause) in grey on white, at the resolution reading
works at, never above WORKING_SIZE pixels on its longer side. Boxes are given in the
pixels of the page at RESOLUTION dots per inch. Every failure is an ImageError of one
line: not a PDF, damaged, encrypted, too many pages, a page of no size.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

# Boxes are in pixels of the page at this resolution: handwriting is sharp at 200 dpi.
RESOLUTION = 200
POINTS_PER_INCH = 72  # PDF's canvas unit
# A page larger than this (in points, 1/72 inch) on either side is no paper (a poster
# is 3,370 points high); smaller than MIN_POINTS is no page either.
MAX_POINTS = 14_400
MIN_POINTS = 1.0


class PdfError(Exception):
    """Raised as io.images.ImageError by the callers; the message is one line."""


def is_pdf(head: bytes) -> bool:
    """Whether a file's first bytes are a PDF's (readers allow the header a little way in)."""
    return b"%PDF-" in head[:1024]


def page_count(data: bytes, max_pages: int) -> int:
    with _document(data) as document:
        count = len(document)
    if count > max_pages:
        raise PdfError(f"more than {max_pages:,} pages")
    if count < 1:
        raise PdfError("a PDF without pages")
    return count


def render_page(
    data: bytes, page: int, longest: int, max_pages: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """Page ``page`` (1 for the first) in grey, float32 (H, W) in [0, 1], light = 1, at
    most ``longest`` pixels on its longer side; and the page's (width, height) in
    pixels at RESOLUTION."""
    with _document(data) as document:
        count = len(document)
        if count > max_pages:
            raise PdfError(f"more than {max_pages:,} pages")
        if not 1 <= page <= count:
            raise PdfError(f"no page {page}: the file holds {count}")
        try:
            sheet = document[page - 1]
            width, height = sheet.get_size()  # points, as shown (rotation applied)
            if not (MIN_POINTS <= min(width, height) and max(width, height) <= MAX_POINTS):
                raise PdfError(f"page {page} is {width:.0f} x {height:.0f} points: no paper")
            full_scale = RESOLUTION / POINTS_PER_INCH
            scale = min(full_scale, longest / max(width, height))
            bitmap = sheet.render(scale=scale, grayscale=True, fill_color=(255, 255, 255, 255))
            picture = bitmap.to_pil().convert("L")
        except PdfError:
            raise
        except Exception as exc:  # PDFium's own errors, or a page it cannot draw
            raise PdfError(f"cannot render page {page} ({_short(exc)})") from None
    grey = np.asarray(picture, dtype=np.float32) / 255.0
    full = (max(1, round(width * full_scale)), max(1, round(height * full_scale)))
    return grey, full


class _document:
    """A PDFium document for the time of a with-block, closed however it ends."""

    def __init__(self, data: bytes):
        import pypdfium2  # only where a PDF is read: the app starts without it

        try:
            self.document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            found = re.search(
                r"PDFium: ([^)]*)", str(exc)
            )  # "Failed to load document (PDFium: ...)"
            why = found.group(1).strip().rstrip(".").lower() if found else _short(exc)
            if "password" in why:
                raise PdfError("an encrypted PDF: it needs a password") from None
            raise PdfError(f"not a readable PDF ({why})") from None
        except Exception as exc:
            raise PdfError(f"not a readable PDF ({_short(exc)})") from None

    def __enter__(self) -> Any:  # a pypdfium2.PdfDocument
        return self.document

    def __exit__(self, *exc_info: object) -> None:
        self.document.close()


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
