"""Splitting a drawing into its digits, left to right (see the package's docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.core.io.drawing import Drawing
from digitpad.core.page.field import speck_size
from digitpad.core.segment.common import Judge, cap_digits, min_distance, read

MAX_STROKES = 4  # at most this many strokes in one digit
# Logistic model of "the next stroke continues the current digit" over the features of
# _continuation_features; fitted on the stroke transitions of 6,000 synthetic pen
# numbers (digits of one writer of the pen-digits set side by side, synth.pen_numbers)
# and 2,000 single digits written in several strokes. Fitted on writers 1-15 it
# misjudged 44 of 17,010 transitions by writers 16-30; these weights are fitted on all.
CONTINUE_WEIGHTS = np.array([-1.36, -1.57, -4.42, -13.48, -14.34, -7.29, -8.11, 14.44, -4.03])
JUDGE_WEIGHT = 1.0  # weight of log(confidence) against the geometric log-odds
UNLIKELY = math.log(1e-3)  # candidate digits less likely than this are not judged
CERTAIN = math.log(0.95)  # a partition at least this likely needs no judge
EPS = 1e-6
JUDGE_MAX_STROKES = 60  # longer drawings are split by geometry alone (bounded time)
MAX_SEQUENCE = 120  # longer ones than this (not handwriting) by overlap alone
LATE_STROKE_HEIGHT = 0.5  # a stroke lower than this (x digit height) may be a late addition:
LATE_OVERLAP = 0.6  # ... it moves to a digit holding this much of its width
LATE_OWN_OVERLAP = 0.2  # ... unless this much lies over the rest of its own group
LATE_GAP = 0.3  # ... and whose ink it comes this near (x digit height)


@dataclass(frozen=True)
class DrawingPart:
    drawing: Drawing  # the digit's strokes, same canvas
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of its points, canvas pixels


def split_drawing(
    drawing: Drawing, max_digits: int | None = None, judge: Judge | None = None
) -> list[DrawingPart]:
    """The drawing's digits, left to right; [] when it holds only specks or nothing."""
    if drawing.is_empty():
        return []
    bounds = drawing.bounds()
    assert bounds is not None  # not empty
    if max_digits == 1:
        return [DrawingPart(drawing, bounds)]
    strokes = drawing.strokes
    tiny = speck_size(drawing)
    real = [i for i, s in enumerate(strokes) if _extent(s) >= tiny]
    if not real:
        return []
    height = typical_height([strokes[i] for i in real], tiny)
    if len(real) > MAX_SEQUENCE:  # not handwriting: bounded time, by overlap alone
        groups = _overlapping(real, strokes)
    else:
        cap = int(np.clip(6000 // len(real), 60, 400))  # points per stroke, for distances
        dense = {i: _dense(strokes[i][:, :2], height / 25, cap) for i in real}
        groups = _partition(
            real, strokes, dense, height, drawing, judge if len(real) <= JUDGE_MAX_STROKES else None
        )
        groups = _attach_late_strokes(groups, strokes, dense, height)
    _attach_specks(groups, strokes, sorted(set(range(len(strokes))) - set(real)), height)
    boxes = [_stroke_box(strokes, g) for g in groups]
    order = sorted(range(len(groups)), key=lambda k: (boxes[k][0] + boxes[k][2]) / 2)
    groups, boxes = [groups[k] for k in order], [boxes[k] for k in order]
    if max_digits is not None:
        groups = cap_digits(
            groups, boxes, max_digits, lambda g: _stroke_box(strokes, g), lambda a, b: sorted(a + b)
        )
        boxes = [_stroke_box(strokes, g) for g in groups]
    return [DrawingPart(_sub_drawing(drawing, g), b) for g, b in zip(groups, boxes)]


def typical_height(strokes: Sequence[np.ndarray], floor: float = 1e-6) -> float:
    """The height of a digit in this writing: the median height of the tall strokes.

    Strokes under half the tallest (a 5's bar, a 7's cross) do not count.
    """
    heights = np.array([np.ptp(s[:, 1]) for s in strokes])
    tall = heights[heights >= 0.5 * heights.max()]
    return max(float(np.median(tall)), floor)


def _extent(stroke: np.ndarray) -> float:
    return float(np.ptp(stroke[:, :2], axis=0).max())


def _dense(xy: np.ndarray, step: float, cap: int = 400) -> np.ndarray:
    """The polyline resampled at ``step`` or finer, but at most about ``cap`` points: (K, 2)."""
    if len(xy) > cap:  # more points than needed: every k-th, and the last
        xy = np.concatenate([xy[:: -(-len(xy) // cap)], xy[-1:]])
    if len(xy) < 2:
        return xy.copy()
    seg = np.diff(xy, axis=0)
    pieces = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / max(step, 1e-9))).astype(int)
    total = int(pieces.sum())
    if total > cap:  # long strokes: coarser, to bound the distance computations
        pieces = np.maximum(1, (pieces * cap / total).astype(int))
    index = np.repeat(np.arange(len(seg)), pieces)
    t = (np.arange(len(index)) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 1) / np.repeat(
        pieces, pieces
    )
    return np.concatenate([xy[:1], xy[index] + seg[index] * t[:, None]])


def _continuation_features(
    group: list[int],
    nxt: int,
    strokes: list[np.ndarray],
    dense: dict[int, np.ndarray],
    height: float,
) -> np.ndarray:
    """Features of "stroke ``nxt`` continues the digit made of ``group``", in digit heights."""
    g = np.concatenate([strokes[i][:, :2] for i in group])
    s = strokes[nxt][:, :2]
    gx0, gy0 = g.min(axis=0)
    gx1, gy1 = g.max(axis=0)
    sx0, sy0 = s.min(axis=0)
    sx1, sy1 = s.max(axis=0)
    floor = 0.1 * height  # a vertical stroke has no width; overlap is judged on a 10% band
    overlap = min(gx1, sx1) - max(gx0, sx0)
    vertical = min(gy1, sy1) - max(gy0, sy0)
    distance = min(min_distance(dense[i], dense[nxt]) for i in group)
    return np.array(
        [
            np.clip(overlap / max(sx1 - sx0, floor), -2, 1),  # ... of the stroke
            np.clip(overlap / max(gx1 - gx0, floor), -2, 1),  # ... of the digit so far
            math.log(distance / height + 0.01),
            np.clip((max(gx1, sx1) - min(gx0, sx0)) / height, 0, 3),  # width together
            np.clip((sx0 - gx1) / height, -1.5, 1.5),  # stroke's start past the digit
            np.clip((sy1 - sy0) / height, 0, 1.5),  # stroke's own height
            # Digits of a number stand side by side; parts of one digit can stack (an 8's
            # loops, a 5's bar): how much they share vertically, and how tall together.
            np.clip(vertical / max(min(gy1 - gy0, sy1 - sy0), floor), -2, 1),
            np.clip((max(gy1, sy1) - min(gy0, sy0)) / height, 0, 3),
            1.0,
        ]
    )


def continuation_probability(
    group: list[int],
    nxt: int,
    strokes: list[np.ndarray],
    dense: dict[int, np.ndarray],
    height: float,
) -> float:
    z = float(_continuation_features(group, nxt, strokes, dense, height) @ CONTINUE_WEIGHTS)
    return 1.0 / (1.0 + math.exp(-min(max(z, -30.0), 30.0)))


def _partition(
    real: list[int],
    strokes: list[np.ndarray],
    dense: dict[int, np.ndarray],
    height: float,
    drawing: Drawing,
    judge: Judge | None,
) -> list[list[int]]:
    """The best split of the stroke sequence into runs of consecutive strokes.

    The continuation probabilities make a distribution over partitions; when its best
    partition is not clearly the answer, the judge's confidence in each candidate digit
    joins the score.
    """
    n = len(real)
    # geo[i, j]: log-probability that real[i:j] is one digit: its strokes continue one
    # another, and the stroke after it (if any) starts a new digit.
    geo: dict[tuple[int, int], float] = {}
    for i in range(n):
        inside = 0.0
        for j in range(i + 1, min(n, i + MAX_STROKES) + 1):
            if j == n:
                geo[i, j] = inside
                break
            p = continuation_probability(real[i:j], real[j], strokes, dense, height)
            geo[i, j] = inside + math.log(max(1 - p, EPS))
            inside += math.log(max(p, EPS))
    total, groups = _best_partition(n, geo)
    if judge is None or total >= CERTAIN:
        return [real[i:j] for i, j in groups]
    candidates = [key for key, value in geo.items() if value > UNLIKELY or key[1] == key[0] + 1]
    probabilities, _ = read(judge, [_sub_drawing(drawing, real[i:j]) for i, j in candidates])
    confidence = probabilities.max(axis=1)
    scores = {
        key: geo[key] + JUDGE_WEIGHT * math.log(max(float(c), EPS))
        for key, c in zip(candidates, confidence)
    }
    return [real[i:j] for i, j in _best_partition(n, scores)[1]]


def _best_partition(
    n: int, scores: dict[tuple[int, int], float]
) -> tuple[float, list[tuple[int, int]]]:
    """The runs (i, j) covering 0..n with the highest summed score, and that score."""
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_STROKES), j):
            value = best[i] + scores.get((i, j), -math.inf)
            if value > best[j]:
                best[j], back[j] = value, i
    runs = []
    j = n
    while j > 0:
        runs.append((back[j], j))
        j = back[j]
    return best[n], runs[::-1]


def _attach_late_strokes(
    groups: list[list[int]], strokes: list[np.ndarray], dense: dict[int, np.ndarray], height: float
) -> list[list[int]]:
    """A low stroke written after the next digit (a 5's bar, a 7's cross) joins its digit.

    The partition only groups consecutive strokes; a low stroke that lies over another
    digit (most of its width within that digit's, and near its ink) but not over the
    rest of its own group moves there.
    """
    out = [list(g) for g in groups]
    moved = True
    while moved and len(out) > 1:
        moved = False
        for k, group in enumerate(out):
            for i in group:
                if np.ptp(strokes[i][:, 1]) >= LATE_STROKE_HEIGHT * height:
                    continue
                rest = [j for j in group if j != i]
                if rest and _over(strokes, i, rest, height) >= LATE_OWN_OVERLAP:
                    continue
                target = max(
                    (m for m in range(len(out)) if m != k),
                    key=lambda m: _over(strokes, i, out[m], height),
                )
                near = min(min_distance(dense[i], dense[j]) for j in out[target] if j in dense)
                if (
                    _over(strokes, i, out[target], height) >= LATE_OVERLAP
                    and near <= LATE_GAP * height
                ):
                    out[target] = sorted(out[target] + [i])
                    group.remove(i)
                    moved = True
                    break
            if moved:
                out = [g for g in out if g]
                break
    return out


def _over(strokes: list[np.ndarray], i: int, group: list[int], height: float) -> float:
    """How much of stroke i's width lies within the group's (its width floored at 10%)."""
    x = strokes[i][:, 0]
    g = np.concatenate([strokes[j][:, 0] for j in group])
    overlap = min(x.max(), g.max()) - max(x.min(), g.min())
    return overlap / max(np.ptp(x), 0.1 * height)


def _attach_specks(
    groups: list[list[int]], strokes: list[np.ndarray], specks: list[int], height: float
) -> None:
    """Taps and slips join a digit whose box (grown by 10% of a digit) holds them."""
    if not specks:
        return
    pad = 0.1 * height
    centres = np.array([strokes[i][:, :2].mean(axis=0) for i in specks])
    free = np.ones(len(specks), bool)
    for g in groups:
        x0, y0, x1, y1 = _stroke_box(strokes, g)
        inside = (
            free
            & (centres[:, 0] >= x0 - pad)
            & (centres[:, 0] <= x1 + pad)
            & (centres[:, 1] >= y0 - pad)
            & (centres[:, 1] <= y1 + pad)
        )
        g.extend(specks[k] for k in np.flatnonzero(inside))
        g.sort()
        free &= ~inside


def _overlapping(real: list[int], strokes: list[np.ndarray]) -> list[list[int]]:
    """Strokes whose horizontal extents overlap, chained: a fallback for huge drawings."""
    spans = sorted((float(strokes[i][:, 0].min()), float(strokes[i][:, 0].max()), i) for i in real)
    groups: list[list[int]] = []
    right = -math.inf
    for x0, x1, i in spans:
        if groups and x0 <= right:
            groups[-1].append(i)
        else:
            groups.append([i])
        right = max(right, x1) if len(groups[-1]) > 1 else x1
    return [sorted(g) for g in groups]


def _stroke_box(strokes: list[np.ndarray], group: list[int]) -> tuple[float, float, float, float]:
    pts = np.concatenate([strokes[i][:, :2] for i in group])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _sub_drawing(drawing: Drawing, group: list[int]) -> Drawing:
    return Drawing([drawing.strokes[i] for i in sorted(group)], drawing.width, drawing.height)
