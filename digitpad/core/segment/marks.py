"""Separators and marks written among digits: ".", ",", "-", "=".

People write amounts as "15.728,50", "100.-" or "2.500=": the marks are not digits,
and read as digits they ruin the number (a dash reads as a 5 or a 1, a dot joins the
0 beside it). They are told apart by their size and place in the line of writing,
before any merging, so that a mark never becomes part of a digit and a digit never
becomes a mark:

- the line: the tops and bottoms of the tall pieces (the digits) give its band;
- a mark is a small piece (at most MARK_HEIGHT of the band high) that stands beside
  the digits, not above or below one (a 5's loose bar, a 7's bar, the foot of a 2
  overlap their digit's columns and are no marks);
- a dot is small and round-ish in the lower part of the band, a comma the same but
  taller than wide or reaching below the line; a dash is flat and long anywhere in
  the band; two dashes one above the other are "=".

Only decisions on boxes and areas: pure NumPy, no recogniser.
"""

from __future__ import annotations

import numpy as np

TALL = 0.6  # pieces this tall x the tallest are the digits that give the band
MARK_HEIGHT = 0.4  # a mark is at most this high x the band
DOT_SIZE = 0.3  # a dot's longer side: at most this x the band ...
DOT_MIN = 0.06  # ... and at least this (smaller is dust)
DOT_FILL = 0.35  # a dot is filled: its area over its box's
DOT_LOW = 0.55  # a dot's centre lies at least this far down the band (0 top, 1 base)
COMMA_TALL = 1.5  # a dot-sized comma is this much taller than wide, or reaches below
COMMA_HEIGHT = 0.6  # a longer comma: at most this high x the band ...
COMMA_THIN = 0.6  # ... at most this wide x its height ...
COMMA_TOP = 0.5  # ... and starting at least this far down the band
DASH_FLAT = 1.8  # a dash is at least this many times wider than high ...
DASH_WIDTH = 0.15  # ... at least this wide x the band, at most DASH_MAX
DASH_MAX = 1.6
DASH_HEIGHT = 0.3  # ... and at most this high x the band
BESIDE = 0.3  # a mark overlaps a digit's columns by at most this x its own width
EQUALS_GAP = 0.5  # the two bars of "=": this close (x the band) one above the other
EQUALS_OVERLAP = 0.5  # ... and overlapping this much horizontally (x the narrower)


def find_marks(boxes: np.ndarray, areas: np.ndarray) -> list[tuple[str, list[int]]]:
    """Marks among the pieces of a line: [(char, [indices of its pieces]), ...].

    ``boxes`` int (N, 4) as (x0, y0, x1, y1), end-exclusive; ``areas`` (N,) in pixels.
    Needs at least one digit-sized piece to give the line; [] otherwise.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    areas = np.asarray(areas, dtype=np.float64).reshape(-1)
    if len(boxes) < 2:
        return []
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    tall = h >= TALL * h.max()
    top, base = float(np.median(boxes[tall, 1])), float(np.median(boxes[tall, 3]))
    band = base - top
    if band < 8:
        return []
    small = (h <= MARK_HEIGHT * band) & (w <= DASH_MAX * band)
    beside = _beside(boxes, tall)
    centre = ((boxes[:, 1] + boxes[:, 3]) / 2 - top) / band
    fill = areas / np.maximum(w * h, 1)
    longer = np.maximum(w, h)
    dot = (
        small
        & beside
        & (longer <= DOT_SIZE * band)
        & (longer >= max(3.0, DOT_MIN * band))
        & (fill >= DOT_FILL)
        & (centre >= DOT_LOW)
    )
    dash = (
        small
        & beside
        & (h <= DASH_HEIGHT * band)
        & (w >= DASH_FLAT * h)
        & (w >= DASH_WIDTH * band)
        & (centre >= -0.3)
        & (centre <= 1.1)
    )
    # A comma: a short thin stroke that starts low in the band and reaches its base or
    # below (a small 0 or 1 of an amount is as wide as high, or starts higher).
    comma = (
        beside
        & (h <= COMMA_HEIGHT * band)
        & (w <= COMMA_THIN * h)
        & (w <= DOT_SIZE * band)
        & ((boxes[:, 1] - top) / band >= COMMA_TOP)
        & (boxes[:, 3] >= base - 0.05 * band)
        & (h >= max(3.0, DOT_MIN * band))
    )
    dot &= ~dash
    comma &= ~dot & ~dash
    marks: list[tuple[str, list[int]]] = []
    used: set[int] = set()
    dashes = [int(k) for k in np.flatnonzero(dash)]
    for i in dashes:
        for j in dashes:
            if i < j and i not in used and j not in used and _stacked(boxes[i], boxes[j], band):
                marks.append(("=", [i, j]))
                used |= {i, j}
    for k in map(int, dashes):
        if k not in used:
            marks.append(("-", [k]))
    for k in map(int, np.flatnonzero(dot)):
        below = boxes[k, 3] > base + 0.1 * band
        marks.append(("," if h[k] >= COMMA_TALL * w[k] or below else ".", [int(k)]))
    for k in map(int, np.flatnonzero(comma)):
        marks.append((",", [int(k)]))
    return sorted(marks, key=lambda mark: boxes[mark[1], 0].min())


def _beside(boxes: np.ndarray, tall: np.ndarray) -> np.ndarray:
    """Per piece: does it stand beside the digits rather than above or below one?"""
    digits = boxes[tall]
    across = np.minimum(boxes[:, None, 2], digits[None, :, 2]) - np.maximum(
        boxes[:, None, 0], digits[None, :, 0]
    )  # (N, digits)
    own = np.maximum(boxes[:, 2] - boxes[:, 0], 1.0)
    return ~(across > BESIDE * own[:, None]).any(axis=1) | tall


def _stacked(a: np.ndarray, b: np.ndarray, band: float) -> bool:
    across = min(a[2], b[2]) - max(a[0], b[0])
    narrower = max(min(a[2] - a[0], b[2] - b[0]), 1.0)
    gap = max(a[1], b[1]) - min(a[3], b[3])
    return across >= EQUALS_OVERLAP * narrower and gap <= EQUALS_GAP * band
