"""Random variations of a drawing, made on its points before it is rendered.

Training renders real pen strokes through the canvas' own path
(:func:`digitpad.core.page.field.drawing_to_field`); these variations stand in for the
writers, hands and devices the recorded strokes do not cover: a slant, a narrower or
wider hand, a wobble, a shaky mouse, a slow pen that records many points or a tablet
that records few, a pen with or without pressure, a thinner or thicker line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digitpad.core.io.drawing import Drawing


@dataclass(frozen=True)
class PenVariation:
    """How far each variation may go; the defaults are the training recipe's."""

    rotate_degrees: float = 12.0
    shear: float = 0.25  # x += shear * y, either way
    aspect: float = 0.2  # width scaled in [1 - aspect, 1 + aspect]
    warp: float = 0.035  # smooth displacement, in digit heights
    jitter: float = 0.008  # per-point noise, in digit heights
    width: tuple[float, float] = (0.11, 0.21)  # stroke width, fraction of the digit's size
    pressure_share: float = 0.4  # drawings given a pressure profile
    # How the points are re-sampled: as recorded, densely (a slow pen, smooth), as a
    # mouse (dense, whole canvas pixels), or sparsely (every other point dropped).
    resample_weights: tuple[float, float, float, float] = (0.35, 0.25, 0.25, 0.15)
    # Shares of 7s and 2s given the bar across the stem that much of Europe writes
    # (the recorded writers rarely do).
    crossed_sevens: float = 0.0
    crossed_twos: float = 0.0


DEFAULT = PenVariation()


def vary(
    drawing: Drawing, rng: np.random.Generator, variation: PenVariation = DEFAULT
) -> tuple[Drawing, float]:
    """A randomly varied copy of ``drawing`` and the stroke width to render it with.

    The copy lives on a canvas sized to the digit (about 100-200 px tall, as drawn
    with a mouse); its label is kept.
    """
    bounds = drawing.bounds()
    if bounds is None:
        return drawing, float(np.mean(variation.width))
    crossing = {7: variation.crossed_sevens, 2: variation.crossed_twos}
    crossed = crossing.get(drawing.label, 0.0) if drawing.label is not None else 0.0
    if crossed and rng.random() < crossed:
        drawing = cross_stem(drawing, rng)
    x0, y0, x1, y1 = bounds
    size = max(x1 - x0, y1 - y0, 1e-9)
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    height_px = rng.uniform(60, 200)  # the digit's size on the new canvas
    matrix = _affine(rng, variation)
    warp = _warp(rng, variation.warp)
    mode = rng.choice(4, p=np.asarray(variation.resample_weights) / sum(variation.resample_weights))
    strokes = []
    for stroke in drawing.strokes:
        xy = (stroke[:, :2] - centre) / size  # unit digit, centred
        xy = xy @ matrix.T
        xy = xy + warp(xy)
        xy = _resample(xy, mode, height_px, rng)
        xy = xy + rng.normal(0, variation.jitter, xy.shape)
        strokes.append(xy * height_px + 2 * height_px)  # well inside a 4x canvas
    if mode == 2:  # a mouse reports whole pixels
        strokes = [np.round(s) for s in strokes]
    if rng.random() < variation.pressure_share:
        strokes = [np.column_stack([s, _pressure(len(s), rng)]) for s in strokes]
    canvas = 4 * height_px
    varied = Drawing.from_points(
        [s.tolist() for s in strokes], width=canvas, height=canvas, label=drawing.label
    )
    return varied, float(rng.uniform(*variation.width))


def cross_stem(drawing: Drawing, rng: np.random.Generator) -> Drawing:
    """The digit (a 7, a 2) with a short bar across its stem at about half height,
    drawn last, as many European writers add it."""
    bounds = drawing.bounds()
    if bounds is None:
        return drawing
    x0, y0, x1, y1 = bounds
    height = y1 - y0
    level = y0 + rng.uniform(0.42, 0.65) * height
    crossings = []
    for stroke in drawing.strokes:
        xy = stroke[:, :2]
        for (ax, ay), (bx, by) in zip(xy[:-1], xy[1:]):
            if (ay - level) * (by - level) <= 0 and ay != by:
                crossings.append(ax + (level - ay) / (by - ay) * (bx - ax))
    if not crossings:
        return drawing
    x = float(np.median(crossings))
    half = rng.uniform(0.15, 0.4) * height
    tilt = rng.uniform(-0.06, 0.06) * height
    bar = [[x - half, level + tilt], [x, level], [x + half, level - tilt]]
    return Drawing(
        [*drawing.strokes, np.column_stack([bar, np.full(3, np.nan)])],
        drawing.width,
        drawing.height,
        drawing.label,
    )


def _affine(rng: np.random.Generator, v: PenVariation) -> np.ndarray:
    angle = math.radians(rng.uniform(-v.rotate_degrees, v.rotate_degrees))
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    shear = np.array([[1.0, rng.uniform(-v.shear, v.shear)], [0.0, 1.0]])
    stretch = np.diag([rng.uniform(1 - v.aspect, 1 + v.aspect), 1.0])
    return rotation @ shear @ stretch


def _warp(rng: np.random.Generator, amplitude: float) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth random displacement: two low-frequency waves per axis."""
    freqs = rng.uniform(0.5, 1.5, (2, 2, 2)) * math.pi
    phases = rng.uniform(0, 2 * math.pi, (2, 2))
    amps = rng.uniform(-amplitude, amplitude, (2, 2))

    def displace(xy: np.ndarray) -> np.ndarray:
        out = np.zeros_like(xy)
        for axis in range(2):
            for k in range(2):
                out[:, axis] += amps[axis, k] * np.sin(xy @ freqs[axis, k] + phases[axis, k])
        return out

    return displace


def _resample(xy: np.ndarray, mode: int, height_px: float, rng: np.random.Generator) -> np.ndarray:
    if len(xy) < 2 or mode == 0:
        return xy
    if mode == 3:  # sparse: keep the ends, drop every other point between them
        if len(xy) < 5:
            return xy
        keep = np.zeros(len(xy), bool)
        keep[::2] = True
        keep[-1] = True
        return xy[keep]
    # Dense, as a slow pen or a mouse reports: a smooth curve through the points,
    # sampled every 1-4 canvas pixels.
    step = rng.uniform(1.0, 4.0) / height_px
    return _catmull_rom(xy, step)


def _catmull_rom(xy: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` (about) along a Catmull-Rom spline through ``xy``."""
    padded = np.vstack([2 * xy[0] - xy[1], xy, 2 * xy[-1] - xy[-2]])
    out = [xy[:1]]
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        n = max(1, int(np.ceil(np.linalg.norm(p2 - p1) / step)))
        t = (np.arange(1, n + 1) / n)[:, None]
        out.append(
            0.5
            * (
                (2 * p1)
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    return np.vstack(out)


def _pressure(n: int, rng: np.random.Generator) -> np.ndarray:
    """A pen's pressure along a stroke: a light start and end around a random level."""
    level = rng.uniform(0.3, 0.8)
    t = np.linspace(0, 1, n)
    ramp = np.minimum(1, np.minimum(t, 1 - t) * rng.uniform(4, 12) + 0.3)
    return np.clip(level * ramp + rng.normal(0, 0.03, n), 0, 1)
