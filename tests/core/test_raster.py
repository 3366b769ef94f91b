"""The shared raster tools: one connected-component labeller (on runs) for the scan
pipeline and for segmentation, checked against a plain flood fill."""

from __future__ import annotations

from collections import deque

import numpy as np
from PIL import Image, ImageDraw

from digitpad.core import raster


def _reference_labels(mask: np.ndarray) -> np.ndarray:
    """8-connected flood fill, numbered in reading order of each component's first pixel."""
    out = np.zeros(mask.shape, int)
    count = 0
    for y, x in zip(*np.nonzero(mask)):
        if out[y, x]:
            continue
        count += 1
        out[y, x] = count
        queue = deque([(y, x)])
        while queue:
            a, b = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    u, v = a + dy, b + dx
                    if (
                        0 <= u < mask.shape[0]
                        and 0 <= v < mask.shape[1]
                        and mask[u, v]
                        and not out[u, v]
                    ):
                        out[u, v] = count
                        queue.append((u, v))
    return out


def test_runs_are_each_rows_stretches_of_ink():
    rng = np.random.default_rng(3)
    for shape in ((1, 1), (1, 9), (7, 1), (23, 31)):
        for density in (0.0, 0.3, 0.7, 1.0):
            mask = rng.random(shape) < density
            want = []
            for y, row in enumerate(mask):
                x = 0
                while x < len(row):
                    if row[x]:
                        end = x
                        while end < len(row) and row[end]:
                            end += 1
                        want.append((y, x, end))
                        x = end
                    else:
                        x += 1
            rows, starts, ends = raster.runs(mask)
            assert list(zip(rows.tolist(), starts.tolist(), ends.tolist())) == want


def test_labels_are_the_8_connected_components_in_reading_order():
    rng = np.random.default_rng(0)
    for density in (0.2, 0.4, 0.6):
        mask = rng.random((37, 53)) < density
        labels, count = raster.label(mask)
        reference = _reference_labels(mask)
        assert count == reference.max()
        np.testing.assert_array_equal(labels, reference)
    assert raster.label(np.zeros((5, 5), bool))[1] == 0


def test_components_agree_with_the_labels():
    rng = np.random.default_rng(3)
    mask = rng.random((41, 29)) < 0.45
    labels, count = raster.label(mask)
    comps = raster.Components(mask)
    assert comps.n == count
    np.testing.assert_array_equal(comps.label_image(np.ones(count, bool)), labels)
    for k in range(count):
        ys, xs = np.nonzero(labels == k + 1)
        assert tuple(comps.box[k]) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert comps.area[k] == len(xs)
    assert comps.count_of(mask).tolist() == comps.area.astype(int).tolist()
    keep = np.arange(count) % 2 == 0
    np.testing.assert_array_equal(comps.mask_of(keep), np.isin(labels, np.flatnonzero(keep) + 1))


def test_a_full_page_of_strokes():
    image = Image.new("L", (1600, 1600), 0)
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(1)
    for _ in range(300):
        draw.line([tuple(p) for p in rng.uniform(0, 1600, (4, 2))], fill=255, width=10)
    mask = (np.asarray(image) > 0) | (rng.random((1600, 1600)) < 0.01)
    labels, count = raster.label(mask)
    assert count > 100
    assert ((labels > 0) == mask).all()
    assert raster.Components(mask).n == count


def test_dilate_is_a_square():
    mask = np.zeros((9, 9), bool)
    mask[4, 4] = True
    grown = raster.dilate(mask, 2)
    assert grown.sum() == 25 and grown[2:7, 2:7].all()
    assert (raster.dilate(mask, 0) == mask).all()


def test_median_and_percentile_are_numpys_to_the_last_bit():
    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.choice([1, 2, 3, 10, 101, 5000]))
        kind = trial % 3
        if kind == 0:
            values = (rng.normal(size=n) * 3).astype(np.float32)
            values[: n // 3] = 0.25  # ties, as paper levels are
        elif kind == 1:
            values = rng.integers(0, 15, n)  # stroke thicknesses
        else:
            values = rng.random(n)
        assert raster.median(values) == float(np.median(values))
        for q in (0, 5, 10, 25, 33.3, 50, 75, 90, 95, 99, 100):
            assert raster.percentile(values, q) == float(np.percentile(values, q)), (n, q)
    odd = np.array([1.0, np.nan, 3.0], np.float32)
    assert np.isnan(raster.median(odd)) and np.isnan(raster.percentile(odd, 50))


def test_a_subset_of_components_is_what_labelling_their_mask_gives():
    rng = np.random.default_rng(8)
    for trial in range(30):
        comps = raster.Components(rng.random((40, 60)) < 0.3)
        keep = rng.random(comps.n) < 0.5
        if trial == 0:
            keep[:] = False
        sub, fresh = comps.subset(keep), raster.Components(comps.mask_of(keep))
        assert sub.n == fresh.n
        for name in ("rows", "starts", "ends", "label", "box", "extent", "area"):
            np.testing.assert_array_equal(getattr(sub, name), getattr(fresh, name))
        np.testing.assert_array_equal(sub.mask_of(np.ones(sub.n, bool)), comps.mask_of(keep))
