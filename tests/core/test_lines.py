"""Finding ruled lines and the cheapest cut between touching digits: the finds judged
all at once agree with the loop that judges them one by one (a speed-up, never a change
of answer), and the cut's path is the cheapest of all."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from digitpad.core.page import lines

SMALL = st.floats(0, 3)


@settings(max_examples=200, deadline=None)
@given(arrays(bool, st.tuples(st.integers(1, 6), st.integers(1, 40))), st.integers(0, 6))
def test_longest_runs_of_each_row_are_longest_run_of_it(flags, gap):
    starts, ends = lines._longest_runs(flags, gap)
    for row, start, end in zip(flags, starts, ends):
        assert (int(start), int(end)) == lines._longest_run(row, gap)


def _page(seed: int, size: tuple[int, int]) -> np.ndarray:
    """Blobs, thick strokes and a few thin straight lines at small slopes."""
    rng = np.random.default_rng(seed)
    h, w = size
    mask = np.zeros(size, bool)
    for _ in range(rng.integers(1, 6)):  # thick strokes and blobs: writing
        y, x = rng.integers(0, h), rng.integers(0, w)
        mask[y : y + rng.integers(3, 30), x : x + rng.integers(3, 60)] = True
    for _ in range(rng.integers(0, 3)):  # thin lines: rules
        y0, slope = rng.uniform(0, h), rng.uniform(-0.15, 0.15)
        xs = np.arange(int(rng.uniform(0, w / 3)), int(rng.uniform(w / 2, w)))
        ys = np.round(y0 + slope * xs).astype(int)
        ok = (ys >= 0) & (ys < h)
        for t in range(int(rng.integers(1, 4))):
            mask[np.clip(ys[ok] + t, 0, h - 1), xs[ok]] = True
    return mask


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from([(60, 90), (158, 158), (300, 120), (500, 900)]),
    st.integers(1, 3),
)
def test_finds_judged_together_are_judged_as_one_by_one(seed, size, factor):
    mask = _page(seed, size)
    rng = np.random.default_rng(seed + 1)
    h, w = mask.shape
    count = 30
    slopes = rng.uniform(-0.18, 0.18, count)
    rows = rng.integers(-3, h // factor + 3, count)
    starts = rng.integers(0, w // factor, count)
    ends = starts + rng.integers(0, w // factor, count)
    together = lines._thin_enough(mask, factor, slopes, rows, starts, ends)
    alone = [
        lines._near_line(mask, factor, s, int(r), int(a), int(b)) is not None
        for s, r, a, b in zip(slopes, rows, starts, ends)
    ]
    assert together.tolist() == alone


def test_a_find_refused_together_is_no_line_when_measured_alone():
    """Soundness of the shortcut: whatever _thin_enough refuses, _measure_line refuses."""
    refused = 0
    for seed in range(40):
        mask = _page(seed, (158, 158))
        rng = np.random.default_rng(seed)
        slopes = rng.uniform(-0.18, 0.18, 20)
        rows = rng.integers(0, 158, 20)
        starts = rng.integers(0, 80, 20)
        ends = starts + rng.integers(40, 79, 20)
        ok = lines._thin_enough(mask, 1, slopes, rows, starts, ends)
        for k in np.flatnonzero(~ok):
            refused += 1
            assert (
                lines._measure_line(mask, 1, slopes[k], int(rows[k]), int(starts[k]), int(ends[k]))
                is None
            )
    assert refused > 100


def test_rules_are_still_found_beside_writing():
    mask = np.zeros((158, 158), bool)
    mask[40:110, 60:75] = True  # a thick stroke: writing
    mask[120:122, 5:150] = True  # a rule
    found = lines.find_lines(mask)
    assert len(found) == 1 and abs(found[0].y_at(80) - 120.5) < 1.5


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=st.floats(0, 3))
)
def test_cheapest_path_is_the_cheapest_of_all_paths(cost):
    """cuts.cheapest_path against every path that moves at most one column per row."""
    import itertools

    from digitpad.core.segment.cuts import cheapest_path

    h, n = cost.shape
    path = cheapest_path(cost)
    assert len(path) == h and all(abs(int(a) - int(b)) <= 1 for a, b in zip(path, path[1:]))
    best = min(
        sum(cost[r, c] for r, c in enumerate(cols))
        for cols in itertools.product(range(n), repeat=h)
        if all(abs(a - b) <= 1 for a, b in zip(cols, cols[1:]))
    )
    assert sum(cost[r, c] for r, c in enumerate(path)) == pytest.approx(best)


def _sheared_plainly(small: np.ndarray, slopes: np.ndarray, pad: int):
    """Each slope's sheared mask built pixel by pixel, its rows counted as find_lines
    describes them: columns with ink within one row (cover) and on the row (exact)."""
    sh, sw = small.shape
    cover = np.zeros((len(slopes), sh + 2 * pad), np.int64)
    exact = np.zeros_like(cover)
    for k, slope in enumerate(slopes):
        sheared = np.zeros((sh + 2 * pad, sw), bool)
        for y, x in zip(*np.nonzero(small)):
            sheared[y - round(x * slope) + pad, x] = True
        band = sheared.copy()
        band[1:] |= sheared[:-1]
        band[:-1] |= sheared[1:]
        cover[k], exact[k] = band.sum(axis=1), sheared.sum(axis=1)
    return cover, exact


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(1, 3), (20, 30), (60, 90), (90, 40)]))
def test_sheared_counts_are_those_of_each_sheared_mask(seed, size):
    mask = _page(seed, size) | (np.random.default_rng(seed).random(size) < 0.05)
    sw = size[1]
    span = lines.LINE_SPAN * sw
    step = 1.0 / max(span, 1.0)
    slopes = step * np.arange(-int(0.18 / step), int(0.18 / step) + 1)
    pad = int(np.ceil(0.18 * sw)) + 2
    cover, exact = lines._sheared_counts(mask, slopes, pad)
    want_cover, want_exact = _sheared_plainly(mask, slopes, pad)
    np.testing.assert_array_equal(cover, want_cover)
    np.testing.assert_array_equal(exact, want_exact)
