"""Touching and overlapping digits: a piece of ink cut where the recogniser reads it best.

Over-segment, then choose (the classic recognition-driven segmentation of digit
strings): candidate cuts are paths of least ink from top to bottom, one near every
CUT_STEP of the digit height across the piece; every run of consecutive cuts that
could hold one digit (not wider than MAX_SPAN digit heights) is read by the judge;
dynamic programming then picks the partition of the piece with the smallest cost:

    per digit:  -log(top probability) + DIGIT_COST + WIDE_COST * (too wide)^2
    per cut:    CUT_COST * the strokes it cuts through

The digit cost is the length prior: without it, fewer and wider digits always win
(each reading costs something). The cut cost is what stops a digit being sliced into
parts that each read as something (an 0 into "11"): two digits that touch are joined
by one short stroke, a digit cut in two loses two. A piece alone (no other digits to
give the height) pays more per digit, so a lone wide digit stays whole.

Pure NumPy; the judge reads all candidates of a piece in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digitpad.core.raster import dilate, stroke_width
from digitpad.core.segment.common import Judge, read

CUT_STEP = 1 / 7       # candidate cuts this far apart, x the digit height
CUT_REACH = 0.6        # a cut's path strays at most this x CUT_STEP from its column
STRAY_COST = 0.3       # cost of straying from the column, per CUT_STEP, against ink
MAX_SPAN = 1.6         # one digit is at most this wide x the digit height
MIN_TALL = 0.45        # ... and its ink at least this tall x the piece's
DIGIT_COST = 0.7       # the length prior: the cost of one more digit
LONE_DIGIT_COST = 2.0  # ... when the piece is alone in the image
CUT_COST = 0.8         # per stroke cut through
WIDE_FROM = 0.9        # digits wider than this x the digit height pay WIDE_COST ...
WIDE_COST = 8.0        # ... per (excess width)^2
UNLIKE_COST = 0.5      # per unit of log-odds that a candidate is not a digit at all
MAX_CUTS = 60          # beyond this many candidates the piece is noise: it stays whole


@dataclass(frozen=True)
class Segment:
    """One digit of a cut piece: its pixels (bool, the piece's window) and grey crop."""

    pixels: np.ndarray
    crop: np.ndarray


def best_partition(mask: np.ndarray, grey: np.ndarray, height: float, judge: Judge,
                   alone: bool, whole: bool = True) -> list[Segment]:
    """The digits of a piece of ink, left to right: one Segment or several.

    ``mask`` bool (h, w) is the piece, ``grey`` float (h, w) its ink (other ink already
    removed), ``height`` the digit height in pixels. One Segment (the whole) when no
    partition reads better; ``whole`` False when the piece is known to hold several
    digits (then the whole comes back only when no cut can be made).
    """
    h, w = mask.shape
    step = max(2.0, CUT_STEP * height)
    columns = np.arange(step, w - step / 2, step)
    if columns.size == 0 or columns.size > MAX_CUTS:
        return [Segment(mask, np.where(mask, grey, 0.0).astype(np.float32))]
    thick = max(stroke_width(mask), 1.0)
    paths, crossed = [], []
    for c in columns:
        path, ink = _least_ink_path(mask, grey, c, max(1, round(CUT_REACH * step)), step)
        paths.append(path)
        crossed.append(ink / thick)
    # Boundaries: the piece's left edge, the cuts, its right edge (as per-row columns).
    bounds = [np.zeros(h, int)] + paths + [np.full(h, w)]
    n = len(bounds)
    region = dilate(mask, 2)
    xs = np.arange(w)[None, :]
    spans, crops, pieces = [], [], []

    def add(i: int, j: int, own: np.ndarray, inside: np.ndarray) -> None:
        spans.append((i, j))
        pieces.append(own)
        crops.append(np.where(region & inside, grey, 0.0).astype(np.float32))

    for i in range(n - 1):
        for j in range(i + 1, n):
            if (i, j) == (0, n - 1):
                continue  # the whole piece: added below, whatever its width
            if j > i + 1 and bounds[j].mean() - bounds[i].mean() > MAX_SPAN * height:
                break
            inside = (xs >= bounds[i][:, None]) & (xs < bounds[j][:, None])
            own = mask & inside
            rows = np.flatnonzero(own.any(axis=1))
            if rows.size and rows[-1] + 1 - rows[0] >= MIN_TALL * h:
                add(i, j, own, inside)
    if whole or not spans:
        add(0, n - 1, mask, np.ones_like(mask))
    probs, likeness = read(judge, [_trim(c) for c in crops])
    top = probs.max(axis=1)
    reading = -np.log(np.maximum(top, 1e-12)) + UNLIKE_COST * np.maximum(0.0, -likeness)
    per_digit = LONE_DIGIT_COST if alone else DIGIT_COST
    cost = {}
    for (i, j), own, r in zip(spans, pieces, reading):
        cols = np.flatnonzero(own.any(axis=0))
        width = (cols[-1] + 1 - cols[0]) / height if cols.size else 0.0
        wide = max(0.0, width - WIDE_FROM)
        cut = CUT_COST * crossed[j - 1] if j < n - 1 else 0.0
        cost[i, j] = (r + per_digit + WIDE_COST * wide * wide + cut, own)
    best = np.full(n, math.inf)
    back = np.zeros(n, int)
    best[0] = 0.0
    for j in range(1, n):
        for i in range(j):
            if (i, j) in cost and best[i] + cost[i, j][0] < best[j]:
                best[j], back[j] = best[i] + cost[i, j][0], i
    if not np.isfinite(best[n - 1]):
        return [Segment(mask, np.where(mask, grey, 0.0).astype(np.float32))]
    chosen, j = [], n - 1
    while j > 0:
        chosen.append((back[j], j))
        j = back[j]
    out = []
    for i, j in reversed(chosen):
        own = cost[i, j][1]
        inside = (xs >= bounds[i][:, None]) & (xs < bounds[j][:, None])
        out.append(Segment(own, np.where(region & inside, grey, 0.0).astype(np.float32)))
    return out


def _trim(crop: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        return crop
    return crop[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def _least_ink_path(mask: np.ndarray, grey: np.ndarray, column: float, reach: int,
                    step: float) -> tuple[np.ndarray, float]:
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
    total = cost[0].copy()
    move = np.zeros((h, hi - lo), np.int8)
    for row in range(1, h):
        options = np.stack([np.r_[np.inf, total[:-1]], total, np.r_[total[1:], np.inf]])
        choice = options.argmin(axis=0)
        move[row] = choice - 1
        total = options[choice, np.arange(hi - lo)] + cost[row]
    path = np.empty(h, int)
    path[-1] = int(np.argmin(total))
    for row in range(h - 1, 0, -1):
        path[row - 1] = path[row] + move[row, path[row]]
    crossed = float(ink[np.arange(h), path].sum())
    return path + lo, crossed
