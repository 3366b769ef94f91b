"""What splitting drawings and splitting images share: the judge, and the cap on the
number of digits."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# A judge reads candidate digits: sub-drawings or crops -> float (N, 10) probabilities
# (the recogniser's); a row of zeros for a candidate with nothing to read. It may also
# say how much each looks like a digit at all: then it returns (probabilities, log-odds
# float (N,) over the recogniser's digit check, negative for "not a digit").
Judge = Callable[[list], "np.ndarray | tuple[np.ndarray, np.ndarray]"]


def read(judge: Judge, items: list) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (N, 10), digit log-odds (N,)) from any judge; log-odds 0 when the
    judge gives none."""
    out = judge(items)
    if isinstance(out, tuple):
        probs, likeness = out
    else:
        probs, likeness = out, np.zeros(len(items))
    return np.asarray(probs, np.float64), np.asarray(likeness, np.float64)


def cap_digits(
    groups: list, boxes: list, max_digits: int, box_of: Callable, merge: Callable
) -> list:
    """Merge the neighbours with the smallest horizontal gap until at most max_digits
    remain; `box_of` gives a merged group's box, `merge` merges two groups."""
    groups, boxes = list(groups), list(boxes)
    while len(groups) > max(1, max_digits):
        gaps = [boxes[k + 1][0] - boxes[k][2] for k in range(len(groups) - 1)]
        k = int(np.argmin(gaps))
        groups[k : k + 2] = [merge(groups[k], groups[k + 1])]
        boxes[k : k + 2] = [box_of(groups[k])]
    return groups


def min_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest distance between two point sets, float (N, 2) and (M, 2)."""
    d = (a[:, None, :] - b[None, :, :]) ** 2
    return float(np.sqrt(d.sum(axis=2).min()))
