"""Touching and overlapping digits: a piece of ink cut where the recogniser reads it best.

Over-segment, then choose (the classic recognition-driven segmentation of digit
strings): candidate cuts are paths of least ink from top to bottom, one near every
CUT_STEP of the digit height across the piece; every run of consecutive cuts that
could hold one digit (not wider than MAX_SPAN digit heights) is read by the judge.
Each candidate gets the probability that it is one whole digit — a logistic model
over its reading (top probability, margin, the digit check), its shape (width and
ink height) and the strokes its two cuts go through (FEATURES), fitted on synthetic
touching strings by training/fit_cuts.py — and dynamic programming picks the
partition of the piece whose parts are most likely each one digit. A fragment of a
digit reads as something, but it is narrow, low or cut through two strokes; a
squeezed pair reads as one digit, but it is wide: the model weighs those.

Pure NumPy; the judge reads all candidates of a piece in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digitpad.core.raster import dilate, stroke_width
from digitpad.core.segment.common import Judge, read

CUT_STEP = 1 / 7  # candidate cuts this far apart, x the digit height
CUT_REACH = 0.6  # a cut's path strays at most this x CUT_STEP from its column
STRAY_COST = 0.3  # cost of straying from the column, per CUT_STEP, against ink
MAX_SPAN = 1.6  # one digit is at most this wide x the digit height
MIN_TALL = 0.45  # ... and its ink at least this tall x the piece's
LONE_CUT = 3.0  # a piece alone: each cut costs this much more
# Log-odds that a candidate is one whole digit, over FEATURES (fitted by
# training/fit_cuts.py; see there).
SCORE_WEIGHTS = np.array(
    [-0.5932, 0.1789, 0.1113, 3.4134, -2.3060, 1.5314, -1.4991, -1.0700, 0.2372, 0.3354, -3.9255]
)
MAX_CUTS = 60  # beyond this many candidates the piece is noise: it stays whole


@dataclass(frozen=True)
class Segment:
    """One digit of a cut piece: its pixels (bool, the piece's window) and grey crop."""

    pixels: np.ndarray
    crop: np.ndarray


@dataclass(frozen=True)
class Candidates:
    """Every candidate digit of a piece: spans (i, j) between boundaries i < j, their
    pixels, and per span the features that score it (see FEATURES)."""

    bounds: list[np.ndarray]  # per boundary: the first column right of it, per row
    spans: list[tuple[int, int]]
    pixels: list[np.ndarray]
    features: np.ndarray  # float64 (len(spans), len(FEATURES))


# What a candidate digit is scored on, in this order (SCORE_WEIGHTS).
FEATURES = (
    "-log top probability",
    "margin",
    "digit check log-odds",
    "width / height",
    "(width / height)^2",
    "ink height / piece height",
    "strokes cut on the left",
    "strokes cut on the right",
    "left edge of the piece",
    "right edge of the piece",
    "1",
)


def candidates(
    mask: np.ndarray, grey: np.ndarray, height: float, judge: Judge
) -> Candidates | None:
    """The candidate digits of a piece, read by the judge in one call; None when the
    piece is too narrow to cut or so wide that it must be noise."""
    h, w = mask.shape
    step = max(2.0, CUT_STEP * height)
    columns = np.arange(step, w - step / 2, step)
    if columns.size == 0 or columns.size > MAX_CUTS:
        return None
    thick = max(stroke_width(mask), 1.0)
    paths, crossed = [], [0.0]
    for c in columns:
        path, ink = _least_ink_path(mask, grey, c, max(1, round(CUT_REACH * step)), step)
        paths.append(path)
        crossed.append(ink / thick)
    crossed.append(0.0)
    # Boundaries: the piece's left edge, the cuts, its right edge (as per-row columns).
    bounds = [np.zeros(h, int)] + paths + [np.full(h, w)]
    n = len(bounds)
    region = dilate(mask, 2)
    xs = np.arange(w)[None, :]
    spans, crops, pixels, shape = [], [], [], []
    for i in range(n - 1):
        for j in range(i + 1, n):
            if j > i + 1 and bounds[j].mean() - bounds[i].mean() > MAX_SPAN * height:
                break
            inside = (xs >= bounds[i][:, None]) & (xs < bounds[j][:, None])
            own = mask & inside
            rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
            if rows.size == 0:
                continue
            spans.append((i, j))
            pixels.append(own)
            crops.append(_trim(np.where(region & inside, grey, 0.0).astype(np.float32)))
            shape.append(((cols[-1] + 1 - cols[0]) / height, (rows[-1] + 1 - rows[0]) / h))
    if (0, n - 1) not in spans:  # the whole piece, however wide
        spans.append((0, n - 1))
        pixels.append(mask)
        crops.append(_trim(np.where(region, grey, 0.0).astype(np.float32)))
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        shape.append(((cols[-1] + 1 - cols[0]) / height, 1.0))
    probs, likeness = read(judge, crops)
    top = np.maximum(probs.max(axis=1), 1e-12)
    rest = np.maximum(1.0 - top, 1e-12)
    width, tall = np.array(shape).T
    i, j = np.array(spans).T
    features = np.column_stack(
        [
            -np.log(top),
            np.clip(np.log(top) - np.log(rest), -5, 15),
            np.clip(likeness, -10, 10),
            width,
            width**2,
            tall,
            np.asarray(crossed)[i],
            np.asarray(crossed)[j],
            i == 0,
            j == n - 1,
            np.ones(len(spans)),
        ]
    ).astype(np.float64)
    return Candidates(bounds, spans, pixels, features)


def best_partition(
    mask: np.ndarray, grey: np.ndarray, height: float, judge: Judge, alone: bool, whole: bool = True
) -> list[Segment]:
    """The digits of a piece of ink, left to right: one Segment or several.

    ``mask`` bool (h, w) is the piece, ``grey`` float (h, w) its ink (other ink already
    removed), ``height`` the digit height in pixels. The partition is the one whose
    parts are most likely each one digit (SCORE_WEIGHTS); one Segment (the whole) when
    that is the whole. ``whole`` False when the piece is known to hold several digits
    (then the whole comes back only when no cut can be made). A piece ``alone`` in the
    image pays LONE_CUT per cut: one digit is the likelier reading there.
    """
    found = candidates(mask, grey, height, judge)
    if found is None:
        return [Segment(mask, np.where(mask, grey, 0.0).astype(np.float32))]
    n = len(found.bounds)
    score = found.features @ SCORE_WEIGHTS
    cost = np.logaddexp(0.0, -score)  # -log P(one digit)
    if alone:
        cost = cost + LONE_CUT * (1 - found.features[:, FEATURES.index("right edge of the piece")])
    options = {
        span: (c, k)
        for k, (span, c) in enumerate(zip(found.spans, cost))
        if whole or span != (0, n - 1)
    }
    best = np.full(n, math.inf)
    back = np.zeros(n, int)
    best[0] = 0.0
    for j in range(1, n):
        for i in range(j):
            if (i, j) in options and best[i] + options[i, j][0] < best[j]:
                best[j], back[j] = best[i] + options[i, j][0], i
    if not np.isfinite(best[n - 1]):
        return [Segment(mask, np.where(mask, grey, 0.0).astype(np.float32))]
    chosen, j = [], n - 1
    while j > 0:
        chosen.append((back[j], j))
        j = back[j]
    region = dilate(mask, 2)
    xs = np.arange(mask.shape[1])[None, :]
    out = []
    for i, j in reversed(chosen):
        inside = (xs >= found.bounds[i][:, None]) & (xs < found.bounds[j][:, None])
        out.append(
            Segment(
                found.pixels[options[i, j][1]],
                np.where(region & inside, grey, 0.0).astype(np.float32),
            )
        )
    return out


def _trim(crop: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        return crop
    return crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _least_ink_path(
    mask: np.ndarray, grey: np.ndarray, column: float, reach: int, step: float
) -> tuple[np.ndarray, float]:
    """A path from top to bottom near ``column`` through the least ink: per row, the
    first column right of the cut; and the ink it cuts through (summed over rows).

    It moves at most one column per row, so it slips through the narrow place where
    two digits touch instead of slicing a stroke.
    """
    h, w = mask.shape
    c = int(round(column))
    lo, hi = max(1, c - reach), min(w - 1, c + reach + 1)
    if hi <= lo:
        return np.full(h, min(max(c, 1), w - 1)), 0.0
    cols = np.arange(lo, hi)
    ink = np.where(mask[:, lo:hi], np.maximum(grey[:, lo:hi], 0.2), 0.0)
    cost = ink + STRAY_COST * np.abs(cols - column)[None, :] / step
    path = cheapest_path(cost)
    crossed = float(ink[np.arange(h), path].sum())
    return path + lo, crossed


def cheapest_path(cost: np.ndarray) -> np.ndarray:
    """The path from the top row to the bottom of a cost array float (h, n) that moves
    at most one column per row and sums the least cost: its column in each row."""
    h, n = cost.shape
    total = cost[0].copy()
    move = np.zeros((h, n), np.int8)
    # Each row's three ways in: from the column left, the same one, the column right.
    options = np.full((3, n), np.inf, dtype=total.dtype if total.dtype.kind == "f" else np.float64)
    for row in range(1, h):
        options[0, 1:] = total[:-1]
        options[1] = total
        options[2, :-1] = total[1:]
        move[row] = options.argmin(axis=0) - 1
        total = options.min(axis=0) + cost[row]
    path = np.empty(h, int)
    path[-1] = int(np.argmin(total))
    for row in range(h - 1, 0, -1):
        path[row - 1] = path[row] + move[row, path[row]]
    return path
