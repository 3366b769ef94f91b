"""Splitting an image (ink bright, background 0) into its digits, left to right (see
the package's docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.core.raster import dilate, label
from digitpad.core.segment.common import Judge, cap_digits, min_distance, read
from digitpad.core.segment.cuts import best_partition, cheapest_path
from digitpad.core.segment.frames import find_frames
from digitpad.core.segment.marks import find_marks

INK_LEVEL = 0.2  # mask: pixels above this fraction of the brightest
SPECK = 0.25  # components whose longer side is below this x digit height
SPECK_AREA = 0.02  # ... or whose area is below this x the largest's are specks
TALL = 0.6  # pieces this tall x the tallest count for the digit height
STACKED_OVERLAP = 0.5  # pieces overlapping this much horizontally (x the narrower) ...
STACKED_VERTICAL = 0.3  # ... and at most this much vertically (x the lower) are one digit
SLANTED_OVERLAP = 0.25  # the same on a slant, when together no wider than 1.2 x tall
SLANTED_VERTICAL = 0.5
STACK_HEIGHT = 2.2  # never merge into something taller than this x digit height
STACK_GAP = 0.3  # ... nor pieces whose inks are further apart than this
SMALL_PIECE = 0.55  # pieces lower than this x digit height join the nearest ink ...
SMALL_GAP = 0.3  # ... when it is no further than this x digit height away
OUTLINE_POINTS = 300  # distances between pieces are measured on this many edge points
MAX_PIECES = 400  # more candidate digits than this is noise: the largest are kept
CONTEXT_PIECES = 3  # with this many pieces, widths are judged against their height
SPLIT_CONTEXT = 0.85  # wider than this x digit height: maybe touching digits
SPLIT_LONE = 1.4  # a piece alone: wider than this x its own height
CERTAIN_CONTEXT = 1.8  # wider than this: touching digits for sure
CERTAIN_LONE = 2.0
DIGIT_WIDTH = 0.75  # without a judge, digits are taken to be this wide x high
OFF_LINE = 0.3  # a piece at the image's edge overlapping the line less is none
LOW_PIECE = 0.4  # pieces lower than this x digit height are never cut
SIDE_HEIGHT = 0.5  # both sides of a cut at least this x the piece's height
CUT_POSITIONS = np.linspace(0.2, 0.8, 13)  # where a cut may fall, x the piece's width
CUT_BAND = 0.15  # a cut's path stays this close (x width) to its column
CUT_STRAIGHT = 0.5  # cost of straying from the column, per width, against ink
# A logistic model of "this piece is two touching digits" over split_evidence's
# features, and the log-odds above which a piece is cut, in context and alone (where
# the digit height is the piece's own, so the first two features coincide). Fitted
# on 2,400 synthetic zip codes and 2,000 single-digit scans (synth, seeds 100-201,
# not the benchmark's): in context, 6 of the 3,317 single digits wider than
# SPLIT_CONTEXT were cut (of about 11,000 digits), and 93% of the touching pairs.
SPLIT_WEIGHTS = np.array([18.301, -8.863, -0.459, 0.282, 0.357, -5.581])
SPLIT_CONTEXT_ODDS = 0.0
SPLIT_LONE_ODDS = 2.0  # alone, a wrong cut costs the only digit: be surer
HALO = 0.06  # a crop keeps grey levels this far (x digit height) from its mask
MAX_HALO = 6  # ... but no further than this (pixels): the edges are that narrow


@dataclass(frozen=True)
class ImagePart:
    crop: np.ndarray  # float32 (h, w), grey levels, ink bright
    box: tuple[int, int, int, int]  # x0, y0, x1, y1, end-exclusive, image pixels
    mark: str = ""  # a separator (".", ",", "-", "="), not a digit
    origin: tuple[int, int] = (0, 0)  # image (x, y) of crop[0, 0]


@dataclass(frozen=True, eq=False)
class _Piece:
    """Ink of one candidate digit: a boolean mask placed at ``origin`` in the image.

    ``box`` is the digit's box, end-exclusive: its mask's, less any specks attached.
    """

    box: tuple[int, int, int, int]
    origin: tuple[int, int]  # image (x, y) of pixels[0, 0]
    pixels: np.ndarray  # bool (h, w)

    @classmethod
    def component(cls, labels: np.ndarray, k: int, box: Sequence[int]) -> _Piece:
        x0, y0, x1, y1 = (int(v) for v in box)
        return cls((x0, y0, x1, y1), (x0, y0), labels[y0:y1, x0:x1] == k)

    @classmethod
    def from_mask(cls, mask: np.ndarray, x: int, y: int) -> _Piece | None:
        """The pixels of ``mask`` (placed at x, y), trimmed to their box; None if empty."""
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size == 0:
            return None
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return cls((x + c0, y + r0, x + c1, y + r1), (x + c0, y + r0), mask[r0:r1, c0:c1])

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def extent(self) -> tuple[int, int, int, int]:
        x, y = self.origin
        return x, y, x + self.pixels.shape[1], y + self.pixels.shape[0]

    def merged(self, other: _Piece, keep_box: bool = False) -> _Piece:
        a, b = self.extent, other.extent
        x0, y0, x1, y1 = min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
        box = self.box if keep_box else _union(self.box, other.box)
        return _Piece(box, (x0, y0), self.window(x0, y0, x1, y1) | other.window(x0, y0, x1, y1))

    def window(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Its pixels within the image window [x0, x1) x [y0, y1)."""
        out = np.zeros((y1 - y0, x1 - x0), bool)
        px0, py0, px1, py1 = self.extent
        ax0, ay0, ax1, ay1 = max(x0, px0), max(y0, py0), min(x1, px1), min(y1, py1)
        if ax1 > ax0 and ay1 > ay0:
            out[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] = self.pixels[
                ay0 - py0 : ay1 - py0, ax0 - px0 : ax1 - px0
            ]
        return out


def _union(a: tuple, b: tuple) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def split_image(
    ink: np.ndarray, max_digits: int | None = None, judge: Judge | None = None
) -> list[ImagePart]:
    """The digits of a grey image, ink bright (float (H, W)), left to right; [] when no ink.

    Separators written among the digits (see marks.py) come as parts whose ``mark``
    is set, in their place; with ``max_digits`` 1 too (a dot beside a digit is no part
    of it).
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"expected a 2-D grey image, got shape {ink.shape}")
    peak = float(ink.max())
    if not np.isfinite(peak) or peak <= 0:
        return []
    labels, count = label(ink > INK_LEVEL * peak)
    if count == 0:
        return []
    boxes, areas = _component_stats(labels, count)
    frames = find_frames(labels, boxes, areas)
    if frames.any():  # take them out and look again: the digits inside give the height
        drop = np.isin(labels, np.flatnonzero(frames) + 1)
        return split_image(np.where(drop, 0.0, ink), max_digits, judge)
    height = _tall_median(boxes[areas >= SPECK_AREA * areas.max()])
    longer = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    speck = (longer < SPECK * height) | (areas < SPECK_AREA * areas.max()) | (areas < 3)
    marks = find_marks(boxes, areas)
    is_mark = np.zeros(count, bool)
    for _, members in marks:
        is_mark[members] = True
    if is_mark.any() and (~speck & ~is_mark).any():
        speck &= ~is_mark
    else:  # only marks: then they are what there is to read
        marks, is_mark = [], np.zeros(count, bool)
    if (~speck).sum() > MAX_PIECES:  # noise, not writing: keep the largest, in bounded time
        speck = np.ones(count, bool)
        speck[np.argsort(areas, kind="stable")[-MAX_PIECES:]] = False
    pieces = [_Piece.component(labels, k + 1, boxes[k]) for k in np.flatnonzero(~speck & ~is_mark)]
    if not pieces:
        return []
    if max_digits != 1:
        pieces = _merge_fragments(pieces, height)
        height = _tall_median(np.array([p.box for p in pieces]))
        context = len(pieces) >= CONTEXT_PIECES
        if context:
            pieces = _off_the_line(pieces, labels.shape, height)
        pieces = [
            part for p in pieces for part in _split_wide(p, labels, ink, height, context, judge)
        ]
    pieces = _attach_image_specks(
        pieces, labels, boxes, np.flatnonzero(speck & ~is_mark) + 1, height
    )
    pieces.sort(key=lambda p: (p.box[0] + p.box[2]) / 2)
    if max_digits is not None:
        pieces = cap_digits(
            pieces, [p.box for p in pieces], max_digits, lambda p: p.box, lambda a, b: a.merged(b)
        )
    parts = [_crop(labels, ink, p, height) for p in pieces]
    parts += [_mark_part(labels, ink, boxes, char, members) for char, members in marks]
    return sorted(parts, key=lambda p: (p.box[0] + p.box[2]) / 2)


def _off_the_line(pieces: list[_Piece], shape: tuple[int, int], height: float) -> list[_Piece]:
    """Pieces cut off by the image's edge that lie off the line of writing (a table's
    edge, a shadow's rim at a corner of a photo) are no digits: drop them.

    The line is the band between the median top and bottom of the tall pieces; a
    piece is off it when it overlaps that band for less than OFF_LINE of its height.
    """
    tall = [p for p in pieces if p.height >= TALL * height]
    if len(tall) < CONTEXT_PIECES - 1:
        return pieces
    top = float(np.median([p.box[1] for p in tall]))
    bottom = float(np.median([p.box[3] for p in tall]))
    h, w = shape

    def off(p: _Piece) -> bool:
        x0, y0, x1, y1 = p.box
        edge = x0 == 0 or y0 == 0 or x1 == w or y1 == h
        return edge and min(y1, bottom) - max(y0, top) < OFF_LINE * p.height

    kept = [p for p in pieces if not off(p)]
    return kept if kept else pieces


def _mark_part(
    labels: np.ndarray, ink: np.ndarray, boxes: np.ndarray, char: str, members: list[int]
) -> ImagePart:
    x0, y0 = (int(v) for v in boxes[members, :2].min(axis=0))
    x1, y1 = (int(v) for v in boxes[members, 2:].max(axis=0))
    own = np.isin(labels[y0:y1, x0:x1], np.asarray(members) + 1)
    return ImagePart(
        np.where(own, ink[y0:y1, x0:x1], 0.0).astype(np.float32), (x0, y0, x1, y1), char, (x0, y0)
    )


def _attach_image_specks(
    pieces: list[_Piece], labels: np.ndarray, boxes: np.ndarray, ids: np.ndarray, height: float
) -> list[_Piece]:
    """Specks inside a digit's box (bits of a faint stroke) stay with the nearest digit
    whose box holds them; the others (dust, noise) go. A speck never moves a box."""
    if ids.size == 0:
        return pieces
    pad = HALO * height
    centres = (boxes[ids - 1, :2] + boxes[ids - 1, 2:]) / 2
    holds = np.array(
        [
            (centres[:, 0] >= p.box[0] - pad)
            & (centres[:, 0] <= p.box[2] + pad)
            & (centres[:, 1] >= p.box[1] - pad)
            & (centres[:, 1] <= p.box[3] + pad)
            for p in pieces
        ]
    )  # (pieces, specks)
    owner = np.where(holds.any(axis=0), holds.argmax(axis=0), -1)
    shared = np.flatnonzero(holds.sum(axis=0) > 1)
    if shared.size:  # in two boxes: the nearer ink wins
        outlines = [_outline(p) for p in pieces]
        for k in shared:
            dot = _outline(_Piece.component(labels, int(ids[k]), boxes[ids[k] - 1]))
            owner[k] = min(np.flatnonzero(holds[:, k]), key=lambda i: _distance(dot, outlines[i]))
    out = list(pieces)
    for i in np.unique(owner[owner >= 0]):
        mine = ids[owner == i]
        x0, y0 = boxes[mine - 1, :2].min(axis=0)
        x1, y1 = boxes[mine - 1, 2:].max(axis=0)
        dots = _Piece(out[i].box, (int(x0), int(y0)), np.isin(labels[y0:y1, x0:x1], mine))
        out[i] = out[i].merged(dots, keep_box=True)
    return out


def _outline(piece: _Piece) -> np.ndarray:
    """Points on the edge of the piece's mask, float (K, 2) as (x, y), at most a few hundred."""
    mask = piece.pixels
    inner = ~dilate(~np.pad(mask, 1), 1)[1:-1, 1:-1]  # erosion; outside the mask is empty
    ys, xs = np.nonzero(mask & ~inner)
    step = max(1, len(xs) // OUTLINE_POINTS)
    return np.column_stack([xs[::step] + piece.origin[0], ys[::step] + piece.origin[1]]).astype(
        float
    )


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest distance between two point sets (inf when one is empty)."""
    if len(a) == 0 or len(b) == 0:
        return math.inf
    return min_distance(a, b)


def _component_stats(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes int (count, 4) (x0, y0, x1, y1, end-exclusive) and areas (count,)."""
    ys, xs = np.nonzero(labels)
    ids = labels[ys, xs] - 1
    boxes = np.empty((count, 4), np.int64)
    boxes[:, 0] = boxes[:, 1] = np.iinfo(np.int64).max
    boxes[:, 2] = boxes[:, 3] = -1
    np.minimum.at(boxes[:, 0], ids, xs)
    np.minimum.at(boxes[:, 1], ids, ys)
    np.maximum.at(boxes[:, 2], ids, xs + 1)
    np.maximum.at(boxes[:, 3], ids, ys + 1)
    return boxes, np.bincount(ids, minlength=count)


def _tall_median(boxes: np.ndarray) -> float:
    """Typical digit height: the median height of the boxes at least 60% of the tallest.

    Broken-off parts (a 5's bar, half an 8) are lower and do not count.
    """
    heights = (boxes[:, 3] - boxes[:, 1]).astype(float)
    return float(max(np.median(heights[heights >= TALL * heights.max()]), 1.0))


def _overlap(a: tuple, b: tuple, axis: int) -> float:
    """Overlap of the boxes along x (axis 0) or y (1), as a fraction of the shorter extent."""
    lo, hi = max(a[axis], b[axis]), min(a[axis + 2], b[axis + 2])
    return (hi - lo) / max(min(a[axis + 2] - a[axis], b[axis + 2] - b[axis]), 1)


def _same_digit(a: tuple, b: tuple, height: float) -> bool:
    """Could two pieces (by their boxes) be parts of one broken digit?

    Parts of a digit lie above one another (a detached bar over a 5's body, the loops
    of a broken 8, a stroke broken on a slant); neighbouring digits lie side by side,
    overlapping vertically almost completely. The union must stay digit-sized (and,
    on a slant, not much wider than tall). Their inks must also be close (the caller
    checks: it costs more).
    """
    across, along = _overlap(a, b, 0), _overlap(a, b, 1)
    width = max(a[2], b[2]) - min(a[0], b[0])
    tall = max(a[3], b[3]) - min(a[1], b[1])
    if tall > STACK_HEIGHT * height or _box_distance(a, b) > STACK_GAP * height:
        return False
    if across >= STACKED_OVERLAP and along <= STACKED_VERTICAL:
        return True
    return across >= SLANTED_OVERLAP and along <= SLANTED_VERTICAL and width <= 1.2 * tall


def _box_distance(a: tuple, b: tuple) -> float:
    """Distance between two boxes (0 when they overlap): a lower bound for their inks'."""
    dx = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return math.hypot(dx, dy)


def _merge_fragments(pieces: list[_Piece], height: float) -> list[_Piece]:
    """Join broken digits: pieces above one another; small pieces to the nearest ink."""
    pieces = list(pieces)
    outlines = [_outline(p) for p in pieces]
    alone = [False] * len(pieces)  # a small piece with no ink near it

    def join(i: int, j: int) -> None:
        pieces[i] = pieces[i].merged(pieces[j])
        both = np.concatenate([outlines[i], outlines[j]])
        outlines[i] = both[:: max(1, len(both) // (2 * OUTLINE_POINTS))]
        alone[i] = False
        del pieces[j], outlines[j], alone[j]

    def stacked_pair() -> tuple[int, int] | None:
        for i, j in _near_pairs([p.box for p in pieces], STACK_GAP * height):
            if (
                _same_digit(pieces[i].box, pieces[j].box, height)
                and _distance(outlines[i], outlines[j]) <= STACK_GAP * height
            ):
                return i, j
        return None

    while (pair := stacked_pair()) is not None:
        join(*pair)
    # Small pieces left over (a stroke's end broken off) join the nearest ink.
    limit = SMALL_GAP * height
    merged = True
    while merged and len(pieces) > 1:
        merged = False
        b = np.array([p.box for p in pieces], float)
        for i in map(int, np.flatnonzero(b[:, 3] - b[:, 1] < SMALL_PIECE * height)):
            if alone[i]:
                continue
            dx = np.maximum(0, np.maximum(b[:, 0], b[i, 0]) - np.minimum(b[:, 2], b[i, 2]))
            dy = np.maximum(0, np.maximum(b[:, 1], b[i, 1]) - np.minimum(b[:, 3], b[i, 3]))
            near = [
                (_distance(outlines[i], outlines[k]), int(k))
                for k in np.flatnonzero(np.hypot(dx, dy) <= limit)
                if k != i
            ]
            if near and min(near)[0] <= limit:
                k = min(near)[1]
                join(min(i, k), max(i, k))
                merged = True
                break
            alone[i] = True
    return pieces


def _near_pairs(boxes: list[tuple], limit: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) of boxes that overlap horizontally and lie within ``limit``."""
    b = np.array(boxes, float).reshape(-1, 4)
    dx = np.maximum(
        0, np.maximum(b[:, None, 0], b[None, :, 0]) - np.minimum(b[:, None, 2], b[None, :, 2])
    )
    dy = np.maximum(
        0, np.maximum(b[:, None, 1], b[None, :, 1]) - np.minimum(b[:, None, 3], b[None, :, 3])
    )
    across = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    ok = (np.hypot(dx, dy) <= limit) & (across > 0)
    i, j = np.nonzero(np.triu(ok, 1))
    return list(zip(i.tolist(), j.tolist()))


def _split_wide(
    piece: _Piece,
    labels: np.ndarray,
    ink: np.ndarray,
    height: float,
    context: bool,
    judge: Judge | None,
) -> list[_Piece]:
    """A piece too wide for one digit (touching digits) -> its digits, left to right.

    With a judge: cuts.best_partition chooses the partition whose parts read most
    like one digit each; when the piece is certainly too wide, or a logistic model
    (split_evidence) over its widths and readings says it holds several digits, the
    whole is not among the choices. A piece alone is cut only then. Without a judge:
    only pieces certainly too wide, into as many digits of DIGIT_WIDTH as fit, at the
    valleys of the column profile.
    """
    # Small digits (the 0s of an amount) are as wide for their height as large ones.
    own = min(height, piece.height) if context else max(piece.height, 1)
    relative = piece.width / own
    if (
        relative <= (SPLIT_CONTEXT if context else SPLIT_LONE)
        or piece.width < 4
        or piece.height < LOW_PIECE * height
    ):  # a bar, a tail: not two digits
        return [piece]
    certain = relative > (CERTAIN_CONTEXT if context else CERTAIN_LONE)
    if judge is None:
        return (
            _split_evenly(piece, ink, max(2, round(relative / DIGIT_WIDTH))) if certain else [piece]
        )
    several = certain or split_evidence(piece, labels, ink, height, context, judge)[0] > 0
    if not several and not context:
        return [piece]  # alone, a wide digit is likelier than digits that touch
    x0, y0, x1, y1 = piece.extent
    grey = np.where(piece.pixels, ink[y0:y1, x0:x1], 0.0)
    segments = best_partition(piece.pixels, grey, own, judge, alone=not context, whole=not several)
    if len(segments) == 1:
        return [piece]
    parts = [_Piece.from_mask(s.pixels, x0, y0) for s in segments]
    return [p for p in parts if p is not None]


def split_evidence(
    piece: _Piece, labels: np.ndarray, ink: np.ndarray, height: float, context: bool, judge: Judge
) -> tuple[float, list[_Piece]]:
    """Log-odds that the piece is two touching digits, and its best cut.

    The recogniser reads half a digit about as readily as a whole one, and its top
    probability saturates; its margin (log of the top probability over the rest) is
    what tells a squeezed pair from a digit. Features: log(width / digit height),
    log(width / own height), the margin of the whole, the smaller and the summed
    margins of the two sides at the cut where the sum is largest.
    """
    features, sides = _split_features(piece, labels, ink, height, judge)
    if features is None:
        return -math.inf, sides
    return (
        float(np.dot(features, SPLIT_WEIGHTS))
        - (SPLIT_CONTEXT_ODDS if context else SPLIT_LONE_ODDS)
    ), sides


def _split_features(
    piece: _Piece, labels: np.ndarray, ink: np.ndarray, height: float, judge: Judge
) -> tuple[np.ndarray | None, list[_Piece]]:
    w = piece.width
    cols = sorted({piece.box[0] + round(f * w) for f in CUT_POSITIONS})
    options = [
        o
        for o in (_cut_at(piece, ink, c) for c in cols)
        if len(o) == 2 and min(o[0].height, o[1].height) >= SIDE_HEIGHT * piece.height
    ]
    if not options:  # only cuts that leave a tail or a bar: no digits there
        return None, [piece]
    crops = [_crop(labels, ink, piece, height).crop]
    crops += [_crop(labels, ink, side, height).crop for o in options for side in o]
    margins = margin(read(judge, crops)[0])
    sides = margins[1:].reshape(-1, 2)
    best = int(np.argmax(sides.sum(axis=1)))
    features = np.array(
        [
            math.log(w / height),
            math.log(w / max(piece.height, 1)),
            margins[0],
            sides[best].min(),
            sides[best].sum(),
            1.0,
        ]
    )
    return features, options[best]


def margin(probabilities: np.ndarray) -> np.ndarray:
    """(N, 10) probabilities -> float64 (N,): log(top / sum of the others), in [-5, 40].

    Unlike the top probability, which float32 rounds to 1.0, it keeps telling a sure
    reading from a surer one. A row of zeros (nothing to read) gives -5.
    """
    ordered = np.sort(np.asarray(probabilities, dtype=np.float64), axis=1)
    top, rest = ordered[:, -1], ordered[:, :-1].sum(axis=1)
    out = np.full(len(ordered), -5.0)
    read = top > 0
    out[read] = np.log(top[read]) - np.log(np.maximum(rest[read], 1e-300))
    return np.clip(out, -5.0, 40.0)


def _cut_at_valley(piece: _Piece, ink: np.ndarray, fraction: float = 0.5) -> list[_Piece]:
    """Cut in two near the column of least ink around ``fraction`` of the width."""
    profile = piece.pixels.sum(axis=0).astype(float)
    w = piece.pixels.shape[1]
    centre = fraction * w
    reach = min(fraction, 1 - fraction) * w / 2
    lo, hi = max(1, int(centre - reach)), min(w - 1, int(centre + reach) + 1)
    if hi <= lo:
        return [piece]
    window = np.arange(lo, hi)
    cost = profile[lo:hi] / max(profile.max(), 1) + 0.2 * np.abs(window - centre) / w
    return _cut_at(piece, ink, piece.origin[0] + int(window[np.argmin(cost)]))


def _split_evenly(piece: _Piece, ink: np.ndarray, count: int) -> list[_Piece]:
    """``count`` digits of about equal width, cut at valleys, left to right."""
    if count <= 1:
        return [piece]
    sides = _cut_at_valley(piece, ink, 1 / count)
    if len(sides) != 2:
        return [piece]
    return [sides[0]] + _split_evenly(sides[1], ink, count - 1)


def _cut_at(piece: _Piece, ink: np.ndarray, column: int) -> list[_Piece]:
    """Cut the piece in two along the path of least ink from top to bottom near ``column``.

    The path moves at most one column per row, within a band around the column, so it
    slips through the narrowest place where two digits touch instead of slicing a
    stroke of one of them. Returns the two sides (fewer when a side is empty).
    """
    mask = piece.pixels
    h, w = mask.shape
    x, y = piece.origin
    c = column - x
    band = max(1, round(CUT_BAND * w))
    lo, hi = max(1, c - band), min(w - 1, c + band + 1)
    if hi <= lo:
        return [piece]
    columns = np.arange(lo, hi)
    grey = np.where(mask[:, lo:hi], ink[y : y + h, x + lo : x + hi], 0.0)
    path = cheapest_path(grey + CUT_STRAIGHT * np.abs(columns - c)[None, :] / max(w, 1))
    left = mask & (np.arange(w)[None, :] < (path + lo)[:, None])
    sides = [_Piece.from_mask(left, x, y), _Piece.from_mask(mask & ~left, x, y)]
    return [side for side in sides if side is not None]


def _crop(labels: np.ndarray, ink: np.ndarray, piece: _Piece, height: float) -> ImagePart:
    """The piece's grey levels (its own ink and the faint edge around it) and its box.

    Faint edges are shared out by distance: a pixel near this digit's mask and nearer
    to it than to any other ink belongs to it, so a neighbour's anti-aliased edge
    never shows up as a speck in this digit's field.
    """
    h, w = labels.shape
    r = int(np.clip(round(HALO * height), 2, MAX_HALO))
    x0, y0, x1, y1 = piece.box
    # A window wider than the crop, so that ink just outside it claims its own edge.
    X0, Y0, X1, Y1 = max(0, x0 - 2 * r), max(0, y0 - 2 * r), min(w, x1 + 2 * r), min(h, y1 + 2 * r)
    mine = piece.window(X0, Y0, X1, Y1)
    theirs = (labels[Y0:Y1, X0:X1] > 0) & ~mine
    if theirs.any():
        for _ in range(r):
            grow_mine = dilate(mine, 1) & ~mine & ~theirs
            grow_theirs = dilate(theirs, 1) & ~theirs & ~mine
            mine |= grow_mine & ~grow_theirs  # equally near: nobody's
            theirs |= grow_theirs
    else:
        mine = dilate(mine, r)
    cx0, cy0 = max(0, x0 - r), max(0, y0 - r)
    cx1, cy1 = min(w, x1 + r), min(h, y1 + r)
    keep = mine[cy0 - Y0 : cy1 - Y0, cx0 - X0 : cx1 - X0]
    crop = np.where(keep, ink[cy0:cy1, cx0:cx1], 0.0).astype(np.float32)
    return ImagePart(crop, piece.box, origin=(cx0, cy0))
