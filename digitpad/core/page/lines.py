"""Long, thin, straight lines in an ink mask: ruled lines, a page's margin, the sides
of boxes. Within about ten degrees of horizontal (transpose the mask for vertical),
found on a reduced copy of the mask, then measured on the full one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from digitpad.core import raster

Columns = TypeVar("Columns", float, np.ndarray)

# Ruled lines and box borders: straight within this slope (about 10 degrees), at least
# this fraction of the image's width (height, for vertical ones) long, and at least
# this many times longer than thick.
LINE_MAX_SLOPE = 0.18
LINE_SPAN = 0.3
LINE_ASPECT = 10.0
LINE_MIN_LENGTH = 40  # pixels: in a digit-sized image every straight stroke is writing
# Gaps up to this fraction of the width are bridged: a faint rule breaks up when
# thresholded.
LINE_GAP = 0.05
# At most this many lines each way (graph paper has dozens).
MAX_LINES = 128
# Line detection runs on the mask reduced to about this many pixels on the longer side.
LINE_GRID = 400


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

    def y_at(self, x: Columns) -> Columns:
        """The centre line's row at column x, or rows at an array of columns."""
        return self.slope * x + self.offset

    @property
    def half_width(self) -> float:
        return self.thickness / 2 + 1.5

    def band(self, height: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the pixels within half_width of the centre line, over the
        line's extent, in a mask of that height."""
        xs = np.arange(self.x0, self.x1)
        rows, cols = [], []
        for ys, ok in rows_near(self.y_at(xs), -self.half_width, self.half_width, height):
            rows.append(ys[ok])
            cols.append(xs[ok])
        return np.concatenate(rows), np.concatenate(cols)


def rows_near(
    centre: np.ndarray, lo: float, hi: float, height: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(rows, valid) per step: for each column, the whole rows y with
    lo <= y - centre <= hi, one row per step (rounding alone would skip rows)."""
    base = np.floor(centre).astype(np.int64)
    for k in range(math.floor(lo) - 1, math.ceil(hi) + 2):
        ys = base + k
        offset = ys - centre
        yield ys, (offset >= lo) & (offset <= hi) & (ys >= 0) & (ys < height)


def find_lines(
    mask: np.ndarray, min_length: int = LINE_MIN_LENGTH, min_aspect: float = LINE_ASPECT
) -> list[Line]:
    """Nearly horizontal straight thin lines in a boolean mask (transpose for vertical).

    A coarse search on the mask reduced to LINE_GRID: shear it for each slope and
    count the columns covered within a three-row band; bands that cover LINE_SPAN of
    the width are lines, longest first. Each is then measured on the full mask.
    """
    h, w = mask.shape
    if w < min_length:
        return []  # too narrow for a line that could be a rule
    factor = max(1, math.ceil(max(h, w) / LINE_GRID))
    small = _any_pool(mask, factor)
    sh, sw = small.shape
    span = LINE_SPAN * sw
    if sw < 3 or int(small.any(axis=0).sum()) < span:
        return []
    step = 1.0 / max(span, 1.0)
    slopes = step * np.arange(-int(LINE_MAX_SLOPE / step), int(LINE_MAX_SLOPE / step) + 1)
    pad = math.ceil(LINE_MAX_SLOPE * sw) + 2
    cover, exact = _sheared_counts(small, slopes, pad)
    # A line shows up at its own slope and, weaker, at neighbouring ones: keep the best
    # slope for each row, then the rows where that peaks. A thick line covers the band
    # at several slopes; the single row it fills best breaks the tie.
    which = (cover * (sw + 1) + exact).argmax(axis=0)
    best = cover[which, np.arange(cover.shape[1])]
    peaks = np.flatnonzero(
        (best >= span) & (best >= np.roll(best, 1)) & (best >= np.roll(best, -1))
    )
    found = sorted(
        ((int(best[r]), float(slopes[which[r]]), int(r) - pad) for r in peaks),
        key=lambda item: -item[0],
    )
    work = small.copy()
    lines: list[Line] = []
    cols = np.arange(sw)
    gap = max(2, round(LINE_GAP * sw))
    # Until the first line is taken, `work` is `small` and each find is judged alone:
    # judge them all at once, and go one by one only from the first that passes. Most
    # finds on a page without rules are rows of a thick stroke, refused by the first
    # test of _measure_line; judged together they cost one pass, not one each.
    first = _first_candidate(mask, small, factor, found, gap, span)
    for k, (_, slope, row) in enumerate(found):
        if k < first:
            continue
        centre = row + np.round(cols * slope).astype(np.int64)
        covered = np.zeros(sw, bool)
        for dy in (-1, 0, 1):
            yy = centre + dy
            ok = (yy >= 0) & (yy < sh)
            covered[ok] |= work[yy[ok], cols[ok]]
        start, end = _longest_run(covered, gap=gap)
        if end - start < span:
            continue
        line = _measure_line(mask, factor, slope, row, start, end, min_length, min_aspect)
        if line is None or any(same(line, other) for other in lines):
            continue
        lines.append(line)
        for dy in (-2, -1, 0, 1, 2):
            yy = centre[start:end] + dy
            ok = (yy >= 0) & (yy < sh)
            work[yy[ok], cols[start:end][ok]] = False
        if len(lines) >= MAX_LINES:
            break
    return lines


def _sheared_counts(
    small: np.ndarray, slopes: np.ndarray, pad: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each slope, the mask sheared by it (column x moved up by round(x * slope),
    rows offset by `pad`): per row, how many columns have ink within one row of it
    (cover) and on it (exact); int (slopes, rows + 2 * pad) each.

    Shearing moves whole columns, so it commutes with a dilation down the columns, and
    each column's runs of ink move as a whole: both counts are sums of shifted runs,
    one difference histogram for all slopes.
    """
    sh, sw = small.shape
    height = sh + 2 * pad
    stride = height + 1  # a run ending on the last row steps down into the spare one
    shift = pad - np.round(np.arange(sw)[None, :] * slopes[:, None]).astype(np.int64)
    base = (np.arange(len(slopes), dtype=np.int64) * stride)[:, None]

    def histogram(columns: np.ndarray, offset: int) -> np.ndarray:
        xs, tops, bottoms = raster.runs(columns)  # runs down each column
        at = base + shift[:, xs] + offset
        steps = np.bincount((at + tops).ravel(), minlength=len(slopes) * stride)
        steps -= np.bincount((at + bottoms).ravel(), minlength=len(slopes) * stride)
        return np.cumsum(steps.reshape(len(slopes), stride), axis=1)[:, :height]

    band = np.zeros((sw, sh + 2), bool)  # columns as rows; one row beyond each edge
    small_t = small.T
    band[:, :-2] |= small_t
    band[:, 1:-1] |= small_t
    band[:, 2:] |= small_t
    return histogram(band, -1), histogram(small_t, 0)


def _first_candidate(
    mask: np.ndarray,
    small: np.ndarray,
    factor: int,
    found: list[tuple[int, float, int]],
    gap: int,
    span: float,
) -> int:
    """The index of the first find that might be a line (the rest before it are not),
    judged as find_lines' loop judges it while no line has been taken; len(found) when
    none might. Exactly the loop's own tests: the longest covered run, then the first
    tests of _measure_line; a find that passes them is measured in full by the loop."""
    if not found:
        return 0
    sh, sw = small.shape
    slopes = np.array([f[1] for f in found])
    rows = np.array([f[2] for f in found], np.int64)
    cols = np.arange(sw)
    centre = rows[:, None] + np.round(cols[None, :] * slopes[:, None]).astype(np.int64)
    covered = np.zeros((len(found), sw), bool)
    for dy in (-1, 0, 1):
        yy = centre + dy
        ok = (yy >= 0) & (yy < sh)
        covered |= small[np.clip(yy, 0, sh - 1), cols[None, :]] & ok
    starts, ends = _longest_runs(covered, gap)
    maybe = np.flatnonzero(ends - starts >= span)
    if maybe.size == 0:
        return len(found)
    passed = _thin_enough(mask, factor, slopes[maybe], rows[maybe], starts[maybe], ends[maybe])
    if not passed.any():
        return len(found)
    return int(maybe[np.argmax(passed)])


def _longest_runs(flags: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """_longest_run for each row of a (C, N) array: starts (C,) and ends (C,)."""
    c, n = flags.shape
    at = np.broadcast_to(np.arange(n), (c, n))
    before = np.maximum.accumulate(np.where(flags, at, -1), axis=1)
    after = np.minimum.accumulate(np.where(flags, at, n)[:, ::-1], axis=1)[:, ::-1]
    # A run of False between two Trues and no longer than `gap` is bridged.
    filled = flags | ((before >= 0) & (after < n) & (after - before - 1 <= gap))
    edge = np.zeros((c, 1), bool)
    begins = filled & ~np.concatenate([edge, filled[:, :-1]], axis=1)
    finishes = filled & ~np.concatenate([filled[:, 1:], edge], axis=1)
    start_of = np.maximum.accumulate(np.where(begins, at, 0), axis=1)
    length = np.where(finishes, at - start_of + 1, 0)
    last = length.argmax(axis=1)  # the first of the longest, as _longest_run
    rows = np.arange(c)
    some = length[rows, last] > 0
    return np.where(some, start_of[rows, last], 0), np.where(some, last + 1, 0)


def _thin_enough(
    mask: np.ndarray,
    factor: int,
    slopes: np.ndarray,
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """For each coarse find, whether _near_line lets it through; bool (C,). The same
    arithmetic, one row per find."""
    h, w = mask.shape
    x0 = starts * factor
    x1 = np.minimum(ends * factor, w)
    size = np.maximum(x1 - x0, 0)
    width = int(size.max()) if size.size else 0
    if width < 2:
        return np.zeros(len(rows), bool)
    xs = x0[:, None] + np.arange(width)[None, :]  # (C, width)
    valid = xs < x1[:, None]
    xs_safe = np.minimum(xs, w - 1)
    guess = rows[:, None] * factor + (factor - 1) / 2 + slopes[:, None] * xs
    reach = 2 * factor + 2
    base = np.round(guess).astype(np.int64)
    ys = base[None] + np.arange(-reach, reach + 1)[:, None, None]  # (rows, C, width)
    ink = mask[np.clip(ys, 0, h - 1), xs_safe[None]] & (ys >= 0) & (ys < h) & valid[None]
    count = ink.sum(axis=0)
    edges = ink[0] | ink[-1]
    present = count > 0
    n_present = present.sum(axis=1)
    enough = (size >= 2) & (n_present / np.maximum(size, 1) >= 0.6)
    # The median of each row's present counts, as np.median takes it (the mean of the
    # two middle values); absent columns sort last, above any count.
    ordered = np.sort(np.where(present, count, 2 * reach + 2), axis=1)
    pick = np.arange(len(rows))
    lo = ordered[pick, np.maximum(n_present - 1, 0) // 2]
    hi = ordered[pick, np.minimum(n_present // 2, width - 1)]
    thickness = (lo + hi) / 2
    clean = present & (count <= 1.5 * thickness[:, None] + 1) & ~edges
    return enough & (clean.sum(axis=1) >= np.maximum(2, 0.5 * size))


def same(a: Line, b: Line) -> bool:
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
    return np.asarray(padded.reshape(gh, factor, gw, factor).any(axis=(1, 3)))


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


def _near_line(
    mask: np.ndarray, factor: int, slope: float, row: int, start: int, end: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The ink in a window of rows around a coarse find, on the full mask, when it may
    be a line: ink in most columns, and in most of them a short run clear of the
    window's edges. (xs, ys, ink, count, clean, thickness), or None.
    _thin_enough makes the same tests for many finds at once."""
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
    return xs, ys, ink, count, clean, thickness


def _measure_line(
    mask: np.ndarray,
    factor: int,
    slope: float,
    row: int,
    start: int,
    end: int,
    min_length: int = LINE_MIN_LENGTH,
    min_aspect: float = LINE_ASPECT,
) -> Line | None:
    """Fit a coarse find on the full mask: centre line, thickness, extent; or None.

    None when it is not thin and straight: most columns must show a short run of ink
    close to one straight line (a stroke that crosses it spoils only a few columns).
    """
    h, w = mask.shape
    near = _near_line(mask, factor, slope, row, start, end)
    if near is None:
        return None
    xs, ys, ink, count, clean, thickness = near
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
    for yy, ok in rows_near(centre, -half, half, h):
        on[ok] |= mask[yy[ok], all_x[ok]]
    x0, x1 = _longest_run(on, gap=max(3, 2 * factor, round(LINE_GAP * w)))
    length = x1 - x0
    if length < max(LINE_SPAN * w, min_length, min_aspect * max(thickness, 1.0)):
        return None
    if on[x0:x1].mean() < 0.6:
        return None  # more gap than line
    return Line(x0, x1, float(fit[0]), float(fit[1]), thickness)
