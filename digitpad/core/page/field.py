"""Drawings and images -> the 28x28 field the model reads, made the way MNIST was made.

MNIST's recipe (LeCun et al.): take the ink's bounding box, scale it to fit a 20x20
box keeping the aspect ratio, anti-aliased so grey levels remain, then place it in a
28x28 field so that the centre of mass of the ink sits at the field's centre.
In MNIST's own files that centre is pixel (14, 14) in row/column index coordinates:
the centres of mass of the 10,000 test digits average 13.99 and 14.01 and all lie in
[13.5, 14.5], which is what an integer shift towards (14, 14) gives.

Output: float32 (28, 28) in [0, 1], ink = 1; None means "no digit".
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digitpad.core import raster
from digitpad.core.io.drawing import Drawing

FIELD = 28
BOX = 20
CENTRE = 14.0
# Stroke width as a fraction of the digit's longer side (before fitting). MNIST digits
# have strokes of about 2-3 px in a 20 px box; the value was tuned on real pen strokes
# (see tests and `digitpad bench`).
STROKE_WIDTH = 0.16
# Strokes are rendered this many times larger than the 20 px box and reduced with a
# box filter: area-weighted anti-aliasing, like MNIST's grey levels.
SUPERSAMPLE = 8
# A drawing whose longer side is below this fraction of the canvas' shorter side is a
# speck (a tap, a slip), not a digit.
SPECK_FRACTION = 0.02
# Image pixels at or below this fraction of the brightest pixel do not count as ink
# when finding the bounding box (keeps faint noise from inflating the box).
INK_THRESHOLD = 0.02
MIN_INK_MASS = 1.0  # in units of fully-inked field pixels
# Fine lines in images: a digit at least THIN_MIN_SIDE px across whose strokes are
# thinner than THIN_STROKE of its size is widened to STROKE_SHARE of it (MNIST's
# strokes are about 2 px of its 20).
THIN_MIN_SIDE = 40
THIN_STROKE = 0.048
STROKE_SHARE = 0.08
THIN_WORK = 160


def drawing_to_field(drawing: Drawing, stroke_width: float = STROKE_WIDTH) -> np.ndarray | None:
    """Re-render the strokes and fit them: float32 (28, 28) in [0, 1], or None when empty.

    The width is relative to the digit's size, so brush width, canvas size and screen
    DPI do not change the result; pressure, when recorded, scales the width around it.
    """
    patch = render_strokes(drawing, stroke_width)
    return None if patch is None else place_by_mass(patch)


def render_strokes(drawing: Drawing, stroke_width: float = STROKE_WIDTH) -> np.ndarray | None:
    """The strokes drawn into their own box, fitted to 20 px on the longer side.

    float32 (h, w) in [0, 1] with max(h, w) == 20, or None for no digit.
    """
    bounds = drawing.bounds()
    if bounds is None:
        return None
    x0, y0, x1, y1 = bounds
    extent = max(x1 - x0, y1 - y0)
    if all(_extent(s) < speck_size(drawing) for s in drawing.strokes):
        return None  # taps and slips only
    # Work in units of the digit's size, rounded far below a pixel: translating or
    # scaling the strokes then renders the very same pixels, instead of pixels that
    # differ by float noise (which can flip the whole-pixel centring shift).
    unit = BOX * SUPERSAMPLE / (1 + stroke_width)  # the inked box's longer side -> 20 px
    span_x = round((x1 - x0) / extent, 6)
    span_y = round((y1 - y0) / extent, 6)
    size_x = _round_up((span_x + stroke_width) * unit, SUPERSAMPLE)
    size_y = _round_up((span_y + stroke_width) * unit, SUPERSAMPLE)
    # Centre the ink in the rounded-up canvas so that the rounding is shared by both sides.
    offset = ((size_x - span_x * unit) / 2, (size_y - span_y * unit) / 2)
    width = stroke_width * unit
    image = Image.new("L", (size_x, size_y), 0)
    draw = ImageDraw.Draw(image)
    for stroke in drawing.strokes:
        xy = np.round((stroke[:, :2] - (x0, y0)) / extent, 6) * unit + offset
        pressure = stroke[:, 2]
        if np.isnan(pressure).all():
            _draw_polyline(draw, xy, width)
        else:
            # Pressure 0.5 is the nominal width; a light touch thins, a press thickens.
            _draw_variable(draw, xy, width * (0.5 + np.nan_to_num(pressure, nan=0.5)))
    patch = image.reduce(SUPERSAMPLE)
    return np.asarray(patch, dtype=np.float32) / 255.0


def speck_size(drawing: Drawing) -> float:
    """Strokes smaller than this (canvas pixels) are specks; a drawing of specks is empty."""
    return SPECK_FRACTION * min(drawing.width, drawing.height)


def _extent(stroke: np.ndarray) -> float:
    span = stroke[:, :2].max(axis=0) - stroke[:, :2].min(axis=0)
    return float(span.max())


def _round_up(value: float, step: int) -> int:
    return max(step, int(np.ceil(value / step - 1e-6)) * step)


def _dot(draw: ImageDraw.ImageDraw, x: float, y: float, diameter: float) -> None:
    r = diameter / 2
    draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def _draw_polyline(draw: ImageDraw.ImageDraw, xy: np.ndarray, width: float) -> None:
    """Round caps and joins: a line of the width, and a dot at every vertex."""
    points = [tuple(p) for p in xy.tolist()]
    if len(points) > 1:
        draw.line(points, fill=255, width=max(1, round(width)))
    for x, y in points:  # round joins and caps; a single tap is a dot
        _dot(draw, x, y, width)


def _draw_variable(draw: ImageDraw.ImageDraw, xy: np.ndarray, widths: np.ndarray) -> None:
    points = xy.tolist()
    for i in range(len(points) - 1):
        w = (widths[i] + widths[i + 1]) / 2
        draw.line([tuple(points[i]), tuple(points[i + 1])], fill=255, width=max(1, round(w)))
    for (x, y), w in zip(points, widths):
        _dot(draw, x, y, w)


def image_to_field(image: np.ndarray, ink_threshold: float = INK_THRESHOLD) -> np.ndarray | None:
    """A grey image, ink bright (as MNIST), of any size -> float32 (28, 28), or None.

    The image is scaled by its maximum, cropped to the ink's bounding box, fitted into
    20x20 keeping the aspect ratio (anti-aliased resampling of the grey levels; never
    thresholded) and placed by centre of mass.
    """
    grey = np.asarray(image, dtype=np.float32)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected a 2-D grey image, got shape {grey.shape}")
    peak = float(grey.max())
    if not np.isfinite(peak) or peak <= 0:
        return None
    grey = np.clip(grey / peak, 0.0, 1.0)
    box = ink_box(grey, ink_threshold)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop = _thickened(grey[y0:y1, x0:x1])
    patch = fit_box(crop)
    if patch.sum() < MIN_INK_MASS * 0.5:
        return None
    return place_by_mass(patch)


def _thickened(crop: np.ndarray) -> np.ndarray:
    """A large digit written with a fine line (a 1-2 px pen, a tablet's trace), its
    strokes widened towards MNIST's: scaled to 20 px such a line would fade to a faint
    grey the network never saw. Strokes of THIN_STROKE of the digit's size or more
    are left as they are; so are digits small enough to be measured in MNIST's pixels.
    """
    side = max(crop.shape)
    if side < THIN_MIN_SIDE:
        return crop
    # Measured on a copy about 64 px across: fast, and exact enough for a width.
    step = max(1, side // 64)
    width = raster.stroke_width(crop[::step, ::step] > 0.3) * step
    if not 0 < width < THIN_STROKE * side:
        return crop
    # Widened at most THIN_WORK px across: the fit to 20 px follows, and a large
    # filter on a large crop would be slow. Block maxima keep a fine line's full ink.
    factor = max(1, -(-side // THIN_WORK))
    if factor > 1:
        h, w = crop.shape
        padded = np.zeros((-(-h // factor) * factor, -(-w // factor) * factor), np.float32)
        padded[:h, :w] = crop
        crop = padded.reshape(padded.shape[0] // factor, factor, -1, factor).max(axis=(1, 3))
        width, side = max(width / factor, 1.0), max(crop.shape)
    radius = int(round((STROKE_SHARE * side - width) / 2))
    if radius < 1:
        return crop
    image = Image.fromarray(crop.astype(np.float32), mode="F")
    return np.asarray(image.filter(ImageFilter.MaxFilter(2 * radius + 1)), np.float32)


def ink_box(
    grey: np.ndarray, ink_threshold: float = INK_THRESHOLD
) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), end-exclusive, of pixels above ink_threshold x the maximum."""
    peak = float(np.max(grey)) if grey.size else 0.0
    if not np.isfinite(peak) or peak <= 0:
        return None
    ink = grey > ink_threshold * peak
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def fit_box(crop: np.ndarray) -> np.ndarray:
    """Resize float (h, w) so that its longer side is 20 px, keeping the aspect ratio."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_h, new_w) == (h, w):
        return crop.astype(np.float32)
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        (new_w, new_h), Image.Resampling.LANCZOS
    )
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def place_by_mass(patch: np.ndarray) -> np.ndarray:
    """Paste float (h, w) into a 28x28 field so its centre of mass lands on (14, 14).

    The shift is a whole number of pixels, as in MNIST, so the centre of mass ends
    within half a pixel of the centre. When that would push ink past the border (a
    digit with most of its mass at one end) the patch is kept whole inside the field
    instead: losing ink costs more than an off-centre mass.
    """
    h, w = patch.shape
    mass = float(patch.sum())
    if mass <= 0:
        return np.zeros((FIELD, FIELD), np.float32)
    cy = float((patch.sum(axis=1) * np.arange(h)).sum() / mass)
    cx = float((patch.sum(axis=0) * np.arange(w)).sum() / mass)
    top = min(max(int(np.floor(CENTRE - cy + 0.5)), 0), max(FIELD - h, 0))
    left = min(max(int(np.floor(CENTRE - cx + 0.5)), 0), max(FIELD - w, 0))
    field = np.zeros((FIELD, FIELD), np.float32)
    ys, xs = max(0, top), max(0, left)
    ye, xe = min(FIELD, top + h), min(FIELD, left + w)
    if ye > ys and xe > xs:
        field[ys:ye, xs:xe] = patch[ys - top : ye - top, xs - left : xe - left]
    return field
