"""Small raster tools shared by the scan pipeline, rule removal and segmentation:
rank filters, block statistics, noise and threshold estimates, stroke width, and
8-connected components labelled on horizontal runs. NumPy only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def order_statistics(values: np.ndarray, ranks: list[int]) -> list:
    """The values at these ranks (0 = smallest) of a 1-D array, as NumPy scalars of its
    dtype."""
    part = np.partition(values, ranks)
    return [part[k] for k in ranks]


def median(values: np.ndarray) -> float:
    """np.median of a finite array, to the last bit (NaN in, NaN out), without its
    general machinery: that costs more than the work on the small arrays met here."""
    v = np.asarray(values).ravel()
    if not _finite_numbers(v):
        return float(np.median(v))
    n = v.size
    if n % 2:
        return float(order_statistics(v, [n // 2])[0])
    a, b = order_statistics(v, [n // 2 - 1, n // 2])
    if v.dtype.kind == "f":
        return float((a + b) / 2)
    return float((np.float64(a) + np.float64(b)) / 2)


def percentile(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) (linear) of a finite array, to the last bit."""
    v = np.asarray(values).ravel()
    if not _finite_numbers(v):
        return float(np.percentile(v, q))
    below, above, t = _between(v.size, q)
    found = order_statistics(v, sorted({below, above}))
    return float(_lerp(found[0], found[-1], t))


def _between(n: int, q: float) -> tuple[int, int, float]:
    """The ranks either side of NumPy's linear q-th percentile of n values, and the
    weight of the upper one."""
    virtual = (n - 1) * (q / 100)
    below = min(math.floor(virtual), n - 1)
    return below, min(below + 1, n - 1), virtual - below


def _lerp(a: Any, b: Any, t: float) -> Any:  # NumPy scalars or arrays
    """a + (b - a) t, worked out as NumPy's percentile does (from the nearer end)."""
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _finite_numbers(v: np.ndarray) -> bool:
    return v.size > 0 and v.dtype.kind in "fiu" and bool(np.isfinite(v.min() + v.max()))


def local_noise(values: np.ndarray, smoothed: bool) -> np.ndarray:
    """Standard deviation of the noise around each pixel.

    From differences between horizontal neighbours, whose median is the noise's
    whatever the ink (strokes are flat inside; only their edges differ), in blocks of
    about a twelfth of the image, smoothed over neighbouring blocks and interpolated.
    `smoothed`: values went through _box3, which leaves a third of white noise.
    """
    h, w = values.shape
    rows = 2 if h >= 64 else 1  # every other row is plenty
    diff = np.abs(np.diff(values[::rows], axis=1))
    diff = np.pad(diff, ((0, 0), (0, 1)), mode="edge")
    block = max(16, math.ceil(max(h, w) / 12))
    # The lower quartile, so that edges may fill up to three quarters of a block.
    grid = median3(block_percentile(diff, (block // rows, block), 25.0))
    # |a - b| of two independent normal values has its lower quartile at 0.4506 sigma;
    # after a 3x3 box the neighbours share two thirds of their samples (correlation
    # 2/3), which puts it at 0.3186 * sqrt(2 / 3) = 0.2601 sigma.
    sigma = upsample(grid, (block // rows * rows, block), (h, w))
    sigma /= 0.2601 if smoothed else 0.4506
    return np.maximum(sigma, 0.0)


def noise(values: np.ndarray) -> float:
    """Robust standard deviation (median absolute deviation), from a subsample."""
    step = max(1, int(math.sqrt(values.size / 250_000)))
    sample = values[::step, ::step]
    return 1.4826 * median(np.abs(sample - median(sample)))


def otsu(values: np.ndarray) -> float:
    """Otsu's threshold of the positive part of values, on 256 bins over [0, 1]."""
    v = np.clip(values, 0.0, 1.0)
    step = max(1, int(math.sqrt(v.size / 1_000_000)))
    bins = (v[::step, ::step] * 255).astype(np.int64).ravel()
    hist = np.bincount(bins, minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    w0, w1 = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * w0 / total - mass) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1
    return (int(np.argmax(between)) + 1) / 255.0


def block_percentile(g: np.ndarray, block: int | tuple[int, int], q: float) -> np.ndarray:
    """The q-th percentile of each tile of block (or (rows, columns)) pixels, edges
    padded by repetition."""
    by, bx = (block, block) if isinstance(block, int) else block
    h, w = g.shape
    gh, gw = math.ceil(h / by), math.ceil(w / bx)
    padded = np.pad(g, ((0, gh * by - h), (0, gw * bx - w)), mode="edge")
    tiles = padded.reshape(gh, by, gw, bx).transpose(0, 2, 1, 3).reshape(gh, gw, -1)
    return _last_axis_percentile(tiles, q).astype(np.float32)


def _last_axis_percentile(values: np.ndarray, q: float) -> np.ndarray:
    """np.percentile(values, q, axis=-1) (linear) of finite values, to the last bit."""
    if values.shape[-1] == 0 or not np.isfinite(values).all():
        return np.percentile(values, q, axis=-1)
    below, above, t = _between(values.shape[-1], q)
    part = np.partition(values, sorted({below, above}), axis=-1)
    return _lerp(part[..., below], part[..., above], t)


def median3(grid: np.ndarray) -> np.ndarray:
    """The median of each value's 3x3 neighbourhood (edges repeated)."""
    padded = np.pad(grid, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3)).reshape(*grid.shape, 9)
    if not np.isfinite(grid).all():
        return np.median(windows, axis=2).astype(np.float32)
    return np.partition(windows, 4, axis=2)[..., 4].astype(np.float32)


def upsample(grid: np.ndarray, block: int | tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Bilinear from block centres to every pixel of `shape`, extended linearly at the
    edges (clamping there would flatten a gradient over the outer half block)."""
    by, bx = (block, block) if isinstance(block, int) else block
    rows = interpolate(grid.astype(np.float32), by, shape[0], axis=0)
    return interpolate(rows, bx, shape[1], axis=1)


def interpolate(grid: np.ndarray, block: int, size: int, axis: int) -> np.ndarray:
    n = grid.shape[axis]
    if n == 1:
        return np.repeat(grid, size, axis=axis)
    u = (np.arange(size, dtype=np.float32) + 0.5) / block - 0.5
    i0 = np.clip(np.floor(u).astype(np.int64), 0, n - 2)
    t = u - i0
    a, b = np.take(grid, i0, axis=axis), np.take(grid, i0 + 1, axis=axis)
    t = t[:, None] if axis == 0 else t[None, :]
    return (a + (b - a) * t).astype(np.float32)


def rank_filter(a: np.ndarray, size: int, op: np.ufunc) -> np.ndarray:
    """Sliding max (op=np.maximum) or min over a size x size square, edges repeated."""
    return rank_1d(rank_1d(a, size, op, 0), size, op, 1)


def rank_1d(a: np.ndarray, size: int, op: np.ufunc, axis: int) -> np.ndarray:
    """van Herk / Gil-Werman: prefix and suffix extremes within blocks of `size`, so
    the cost does not grow with the window."""
    if size <= 1:
        return a
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    half = size // 2
    total = math.ceil((n + 2 * half) / size) * size
    padded = np.concatenate(
        [np.repeat(a[:1], half, axis=0), a, np.repeat(a[-1:], total - n - half, axis=0)]
    )
    blocks = padded.reshape(total // size, size, *a.shape[1:])
    prefix = op.accumulate(blocks, axis=1).reshape(padded.shape)
    suffix = op.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(padded.shape)
    # Window [i, i + size) spans at most two blocks: the suffix of the first, the
    # prefix of the second.
    out = op(suffix[:n], prefix[size - 1 : size - 1 + n])
    return np.moveaxis(out, 0, axis)


def pool2(a: np.ndarray, op: np.ufunc) -> np.ndarray:
    """2x2 max or min pooling (odd edges repeated)."""
    h, w = a.shape
    a = np.pad(a, ((0, h % 2), (0, w % 2)), mode="edge")
    return op(op(a[0::2, 0::2], a[0::2, 1::2]), op(a[1::2, 0::2], a[1::2, 1::2]))


def box3(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1, mode="edge")
    rows = p[:-2] + p[1:-1] + p[2:]
    return (rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]) / 9.0


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) square, separably."""
    out = mask.copy()
    for k in range(1, r + 1):
        out[:, k:] |= mask[:, :-k]
        out[:, :-k] |= mask[:, k:]
    rows = out.copy()
    for k in range(1, r + 1):
        out[k:] |= rows[:-k]
        out[:-k] |= rows[k:]
    return out


def stroke_width(mask: np.ndarray, q: float = 90.0) -> float:
    """The width of the thicker strokes (0 for an empty mask).

    Each pixel's thickness is the shorter of its horizontal and vertical runs; a high
    percentile of it, so that thin ruled lines or a few thin strokes do not hide the
    thick ones the background must be wider than (or a lower one: the usual width).
    """
    if not mask.any():
        return 0.0
    rows, starts, ends = runs(mask)
    across = paint_runs(mask.shape, rows, starts, ends, ends - starts)
    rows, starts, ends = runs(mask.T)
    down = paint_runs(mask.T.shape, rows, starts, ends, ends - starts).T
    thickness = np.minimum(across, down)[mask]
    return percentile(thickness, q)


# --- Connected components -------------------------------------------------------------


class Components:
    """8-connected components of a boolean mask, labelled on horizontal runs.

    Runs of neighbouring rows that touch are joined by repeated hooking of roots and
    pointer jumping, all in NumPy; a mask of a million pixels takes milliseconds.
    """

    def __init__(self, mask: np.ndarray):
        self.shape = mask.shape
        h, w = mask.shape
        self.rows, self.starts, self.ends = runs(mask)
        if len(self.rows) == 0:
            self.n = 0
            self.label = np.zeros(0, np.int64)
            self.extent = np.zeros(0, np.int64)
            self.area: np.ndarray = np.zeros(0)
            self.box = np.zeros((0, 4), np.int64)
            return
        roots = join_runs(self.rows, self.starts, self.ends, w)
        _, self.label = np.unique(roots, return_inverse=True)
        self.n = int(self.label.max()) + 1
        y0 = np.full(self.n, h, np.int64)
        y1 = np.zeros(self.n, np.int64)
        x0 = np.full(self.n, w, np.int64)
        x1 = np.zeros(self.n, np.int64)
        np.minimum.at(y0, self.label, self.rows)
        np.maximum.at(y1, self.label, self.rows + 1)
        np.minimum.at(x0, self.label, self.starts)
        np.maximum.at(x1, self.label, self.ends)
        self.box = np.stack([x0, y0, x1, y1], axis=1)
        self.extent = np.maximum(x1 - x0, y1 - y0)
        self.area = np.bincount(self.label, weights=self.ends - self.starts, minlength=self.n)

    def subset(self, keep: np.ndarray) -> Components:
        """The components of ``mask_of(keep)``, without labelling it again: whole
        components of a mask are the components of any mask made of some of them, in
        the same order."""
        out = Components.__new__(Components)
        out.shape = self.shape
        chosen = keep[self.label] if self.n else np.zeros(0, bool)
        out.rows, out.starts, out.ends = self.rows[chosen], self.starts[chosen], self.ends[chosen]
        number = np.cumsum(keep) - 1
        out.label = number[self.label[chosen]] if self.n else np.zeros(0, np.int64)
        out.n = int(np.count_nonzero(keep))
        out.box, out.extent, out.area = self.box[keep], self.extent[keep], self.area[keep]
        return out

    def count_of(self, pixels: np.ndarray) -> np.ndarray:
        """How many True pixels of `pixels` (same shape) each component holds."""
        return self.sum_of(pixels.astype(np.int64)).astype(np.int64)

    def sum_of(self, values: np.ndarray) -> np.ndarray:
        """The sum of `values` (same shape) over each component's pixels."""
        if self.n == 0:
            return np.zeros(0, np.float64)
        w = self.shape[1]
        cum = np.concatenate([[0], np.cumsum(values.ravel())])
        base = self.rows * w
        per_run = cum[base + self.ends] - cum[base + self.starts]
        return np.bincount(self.label, weights=per_run, minlength=self.n)

    def mask_of(self, keep: np.ndarray) -> np.ndarray:
        """The mask of the components where keep (bool, one per component) is True."""
        return self.label_image(keep) > 0

    def label_image(self, keep: np.ndarray) -> np.ndarray:
        """int (H, W): component number + 1 on the kept components' pixels, else 0."""
        h, w = self.shape
        if self.n == 0:
            return np.zeros(self.shape, np.int64)
        chosen = keep[self.label]
        return paint_runs(
            self.shape,
            self.rows[chosen],
            self.starts[chosen],
            self.ends[chosen],
            self.label[chosen] + 1,
        )


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, starts, ends) of the horizontal runs of True, ends exclusive, row-major."""
    h, w = mask.shape
    stride = w + 2
    padded = np.zeros((h, stride), bool)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    # Every row begins and ends with a False, so the changes alternate: a run's start,
    # then its end, never across rows.
    change = np.flatnonzero(flat[1:] != flat[:-1])
    begin, finish = change[0::2], change[1::2]  # the last False before, the last True
    rows = begin // stride
    return rows, begin - rows * stride, finish - rows * stride


def paint_runs(
    shape: tuple[int, int],
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """int (H, W): each run's value over its pixels, 0 elsewhere (runs never overlap)."""
    out = np.zeros(shape, np.int64)
    lengths = ends - starts
    total = int(lengths.sum())
    if total:
        first = rows * shape[1] + starts
        offsets = np.cumsum(lengths) - lengths
        flat = np.repeat(first - offsets, lengths) + np.arange(total)
        out.ravel()[flat] = np.repeat(values, lengths)
    return out


def join_runs(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """The root (smallest index) of each run's 8-connected component.

    Runs of neighbouring rows that touch are joined by hooking roots onto the smaller
    root and pointer jumping, all in NumPy: a 1600 x 1600 page takes milliseconds.
    """
    n = len(rows)
    stride = width + 2
    key_start = rows.astype(np.int64) * stride + starts
    key_end = rows.astype(np.int64) * stride + ends
    # Runs of the previous row that touch run b (8-connected): start <= end_b and
    # end >= start_b; runs are sorted, so they form one contiguous index range.
    previous = (rows.astype(np.int64) - 1) * stride
    lo = np.searchsorted(key_end, previous + starts, "left")
    hi = np.searchsorted(key_start, previous + ends, "right")
    counts = np.clip(hi - lo, 0, None)
    b = np.repeat(np.arange(n), counts)
    a = (
        np.repeat(lo, counts)
        + np.arange(int(counts.sum()))
        - np.repeat(np.cumsum(counts) - counts, counts)
    )
    parent = np.arange(n)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            return parent
        low = np.minimum(pa[differ], pb[differ])
        np.minimum.at(parent, pa[differ], low)  # hook roots onto the smaller root
        np.minimum.at(parent, pb[differ], low)
        while True:  # pointer jumping until every run points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean (H, W) mask: int32 labels (0 = background)
    numbered in reading order of their first pixel, and their count. (Components gives
    their boxes and sizes as well.)"""
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    rows, starts, ends = runs(mask)
    if rows.size == 0:
        return labels, 0
    _, run_label = np.unique(join_runs(rows, starts, ends, w), return_inverse=True)
    # Runs are in row-major order, as the mask's True pixels are.
    labels.flat[np.flatnonzero(mask)] = np.repeat(run_label.astype(np.int32) + 1, ends - starts)
    return labels, int(run_label.max()) + 1
