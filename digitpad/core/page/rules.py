"""Ruled lines, a page's margin and the borders of boxes, found and taken out of an
ink mask (step 4 of the scan pipeline in images.py).

Lines are long, thin and straight: within about ten degrees of horizontal or
vertical, found on a reduced copy of the mask, then measured on the full one.
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
# A straight line this many times longer than the writing is high is no stroke of a
# digit, even where digits sit on it or hang from it (a printed baseline under an
# amount, the top of a box): across and down.
LONG_ACROSS = 3.0
LONG_DOWN = 2.0
# A vertical line this long x the writing's height, within ONE_GAP heights of it and
# level with it, may be a 1 beside the other digits: it is not taken for a margin.
ONE_LENGTH = (0.6, 1.25)
ONE_GAP = 0.8
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
        for ys, ok in _rows_near(self.y_at(xs), -self.half_width, self.half_width, height):
            rows.append(ys[ok])
            cols.append(xs[ok])
        return np.concatenate(rows), np.concatenate(cols)


def _rows_near(
    centre: np.ndarray, lo: float, hi: float, height: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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
    if w < LINE_MIN_LENGTH:
        return []  # too narrow for a line that could be a rule
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
    """For each coarse find, whether it passes _measure_line's first tests (ink in most
    columns near the guessed line, and in most of them a short run clear of the
    window's edges); bool (C,). The same arithmetic, one row per find."""
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
    count = np.zeros(xs.shape, np.int64)
    edges = np.zeros(xs.shape, bool)
    for dy in range(-reach, reach + 1):
        ys = base + dy
        ink = mask[np.clip(ys, 0, h - 1), xs_safe] & (ys >= 0) & (ys < h) & valid
        count += ink
        if dy in (-reach, reach):
            edges |= ink
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


def _measure_line(
    mask: np.ndarray, factor: int, slope: float, row: int, start: int, end: int
) -> Line | None:
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


def remove_rules(
    mask: np.ndarray,
    values: np.ndarray | None = None,
    search: np.ndarray | None = None,
    *,
    speck_fraction: float,
    min_contrast: float,
) -> tuple[np.ndarray, np.ndarray]:
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

    `speck_fraction` and `min_contrast` are the ink mask's own thresholds: pieces of
    ink smaller than that fraction of the shorter side are specks, and the writing
    must be darker than the rules by that much to be told from them.
    """
    h, w = mask.shape
    search = mask if search is None else search
    horizontal = find_lines(search)
    vertical = find_lines(search.T)
    nothing = np.zeros_like(mask)
    if not horizontal and not vertical:
        return mask, nothing
    near = _bands(mask.shape, horizontal, vertical)
    # The rest of the ink: what is left away from every line, less specks and bits of
    # lines too short to be found (where a tilted rule leaves the image, say).
    rest = mask & ~raster.dilate(near, 2)
    comps = raster.Components(rest)
    if comps.n:
        size = comps.box[:, 2:] - comps.box[:, :2]
        finest = max(line.thickness for line in horizontal + vertical)
        thin = (size.max(axis=1) >= LINE_ASPECT * size.min(axis=1)) | (
            (size.max(axis=1) >= 4 * size.min(axis=1)) & (size.min(axis=1) <= 2 * finest + 1)
        )
        big = comps.extent >= max(3, speck_fraction * min(h, w), 0.25 * comps.extent.max())
        rest = comps.mask_of(~thin & big)

    tol = max(3.0, 0.02 * min(h, w), 2 * max(line.thickness for line in horizontal + vertical))
    sides_v = [_meets_at_both_ends(v, horizontal, tol) for v in vertical]
    sides_h = [
        any(s and _touches(v, hline, tol) for v, s in zip(vertical, sides_v))
        for hline in horizontal
    ]

    sides_h_lines = [line for line, side in zip(horizontal, sides_h) if side]
    sides_v_lines = [line for line, side in zip(vertical, sides_v) if side]
    tall = _writing_height(rest)
    rules_h = [
        line
        for line, side in zip(horizontal, sides_h)
        if side or _apart(line, rest) or line.x1 - line.x0 > LONG_ACROSS * tall
    ]
    if rest.any():
        rules_v = [
            line
            for line, side in zip(vertical, sides_v)
            if side
            or (_apart(line, rest.T) and not _like_a_one(line, rest, tall))
            or line.x1 - line.x0 > LONG_DOWN * tall
        ]
    else:
        rules_v = [
            line
            for line, side in zip(vertical, sides_v)
            if side or _margin(line, vertical, h, w, bool(horizontal))
        ]
    # How dark the writing is against the rules: where clearly darker, a stroke's
    # pixels on a rule can be told from the rule's.
    split = np.inf
    if values is not None and rest.any() and (rules_h or rules_v):
        on_rules = _bands(mask.shape, rules_h, rules_v) & mask & ~rest
        if on_rules.any():
            writing = float(np.median(values[rest]))
            ruling = float(np.median(values[on_rules]))
            if writing - ruling > min_contrast:
                split = (writing + ruling) / 2
    removed = np.zeros_like(mask)
    for line in rules_h:
        ys, xs = _line_pixels(mask, _across(line, w, line in sides_h_lines), values, split)
        removed[ys, xs] = True
    for line in rules_v:
        xs, ys = _line_pixels(
            mask.T,
            _across(line, h, line in sides_v_lines),
            None if values is None else values.T,
            split,
        )
        removed[ys, xs] = True
    return mask & ~removed, removed


def _writing_height(rest: np.ndarray) -> float:
    """The typical height of the writing away from the lines (inf when there is none)."""
    comps = raster.Components(rest)
    if comps.n == 0:
        return math.inf
    heights = (comps.box[:, 3] - comps.box[:, 1]).astype(np.float64)
    heights = heights[heights >= 0.5 * heights.max()]
    return float(np.median(heights))


def _bands(shape: tuple[int, int], horizontal: list[Line], vertical: list[Line]) -> np.ndarray:
    """bool (H, W): the pixels of the lines' bands (vertical lines are found on the
    transposed mask, so their bands come as (x, y))."""
    h, w = shape
    out = np.zeros(shape, bool)
    for line in horizontal:
        ys, xs = line.band(h)
        out[ys, xs] = True
    for line in vertical:
        xs, ys = line.band(w)
        out[ys, xs] = True
    return out


def _margin(line: Line, vertical: list[Line], h: int, w: int, ruled: bool) -> bool:
    """With nothing but lines, whether a vertical one is a page's margin or one of a
    set of columns rather than a 1 (or the two sides of a narrow 0 or 8): it spans the
    page among ruled lines, or others stand well apart from it."""
    if ruled and line.x1 - line.x0 >= 0.9 * h:
        return True
    middle = (line.x0 + line.x1) / 2
    return any(
        abs(other.y_at(middle) - line.y_at(middle)) >= 0.3 * w
        for other in vertical
        if other is not line
    )


def _like_a_one(line: Line, rest: np.ndarray, tall: float) -> bool:
    """Whether a vertical line (transposed coordinates) could be a 1 written beside the
    other digits: about as long as they are high, close to them, and level with them."""
    if (
        not math.isfinite(tall)
        or not ONE_LENGTH[0] * tall <= line.x1 - line.x0 <= ONE_LENGTH[1] * tall
    ):
        return False
    rows, cols = np.flatnonzero(rest.any(axis=1)), np.flatnonzero(rest.any(axis=0))
    x = line.y_at((line.x0 + line.x1) / 2)
    gap = max(cols[0] - x, x - cols[-1], 0.0)
    overlap = min(line.x1, rows[-1] + 1) - max(line.x0, rows[0])
    return gap <= ONE_GAP * tall and overlap >= 0.5 * (line.x1 - line.x0)


def _apart(line: Line, rest: np.ndarray, beside: bool = True) -> bool:
    """Whether a line that is no box's side stands apart from the rest of the ink.

    Apart: nothing else at all (no digit is a lone horizontal line); or it passes
    clear of the rest, above or below it; or it runs well beyond the rest at both
    ends, where an end cut off by the top or bottom of the image (a tilted rule)
    counts as beyond. The bar of a 7 or a 4 and the top of a 5 are none of these.
    ``beside`` False (vertical lines): passing clear of the rest is not enough, since
    a 1 stands beside the other digits as straight as a rule.
    """
    height = rest.shape[0]
    rows, cols = np.flatnonzero(rest.any(axis=1)), np.flatnonzero(rest.any(axis=0))
    if rows.size == 0:
        return True
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    gap = max(2 * (line.half_width + 2), 0.1 * (bottom - top))
    ys = line.y_at(np.array([line.x0, line.x1 - 1], dtype=np.float64))
    if beside and (ys.max() < top - gap or ys.min() > bottom + gap):
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
        hits.append(
            any(hl.x0 - tol <= x <= hl.x1 + tol and abs(hl.y_at(x) - y) <= tol for hl in horizontal)
        )
    return all(hits)


def _line_pixels(
    mask: np.ndarray, line: Line, values: np.ndarray | None = None, darker_than: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
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
