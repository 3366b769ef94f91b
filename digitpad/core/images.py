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
   straight runs within six degrees of horizontal or vertical that frame the writing
   or run on beyond it) and specks are dropped; where a stroke crosses or rides a
   rule, the stroke is kept;
5. output: the grey contrast within two pixels of the cleaned mask, so anti-aliased
   edges keep their grey levels; paper exactly 0 and ink up to 1.

No ink (a blank or uniform page, faint noise, paper texture, shading alone) gives all
zeros. Everything is NumPy and Pillow; connected components are labelled on runs.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

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
# Ruled lines and box borders: straight within this slope (about 6 degrees), at least
# this fraction of the image's width (height, for vertical ones) long, and at least
# this many times longer than thick.
LINE_MAX_SLOPE = 0.1
LINE_SPAN = 0.3
LINE_ASPECT = 10.0
LINE_MIN_LENGTH = 40  # pixels: in a digit-sized image every straight stroke is writing
# Gaps up to this fraction of the width are bridged: a faint rule breaks up when
# thresholded.
LINE_GAP = 0.05
# Grey levels are kept this many pixels around the cleaned mask (anti-aliased edges).
EDGE_PIXELS = 2
# Ink ends abruptly: just outside a component its contrast must fall by at least this
# fraction (shadows and stains fade out instead).
EDGE_DROP = 0.5
# At most this many lines each way (graph paper has dozens).
MAX_LINES = 128
# Line detection runs on the mask reduced to about this many pixels on the longer side.
LINE_GRID = 400


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
                before = image.size
                image = _upright(image)
                if image.size != before and image.size == before[::-1]:  # turned 90 degrees
                    full = (full[1], full[0])
                grey = _reduce(_to_grey(image))
                if grey.mode == "F":
                    pixels = np.asarray(grey, dtype=np.float32)
                else:
                    pixels = np.asarray(grey, dtype=np.float32) / 255.0
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


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # damaged EXIF: use the pixels as stored
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
        paper = _even_paper(g)
        if paper is not None:
            dark, contrast = _global_contrast(g, paper)
        else:
            dark, stroke = _polarity(g)
            contrast = _contrast(g, dark, stroke)
        return _ink(contrast)


def to_ink(grey: np.ndarray) -> np.ndarray:
    """Grey in [0, 1] of either polarity -> ink bright on a background near 0, plainly.

    The border decides the polarity: paper surrounds the digits. The background
    level (the border's median) is subtracted and the rest stretched to [0, 1].
    No cleaning at all; ink_from_grey is the full pipeline that files go through.
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
    smooth = _box3(g) if min(h, w) >= 3 else g
    border = np.concatenate([smooth[:margin].ravel(), smooth[-margin:].ravel(),
                             smooth[:, :margin].ravel(), smooth[:, -margin:].ravel()])
    low, level, high = np.percentile(border, [10, 50, 90])
    if high - low > EVEN_SPREAD:
        return None
    if abs(float(np.median(g)) - level) > EVEN_SPREAD:
        return None
    return float(level)


def _global_contrast(g: np.ndarray, paper: float) -> tuple[bool, np.ndarray]:
    """(ink is darker, contrast) against one paper level; the heavier tail is the ink."""
    sigma = _noise(g - paper)
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
    coarse = _upsample(_median3(_block_percentile(small, block, 50.0)), block, small.shape)
    r = small - coarse
    sigma = _noise(r)
    floor = 3 * sigma + MIN_CONTRAST / 3
    below = float(np.clip(-r - floor, 0, None).sum())
    above = float(np.clip(r - floor, 0, None).sum())
    if below == above == 0.0:
        dark = float(np.median(g)) >= 0.5
    else:
        dark = below >= above
    signed = -r if dark else r
    mask = signed > max(_otsu(signed), floor)
    return dark, _stroke_width(mask) * factor


def _contrast(g: np.ndarray, dark: bool, stroke: float) -> np.ndarray:
    """Ink contrast against the local paper: paper near 0, full ink near 1 (or less)."""
    h, w = g.shape
    longest = max(h, w)
    block = max(2, math.ceil(longest * BLOCK_FRACTION),
                math.ceil(min(BLOCK_STROKES * stroke, longest / 6)))
    # Percentiles on a reduced copy: at most about 12x12 samples per block is plenty.
    factor = max(1, block // 12)
    small, factor = (g, 1) if factor == 1 else (
        np.asarray(Image.fromarray(g, mode="F").reduce(factor), dtype=np.float32), factor)
    cells = max(1, round(block / factor))
    q = PAPER_PERCENTILE if dark else 100.0 - PAPER_PERCENTILE
    grid = _median3(_block_percentile(small, cells, q))
    background = _upsample(grid, cells * factor, (h, w))
    # Blocks cannot follow the sharp edge of a shadow; a morphological closing (an
    # opening for light ink) wider than the strokes can, and it never reads past the
    # paper, so the nearer of the two to the pixels is the paper.
    # Large images: at half resolution, taking the paper side of each 2x2 first.
    half = 2 if longest > 800 else 1
    size = max(3, math.ceil(min(BLOCK_STROKES * max(stroke, 1.0), longest / 2) / half) | 1)
    paper, ink = (np.maximum, np.minimum) if dark else (np.minimum, np.maximum)
    smooth = _box3(g)
    if half > 1:
        smooth = _pool2(smooth, paper)
    # The world goes on past the image's edge: a table around the page, touching the
    # edge, is no hole in the paper to fill.
    pad = size // 2 + 1
    closed = _rank_filter(_rank_filter(np.pad(smooth, pad, mode="edge"), size, paper), size, ink)
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
    sigma = _noise(c)
    smooth = _box3(c) if sigma > 0.02 else c  # noisy: decide on a slightly blurred copy
    # Noise differs across a photo: dividing by a shadow's dim paper amplifies it.
    sigma_s = _local_noise(smooth, smooth is not c)
    high = max(_otsu(smooth), MIN_CONTRAST)
    low = max(0.5 * high, 0.6 * MIN_CONTRAST)
    strong = smooth > np.maximum(high, 4 * sigma_s)
    if not strong.any():
        return zeros
    min_extent = max(3, SPECK_FRACTION * min(shape))
    weak = smooth > np.maximum(low, 3 * sigma_s)
    runs = np.count_nonzero(weak[:, 1:] & ~weak[:, :-1]) + np.count_nonzero(weak[:, 0])
    if runs > max(MAX_RUNS * weak.size, 20_000):
        return zeros  # a fine pattern or texture all over, not writing
    comps = Components(weak)
    keep = (comps.count_of(strong) > 0) & (comps.extent >= min_extent)
    keep &= _sharp_edged(comps, keep, smooth)
    mask = comps.mask_of(keep)
    if not mask.any():
        return zeros
    mask, removed = remove_rules(mask, smooth, weak)
    comps = Components(mask)
    if comps.n == 0:
        return zeros
    extent = comps.extent
    if float(extent.max()) < max(min_extent, DIGIT_FRACTION * min(shape)):
        return zeros  # only specks: noise, dust, a full stop
    mask = comps.mask_of(_not_specks(comps, min_extent))
    if not mask.any():
        return zeros
    floor = np.maximum(2.5 * (_local_noise(c, False) if smooth is not c else sigma_s), 0.03)
    peak = max(float(np.percentile(c[mask], 95)), float(np.median(floor[mask])) + MIN_CONTRAST)
    support = _dilate(mask, EDGE_PIXELS)
    if removed.any():
        support &= ~_dilate(removed, 1) | mask
    ink = np.clip((c - floor) / (peak - floor), 0.0, 1.0)
    ink[~support] = 0.0
    return ink.astype(np.float32)


def _not_specks(comps: Components, min_extent: float) -> np.ndarray:
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
    near = ((comps.box[:, 0] <= x1 + reach) & (comps.box[:, 2] >= x0 - reach)
            & (comps.box[:, 1] <= y1 + reach) & (comps.box[:, 3] >= y0 - reach))
    small = (extent >= max(min_extent, SPECK_RELATIVE * largest)) & near
    return big | small


def _sharp_edged(comps: Components, keep: np.ndarray, values: np.ndarray) -> np.ndarray:
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
    border = mask & _dilate(~mask, 1)
    grown = _grow_labels(labels, 4)
    ring = (grown > 0) & ~_dilate(mask, 1)
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


# --- Small tools ----------------------------------------------------------------------

def _local_noise(values: np.ndarray, smoothed: bool) -> np.ndarray:
    """Standard deviation of the noise around each pixel.

    From differences between horizontal neighbours, whose median is the noise's
    whatever the ink (strokes are flat inside; only their edges differ), in blocks of
    about a twelfth of the image, smoothed over neighbouring blocks and interpolated.
    `smoothed`: values went through _box3, which leaves a third of white noise.
    """
    h, w = values.shape
    rows = 2 if h >= 64 else 1  # every other row is plenty
    diff = np.abs(np.diff(values[::rows], axis=1))
    diff = np.pad(diff, ((0, 0), (0, 1)), mode="edge")
    block = max(16, math.ceil(max(h, w) / 12))
    # The lower quartile, so that edges may fill up to three quarters of a block.
    grid = _median3(_block_percentile(diff, (block // rows, block), 25.0))
    # |a - b| of two independent normal values has its lower quartile at 0.4506 sigma;
    # after a 3x3 box the neighbours share two thirds of their samples (correlation
    # 2/3), which puts it at 0.3186 * sqrt(2 / 3) = 0.2601 sigma.
    sigma = _upsample(grid, (block // rows * rows, block), (h, w))
    sigma /= 0.2601 if smoothed else 0.4506
    return np.maximum(sigma, 0.0)


def _noise(values: np.ndarray) -> float:
    """Robust standard deviation (median absolute deviation), from a subsample."""
    step = max(1, int(math.sqrt(values.size / 250_000)))
    sample = values[::step, ::step]
    return 1.4826 * float(np.median(np.abs(sample - np.median(sample))))


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of the positive part of values, on 256 bins over [0, 1]."""
    v = np.clip(values, 0.0, 1.0)
    step = max(1, int(math.sqrt(v.size / 1_000_000)))
    bins = (v[::step, ::step] * 255).astype(np.int64).ravel()
    hist = np.bincount(bins, minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    w0, w1 = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * w0 / total - mass) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1
    return (int(np.argmax(between)) + 1) / 255.0


def _block_percentile(g: np.ndarray, block: int | tuple[int, int], q: float) -> np.ndarray:
    """The q-th percentile of each tile of block (or (rows, columns)) pixels, edges
    padded by repetition."""
    by, bx = (block, block) if isinstance(block, int) else block
    h, w = g.shape
    gh, gw = math.ceil(h / by), math.ceil(w / bx)
    padded = np.pad(g, ((0, gh * by - h), (0, gw * bx - w)), mode="edge")
    tiles = padded.reshape(gh, by, gw, bx).transpose(0, 2, 1, 3).reshape(gh, gw, -1)
    return np.percentile(tiles, q, axis=2).astype(np.float32)


def _median3(grid: np.ndarray) -> np.ndarray:
    padded = np.pad(grid, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    return np.median(windows.reshape(*grid.shape, 9), axis=2).astype(np.float32)


def _upsample(grid: np.ndarray, block: int | tuple[int, int],
              shape: tuple[int, int]) -> np.ndarray:
    """Bilinear from block centres to every pixel of `shape`, extended linearly at the
    edges (clamping there would flatten a gradient over the outer half block)."""
    by, bx = (block, block) if isinstance(block, int) else block
    rows = _interpolate(grid.astype(np.float32), by, shape[0], axis=0)
    return _interpolate(rows, bx, shape[1], axis=1)


def _interpolate(grid: np.ndarray, block: int, size: int, axis: int) -> np.ndarray:
    n = grid.shape[axis]
    if n == 1:
        return np.repeat(grid, size, axis=axis)
    u = (np.arange(size, dtype=np.float32) + 0.5) / block - 0.5
    i0 = np.clip(np.floor(u).astype(np.int64), 0, n - 2)
    t = u - i0
    a, b = np.take(grid, i0, axis=axis), np.take(grid, i0 + 1, axis=axis)
    t = t[:, None] if axis == 0 else t[None, :]
    return (a + (b - a) * t).astype(np.float32)


def _rank_filter(a: np.ndarray, size: int, op) -> np.ndarray:
    """Sliding max (op=np.maximum) or min over a size x size square, edges repeated."""
    return _rank_1d(_rank_1d(a, size, op, 0), size, op, 1)


def _rank_1d(a: np.ndarray, size: int, op, axis: int) -> np.ndarray:
    """van Herk / Gil-Werman: prefix and suffix extremes within blocks of `size`, so
    the cost does not grow with the window."""
    if size <= 1:
        return a
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    half = size // 2
    total = math.ceil((n + 2 * half) / size) * size
    padded = np.concatenate([np.repeat(a[:1], half, axis=0), a,
                             np.repeat(a[-1:], total - n - half, axis=0)])
    blocks = padded.reshape(total // size, size, *a.shape[1:])
    prefix = op.accumulate(blocks, axis=1).reshape(padded.shape)
    suffix = op.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(padded.shape)
    # Window [i, i + size) spans at most two blocks: the suffix of the first, the
    # prefix of the second.
    out = op(suffix[:n], prefix[size - 1: size - 1 + n])
    return np.moveaxis(out, 0, axis)


def _pool2(a: np.ndarray, op) -> np.ndarray:
    """2x2 max or min pooling (odd edges repeated)."""
    h, w = a.shape
    a = np.pad(a, ((0, h % 2), (0, w % 2)), mode="edge")
    return op(op(a[0::2, 0::2], a[0::2, 1::2]), op(a[1::2, 0::2], a[1::2, 1::2]))


def _box3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="edge")
    rows = p[:-2] + p[1:-1] + p[2:]
    return (rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]) / 9.0


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) square, separably."""
    out = mask.copy()
    for k in range(1, r + 1):
        out[:, k:] |= mask[:, :-k]
        out[:, :-k] |= mask[:, k:]
    rows = out.copy()
    for k in range(1, r + 1):
        out[k:] |= rows[:-k]
        out[:-k] |= rows[k:]
    return out


def _stroke_width(mask: np.ndarray) -> float:
    """The width of the thicker strokes (0 for an empty mask).

    Each pixel's thickness is the shorter of its horizontal and vertical runs; a high
    percentile of it, so that thin ruled lines or a few thin strokes do not hide the
    thick ones the background must be wider than.
    """
    if not mask.any():
        return 0.0
    rows, starts, ends = _runs(mask)
    across = _paint_runs(mask.shape, rows, starts, ends, ends - starts)
    rows, starts, ends = _runs(mask.T)
    down = _paint_runs(mask.T.shape, rows, starts, ends, ends - starts).T
    thickness = np.minimum(across, down)[mask]
    return float(np.percentile(thickness, 90))


# --- Connected components -------------------------------------------------------------

class Components:
    """8-connected components of a boolean mask, labelled on horizontal runs.

    Runs of neighbouring rows that touch are joined by repeated hooking of roots and
    pointer jumping, all in NumPy; a mask of a million pixels takes milliseconds.
    """

    def __init__(self, mask: np.ndarray):
        self.shape = mask.shape
        h, w = mask.shape
        self.rows, self.starts, self.ends = _runs(mask)
        n_runs = len(self.rows)
        if n_runs == 0:
            self.n = 0
            self.label = np.zeros(0, np.int64)
            self.extent = np.zeros(0, np.int64)
            self.area = np.zeros(0)
            self.box = np.zeros((0, 4), np.int64)
            return
        width = w + 2
        start_key = self.rows * width + self.starts
        end_key = self.rows * width + self.ends
        # Runs in the next row that touch run i, diagonals included, are a slice.
        lo = np.searchsorted(end_key, (self.rows + 1) * width + self.starts, side="left")
        hi = np.searchsorted(start_key, (self.rows + 1) * width + self.ends, side="right")
        count = np.maximum(hi - lo, 0)
        a = np.repeat(np.arange(n_runs), count)
        first = np.cumsum(count) - count
        b = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(first, count)
        roots = _union(n_runs, a, b)
        _, self.label = np.unique(roots, return_inverse=True)
        self.n = int(self.label.max()) + 1
        y0 = np.full(self.n, h, np.int64)
        y1 = np.zeros(self.n, np.int64)
        x0 = np.full(self.n, w, np.int64)
        x1 = np.zeros(self.n, np.int64)
        np.minimum.at(y0, self.label, self.rows)
        np.maximum.at(y1, self.label, self.rows + 1)
        np.minimum.at(x0, self.label, self.starts)
        np.maximum.at(x1, self.label, self.ends)
        self.box = np.stack([x0, y0, x1, y1], axis=1)
        self.extent = np.maximum(x1 - x0, y1 - y0)
        self.area = np.bincount(self.label, weights=self.ends - self.starts, minlength=self.n)

    def count_of(self, pixels: np.ndarray) -> np.ndarray:
        """How many True pixels of `pixels` (same shape) each component holds."""
        if self.n == 0:
            return np.zeros(0, np.int64)
        flat = pixels.ravel().astype(np.int64)
        w = self.shape[1]
        cum = np.concatenate([[0], np.cumsum(flat)])
        base = self.rows * w
        per_run = cum[base + self.ends] - cum[base + self.starts]
        return np.bincount(self.label, weights=per_run, minlength=self.n).astype(np.int64)

    def mask_of(self, keep: np.ndarray) -> np.ndarray:
        """The mask of the components where keep (bool, one per component) is True."""
        return self.label_image(keep) > 0

    def label_image(self, keep: np.ndarray) -> np.ndarray:
        """int (H, W): component number + 1 on the kept components' pixels, else 0."""
        h, w = self.shape
        if self.n == 0:
            return np.zeros(self.shape, np.int64)
        chosen = keep[self.label]
        return _paint_runs(self.shape, self.rows[chosen], self.starts[chosen],
                           self.ends[chosen], self.label[chosen] + 1)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, starts, ends) of the horizontal runs of True, ends exclusive, row-major."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    return rows, starts, ends


def _paint_runs(shape: tuple[int, int], rows: np.ndarray, starts: np.ndarray,
                ends: np.ndarray, values: np.ndarray) -> np.ndarray:
    """int (H, W): each run's value over its pixels, 0 elsewhere (runs never overlap)."""
    out = np.zeros(shape, np.int64)
    lengths = ends - starts
    total = int(lengths.sum())
    if total:
        first = rows * shape[1] + starts
        offsets = np.cumsum(lengths) - lengths
        flat = np.repeat(first - offsets, lengths) + np.arange(total)
        out.ravel()[flat] = np.repeat(values, lengths)
    return out


def _union(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root (smallest member) of each of n nodes, given edges a-b."""
    parent = np.arange(n)
    while a.size:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            break
        a, b, pa, pb = a[differ], b[differ], pa[differ], pb[differ]
        # Every root points to a smaller one, so no cycle can form.
        parent[np.maximum(pa, pb)] = np.minimum(pa, pb)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return parent


# --- Ruled lines and box borders ------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A straight, thin, nearly horizontal run of the mask (in that mask's coordinates).

    Centre row y = slope * x + offset for x in [x0, x1); `thickness` in pixels.
    """

    x0: int
    x1: int
    slope: float
    offset: float
    thickness: float

    def y_at(self, x: float) -> float:
        return self.slope * x + self.offset

    @property
    def half_width(self) -> float:
        return self.thickness / 2 + 1.5

    def band(self, height: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the pixels within half_width of the centre line, over the
        line's extent, in a mask of that height."""
        xs = np.arange(self.x0, self.x1)
        rows, cols = [], []
        for ys, ok in _rows_near(self.y_at(xs), -self.half_width, self.half_width, height):
            rows.append(ys[ok])
            cols.append(xs[ok])
        return np.concatenate(rows), np.concatenate(cols)


def _rows_near(centre: np.ndarray, lo: float, hi: float, height: int):
    """(rows, valid) per step: for each column, the whole rows y with
    lo <= y - centre <= hi, one row per step (rounding alone would skip rows)."""
    base = np.floor(centre).astype(np.int64)
    for k in range(math.floor(lo) - 1, math.ceil(hi) + 2):
        ys = base + k
        offset = ys - centre
        yield ys, (offset >= lo) & (offset <= hi) & (ys >= 0) & (ys < height)


def find_lines(mask: np.ndarray) -> list[Line]:
    """Nearly horizontal straight thin lines in a boolean mask (transpose for vertical).

    A coarse search on the mask reduced to LINE_GRID: shear it for each slope and
    count the columns covered within a three-row band; bands that cover LINE_SPAN of
    the width are lines, longest first. Each is then measured on the full mask.
    """
    h, w = mask.shape
    factor = max(1, math.ceil(max(h, w) / LINE_GRID))
    small = _any_pool(mask, factor)
    sh, sw = small.shape
    span = LINE_SPAN * sw
    if sw < 3 or int(small.any(axis=0).sum()) < span:
        return []
    ys, xs = np.nonzero(small)
    step = 1.0 / max(span, 1.0)
    slopes = step * np.arange(-int(LINE_MAX_SLOPE / step), int(LINE_MAX_SLOPE / step) + 1)
    pad = math.ceil(LINE_MAX_SLOPE * sw) + 2
    cover = np.zeros((len(slopes), sh + 2 * pad), np.int64)
    exact = np.zeros_like(cover)
    for k, slope in enumerate(slopes):
        rows = ys - np.round(xs * slope).astype(np.int64) + pad
        sheared = np.zeros((sh + 2 * pad, sw), bool)
        sheared[rows, xs] = True
        band = sheared.copy()
        band[1:] |= sheared[:-1]
        band[:-1] |= sheared[1:]
        cover[k] = band.sum(axis=1)
        exact[k] = sheared.sum(axis=1)
    # A line shows up at its own slope and, weaker, at neighbouring ones: keep the best
    # slope for each row, then the rows where that peaks. A thick line covers the band
    # at several slopes; the single row it fills best breaks the tie.
    which = (cover * (sw + 1) + exact).argmax(axis=0)
    best = cover[which, np.arange(cover.shape[1])]
    peaks = np.flatnonzero((best >= span) & (best >= np.roll(best, 1))
                           & (best >= np.roll(best, -1)))
    found = sorted(((int(best[r]), float(slopes[which[r]]), int(r) - pad) for r in peaks),
                   key=lambda item: -item[0])
    work = small.copy()
    lines: list[Line] = []
    cols = np.arange(sw)
    for _, slope, row in found:
        centre = row + np.round(cols * slope).astype(np.int64)
        covered = np.zeros(sw, bool)
        for dy in (-1, 0, 1):
            yy = centre + dy
            ok = (yy >= 0) & (yy < sh)
            covered[ok] |= work[yy[ok], cols[ok]]
        start, end = _longest_run(covered, gap=max(2, round(LINE_GAP * sw)))
        if end - start < span:
            continue
        line = _measure_line(mask, factor, slope, row, start, end)
        if line is None or any(_same(line, other) for other in lines):
            continue
        lines.append(line)
        for dy in (-2, -1, 0, 1, 2):
            yy = centre[start:end] + dy
            ok = (yy >= 0) & (yy < sh)
            work[yy[ok], cols[start:end][ok]] = False
        if len(lines) >= MAX_LINES:
            break
    return lines


def _same(a: Line, b: Line) -> bool:
    """Whether two finds are one line (found again at a neighbouring slope)."""
    lo, hi = max(a.x0, b.x0), min(a.x1, b.x1)
    if hi <= lo:
        return False
    middle = (lo + hi) / 2
    return abs(a.y_at(middle) - b.y_at(middle)) <= max(a.half_width, b.half_width)


def _any_pool(mask: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return mask.copy()
    h, w = mask.shape
    gh, gw = math.ceil(h / factor), math.ceil(w / factor)
    padded = np.zeros((gh * factor, gw * factor), bool)
    padded[:h, :w] = mask
    return padded.reshape(gh, factor, gw, factor).any(axis=(1, 3))


def _longest_run(flags: np.ndarray, gap: int) -> tuple[int, int]:
    """[start, end) of the longest run of True, bridging gaps of up to `gap` False."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return 0, 0
    breaks = np.flatnonzero(np.diff(idx) > gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])


def _measure_line(mask: np.ndarray, factor: int, slope: float, row: int,
                  start: int, end: int) -> Line | None:
    """Fit a coarse find on the full mask: centre line, thickness, extent; or None.

    None when it is not thin and straight: most columns must show a short run of ink
    close to one straight line (a stroke that crosses it spoils only a few columns).
    """
    h, w = mask.shape
    xs = np.arange(start * factor, min(end * factor, w))
    if xs.size < 2:
        return None
    guess = row * factor + (factor - 1) / 2 + slope * xs
    reach = 2 * factor + 2
    dys = np.arange(-reach, reach + 1)
    ys = np.round(guess).astype(np.int64)[None, :] + dys[:, None]
    inside = (ys >= 0) & (ys < h)
    ink = mask[np.clip(ys, 0, h - 1), xs[None, :]] & inside
    count = ink.sum(axis=0)
    present = count > 0
    if present.mean() < 0.6:
        return None
    thickness = float(np.median(count[present]))
    clean = present & (count <= 1.5 * thickness + 1) & ~ink[0] & ~ink[-1]
    if clean.sum() < max(2, 0.5 * xs.size):
        return None
    centres = (ink * ys).sum(axis=0)[clean] / count[clean]
    x_clean = xs[clean].astype(np.float64)
    fit = np.polyfit(x_clean, centres, 1)
    residual = np.abs(np.polyval(fit, x_clean) - centres)
    close = residual <= max(1.0, thickness / 2)
    if close.mean() < 0.8:
        return None
    fit = np.polyfit(x_clean[close], centres[close], 1)
    thickness = float(np.median(count[clean][close]))
    if abs(fit[0]) > LINE_MAX_SLOPE * 1.5:
        return None
    # The extent, on the full mask: columns with ink on the fitted centre line.
    centre = np.polyval(fit, np.arange(w))
    half = thickness / 2 + 1
    all_x = np.arange(w)
    on = np.zeros(w, bool)
    for yy, ok in _rows_near(centre, -half, half, h):
        on[ok] |= mask[yy[ok], all_x[ok]]
    x0, x1 = _longest_run(on, gap=max(3, 2 * factor, round(LINE_GAP * w)))
    length = x1 - x0
    if length < max(LINE_SPAN * w, LINE_MIN_LENGTH, LINE_ASPECT * max(thickness, 1.0)):
        return None
    if on[x0:x1].mean() < 0.6:
        return None  # more gap than line
    return Line(x0, x1, float(fit[0]), float(fit[1]), thickness)


def remove_rules(mask: np.ndarray, values: np.ndarray | None = None,
                 search: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Drop ruled lines and box borders from a boolean ink mask.

    Returns (cleaned mask, removed pixels). A long straight thin line is a rule when
    it is the side of a box or grid (a vertical line whose two ends meet horizontal
    lines, and those horizontal lines), or when it stands apart from the rest of the
    ink (see _apart). Where only lines are left, horizontal ones go and a single
    vertical one stays (it may be a 1). Where a stroke crosses a rule, the crossing
    is kept, and so are a touching stroke's pixels when `values` (the contrast) shows
    the writing clearly darker than the rules. A ruled line goes across the whole
    image, a box's side only to its ends.

    `search`, a mask holding `mask` and fainter ink besides, is where lines are looked
    for: a rule is often only partly in the ink mask (the part that touches writing)
    and its full length tells it from writing.
    """
    h, w = mask.shape
    search = mask if search is None else search
    horizontal = find_lines(search)
    vertical = find_lines(search.T)
    nothing = np.zeros_like(mask)
    if not horizontal and not vertical:
        return mask, nothing
    near = np.zeros_like(mask)
    for line in horizontal:
        ys, xs = line.band(h)
        near[ys, xs] = True
    for line in vertical:
        xs, ys = line.band(w)
        near[ys, xs] = True
    # The rest of the ink: what is left away from every line, less specks and bits of
    # lines too short to be found (where a tilted rule leaves the image, say).
    rest = mask & ~_dilate(near, 2)
    comps = Components(rest)
    if comps.n:
        size = comps.box[:, 2:] - comps.box[:, :2]
        finest = max(line.thickness for line in horizontal + vertical)
        thin = (size.max(axis=1) >= LINE_ASPECT * size.min(axis=1)) | (
            (size.max(axis=1) >= 4 * size.min(axis=1)) & (size.min(axis=1) <= 2 * finest + 1))
        big = comps.extent >= max(3, SPECK_FRACTION * min(h, w), 0.25 * comps.extent.max())
        rest = comps.mask_of(~thin & big)

    tol = max(3.0, 0.02 * min(h, w),
              2 * max(line.thickness for line in horizontal + vertical))
    sides_v = [_meets_at_both_ends(v, horizontal, tol) for v in vertical]
    sides_h = [any(s and _touches(v, hline, tol) for v, s in zip(vertical, sides_v))
               for hline in horizontal]

    sides_h_lines = [line for line, side in zip(horizontal, sides_h) if side]
    sides_v_lines = [line for line, side in zip(vertical, sides_v) if side]
    rules_h = [line for line, side in zip(horizontal, sides_h)
               if side or _apart(line, rest)]
    if rest.any():
        rules_v = [line for line, side in zip(vertical, sides_v)
                   if side or _apart(line, rest.T)]
    else:
        rules_v = [line for line, side in zip(vertical, sides_v)
                   if side or _margin(line, vertical, h, w, bool(horizontal))]
    # How dark the writing is against the rules: where clearly darker, a stroke's
    # pixels on a rule can be told from the rule's.
    split = np.inf
    if values is not None and rest.any() and (rules_h or rules_v):
        on_rules = np.zeros_like(mask)
        for line in rules_h:
            ys, xs = line.band(h)
            on_rules[ys, xs] = True
        for line in rules_v:
            xs, ys = line.band(w)
            on_rules[ys, xs] = True
        on_rules &= mask & ~rest
        if on_rules.any():
            writing = float(np.median(values[rest]))
            ruling = float(np.median(values[on_rules]))
            if writing - ruling > MIN_CONTRAST:
                split = (writing + ruling) / 2
    removed = np.zeros_like(mask)
    for line in rules_h:
        ys, xs = _line_pixels(mask, _across(line, w, line in sides_h_lines), values, split)
        removed[ys, xs] = True
    for line in rules_v:
        xs, ys = _line_pixels(mask.T, _across(line, h, line in sides_v_lines),
                              None if values is None else values.T, split)
        removed[ys, xs] = True
    return mask & ~removed, removed


def _margin(line: Line, vertical: list[Line], h: int, w: int, ruled: bool) -> bool:
    """With nothing but lines, whether a vertical one is a page's margin or one of a
    set of columns rather than a 1 (or the two sides of a narrow 0 or 8): it spans the
    page among ruled lines, or others stand well apart from it."""
    if ruled and line.x1 - line.x0 >= 0.9 * h:
        return True
    middle = (line.x0 + line.x1) / 2
    return any(abs(other.y_at(middle) - line.y_at(middle)) >= 0.3 * w
               for other in vertical if other is not line)


def _apart(line: Line, rest: np.ndarray) -> bool:
    """Whether a line that is no box's side stands apart from the rest of the ink.

    Apart: nothing else at all (no digit is a lone horizontal line); or it passes
    clear of the rest, above or below it; or it runs well beyond the rest at both
    ends, where an end cut off by the top or bottom of the image (a tilted rule)
    counts as beyond. The bar of a 7 or a 4 and the top of a 5 are none of these.
    """
    height = rest.shape[0]
    rows, cols = np.flatnonzero(rest.any(axis=1)), np.flatnonzero(rest.any(axis=0))
    if rows.size == 0:
        return True
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    gap = max(2 * (line.half_width + 2), 0.1 * (bottom - top))
    ys = line.y_at(np.array([line.x0, line.x1 - 1], dtype=np.float64))
    if ys.max() < top - gap or ys.min() > bottom + gap:
        return True
    # The zones around lines cut the ends of strokes meeting them, and the bar of a 7
    # runs just past the rest of the digit: "well beyond" has a margin.
    margin = max(4 * line.half_width, 0.1 * (line.x1 - line.x0))

    # A tilted rule leaves the image through its top or bottom. Not in a tight crop,
    # though, where the writing fills the image and its own strokes reach the edges.
    framed = bottom - top < 0.6 * height and abs(line.slope) >= 0.005
    edge = line.half_width + 1

    def cut_off(y: float, outwards: float) -> bool:
        leaves_top = y <= edge and outwards < 0
        leaves_bottom = y >= height - 1 - edge and outwards > 0
        return framed and (leaves_top or leaves_bottom)

    left = line.x0 <= int(cols[0]) - margin or cut_off(ys[0], -line.slope)
    right = line.x1 >= int(cols[-1]) + 1 + margin or cut_off(ys[1], line.slope)
    return left and right


def _across(line: Line, size: int, side: bool) -> Line:
    """A ruled line runs across the page: pieces of it beyond the part found (where
    it broke up when thresholded) go too. A box's side stops at the box."""
    if side:
        return line
    return Line(0, size, line.slope, line.offset, line.thickness)


def _ends(line: Line) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two end points (along, across) of a line in its own mask's coordinates."""
    return ((line.x0, line.y_at(line.x0)), (line.x1 - 1, line.y_at(line.x1 - 1)))


def _touches(vertical: Line, horizontal: Line, tol: float) -> bool:
    """Whether an end of a vertical line (transposed coordinates) lies on a horizontal one."""
    for along, across in _ends(vertical):
        x, y = across, along  # back to image coordinates
        if horizontal.x0 - tol <= x <= horizontal.x1 + tol and abs(horizontal.y_at(x) - y) <= tol:
            return True
    return False


def _meets_at_both_ends(vertical: Line, horizontal: list[Line], tol: float) -> bool:
    top, bottom = _ends(vertical)
    hits = []
    for along, across in (top, bottom):
        x, y = across, along
        hits.append(any(hl.x0 - tol <= x <= hl.x1 + tol and abs(hl.y_at(x) - y) <= tol
                        for hl in horizontal))
    return all(hits)


def _line_pixels(mask: np.ndarray, line: Line, values: np.ndarray | None = None,
                 darker_than: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the mask's pixels on a line, less the columns where a stroke
    crosses it and, given the contrast `values`, less the pixels above `darker_than`
    where a stroke touches it."""
    h, w = mask.shape
    band_y, band_x = line.band(h)
    on = mask[band_y, band_x]
    band_y, band_x = band_y[on], band_x[on]
    xs = np.arange(line.x0, line.x1)
    centre = line.y_at(xs)
    reach = line.half_width
    spread = max(1, math.ceil(line.thickness) + 1)

    def ink_at(lo: float, hi: float) -> np.ndarray:
        hit = np.zeros(xs.size, bool)
        for ys, ok in _rows_near(centre, lo, hi, h):
            hit[ok] |= mask[ys[ok], xs[ok]]
        return hit

    def widen(hit: np.ndarray) -> np.ndarray:
        kernel = np.ones(2 * spread + 1, np.int64)
        return np.convolve(hit.astype(np.int64), kernel, mode="same") > 0

    above = ink_at(-reach - 2.5, -reach - 0.5)
    below = ink_at(reach + 0.5, reach + 2.5)
    # A slanted stroke leaves the line a little to the side of where it enters; the
    # columns kept are those of the stroke on one side, so no stubs of line remain.
    crossing = np.zeros(w, bool)
    crossing[xs[(above & widen(below)) | (below & widen(above))]] = True
    keep = crossing[band_x]
    if values is not None:
        # A stroke that runs along the line, or ends on it, is darker than the line
        # (pen on a printed rule): where it touches, its own pixels stay.
        touching = np.zeros(w, bool)
        touching[xs[above | below]] = True
        keep |= touching[band_x] & (values[band_y, band_x] > darker_than)
    return band_y[~keep], band_x[~keep]
