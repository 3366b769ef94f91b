"""Image files -> grey float arrays with ink bright (as MNIST), safely.

Every failure becomes an ImageError with one plain line: unreadable, truncated or
not an image at all, or so large that decoding it would exhaust memory.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
# Images are reduced to at most this many pixels on the longer side before any other
# work: ample for digits, and it bounds the time a huge photo can take.
WORKING_SIZE = 1600


class ImageError(Exception):
    """An image that cannot be used; the message is one line."""


def load_grey(path: str | os.PathLike) -> np.ndarray:
    """float32 (H, W) in [0, 1] with ink bright and background near 0."""
    return load_grey_sized(path)[0]


def load_grey_sized(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int]]:
    """load_grey's array, and the (width, height) of the full, upright image.

    The array is reduced to WORKING_SIZE; the size maps its pixels back to the file's.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns about damaged metadata on stderr; the outcome is what matters.
            warnings.simplefilter("ignore")
            # Pillow only warns between 89 and 179 megapixels; treat it as the error it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                full = image.size
                image.draft("L", (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at reduced size
                image.seek(0)
                before = image.size
                image = ImageOps.exif_transpose(image)
                if image.size != before:  # rotated by 90 degrees
                    full = (full[1], full[0])
                grey = _to_grey(image)
                grey.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
                pixels = np.asarray(grey, dtype=np.float32)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("image too large (decompression-bomb limit)") from None
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except UnidentifiedImageError:
        raise ImageError("not a supported image file") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"cannot read image ({_short(exc)})") from None
    return to_ink(pixels / 255.0), full


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _to_grey(image: Image.Image) -> Image.Image:
    """Any mode -> 8-bit grey on white; transparent areas become paper."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        return Image.fromarray((array / top * 255).astype(np.uint8), mode="L")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if image.mode in ("P", "PA", "LA") or "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        opaque = alpha > 0.99
        if opaque.all() or not (alpha > 0.01).any():
            return rgba.convert("L")
        # Ink drawn on a transparent background: the alpha channel is the ink, whatever
        # its colour (often black strokes on transparent, which would vanish on black).
        return Image.fromarray((255 * (1 - alpha)).astype(np.uint8), mode="L")
    return image.convert("L")


def to_ink(grey: np.ndarray) -> np.ndarray:
    """Grey in [0, 1] of either polarity -> ink bright on a background near 0.

    The border decides the polarity: paper surrounds the digits. The background
    level (the border's median) is subtracted and the rest stretched to [0, 1].
    """
    h, w = grey.shape
    margin = max(1, min(h, w) // 20)
    border = np.concatenate([grey[:margin].ravel(), grey[-margin:].ravel(),
                             grey[:, :margin].ravel(), grey[:, -margin:].ravel()])
    background = float(np.median(border))
    ink = grey - background if background < 0.5 else background - grey
    ink = np.clip(ink, 0.0, None)
    top = float(ink.max())
    return (ink / top).astype(np.float32) if top > 0.05 else np.zeros_like(ink, dtype=np.float32)
