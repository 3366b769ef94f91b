"""Ruled lines, a page's margin and the borders of boxes taken out of an ink mask
(step 4 of the scan pipeline in ink.py); the lines themselves are found by lines.py.
"""

from __future__ import annotations

import math

import numpy as np

from digitpad.core import raster
from digitpad.core.page.lines import LINE_ASPECT, Line, find_lines, rows_near, same

# A straight line this many times longer than the writing is high is no stroke of a
# digit, even where digits sit on it or hang from it (a printed baseline under an
# amount, the top of a box): across and down.
LONG_ACROSS = 3.0
LONG_DOWN = 2.0
# A vertical line this long x the writing's height, within ONE_GAP heights of it and
# level with it, may be a 1 beside the other digits: it is not taken for a margin.
ONE_LENGTH = (0.6, 1.25)
ONE_GAP = 0.8
# A horizontal line across this share of the width makes the image a table row or a
# box; then vertical lines from SIDE_MIN_LENGTH pixels, within EDGE_SHARE of the width
# from the left or right edge, may be its sides.
ROW_SPAN = 0.8
SIDE_MIN_LENGTH = 12
SIDE_ASPECT = 6.0  # a blurred 1-px ruling of a low-resolution cell is 4 px thick
SIDE_THIN = 0.75  # x the writing's stroke width: a printed side is thinner (or lighter)
EDGE_SHARE = 0.12
SIDE_SLOPE = 0.04  # about 2 degrees from upright
END_GAP = 0.25
FULL_GAP = 0.06  # ... and one that reaches them within this share of the height is ruled


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
    cell_sides: list[Line] = []
    if any(line.x1 - line.x0 >= ROW_SPAN * w for line in horizontal):
        # A table row or a box across the image: its sides are as short as the row is
        # high (a cell 33 px high), shorter than any rule found otherwise, and one end
        # may be cut off by the crop. Lines found so count only as such sides.
        candidates = [
            line
            for line in find_lines(search.T, SIDE_MIN_LENGTH, SIDE_ASPECT)
            if _cell_side(line, horizontal, h, w)
        ]
        if candidates:
            cell_sides = _printed(candidates, mask, values, horizontal + vertical, min_contrast)
            vertical = [v for v in vertical if not any(same(v, s) for s in cell_sides)]
            vertical += cell_sides
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
    sides_v = [v in cell_sides or _meets_at_both_ends(v, horizontal, tol) for v in vertical]
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


def _printed(
    candidates: list[Line],
    mask: np.ndarray,
    values: np.ndarray | None,
    others: list[Line],
    min_contrast: float,
) -> list[Line]:
    """The vertical lines that look printed, not written: thinner than the writing's
    strokes, or lighter than the writing. A 1 at the end of a cheque amount, standing
    on its baseline, is as thick and as dark as the other digits."""
    h, w = mask.shape
    writing = mask & ~raster.dilate(
        _bands(mask.shape, [], candidates) | _bands(mask.shape, others, []), 2
    )
    if not writing.any():
        return candidates
    stroke = raster.stroke_width(writing, 50.0)
    dark = raster.median(values[writing]) if values is not None else None
    out = []
    for line in candidates:
        if _reaches(line, others, h, max(2.0, FULL_GAP * h)):
            out.append(line)  # from line (or edge) to line: ruled, however drawn
            continue
        xs, ys = line.band(w)
        on = mask[ys, xs]
        lighter = (
            values is not None
            and dark is not None
            and bool(on.any())
            and dark - raster.median(values[ys[on], xs[on]]) > min_contrast
        )
        if line.thickness <= SIDE_THIN * stroke or lighter:
            out.append(line)
    return out


def _cell_side(vertical: Line, horizontal: list[Line], h: int, w: int) -> bool:
    """Whether a vertical line (however short) may be the side of a table cell:
    upright (a 1 or a 9's stem at the end of an amount leans), at the image's left or
    right edge, met or crossed by a horizontal line, and reaching a horizontal line or
    the image's edge at each end (within END_GAP of the height: a faint ruling breaks
    up)."""
    column = vertical.y_at((vertical.x0 + vertical.x1) / 2)
    if min(column, w - 1 - column) > EDGE_SHARE * w or abs(vertical.slope) > SIDE_SLOPE:
        return False
    tol = max(3.0, 2 * vertical.thickness)
    rows = _rows_across(vertical, horizontal, tol)
    if not any(vertical.x0 - tol <= row <= vertical.x1 - 1 + tol for row in rows):
        return False
    return _reaches(vertical, horizontal, h, max(tol, END_GAP * h))


def _rows_across(vertical: Line, horizontal: list[Line], tol: float) -> list[float]:
    """The rows where the horizontal lines pass the vertical line's column."""
    column = vertical.y_at((vertical.x0 + vertical.x1) / 2)
    return [hl.y_at(column) for hl in horizontal if hl.x0 - tol <= column <= hl.x1 + tol]


def _reaches(vertical: Line, horizontal: list[Line], h: int, gap: float) -> bool:
    """Whether both ends of a vertical line come within ``gap`` rows of a horizontal
    line or of the image's top or bottom."""
    rows = _rows_across(vertical, horizontal, max(3.0, 2 * vertical.thickness))
    return all(
        min([end, h - 1 - end] + [abs(row - end) for row in rows]) <= gap
        for end in (vertical.x0, vertical.x1 - 1)
    )


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
        for ys, ok in rows_near(centre, lo, hi, h):
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
