"""Hairlines: long strokes far thinner than the writing they belong to.

A security background's wavy lines, creases and the thin sides of a hand-drawn frame
are taken out of the ink mask before segmentation; a digit written with a fine pen
is kept, since each piece of writing is judged against its own stroke width.
"""

from __future__ import annotations

import numpy as np

from digitpad.core import raster

# Hairlines (a security background's wavy lines, creases, the sides of a frame):
# strokes narrower than HAIRLINE_SHARE of their piece of writing's stroke width (its
# HAIRLINE_PERCENTILE thickness), or narrower than FAINT_SHARE of it and fainter than
# FAINT of its median contrast (printed backgrounds and creases are light), as long
# as HAIRLINE_LENGTH of the piece's body; pieces thin all through, HAIRLINE_APART as
# long as the largest body; pieces under HAIRLINE_PIECE of the largest are not
# judged; with them go the STUB-sized bits of them left standing. A digit's own thin
# parts (the light top of a 6, a blurred loop) are about half as wide as its body:
# HAIRLINE_SHARE stays well below that.
HAIRLINE_SHARE = 0.35
HAIRLINE_PERCENTILE = 75.0
HAIRLINE_LENGTH = 0.6
STUB = 0.3
HAIRLINE_APART = 1.5
HAIRLINE_PIECE = 0.1
FAINT_SHARE = 0.5
FAINT = 0.5


def _octagon(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by an octagon of radius r (cross and square steps in turn):
    nearly round, so an opening by it treats strokes alike at any slant."""
    out = mask
    for k in range(r):
        if k % 2:
            out = raster.dilate(out, 1)
        else:
            grown = out.copy()
            grown[1:] |= out[:-1]
            grown[:-1] |= out[1:]
            grown[:, 1:] |= out[:, :-1]
            grown[:, :-1] |= out[:, 1:]
            out = grown
    return out


def without_hairlines(
    mask: np.ndarray, contrast: np.ndarray, comps: raster.Components | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(mask without hairlines, the hairlines taken out); ``comps``: the mask's
    components where the caller has them.

    Each piece of writing (a connected component, not a speck) is judged by its own
    stroke width, so a digit written thinner than its neighbours is no hairline. On a
    piece, an opening by an octagon a third of that width (half of it, for faint
    parts) keeps the strokes' bodies; what it loses within reach of them is their
    tapering ends and stays, the rest is thin. A thin part is a hairline when it is
    long, at least HAIRLINE_LENGTH of the body (lines run across the page or round a
    digit; a digit's own thin bits are short). A piece thin all through is a hairline
    when it is thin for the piece with the largest body and HAIRLINE_APART as long.
    The small bits a hairline leaves behind (a frame's corners) go with it. Writing
    that is all thin strokes has a thin width and an opening too small to take
    anything: a ballpoint digit keeps every stroke.
    """
    none = np.zeros_like(mask)
    comps = raster.Components(mask) if comps is None else comps
    if comps.n == 0:
        return mask, none
    labels = comps.label_image(np.ones(comps.n, bool))
    largest = float(comps.extent.max())
    gone = none.copy()
    widths: dict[int, float] = {}
    bodies: dict[int, float] = {}
    for k in np.flatnonzero(comps.extent >= max(8.0, HAIRLINE_PIECE * largest)).tolist():
        x0, y0, x1, y1 = (int(v) for v in comps.box[k])
        own = labels[y0:y1, x0:x1] == k + 1
        widths[k] = width = raster.stroke_width(own, HAIRLINE_PERCENTILE)
        # Room for the octagons to reach out of the piece's box.
        pad = int(max(HAIRLINE_SHARE, FAINT_SHARE) * width) // 2 + 2
        window = (
            slice(max(0, y0 - pad), y1 + pad),
            slice(max(0, x0 - pad), x1 + pad),
        )
        thin, body = _hairlines_in(labels[window] == k + 1, contrast[window], width)
        gone[window] |= thin
        bodies[k] = body
    # Pieces that are hairlines all through, lying apart from the writing: thin for the
    # piece with the largest body and much longer than it.
    main = max(bodies, key=lambda k: bodies[k], default=None)
    if main is not None and bodies[main] > 0:
        usual, body = widths[main], bodies[main]
        for k, width in widths.items():
            if width <= HAIRLINE_SHARE * usual and comps.extent[k] >= HAIRLINE_APART * body:
                gone |= labels == k + 1
    if not gone.any():
        return mask, none
    rest = raster.Components(mask & ~gone)
    if rest.n > 1:
        touched = rest.count_of(raster.dilate(gone, 1)) > 0
        gone |= rest.mask_of(touched & (rest.extent < STUB * float(rest.extent.max())))
    return mask & ~gone, gone


def _hairlines_in(mask: np.ndarray, contrast: np.ndarray, width: float) -> tuple[np.ndarray, float]:
    """(the hairlines, the extent of the largest body) of one piece of writing, on a
    window around it, for its own stroke width."""
    gone, body = np.zeros_like(mask), 0.0
    for share, faint in ((HAIRLINE_SHARE, np.inf), (FAINT_SHARE, FAINT)):
        r = int(share * width) // 2
        if r < 1:
            continue
        core = _octagon(~_octagon(~mask, r), r)
        if not core.any():
            continue
        body = max(body, float(raster.Components(core).extent.max()))
        thin = raster.Components(mask & ~_octagon(core, r + 1))
        if thin.n == 0:
            continue
        long = thin.extent >= HAIRLINE_LENGTH * body
        level = raster.median(contrast[core])
        light = thin.sum_of(contrast) / np.maximum(thin.area, 1) < faint * level
        gone |= thin.mask_of(long & light)
    return gone, body
