"""Image files and arrays -> grey float arrays, safely.

Every failure becomes an ImageError with one plain line: unreadable, truncated or
not an image at all, or so large that decoding it would exhaust memory. Decoding stays
within a memory budget, applies EXIF orientation, composites transparency onto paper
and reduces the image to WORKING_SIZE before any other copy is made. Finding the ink
in the grey levels is page.ink's work.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import BinaryIO, cast

import numpy as np
from PIL import Image, UnidentifiedImageError

from digitpad.core.io import files, pdf

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pdf")
# The kinds of file that may hold more than one page (see page_count).
PAGED_SUFFIXES = (".tif", ".tiff", ".pdf")
# Images are reduced to at most this many pixels on the longer side before any other
# work: ample for digits, and it bounds the time a huge photo can take.
WORKING_SIZE = 1600
# Far above any photo (a 48-megapixel JPEG is about 20 MB), far below a machine's memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
# Pages read from one file (a register scanned whole has a few hundred).
MAX_PAGES = 2000


class ImageError(Exception):
    """An image that cannot be used; the message is one line."""


def decode_grey(
    source: str | os.PathLike | BinaryIO, page: int | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """The decoded image as float32 (H, W) in [0, 1], light = 1, reduced to WORKING_SIZE.

    ``source``: a path or a file opened for binary reading (see io.files: a name
    someone typed is opened there, safely). Also the (width, height) of the full,
    upright image. The first page or frame, or ``page`` (1 for the first) of a PDF
    or a multi-page TIFF (see page_count); EXIF orientation applied; transparency
    composited onto a paper colour. A PDF's page is rendered (io.pdf); its size is
    that of the page at pdf.RESOLUTION.
    """
    if not hasattr(source, "read"):
        try:
            with files.open_regular(source, MAX_FILE_BYTES) as file:
                if os.fstat(file.fileno()).st_size == 0:
                    raise ImageError("empty file")
                return decode_grey(file, page)
        except IsADirectoryError:
            raise ImageError("a folder, not an image file") from None
        except OSError as exc:
            raise ImageError(files.reason(exc)) from None
    path = cast(BinaryIO, source)
    if _is_pdf(path):
        return _pdf_page(path, page or 1)
    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata on stderr; the outcome is what matters.
            warnings.simplefilter("ignore")
            # Pillow only warns between 89 and 179 megapixels; treat it as the error it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                _seek_page(image, page or 1)
                full = image.size
                image.draft("L", (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at reduced size
                _check_budget(image)
                turn = _orientation(image)
                # Reduce first, then turn upright and convert: every copy after the
                # decode is then of the small working image, not of the whole file.
                image = _upright(_reduce(_reducible(image)), turn)
                if turn in _QUARTER_TURNS:
                    full = (full[1], full[0])
                grey = _to_grey(image)
                if grey.mode == "F":
                    pixels = np.asarray(grey, dtype=np.float32)
                else:
                    pixels = np.asarray(grey, dtype=np.float32) / 255.0
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("image too large (decompression-bomb limit)") from None
    except FileNotFoundError:
        raise ImageError(files.NO_FILE) from None
    except IsADirectoryError:
        raise ImageError("a folder, not an image file") from None
    except UnidentifiedImageError:
        raise ImageError("not a supported image file") from None
    except MemoryError:
        raise ImageError("image too large to decode") from None
    except Exception as exc:  # a damaged file can fail anywhere inside Pillow
        raise ImageError(f"cannot read image ({_short(exc)})") from None
    return np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0), full


def page_count(source: str | os.PathLike) -> int:
    """How many pages a file holds: those of a PDF or a multi-page TIFF (a scanner's),
    else 1 (an animation's frames are no pages: its first is read). Raises ImageError
    (one line) for a file that cannot be opened, or one of more than MAX_PAGES pages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with files.open_regular(source, MAX_FILE_BYTES) as file:
                if _is_pdf(file):
                    try:
                        return pdf.page_count(file.read(), MAX_PAGES)
                    except pdf.PdfError as exc:
                        raise ImageError(str(exc)) from None
                return _tiff_pages(file)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not a supported image file") from None
    except OSError as exc:
        raise ImageError(files.reason(exc)) from None
    except Exception as exc:  # a damaged file can fail anywhere inside Pillow
        raise ImageError(f"cannot read image ({_short(exc)})") from None


def _tiff_pages(file: BinaryIO) -> int:
    with Image.open(file) as image:
        if image.format != "TIFF":
            return 1
        count = 1
        while count <= MAX_PAGES:
            try:
                image.seek(count)  # Pillow walks a TIFF's pages in order
            except EOFError:
                return count
            count += 1
    raise ImageError(f"more than {MAX_PAGES:,} pages")


def _is_pdf(file: BinaryIO) -> bool:
    head = file.read(1024)
    file.seek(0)
    return pdf.is_pdf(head)


def _pdf_page(file: BinaryIO, page: int) -> tuple[np.ndarray, tuple[int, int]]:
    try:
        grey, full = pdf.render_page(file.read(), page, WORKING_SIZE, MAX_PAGES)
    except pdf.PdfError as exc:
        raise ImageError(str(exc)) from None
    except MemoryError:
        raise ImageError("PDF too large to read") from None
    return np.clip(np.nan_to_num(grey, nan=0.0), 0.0, 1.0), full


def _seek_page(image: Image.Image, page: int) -> None:
    """To ``page`` (1 for the first); ImageError for one the file does not hold."""
    if page > 1 and image.format != "TIFF":
        raise ImageError(f"no page {page}: only a TIFF holds pages")
    if page > MAX_PAGES:
        raise ImageError(f"no page {page}: at most {MAX_PAGES:,} are read")
    try:
        image.seek(page - 1)
    except EOFError:
        raise ImageError(f"no page {page}: the file holds fewer") from None


def grey_from_array(pixels: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """decode_grey for pixels already in memory: (H, W) grey, (H, W, 3) RGB or (H, W, 4)
    RGBA; uint8 (0-255), bool, or float/other integers (scaled: float in [0, 1] is kept).

    Returns float32 (h, w) in [0, 1], light = 1, reduced to WORKING_SIZE, and the array's
    (width, height) = (W, H). Raises ImageError (one line) for any other shape.
    """
    array = np.asarray(pixels)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageError(f"expected (H, W), (H, W, 3) or (H, W, 4) pixels, got {array.shape}")
    if min(array.shape[:2]) < 1:
        raise ImageError(f"no pixels (shape {array.shape})")
    if array.dtype.kind not in "biuf":  # complex numbers are not grey levels either
        raise ImageError(f"expected numeric pixels, got {array.dtype} of shape {array.shape}")
    height, width = array.shape[:2]
    # The budget of a decoded file (as Pillow would hold these pixels: one byte for grey,
    # four for colour), checked before any copy: an array costs no more than its file.
    need = height * width * (1 if array.ndim == 2 else 4)
    if need > MAX_DECODE_BYTES:
        raise ImageError(
            f"image too large ({width:,} x {height:,} pixels would take {need / 2**20:,.0f} "
            f"MB; at most {MAX_DECODE_BYTES / 2**20:,.0f} MB)"
        )
    with np.errstate(all="ignore"):  # values near float64's limits end as paper, quietly
        return _grey_from_array(array), (width, height)


def _grey_from_array(array: np.ndarray) -> np.ndarray:
    steps = tuple(math.ceil(n / (2 * WORKING_SIZE)) for n in array.shape[:2])
    if max(steps) > 1:  # far more pixels than reading uses: average blocks first
        kind = array.dtype
        array = _block_mean(array, steps)
        if kind.kind == "b":
            array = np.round(array * 255).astype(np.uint8)
        elif kind == np.uint8:
            array = np.round(array).astype(np.uint8)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        values = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max()) if values.size else 0.0
        array = values / top if top > 1.0 else np.clip(values, 0.0, 1.0)
        if array.ndim == 3:  # colour floats: the same luminance weights as Pillow's "L"
            rgb = array[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32)
            alpha = array[:, :, 3] if array.shape[2] == 4 else 1.0
            array = rgb * alpha + (1.0 - alpha)  # transparent: white paper
        image = Image.fromarray(np.ascontiguousarray(array, np.float32), mode="F")
    if array.dtype == np.uint8:
        image = Image.fromarray(np.ascontiguousarray(array))
    grey = _reduce(image)
    if grey.mode == "F":
        values = np.asarray(grey, dtype=np.float32)
    else:
        values = np.asarray(_to_grey(grey), dtype=np.float32) / 255.0
    return np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0)


def _block_mean(array: np.ndarray, steps: tuple[int, int]) -> np.ndarray:
    """float32 means of blocks of steps (rows, columns) (a last partial block dropped),
    converted a band of rows at a time so that no full-size copy is made."""
    sy, sx = steps
    h, w = array.shape[0] // sy, array.shape[1] // sx
    rest = array.shape[2:]
    out = np.empty((h, w, *rest), np.float32)
    rows = max(1, (4 << 20) // max(1, w * sy * sx * math.prod(rest)))  # ~16 MB a band
    for top in range(0, h, rows):
        bottom = min(h, top + rows)
        band = np.asarray(array[top * sy : bottom * sy, : w * sx], np.float32)
        blocks = band.reshape(bottom - top, sy, w, sx, *rest)
        out[top:bottom] = blocks.mean(axis=(1, 3), dtype=np.float64).astype(np.float32)
    return out


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


# What decoding may take: width x height x the bytes Pillow keeps per pixel, with the
# conversion a mode needs before it can be reduced. Well under a desktop's memory; with
# the interpreter and the working copies the process stays under about 600 MB.
MAX_DECODE_BYTES = 400 * 1024 * 1024
# Pillow keeps one byte per pixel for 1, L and P, two for I;16 and four for the rest
# (LA and RGB too); 1, P and I;16 are converted before reducing (one more copy).
_BYTES_PER_PIXEL = {"1": 2, "L": 1, "P": 5, "PA": 8, "I;16": 6, "I;16L": 6, "I;16B": 6, "I;16N": 6}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_QUARTER_TURNS = {5, 6, 7, 8}
# Copies that decoding makes beyond the image itself (measured peaks): resampling an
# image with alpha premultiplies it into a second full copy; the WebP decoder keeps its
# own buffer and hands Pillow another.
_ALPHA_COPIES = 2.0
_FORMAT_COPIES = {"WEBP": 3.5}


def _check_budget(image: Image.Image) -> None:
    w, h = image.size
    need = float(w * h * _BYTES_PER_PIXEL.get(image.mode, 4))
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        need *= _ALPHA_COPIES
    need *= _FORMAT_COPIES.get(image.format or "", 1.0)
    if need > MAX_DECODE_BYTES:
        raise ImageError(
            f"image too large to decode ({w:,} x {h:,} {image.mode} pixels would "
            f"take {need / 2**20:,.0f} MB; at most "
            f"{MAX_DECODE_BYTES / 2**20:,.0f} MB)"
        )


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # damaged EXIF: use the pixels as stored
        return 1


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _reducible(image: Image.Image) -> Image.Image:
    """A mode Pillow can reduce and resize: palettes and 1-bit become grey (or grey and
    alpha), 16-bit becomes 32-bit integers; the others are kept."""
    if image.mode in ("P", "PA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16"):
        return image.convert("I")
    return image


def _reduce(image: Image.Image) -> Image.Image:
    """At most WORKING_SIZE on the longer side, area-averaged."""
    w, h = image.size
    scale = WORKING_SIZE / max(w, h)
    if scale >= 1:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    factor = int(1 / scale) // 2
    if factor >= 2:  # a fast integer reduction first, then an exact resize
        image = image.reduce(factor)
    return image.resize(size, Image.Resampling.BOX)


def _to_grey(image: Image.Image) -> Image.Image:
    """Any mode -> "L" (0-255) or "F" (0-1) grey; transparent areas become paper."""
    mode = image.mode
    if mode in ("F", "I") or mode.startswith("I;16"):
        return _scaled_float(image)
    if mode == "LAB":
        return image.getchannel("L")
    if mode == "HSV":
        return image.getchannel("V")
    if mode in ("CMYK", "YCbCr"):
        image = image.convert("RGB")
    if "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
        return _composite(image)
    return image.convert("L")


def _scaled_float(image: Image.Image) -> Image.Image:
    """16- and 32-bit integer or float pixels -> "F" in [0, 1] (scaled by the top value)."""
    array = np.asarray(image).astype(np.float32)
    finite = np.isfinite(array)
    if not finite.any():
        return Image.new("F", image.size, 0.0)
    values = array[finite]
    low = min(float(values.min()), 0.0)  # keep zero at zero unless values go below it
    high = float(values.max())
    if high <= low:
        return Image.new("F", image.size, 0.0)
    array = np.where(finite, array, low)
    return Image.fromarray(((array - low) / (high - low)).astype(np.float32), mode="F")


def _composite(image: Image.Image) -> Image.Image:
    """Transparent pixels -> paper, so both kinds of transparent image read right.

    Strokes on a transparent sheet (the opaque pixels are a minority: they are the ink)
    go onto a paper that contrasts with them, whatever their colour. A page with
    transparent margins or holes (opaque pixels the majority: they are the paper) has
    its transparent parts filled with the page's own colour.
    """
    rgba = image.convert("RGBA")
    small = rgba.copy()
    small.thumbnail((256, 256))
    alpha = np.asarray(small.getchannel("A"), dtype=np.float32) / 255.0
    if not (alpha > 0.01).any():
        return Image.new("L", image.size, 255)  # nothing drawn at all
    if (alpha > 0.99).all():
        return rgba.convert("L")
    lum = np.asarray(small.convert("L"), dtype=np.float32)
    opaque = alpha > 0.5
    shown = lum[opaque] if opaque.any() else lum[alpha > 0.01]
    level = float(np.median(shown))
    if opaque.mean() < 0.5:
        paper = 255 if level < 128 else 0
    else:
        paper = int(round(level))
    background = Image.new("RGBA", rgba.size, (paper, paper, paper, 255))
    return Image.alpha_composite(background, rgba).convert("L")
