"""Grey pixels -> ink bright on 0 (as MNIST): `ink_from_grey` finds the ink on a scan
or a phone photo, once io.images has decoded it:

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
tools (filters, connected components on runs) in raster.py, hairlines in hairlines.py.
"""

from __future__ import annotations

import math
import os

import numpy as np
from PIL import Image

from digitpad.core import raster
from digitpad.core.io.images import decode_grey
from digitpad.core.page.hairlines import without_hairlines
from digitpad.core.page.lines import LINE_ASPECT
from digitpad.core.page.rules import remove_rules

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
# ... judged where the strokes are about this many pixels wide (wider ones on a reduced
# copy), so that the ring lies about half a stroke width out.
EDGE_STROKE = 4.0


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
        level = raster.median(g)
        without = _without_margins(g, level)
        paper = _even_paper(without, level if without is g else None)
        g = without
        if paper is not None:
            dark, contrast = _global_contrast(g, paper)
        else:
            dark, stroke = _polarity(g)
            contrast = _contrast(g, dark, stroke)
        return _ink(contrast)


def _without_margins(g: np.ndarray, level: float) -> np.ndarray:
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
    ``level``: the image's median.
    """
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
    sign = np.sign(raster.median(edges[own]) - level)
    if any(
        sign * (raster.median(edge) - level) >= MARGIN_CONTRAST / 2
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
        if side and raster.percentile(row, 90) - raster.percentile(row, 10) > MARGIN_EVEN:
            side = 0.0  # ink or paper shows through: not a solid margin
        if side == 0.0 or (sign and side != sign):
            break
        sign, depth = side, depth + 1
    if depth == 0 or depth >= n - 1:
        return 0
    last, first = (depth - 1, depth) if start else (n - depth, n - depth - 1)
    if abs(raster.median(lines[first]) - raster.median(lines[last])) < MARGIN_STEP:
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
    background = raster.median(border)
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


def _even_paper(g: np.ndarray, median: float | None = None) -> float | None:
    """The paper's level when it is evenly lit, else None.

    Evenly lit: the image's border (paper surrounds writing), smoothed against noise,
    is one level up to EVEN_SPREAD, and so is the bulk of the image (its median). Then
    one level serves everywhere, which no local estimate can match where bold writing
    covers most of a small image. ``median``: the image's, where the caller has it.
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
    if abs((raster.median(g) if median is None else median) - level) > EVEN_SPREAD:
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
        dark = raster.median(g) >= 0.5
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
    c = contrast - raster.median(contrast[::step, ::step])  # the paper's own level is 0
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
    if not keep.any():
        return zeros
    comps, mask = comps.subset(keep), comps.mask_of(keep)
    mask, removed = remove_rules(
        mask, smooth, weak, speck_fraction=SPECK_FRACTION, min_contrast=MIN_CONTRAST
    )
    ruled = removed.any()
    mask, hairlines = without_hairlines(mask, smooth, None if ruled else comps)
    removed |= hairlines
    if ruled or hairlines.any():
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
    peak = max(raster.percentile(c[mask], 95), raster.median(floor[mask]) + MIN_CONTRAST)
    support = raster.dilate(mask, EDGE_PIXELS)
    if removed.any():
        support &= ~raster.dilate(removed, 1) | mask
    ink = np.clip((c - floor) / (peak - floor), 0.0, 1.0)
    ink[~support] = 0.0
    return ink.astype(np.float32)


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
    outside it; ink loses at least EDGE_DROP of it there. Wide strokes are judged on a
    copy reduced until they are about EDGE_STROKE pixels wide: an out-of-focus photo's
    strokes fade over several pixels, but within their own width, while a shadow's
    edge is soft on the scale of the shadow.
    """
    if not keep.any():
        return np.zeros(comps.n, bool)
    # Only the neighbourhood of the kept components matters: work on their box.
    x0, y0 = comps.box[keep, :2].min(axis=0)
    x1, y1 = comps.box[keep, 2:].max(axis=0)
    labels = comps.label_image(keep)
    inner = np.pad(labels[y0:y1, x0:x1] > 0, 1)  # the paper around them counts
    # Mean stroke width: area over half the outline (a stroke has two sides).
    outline = np.count_nonzero(inner & raster.dilate(~inner, 1))
    width = 2 * np.count_nonzero(inner) / max(outline, 1)
    f = max(1, int(width / EDGE_STROKE))
    h, w = comps.shape
    margin = 6 * f
    y0, x0 = max(0, y0 - margin) // f * f, max(0, x0 - margin) // f * f
    y1, x1 = min(h, y1 + margin), min(w, x1 + margin)
    y1, x1 = y0 + max(f, (y1 - y0) // f * f), x0 + max(f, (x1 - x0) // f * f)
    labels = labels[y0:y1:f, x0:x1:f]
    values = values[y0:y1, x0:x1]
    if f > 1:
        rows, cols = values.shape[0] // f, values.shape[1] // f
        values = values[: rows * f, : cols * f].reshape(rows, f, cols, f).mean(axis=(1, 3))
        labels = labels[:rows, :cols]
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
