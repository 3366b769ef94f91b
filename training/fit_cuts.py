"""Fit the score of candidate digits in touching strings (digitpad/core/segment/cuts.py).

Run: python -m training.fit_cuts [--strings N] [--seed S]   (needs MNIST; no TensorFlow)

Synthetic strings of 2 to 5 MNIST *training* digits (the last 10,000: never the test
set, which the benchmarks use) are set side by side touching or overlapping (gaps from
-0.12 to +0.05 digit heights), at scales of 2 to 4. Every connected piece of ink goes
through cuts.candidates, read by the bundled model; a candidate is one digit when its
ink box matches a true digit's (IoU >= 0.7). A logistic regression over
cuts.FEATURES is fitted to that and printed, to be pasted into cuts.SCORE_WEIGHTS.
The shipped weights: `--strings 1500 --seed 0` (about 90 s on 2 cores). Fitting on
slanted strings (shear up to 0.4, sizes within 15%) was tried and read the cheque
amounts slightly worse (0.410 against 0.419 on the dev half).
"""

from __future__ import annotations

import argparse

import numpy as np

from digitpad.core import raster
from digitpad.core.io import mnist
from digitpad.core.made import synth
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.reading import _image_judge
from digitpad.core.segment import cuts

GAPS = (-0.12, 0.05)
SCALES = (2.0, 4.0)
LENGTHS = (2, 5)
MATCH = 0.7


def _iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(union, 1)


def samples(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist.load("train")
    images = images[50_000:]
    rng = np.random.default_rng(seed)
    judge = _image_judge(Recognizer.load())
    rows, truth = [], []
    for _ in range(count):
        length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        scale = rng.uniform(*SCALES)
        height = 20 * scale
        patches = [
            synth.digit_patch(images[k], scale, rng.uniform(-8, 8))
            for k in rng.integers(0, len(images), length)
        ]
        gaps = rng.uniform(*GAPS, size=length - 1) * height
        offsets = rng.normal(0, 0.04 * height, length)
        ink, boxes = synth.line_of_digits(patches, gaps, offsets, rng, height)
        comps = raster.Components(ink > 0.2)
        numbered = comps.label_image(np.ones(comps.n, bool))
        for k in range(comps.n):
            x0, y0, x1, y1 = (int(v) for v in comps.box[k])
            if x1 - x0 < 0.4 * height or y1 - y0 < 0.4 * height:
                continue
            mask = numbered[y0:y1, x0:x1] == k + 1
            grey = np.where(mask, ink[y0:y1, x0:x1], 0.0)
            found = cuts.candidates(mask, grey, min(height, y1 - y0), judge)
            if found is None:
                continue
            for own, features in zip(found.pixels, found.features):
                r, c = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
                box = (x0 + c[0], y0 + r[0], x0 + c[-1] + 1, y0 + r[-1] + 1)
                rows.append(features)
                truth.append(max(_iou(box, b) for b in boxes) >= MATCH)
    return np.array(rows), np.array(truth, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method (a light ridge keeps it well posed)."""
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / len(y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x / len(y) + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    x, y = samples(args.strings, args.seed)
    w = fit(x, y)
    p = 1 / (1 + np.exp(-(x @ w)))
    print(
        f"{len(y):,} candidates, {int(y.sum()):,} whole digits; "
        f"accuracy {np.mean((p > 0.5) == y):.4f}"
    )
    for name, value in zip(cuts.FEATURES, w):
        print(f"  {name:<28} {value:+.4f}")
    print("SCORE_WEIGHTS = np.array([" + ", ".join(f"{v:.4f}" for v in w) + "])")


if __name__ == "__main__":
    main()
