"""Image files -> grey float arrays with ink bright (as MNIST), safely.

Every failure becomes an ImageError with one plain line: unreadable, truncated or
not an image at all, or so large that decoding it would exhaust memory.

After decoding, `ink_from_grey` finds the ink the way a careful person would on a
scan or a phone photo:

1. polarity: is the ink darker or lighter than the paper? Decided from the tails of
   the difference to a coarse local median, so a shadow or a dark margin does not
   fool it;
2. background: the paper's own level, estimated per block from the paper side of
   the histogram at a scale well above the stroke width, smoothed and interpolated,
   then divided out (dark ink) or subtracted (light ink): shadows and gradients go;
3. mask: Otsu's threshold on the normalised contrast (never below the noise level or
   a minimum contrast), with hysteresis so faint parts of a stroke stay attached;
4. cleaning: specks (tiny components) and ruled lines or box borders (long, thin,
   straight horizontal or vertical runs that reach beyond the writing or frame it)
   are dropped from the mask; where a stroke crosses a line, the crossing is kept;
5. output: the grey contrast, not the mask, within two pixels of the cleaned mask,
   so anti-aliased edges keep their grey levels; paper is 0 and ink up to 1.

No ink (a blank or uniform page, faint noise, paper texture) gives all zeros.
Everything is NumPy and Pillow; connected components are labelled on runs.
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
BLOCK_STROKES = 4.0
# A component is a speck when its longer side is below this fraction of the image's
# shorter side, or below this fraction of the largest component's longer side.
SPECK_FRACTION = 0.015
SPECK_RELATIVE = 0.12
# Ruled lines and box borders: straight within this slope (about 6 degrees), at least
# this fraction of the image's width (height, for vertical ones) long, and at least
# this many times longer than thick.
LINE_MAX_SLOPE = 0.1
LINE_SPAN = 0.3
LINE_ASPECT = 10.0
# Grey levels are kept this many pixels around the cleaned mask (anti-aliased edges).
EDGE_PIXELS = 2
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
    except Exception as exc:  # noqa: BLE001 - a damaged file can fail anywhere inside Pillow
        raise ImageError(f"cannot read image ({_short(exc)})") from None
    return np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0), full


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - damaged EXIF: use the pixels as stored
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
                math.ceil(min(BLOCK_STROKES * stroke, longest / 5)))
    # Percentiles on a reduced copy: at most about 12x12 samples per block is plenty.
    factor = max(1, block // 12)
    small, factor = (g, 1) if factor == 1 else (
        np.asarray(Image.fromarray(g, mode="F").reduce(factor), dtype=np.float32), factor)
    cells = max(1, round(block / factor))
    q = PAPER_PERCENTILE if dark else 100.0 - PAPER_PERCENTILE
    grid = _median3(_block_percentile(small, cells, q))
    background = _upsample(grid, cells * factor, (h, w))
    if dark:
        # Reflectance: ink under a shadow is as dark, relative to its paper, as in light.
        return (background - g) / np.maximum(background, 0.05)
    return g - background


def _ink(contrast: np.ndarray) -> np.ndarray:
    """Normalised contrast -> the cleaned ink array (see the module's steps 3 to 5)."""
    shape = contrast.shape
    zeros = np.zeros(shape, np.float32)
    c = contrast - float(np.median(contrast))  # the paper's own level is 0
    sigma = _noise(c)
    smooth = _box3(c) if sigma > 0.02 else c  # noisy: decide on a slightly blurred copy
    sigma_s = _noise(smooth) if smooth is not c else sigma
    high = max(_otsu(smooth), 4 * sigma_s, MIN_CONTRAST)
    low = max(0.5 * high, 3 * sigma_s, 0.6 * MIN_CONTRAST)
    strong = smooth > high
    if not strong.any():
        return zeros
    min_extent = max(3, SPECK_FRACTION * min(shape))
    comps = Components(smooth > low)
    seeded = comps.count_of(strong) > 0
    mask = comps.mask_of(seeded & (comps.extent >= min_extent))
    if not mask.any():
        return zeros
    mask, removed = remove_rules(mask)
    comps = Components(mask)
    if comps.n == 0:
        return zeros
    extent = comps.extent
    mask = comps.mask_of(extent >= max(min_extent, SPECK_RELATIVE * float(extent.max())))
    if not mask.any():
        return zeros
    floor = max(2.5 * sigma, 0.03)
    peak = max(float(np.percentile(c[mask], 95)), floor + MIN_CONTRAST)
    support = _dilate(mask, EDGE_PIXELS)
    if removed.any():
        support &= ~_dilate(removed, 1) | mask
    ink = np.clip((c - floor) / (peak - floor), 0.0, 1.0)
    ink[~support] = 0.0
    return ink.astype(np.float32)


# --- Small tools ----------------------------------------------------------------------

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


def _block_percentile(g: np.ndarray, block: int, q: float) -> np.ndarray:
    """The q-th percentile of each block x block tile (edges padded by repetition)."""
    h, w = g.shape
    gh, gw = math.ceil(h / block), math.ceil(w / block)
    padded = np.pad(g, ((0, gh * block - h), (0, gw * block - w)), mode="edge")
    tiles = padded.reshape(gh, block, gw, block).transpose(0, 2, 1, 3).reshape(gh, gw, -1)
    return np.percentile(tiles, q, axis=2).astype(np.float32)


def _median3(grid: np.ndarray) -> np.ndarray:
    padded = np.pad(grid, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    return np.median(windows.reshape(*grid.shape, 9), axis=2).astype(np.float32)


def _upsample(grid: np.ndarray, block: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear from block centres to every pixel of `shape`, extended linearly at the
    edges (clamping there would flatten a gradient over the outer half block)."""
    rows = _interpolate(grid.astype(np.float32), block, shape[0], axis=0)
    return _interpolate(rows, block, shape[1], axis=1)


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
    """Mean stroke width: twice the area over the perimeter (0 for an empty mask)."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    m = mask.astype(np.int8)
    perimeter = int(np.abs(np.diff(m, axis=0)).sum() + np.abs(np.diff(m, axis=1)).sum())
    perimeter += int(m[0].sum() + m[-1].sum() + m[:, 0].sum() + m[:, -1].sum())
    return 2.0 * area / max(perimeter, 1)


# --- Connected components -------------------------------------------------------------

class Components:
    """8-connected components of a boolean mask, labelled on horizontal runs.

    Runs of neighbouring rows that touch are joined by repeated hooking of roots and
    pointer jumping, all in NumPy; a mask of a million pixels takes milliseconds.
    """

    def __init__(self, mask: np.ndarray):
        self.shape = mask.shape
        h, w = mask.shape
        padded = np.zeros((h, w + 2), np.int8)
        padded[:, 1:-1] = mask
        edges = np.diff(padded, axis=1)
        self.rows, self.starts = np.nonzero(edges == 1)
        _, self.ends = np.nonzero(edges == -1)
        n_runs = len(self.rows)
        if n_runs == 0:
            self.n = 0
            self.label = np.zeros(0, np.int64)
            self.extent = np.zeros(0, np.int64)
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
        if self.n == 0:
            return np.zeros(self.shape, bool)
        chosen = keep[self.label]
        rows, starts, ends = self.rows[chosen], self.starts[chosen], self.ends[chosen]
        # Mark +1 at each run's start and -1 at its end, then a running sum fills it.
        w = self.shape[1]
        size = self.shape[0] * (w + 1)
        marks = (np.bincount(rows * (w + 1) + starts, minlength=size)
                 - np.bincount(rows * (w + 1) + ends, minlength=size))
        return np.cumsum(marks).reshape(self.shape[0], w + 1)[:, :w] > 0


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

    def band(self, shape: tuple[int, int]) -> np.ndarray:
        """Pixels within half_width of the centre line, over the line's extent."""
        out = np.zeros(shape, bool)
        xs = np.arange(self.x0, self.x1)
        centre = self.y_at(xs)
        for dy in range(-math.ceil(self.half_width), math.ceil(self.half_width) + 1):
            ys = np.round(centre + dy).astype(np.int64)
            ok = (np.abs(ys - centre) <= self.half_width) & (ys >= 0) & (ys < shape[0])
            out[ys[ok], xs[ok]] = True
        return out


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
    found: list[tuple[int, float, int]] = []
    for slope in slopes:
        rows = ys - np.round(xs * slope).astype(np.int64) + pad
        sheared = np.zeros((sh + 2 * pad, sw), bool)
        sheared[rows, xs] = True
        band = sheared.copy()
        band[1:] |= sheared[:-1]
        band[:-1] |= sheared[1:]
        cover = band.sum(axis=1)
        peaks = np.flatnonzero((cover >= span) & (cover >= np.roll(cover, 1))
                               & (cover >= np.roll(cover, -1)))
        found.extend((int(cover[r]), float(slope), int(r) - pad) for r in peaks)
    found.sort(key=lambda item: -item[0])
    work = small.copy()
    coarse: list[tuple[float, int, int, int]] = []
    cols = np.arange(sw)
    for _, slope, row in found[:400]:
        centre = row + np.round(cols * slope).astype(np.int64)
        covered = np.zeros(sw, bool)
        for dy in (-1, 0, 1):
            yy = centre + dy
            ok = (yy >= 0) & (yy < sh)
            covered[ok] |= work[yy[ok], cols[ok]]
        start, end = _longest_run(covered, gap=2)
        if end - start < span:
            continue
        coarse.append((slope, row, start, end))
        for dy in (-2, -1, 0, 1, 2):
            yy = centre[start:end] + dy
            ok = (yy >= 0) & (yy < sh)
            work[yy[ok], cols[start:end][ok]] = False
        if len(coarse) >= 64:
            break
    lines = []
    for slope, row, start, end in coarse:
        line = _measure_line(mask, factor, slope, row, start, end)
        if line is not None:
            lines.append(line)
    return lines


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
    for dy in range(-math.ceil(half), math.ceil(half) + 1):
        yy = np.round(centre + dy).astype(np.int64)
        ok = (yy >= 0) & (yy < h)
        on[ok] |= mask[yy[ok], all_x[ok]]
    x0, x1 = _longest_run(on, gap=max(3, 2 * factor))
    length = x1 - x0
    if length < LINE_SPAN * w or length < LINE_ASPECT * max(thickness, 1.0):
        return None
    return Line(x0, x1, float(fit[0]), float(fit[1]), thickness)


def remove_rules(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop ruled lines and box borders from a boolean ink mask.

    Returns (cleaned mask, removed pixels). A long straight thin line is a rule when
    it is the side of a box or grid (a vertical line whose two ends meet horizontal
    lines, and those horizontal lines), or when it reaches beyond the rest of the ink
    on both sides. Where only lines are left, horizontal ones go (no digit is a lone
    horizontal line) and a single vertical one stays (it may be a 1). Where a stroke
    crosses a rule, the crossing is kept.
    """
    h, w = mask.shape
    horizontal = find_lines(mask)
    vertical = find_lines(mask.T)
    nothing = np.zeros_like(mask)
    if not horizontal and not vertical:
        return mask, nothing
    zones = [line.band(mask.shape) for line in horizontal]
    zones += [line.band(mask.T.shape).T for line in vertical]
    near = np.zeros_like(mask)
    for zone in zones:
        near |= zone
    # The rest of the ink: what is left away from every line, specks aside.
    rest = mask & ~_dilate(near, 2)
    comps = Components(rest)
    rest = comps.mask_of(comps.extent >= max(3, SPECK_FRACTION * min(h, w)))
    rows, cols = np.flatnonzero(rest.any(axis=1)), np.flatnonzero(rest.any(axis=0))

    tol = max(3.0, 0.02 * min(h, w),
              2 * max(line.thickness for line in horizontal + vertical))
    sides_v = [_meets_at_both_ends(v, horizontal, tol) for v in vertical]
    sides_h = [any(s and _touches(v, hline, tol) for v, s in zip(vertical, sides_v))
               for hline in horizontal]

    def beyond(line: Line, lo: int, hi: int, size: int) -> bool:
        margin = max(2.0, 0.02 * size)
        return line.x0 <= lo - margin and line.x1 >= hi + margin

    rules_h, rules_v = [], []
    for line, side in zip(horizontal, sides_h):
        if side:
            rules_h.append(line)
        elif cols.size:
            if beyond(line, int(cols[0]), int(cols[-1]) + 1, w):
                rules_h.append(line)
        else:
            rules_h.append(line)
    loose_v = [v for v, side in zip(vertical, sides_v) if not side]
    for line, side in zip(vertical, sides_v):
        if side:
            rules_v.append(line)
        elif rows.size:
            if beyond(line, int(rows[0]), int(rows[-1]) + 1, h):
                rules_v.append(line)
        elif len(loose_v) > 1:
            rules_v.append(line)
    removed = np.zeros_like(mask)
    for line in rules_h:
        removed |= _line_pixels(mask, line)
    for line in rules_v:
        removed |= _line_pixels(mask.T, line).T
    return mask & ~removed, removed


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


def _line_pixels(mask: np.ndarray, line: Line) -> np.ndarray:
    """The mask's pixels on a line, less the columns where a stroke crosses it."""
    h, w = mask.shape
    band = line.band(mask.shape) & mask
    xs = np.arange(line.x0, line.x1)
    centre = line.y_at(xs)
    reach = math.ceil(line.half_width)
    spread = max(1, math.ceil(line.thickness) + 1)

    def ink_at(offsets) -> np.ndarray:
        hit = np.zeros(xs.size, bool)
        for dy in offsets:
            ys = np.round(centre + dy).astype(np.int64)
            ok = (ys >= 0) & (ys < h)
            hit[ok] |= mask[ys[ok], xs[ok]]
        # A slanted stroke leaves the line a little to the side of where it enters.
        kernel = np.ones(2 * spread + 1, np.int64)
        return np.convolve(hit.astype(np.int64), kernel, mode="same") > 0

    above = ink_at((-reach - 1, -reach - 2))
    below = ink_at((reach + 1, reach + 2))
    crossing = np.zeros(w, bool)
    crossing[xs[above & below]] = True
    band[:, crossing] = False
    return band
