"""Image files -> grey float arrays with ink bright (as MNIST), safely.

Every failure becomes an ImageError with one plain line: unreadable, truncated or
not an image at all, or so large that decoding it would exhaust memory.

After decoding, `ink_from_grey` finds the ink on a scan or a phone photo:

1. paper and polarity: evenly lit paper (a uniform border matching the bulk of the
   image) is one level; otherwise the ink is the heavier tail around a coarse local
   median, whatever the shadows;
2. background: the paper-side percentile of blocks wider than the strokes, smoothed
   and interpolated, and, where a shadow's edge is too sharp for blocks, a
   morphological closing (opening for light ink); divided out for dark ink
   (reflectance), subtracted for light ink. Shadows and gradients go;
3. mask (the mask only decides where ink is): Otsu's threshold on the contrast, never
   below the local noise or a minimum contrast, with hysteresis so faint parts of a
   stroke stay attached; pieces whose contrast fades out at their edge (shading,
   stains) are not ink;
4. cleaning: ruled lines, a page's margin and the borders of boxes (long, thin,
   straight runs within ten degrees of horizontal or vertical that frame the writing
   or run on beyond it), hairlines (long strokes much thinner than the writing's:
   security backgrounds, creases, hand-drawn frames) and specks are dropped; where a
   stroke crosses or rides a rule or a hairline, the stroke is kept;
5. output: the grey contrast within two pixels of the cleaned mask, so anti-aliased
   edges keep their grey levels; paper exactly 0 and ink up to 1.

No ink (a blank or uniform page, faint noise, paper texture, shading alone) gives all
zeros. Everything is NumPy and Pillow; rule removal is in rules.py, the shared raster
tools (filters, connected components on runs) in raster.py.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from digitpad.core import raster
from digitpad.core.page.rules import LINE_ASPECT, remove_rules

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
# Images are reduced to at most this many pixels on the longer side before any other
# work: ample for digits, and it bounds the time a huge photo can take.
WORKING_SIZE = 1600
# Writing never breaks into more horizontal runs than this fraction of all pixels
# (beyond a few thousand); only a fine pattern or texture does, and labelling it would
# be slow.
MAX_RUNS = 0.05
# Paper whose border varies by less than this is evenly lit: one level serves.
EVEN_SPREAD = 0.08
# An image narrower than this (in pixels, after reduction) cannot hold a digit.
MIN_SIDE = 4
# The faintest ink, as a fraction of the paper's brightness, that counts at all: below
# it lie paper texture, JPEG noise and the shading a background estimate leaves.
MIN_CONTRAST = 0.12
# The paper-side percentile of each background block: robust to ink covering up to a
# quarter of a block, and the median of neighbouring blocks copes with the rest.
PAPER_PERCENTILE = 75.0
# Background blocks are at least this fraction of the longer side, and at least this
# many stroke widths, so that a block is never mostly ink.
BLOCK_FRACTION = 1 / 24
BLOCK_STROKES = 2.5
# A component is a speck when its longer side is below this fraction of the image's
# shorter side, or below this fraction of the largest component's longer side.
SPECK_FRACTION = 0.015
SPECK_RELATIVE = 0.12
# The largest piece of ink must reach this fraction of the shorter side to be writing.
DIGIT_FRACTION = 0.03
# A scanner's margin: rows or columns this far from the image's median level over
# this much of their length, at most MARGIN_DEPTH of the image deep.
MARGIN_CONTRAST = 0.45
MARGIN_SOLID = 0.9
MARGIN_EVEN = 0.15
MARGIN_STEP = 0.25  # ... and ending at a sharp step to the paper
MARGIN_DEPTH = 0.2
# A full stop is at least this fraction of the writing's height (smaller is dust).
DOT_RELATIVE = 0.06
# Grey levels are kept this many pixels around the cleaned mask (anti-aliased edges).
EDGE_PIXELS = 2
# Polarity: a tail this many times broader than the other, and this broad for the
# image, is a patch of light, not strokes, when the other covers this share of it.
BROAD_STROKES = 6.0
BROAD_SHARE = 0.1
MIN_STROKE_SHARE = 0.002
MIN_THIN_WIDTH = 3.0  # pixels: thinner is noise and specks, not strokes
# Ink ends abruptly: just outside a component its contrast must fall by at least this
# fraction (shadows and stains fade out instead).
EDGE_DROP = 0.5
# Hairlines (a security background's wavy lines, creases, the sides of a frame):
# strokes narrower than HAIRLINE_SHARE of their piece of writing's stroke width (its
# HAIRLINE_PERCENTILE thickness), or narrower than FAINT_SHARE of it and fainter than
# FAINT of its median contrast (printed backgrounds and creases are light), as long
# as HAIRLINE_LENGTH of the piece's body; pieces thin all through, HAIRLINE_APART as
# long as the largest body; pieces under HAIRLINE_PIECE of the largest are not
# judged; with them go the STUB-sized bits of them left standing. A digit's own thin
# parts (the light top of a 6, a blurred loop) are about half as wide as its body:
# HAIRLINE_SHARE stays well below that.
HAIRLINE_SHARE = 0.35
HAIRLINE_PERCENTILE = 75.0
HAIRLINE_LENGTH = 0.6
STUB = 0.3
HAIRLINE_APART = 1.5
HAIRLINE_PIECE = 0.1
FAINT_SHARE = 0.5
FAINT = 0.5


class ImageError(Exception):
    """An image that cannot be used; the message is one line."""


def load_grey(path: str | os.PathLike) -> np.ndarray:
    """float32 (H, W) in [0, 1] with ink bright and background 0 (see ink_from_grey)."""
    return load_grey_sized(path)[0]


def load_grey_sized(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int]]:
    """load_grey's array, and the (width, height) of the full, upright image.

    The array is reduced to WORKING_SIZE; the size maps its pixels back to the file's.
    """
    grey, full = decode_grey(path)
    with np.errstate(all="ignore"):
        return ink_from_grey(grey), full


def decode_grey(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int]]:
    """The decoded image as float32 (H, W) in [0, 1], light = 1, reduced to WORKING_SIZE.

    Also the (width, height) of the full, upright image. First page or frame only;
    EXIF orientation applied; transparency composited onto a paper colour.
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
                image.seek(0)
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
        raise ImageError("no such file") from None
    except IsADirectoryError:
        raise ImageError("a folder, not an image file") from None
    except UnidentifiedImageError:
        raise ImageError("not a supported image file") from None
    except MemoryError:
        raise ImageError("image too large to decode") from None
    except Exception as exc:  # a damaged file can fail anywhere inside Pillow
        raise ImageError(f"cannot read image ({_short(exc)})") from None
    return np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0), full


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
    if not np.issubdtype(array.dtype, np.number) and array.dtype != bool:
        raise ImageError(f"expected numeric pixels, got {array.dtype} of shape {array.shape}")
    height, width = array.shape[:2]
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
    return np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0), (width, height)


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


# --- From grey levels to ink ----------------------------------------------------------


def ink_from_grey(grey: np.ndarray) -> np.ndarray:
    """Grey float (H, W) in [0, 1], paper of either polarity -> ink, float32 (H, W).

    Ink is bright (up to 1) and everything else exactly 0; all zeros when there is
    no ink. The shape is kept, so boxes found on the result are in grey's pixels.
    """
    g = np.asarray(grey, dtype=np.float32)
    if g.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {g.shape}")
    zeros = np.zeros(g.shape, np.float32)
    if min(g.shape) < MIN_SIDE:
        return zeros
    with np.errstate(all="ignore"):
        g = np.clip(np.nan_to_num(g, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        if float(g.max() - g.min()) < MIN_CONTRAST * 0.5:
            return zeros  # uniform: nothing can be ink
        g = _without_margins(g)
        paper = _even_paper(g)
        if paper is not None:
            dark, contrast = _global_contrast(g, paper)
        else:
            dark, stroke = _polarity(g)
            contrast = _contrast(g, dark, stroke)
        return _ink(contrast)


def _without_margins(g: np.ndarray) -> np.ndarray:
    """A scanner's solid dark (or bright) margin along one side of the image, painted
    over with the paper next to it: it is no ink, and left in place it would spoil the
    paper's estimate around it.

    A margin: the outermost rows or columns on a side, up to MARGIN_DEPTH of the image,
    each of them at least MARGIN_CONTRAST from the image's median level over nearly
    all (MARGIN_SOLID) of its length, even (MARGIN_EVEN between its 10th and 90th
    percentiles), all on one side of it, and ending in a sharp step (MARGIN_STEP) to
    the paper. Writing never covers a whole row or column, paper in a shadow shows the
    ink on it, shading has no step. Only one side may have one: dark all round is a
    table or a frame around the page, which the paper's estimate copes with.
    """
    level = float(np.median(g))
    found = [
        (axis, start, depth)
        for axis in (0, 1)
        for start in (True, False)
        if (depth := _margin_depth(g if axis == 0 else g.T, start, level))
    ]
    if len(found) != 1:
        return g
    axis, start, depth = found[0]
    edges = [g[0], g[-1], g[:, 0], g[:, -1]]
    own = {(0, True): 0, (0, False): 1, (1, True): 2, (1, False): 3}[axis, start]
    sign = np.sign(float(np.median(edges[own])) - level)
    if any(
        sign * (float(np.median(edge)) - level) >= MARGIN_CONTRAST / 2
        for k, edge in enumerate(edges)
        if k != own
    ):
        return g  # another side is dark (bright) too: a table or frame round the page
    out = g.copy()
    lines = out if axis == 0 else out.T  # a view: painting it paints out
    n = lines.shape[0]
    inner = depth + max(2, depth // 2)
    if start:
        lines[:depth] = np.median(lines[depth:inner], axis=0)
    else:
        lines[n - depth :] = np.median(lines[n - inner : n - depth], axis=0)
    return out


def _margin_depth(lines: np.ndarray, start: bool, level: float) -> int:
    """How many rows of ``lines`` from its start (or end) are a margin; 0 for none."""
    n = lines.shape[0]
    order = range(n) if start else range(n - 1, -1, -1)
    depth, sign = 0, 0.0
    for k in order:
        if depth >= MARGIN_DEPTH * n:
            return 0  # too deep for a margin: a dark photo, not a scanner's edge
        row = lines[k]
        far = row - level
        side = (
            -1.0
            if (far <= -MARGIN_CONTRAST).mean() >= MARGIN_SOLID
            else (1.0 if (far >= MARGIN_CONTRAST).mean() >= MARGIN_SOLID else 0.0)
        )
        if side and float(np.percentile(row, 90) - np.percentile(row, 10)) > MARGIN_EVEN:
            side = 0.0  # ink or paper shows through: not a solid margin
        if side == 0.0 or (sign and side != sign):
            break
        sign, depth = side, depth + 1
    if depth == 0 or depth >= n - 1:
        return 0
    last, first = (depth - 1, depth) if start else (n - depth, n - depth - 1)
    if abs(float(np.median(lines[first]) - np.median(lines[last]))) < MARGIN_STEP:
        return 0  # no sharp edge: shading or a shadow, not a scanner's margin
    return depth


def to_ink(grey: np.ndarray) -> np.ndarray:
    """Grey in [0, 1] of either polarity -> ink bright on a background near 0, plainly.

    The border decides the polarity: paper surrounds the digits. The background
    level (the border's median) is subtracted and the rest stretched to [0, 1].
    No cleaning at all; ink_from_grey is the full pipeline that files go through.
    """
    h, w = grey.shape
    margin = max(1, min(h, w) // 20)
    border = np.concatenate(
        [
            grey[:margin].ravel(),
            grey[-margin:].ravel(),
            grey[:, :margin].ravel(),
            grey[:, -margin:].ravel(),
        ]
    )
    background = float(np.median(border))
    ink = grey - background if background < 0.5 else background - grey
    ink = np.clip(ink, 0.0, None)
    top = float(ink.max())
    return (ink / top).astype(np.float32) if top > 0.05 else np.zeros_like(ink, dtype=np.float32)


def _shrink(g: np.ndarray, longest: int) -> tuple[np.ndarray, int]:
    """Box-reduce by an integer factor so the longer side is at most about `longest`."""
    factor = max(1, math.ceil(max(g.shape) / longest))
    if factor == 1:
        return g, 1
    small = Image.fromarray(g, mode="F").reduce(factor)
    return np.asarray(small, dtype=np.float32), factor


def _even_paper(g: np.ndarray) -> float | None:
    """The paper's level when it is evenly lit, else None.

    Evenly lit: the image's border (paper surrounds writing), smoothed against noise,
    is one level up to EVEN_SPREAD, and so is the bulk of the image (its median). Then
    one level serves everywhere, which no local estimate can match where bold writing
    covers most of a small image.
    """
    h, w = g.shape
    margin = max(1, min(h, w) // 20)
    smooth = raster.box3(g) if min(h, w) >= 3 else g
    border = np.concatenate(
        [
            smooth[:margin].ravel(),
            smooth[-margin:].ravel(),
            smooth[:, :margin].ravel(),
            smooth[:, -margin:].ravel(),
        ]
    )
    low, level, high = np.percentile(border, [10, 50, 90])
    if high - low > EVEN_SPREAD:
        return None
    if abs(float(np.median(g)) - level) > EVEN_SPREAD:
        return None
    return float(level)


def _global_contrast(g: np.ndarray, paper: float) -> tuple[bool, np.ndarray]:
    """(ink is darker, contrast) against one paper level; the heavier tail is the ink."""
    sigma = raster.noise(g - paper)
    floor = 3 * sigma + MIN_CONTRAST / 3
    below = float(np.clip(paper - g - floor, 0, None).sum())
    above = float(np.clip(g - paper - floor, 0, None).sum())
    dark = below >= above if below + above > 0 else paper >= 0.5
    if dark:
        return True, (paper - g) / max(paper, 0.05)
    return False, g - paper


def _polarity(g: np.ndarray) -> tuple[bool, float]:
    """(ink is darker than the paper, stroke width in pixels or 0 when unknown).

    Compares how much lies far below and far above a coarse local median (blocks of a
    sixth of the image): the ink is the heavy tail. That median is too coarse for
    the final background but never mistakes a thick stroke for paper.
    """
    small, factor = _shrink(g, 384)
    block = max(1, math.ceil(max(small.shape) / 6))
    medians = raster.median3(raster.block_percentile(small, block, 50.0))
    coarse = raster.upsample(medians, block, small.shape)
    r = small - coarse
    sigma = raster.noise(r)
    floor = 3 * sigma + MIN_CONTRAST / 3
    below = float(np.clip(-r - floor, 0, None).sum())
    above = float(np.clip(r - floor, 0, None).sum())
    if below == above == 0.0:
        dark = float(np.median(g)) >= 0.5
    else:
        dark = below >= above

    def strokes(side: bool) -> tuple[np.ndarray, float]:
        signed = -r if side else r
        mask = signed > max(raster.otsu(signed), floor)
        return mask, raster.stroke_width(mask)

    _, width = strokes(dark)
    # Ink is drawn in strokes: when the heavier tail is a broad patch (the lit side of
    # a sharp shadow, against a median too coarse to follow it) and the other side is
    # strokes of some width and extent (not noise), the strokes are the ink.
    if width >= BROAD_SHARE * min(small.shape):
        mask, thin = strokes(not dark)
        if (
            thin >= MIN_THIN_WIDTH
            and width > BROAD_STROKES * thin
            and mask.mean() >= MIN_STROKE_SHARE
        ):
            dark, width = not dark, thin
    return dark, width * factor


def _contrast(g: np.ndarray, dark: bool, stroke: float) -> np.ndarray:
    """Ink contrast against the local paper: paper near 0, full ink near 1 (or less)."""
    h, w = g.shape
    longest = max(h, w)
    block = max(
        2, math.ceil(longest * BLOCK_FRACTION), math.ceil(min(BLOCK_STROKES * stroke, longest / 6))
    )
    # Percentiles on a reduced copy: at most about 12x12 samples per block is plenty.
    factor = max(1, block // 12)
    small, factor = (
        (g, 1)
        if factor == 1
        else (np.asarray(Image.fromarray(g, mode="F").reduce(factor), dtype=np.float32), factor)
    )
    cells = max(1, round(block / factor))
    q = PAPER_PERCENTILE if dark else 100.0 - PAPER_PERCENTILE
    grid = raster.median3(raster.block_percentile(small, cells, q))
    background = raster.upsample(grid, cells * factor, (h, w))
    # Blocks cannot follow the sharp edge of a shadow; a morphological closing (an
    # opening for light ink) wider than the strokes can, and it never reads past the
    # paper, so the nearer of the two to the pixels is the paper.
    # Large images: at half resolution, taking the paper side of each 2x2 first.
    half = 2 if longest > 800 else 1
    size = max(3, math.ceil(min(BLOCK_STROKES * max(stroke, 1.0), longest / 2) / half) | 1)
    paper, ink = (np.maximum, np.minimum) if dark else (np.minimum, np.maximum)
    smooth = raster.box3(g)
    if half > 1:
        smooth = raster.pool2(smooth, paper)
    # The world goes on past the image's edge: a table around the page, touching the
    # edge, is no hole in the paper to fill.
    pad = size // 2 + 1
    opened = raster.rank_filter(np.pad(smooth, pad, mode="edge"), size, paper)
    closed = raster.rank_filter(opened, size, ink)
    closed = closed[pad:-pad, pad:-pad]
    if half > 1:
        closed = np.repeat(np.repeat(closed, 2, axis=0), 2, axis=1)[:h, :w]
    background = ink(background, closed)
    if dark:
        # Reflectance: ink under a shadow is as dark, relative to its paper, as in light.
        return (background - g) / np.maximum(background, 0.05)
    return g - background


def _ink(contrast: np.ndarray) -> np.ndarray:
    """Normalised contrast -> the cleaned ink array (see the module's steps 3 to 5)."""
    shape = contrast.shape
    zeros = np.zeros(shape, np.float32)
    step = max(1, int(math.sqrt(contrast.size / 250_000)))
    c = contrast - float(np.median(contrast[::step, ::step]))  # the paper's own level is 0
    sigma = raster.noise(c)
    smooth = raster.box3(c) if sigma > 0.02 else c  # noisy: decide on a slightly blurred copy
    # Noise differs across a photo: dividing by a shadow's dim paper amplifies it.
    sigma_s = raster.local_noise(smooth, smooth is not c)
    high = max(raster.otsu(smooth), MIN_CONTRAST)
    low = max(0.5 * high, 0.6 * MIN_CONTRAST)
    strong = smooth > np.maximum(high, 4 * sigma_s)
    if not strong.any():
        return zeros
    min_extent = max(3, SPECK_FRACTION * min(shape))
    weak = smooth > np.maximum(low, 3 * sigma_s)
    runs = np.count_nonzero(weak[:, 1:] & ~weak[:, :-1]) + np.count_nonzero(weak[:, 0])
    if runs > max(MAX_RUNS * weak.size, 20_000):
        return zeros  # a fine pattern or texture all over, not writing
    comps = raster.Components(weak)
    keep = (comps.count_of(strong) > 0) & (comps.extent >= min_extent)
    keep &= _sharp_edged(comps, keep, smooth)
    mask = comps.mask_of(keep)
    if not mask.any():
        return zeros
    mask, removed = remove_rules(
        mask, smooth, weak, speck_fraction=SPECK_FRACTION, min_contrast=MIN_CONTRAST
    )
    mask, hairlines = _without_hairlines(mask, smooth)
    removed |= hairlines
    comps = raster.Components(mask)
    if comps.n == 0:
        return zeros
    extent = comps.extent
    if float(extent.max()) < max(min_extent, DIGIT_FRACTION * min(shape)):
        return zeros  # only specks: noise, dust, a full stop
    mask = comps.mask_of(_not_specks(comps, min_extent))
    if not mask.any():
        return zeros
    floor = np.maximum(2.5 * (raster.local_noise(c, False) if smooth is not c else sigma_s), 0.03)
    peak = max(float(np.percentile(c[mask], 95)), float(np.median(floor[mask])) + MIN_CONTRAST)
    support = raster.dilate(mask, EDGE_PIXELS)
    if removed.any():
        support &= ~raster.dilate(removed, 1) | mask
    ink = np.clip((c - floor) / (peak - floor), 0.0, 1.0)
    ink[~support] = 0.0
    return ink.astype(np.float32)


def _octagon(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by an octagon of radius r (cross and square steps in turn):
    nearly round, so an opening by it treats strokes alike at any slant."""
    out = mask
    for k in range(r):
        if k % 2:
            out = raster.dilate(out, 1)
        else:
            grown = out.copy()
            grown[1:] |= out[:-1]
            grown[:-1] |= out[1:]
            grown[:, 1:] |= out[:, :-1]
            grown[:, :-1] |= out[:, 1:]
            out = grown
    return out


def _without_hairlines(mask: np.ndarray, contrast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask without hairlines, the hairlines taken out).

    Each piece of writing (a connected component, not a speck) is judged by its own
    stroke width, so a digit written thinner than its neighbours is no hairline. On a
    piece, an opening by an octagon a third of that width (half of it, for faint
    parts) keeps the strokes' bodies; what it loses within reach of them is their
    tapering ends and stays, the rest is thin. A thin part is a hairline when it is
    long, at least HAIRLINE_LENGTH of the body (lines run across the page or round a
    digit; a digit's own thin bits are short). A piece thin all through is a hairline
    when it is thin for the piece with the largest body and HAIRLINE_APART as long.
    The small bits a hairline leaves behind (a frame's corners) go with it. Writing
    that is all thin strokes has a thin width and an opening too small to take
    anything: a ballpoint digit keeps every stroke.
    """
    none = np.zeros_like(mask)
    comps = raster.Components(mask)
    if comps.n == 0:
        return mask, none
    labels = comps.label_image(np.ones(comps.n, bool))
    largest = float(comps.extent.max())
    gone = none.copy()
    widths: dict[int, float] = {}
    bodies: dict[int, float] = {}
    for k in np.flatnonzero(comps.extent >= max(8.0, HAIRLINE_PIECE * largest)).tolist():
        x0, y0, x1, y1 = (int(v) for v in comps.box[k])
        own = labels[y0:y1, x0:x1] == k + 1
        widths[k] = width = raster.stroke_width(own, HAIRLINE_PERCENTILE)
        # Room for the octagons to reach out of the piece's box.
        pad = int(max(HAIRLINE_SHARE, FAINT_SHARE) * width) // 2 + 2
        window = (
            slice(max(0, y0 - pad), y1 + pad),
            slice(max(0, x0 - pad), x1 + pad),
        )
        thin, body = _hairlines_in(labels[window] == k + 1, contrast[window], width)
        gone[window] |= thin
        bodies[k] = body
    # Pieces that are hairlines all through, lying apart from the writing: thin for the
    # piece with the largest body and much longer than it.
    main = max(bodies, key=lambda k: bodies[k], default=None)
    if main is not None and bodies[main] > 0:
        usual, body = widths[main], bodies[main]
        for k, width in widths.items():
            if width <= HAIRLINE_SHARE * usual and comps.extent[k] >= HAIRLINE_APART * body:
                gone |= labels == k + 1
    if not gone.any():
        return mask, none
    rest = raster.Components(mask & ~gone)
    if rest.n > 1:
        touched = rest.count_of(raster.dilate(gone, 1)) > 0
        gone |= rest.mask_of(touched & (rest.extent < STUB * float(rest.extent.max())))
    return mask & ~gone, gone


def _hairlines_in(mask: np.ndarray, contrast: np.ndarray, width: float) -> tuple[np.ndarray, float]:
    """(the hairlines, the extent of the largest body) of one piece of writing, on a
    window around it, for its own stroke width."""
    gone, body = np.zeros_like(mask), 0.0
    for share, faint in ((HAIRLINE_SHARE, np.inf), (FAINT_SHARE, FAINT)):
        r = int(share * width) // 2
        if r < 1:
            continue
        core = _octagon(~_octagon(~mask, r), r)
        if not core.any():
            continue
        body = max(body, float(raster.Components(core).extent.max()))
        thin = raster.Components(mask & ~_octagon(core, r + 1))
        if thin.n == 0:
            continue
        long = thin.extent >= HAIRLINE_LENGTH * body
        level = float(np.median(contrast[core]))
        light = thin.sum_of(contrast) / np.maximum(thin.area, 1) < faint * level
        gone |= thin.mask_of(long & light)
    return gone, body


def _not_specks(comps: raster.Components, min_extent: float) -> np.ndarray:
    """Per component: is it writing rather than a speck?

    Large pieces (a quarter of the largest) are writing and mark out where the writing
    is. Smaller ones above SPECK_RELATIVE of the largest stay when they lie close to
    it (a broken stroke, the bar of a 5), not out on their own (dust, a bit of line at
    the image's edge): one of those would stretch the digit's box.
    """
    extent = comps.extent.astype(np.float64)
    largest = float(extent.max())
    # A long thin horizontal sliver is a piece of a rule too faint or short to be
    # found as one, unless it lies by the writing (the bar of a 5 can come loose).
    width = comps.box[:, 2] - comps.box[:, 0]
    height = comps.box[:, 3] - comps.box[:, 1]
    thickness = comps.area / np.maximum(width, 1)  # mean, so noise on its edge is no matter
    sliver = (width >= LINE_ASPECT * thickness) & (height <= 0.25 * width) & (extent < largest)
    big = ((extent >= max(min_extent, 0.25 * largest)) & ~sliver) | (extent >= largest)
    x0, y0 = comps.box[big, :2].min(axis=0)
    x1, y1 = comps.box[big, 2:].max(axis=0)
    reach = 0.25 * largest
    near = (
        (comps.box[:, 0] <= x1 + reach)
        & (comps.box[:, 2] >= x0 - reach)
        & (comps.box[:, 1] <= y1 + reach)
        & (comps.box[:, 3] >= y0 - reach)
    )
    small = (extent >= max(min_extent, SPECK_RELATIVE * largest)) & near
    return big | small | _dots(comps, big, min_extent)


def _dots(comps: raster.Components, big: np.ndarray, min_extent: float) -> np.ndarray:
    """Per component: is it a full stop or a comma's dot written in the line (kept for
    the separators, segment/marks.py)? A filled blob of DOT_RELATIVE of the writing's
    height or more, in the lower half of the line, beside the writing's pieces (not
    inside any of their boxes) and within a digit height of one."""
    box = comps.box.astype(np.float64)
    if not big.any():
        return np.zeros(comps.n, bool)
    top, bottom = np.median(box[big, 1]), np.median(box[big, 3])
    band = max(bottom - top, 1.0)
    w, h = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    cy = (box[:, 1] + box[:, 3]) / 2
    filled = comps.area >= 0.5 * w * h
    sized = (np.maximum(w, h) >= max(min_extent, DOT_RELATIVE * band)) & (
        np.maximum(w, h) <= 0.35 * band
    )
    low = (cy >= top + 0.5 * band) & (cy <= bottom + 0.2 * band)
    b = box[big]
    inside = (
        (box[:, None, 0] >= b[None, :, 0])
        & (box[:, None, 2] <= b[None, :, 2])
        & (box[:, None, 1] >= b[None, :, 1])
        & (box[:, None, 3] <= b[None, :, 3])
    )
    gap = np.maximum(b[None, :, 0] - box[:, None, 2], box[:, None, 0] - b[None, :, 2])
    near = (gap <= band).any(axis=1)
    return filled & sized & low & ~inside.any(axis=1) & near & ~big


def _sharp_edged(comps: raster.Components, keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per component: does the contrast drop sharply just outside it?

    Ink ends at its edge; a shadow, a stain or uneven lighting fades out. Compares the
    mean contrast on each component's own border with that in a ring 2 to 4 pixels
    outside it; ink loses at least EDGE_DROP of it there.
    """
    if not keep.any():
        return np.zeros(comps.n, bool)
    # Only the neighbourhood of the kept components matters: work on their box.
    x0, y0 = comps.box[keep, :2].min(axis=0)
    x1, y1 = comps.box[keep, 2:].max(axis=0)
    h, w = comps.shape
    ys = slice(max(0, y0 - 6), min(h, y1 + 6))
    xs = slice(max(0, x0 - 6), min(w, x1 + 6))
    labels = comps.label_image(keep)[ys, xs]
    values = values[ys, xs]
    mask = labels > 0
    border = mask & raster.dilate(~mask, 1)
    grown = _grow_labels(labels, 4)
    ring = (grown > 0) & ~raster.dilate(mask, 1)
    n = comps.n + 1
    inside = np.bincount(labels[border], weights=values[border], minlength=n)
    inside_n = np.bincount(labels[border], minlength=n)
    outside = np.bincount(grown[ring], weights=values[ring], minlength=n)
    outside_n = np.bincount(grown[ring], minlength=n)
    edge = inside[1:] / np.maximum(inside_n[1:], 1)
    around = np.where(outside_n[1:] > 0, outside[1:] / np.maximum(outside_n[1:], 1), 0.0)
    return keep & (edge > 0) & (edge - around >= EDGE_DROP * edge)


def _grow_labels(labels: np.ndarray, r: int) -> np.ndarray:
    """Each labelled pixel's label spread over a (2r+1) square (larger labels win ties)."""
    out = labels.copy()
    for k in range(1, r + 1):
        np.maximum(out[:, k:], labels[:, :-k], out=out[:, k:])
        np.maximum(out[:, :-k], labels[:, k:], out=out[:, :-k])
    rows = out.copy()
    for k in range(1, r + 1):
        np.maximum(out[k:], rows[:-k], out=out[k:])
        np.maximum(out[:-k], rows[k:], out=out[:-k])
    return out
