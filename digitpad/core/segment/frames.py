"""Frames drawn around writing: a box or a ring, by hand or printed, closed or nearly,
which is not part of the digits it holds."""

from __future__ import annotations

import numpy as np

from digitpad.core.raster import dilate

FRAME_FILL = 0.3  # a frame covers at most this share of its box ...
FRAME_CONTENT = 0.25  # ... holds ink at least this big x its shorter side ...
FRAME_CLEAR = 0.05  # ... and stays this clear of it (x the ink's size) ...
FRAME_AROUND = 0.75  # ... closing it in on this share of the directions around it
FRAME_DIRECTIONS = 72
FRAME_NEAR = 0.03


def find_frames(labels: np.ndarray, boxes: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Per component: is it a frame drawn around writing (a box or ring, by hand or
    printed, closed or nearly)?

    A frame holds other ink of some size inside its box and never reaches into it,
    and it is thin for its box (a 0 or a 6 holds nothing; a digit touching its
    frame is one piece with it and stays).
    """
    count = len(boxes)
    out = np.zeros(count, bool)
    if count < 2:
        return out
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    thin = areas <= FRAME_FILL * w * h
    for a in np.flatnonzero(thin & (np.minimum(w, h) >= 8)):
        inside = (
            (boxes[:, 0] > boxes[a, 0])
            & (boxes[:, 1] > boxes[a, 1])
            & (boxes[:, 2] < boxes[a, 2])
            & (boxes[:, 3] < boxes[a, 3])
            & (np.maximum(w, h) >= FRAME_CONTENT * min(w[a], h[a]))
        )
        x0, y0, x1, y1 = (int(v) for v in boxes[a])
        window = labels[y0:y1, x0:x1]  # everything inside lies in the frame's box
        for b in np.flatnonzero(inside):
            if _surrounds(
                window == a + 1,
                window == b + 1,
                boxes[b] - [x0, y0, x0, y0],
                FRAME_CLEAR * max(w[b], h[b]),
            ):
                out[a] = True
                break
    return out


def _surrounds(frame: np.ndarray, content: np.ndarray, box: np.ndarray, clear: float) -> bool:
    """Whether the frame's pixels keep clear of the content's (all but FRAME_NEAR of
    them: a wobbly frame may come close at a point) and close it in: seen
    from the middle of the content's box, they cover at least FRAME_AROUND of the
    directions (a nearly closed frame counts, whatever the content's shape)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    pad = max(1, round(clear))
    window = (slice(max(0, y0 - pad), y1 + pad), slice(max(0, x0 - pad), x1 + pad))
    near = np.count_nonzero(frame[window] & dilate(content[window], pad))
    if near > FRAME_NEAR * np.count_nonzero(frame):
        return False
    ys, xs = np.nonzero(frame)
    angles = np.arctan2(ys - (y0 + y1) / 2, xs - (x0 + x1) / 2)
    bins = np.floor((angles + np.pi) / (2 * np.pi) * FRAME_DIRECTIONS).astype(int)
    covered = np.zeros(FRAME_DIRECTIONS, bool)
    covered[np.clip(bins, 0, FRAME_DIRECTIONS - 1)] = True
    return bool(covered.mean() >= FRAME_AROUND)
