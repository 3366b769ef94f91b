"""Pen-style renditions of MNIST digits, for training.

A digit drawn on the canvas reaches the model re-rendered from its strokes: even width,
round caps, crisp anti-aliased edges. MNIST digits were scanned: uneven width, soft
edges. This module bridges the two from MNIST alone: thin each training digit to its
centre line (Zhang-Suen thinning), then render that line through the very renderer the
app uses for drawings, at a random stroke width.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from digitpad.core import preprocess
from digitpad.core.drawing import Drawing

UPSAMPLE = 2  # thin at 56x56: at 28x28 the centre line is too coarse for diagonal strokes
# The four "forward" neighbour offsets: every 8-connected pair of centre-line pixels once.
_FORWARD = ((0, 1), (1, 0), (1, 1), (1, -1))


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of bool (N, H, W) masks, vectorised over the batch."""
    img = np.pad(mask.astype(bool), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            p = img
            c = p[:, 1:-1, 1:-1]
            # Neighbours clockwise from north: P2..P9 in Zhang and Suen's naming.
            nb = [p[:, :-2, 1:-1], p[:, :-2, 2:], p[:, 1:-1, 2:], p[:, 2:, 2:],
                  p[:, 2:, 1:-1], p[:, 2:, :-2], p[:, 1:-1, :-2], p[:, :-2, :-2]]
            count = sum(n.astype(np.uint8) for n in nb)
            transitions = sum((~nb[i] & nb[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            n2, n4, n6, n8 = nb[0], nb[2], nb[4], nb[6]
            if step == 0:
                keep_shape = ~(n2 & n4 & n6) & ~(n4 & n6 & n8)
            else:
                keep_shape = ~(n2 & n4 & n8) & ~(n2 & n6 & n8)
            remove = c & (count >= 2) & (count <= 6) & (transitions == 1) & keep_shape
            if remove.any():
                img[:, 1:-1, 1:-1] = c & ~remove
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1]


def _centre_lines(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> bool (N, 56, 56) one-pixel-wide centre lines."""
    big = np.stack([
        np.asarray(Image.fromarray(im).resize((28 * UPSAMPLE,) * 2, Image.Resampling.BILINEAR))
        for im in images
    ])
    return thin(big > 127)


def _as_drawing(line: np.ndarray) -> Drawing | None:
    strokes = []
    h, w = line.shape
    for dy, dx in _FORWARD:
        a = line[: h - dy, max(0, -dx): w - max(0, dx)]
        b = line[dy:, max(0, dx): w - max(0, -dx) if dx < 0 else w]
        ys, xs = np.nonzero(a & b)
        xs = xs + max(0, -dx)
        for y, x in zip(ys.tolist(), xs.tolist()):
            strokes.append(np.array([[x, y, np.nan], [x + dx, y + dy, np.nan]], float))
    if not strokes:
        return None
    return Drawing(strokes, float(w), float(h))


def restroke(
    images: np.ndarray,
    seed: int,
    widths: tuple[float, float] = (0.11, 0.2),
    on_progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """uint8 (N, 28, 28) MNIST digits -> float32 (N, 28, 28) pen-style renditions.

    Each digit gets a random relative stroke width in ``widths`` (the app draws at
    preprocess.STROKE_WIDTH); a digit that thins to nothing keeps its original image.
    """
    rng = np.random.default_rng(seed)
    out = images.astype(np.float32) / 255.0
    chunk = 2000
    for start in range(0, len(images), chunk):
        lines = _centre_lines(images[start: start + chunk])
        for i, line in enumerate(lines):
            drawing = _as_drawing(line)
            if drawing is None:
                continue
            patch = preprocess.render_strokes(drawing, float(rng.uniform(*widths)),
                                              check_specks=False)
            if patch is not None:
                out[start + i] = preprocess.place_by_mass(patch)
        if on_progress:
            on_progress(min(start + chunk, len(images)), len(images))
    return out
