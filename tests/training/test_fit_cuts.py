"""The touching-digit score's fit (training/fit_cuts.py): no TensorFlow needed."""

from __future__ import annotations

import numpy as np

from digitpad.core.segment import cuts
from training import fit_cuts


def test_samples_hold_whole_digits_and_parts(mnist_dir):
    x, y = fit_cuts.samples(12, seed=3)
    assert x.shape[1] == len(cuts.FEATURES) and len(x) == len(y)
    assert 0 < y.mean() < 0.5  # whole digits and, more often, parts and pairs
    assert np.isfinite(x).all()


def test_fit_recovers_a_logistic_model():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=(4000, 3)), np.ones(4000)])
    true = np.array([2.0, -1.0, 0.5, 0.3])
    y = (rng.random(4000) < 1 / (1 + np.exp(-(x @ true)))).astype(float)
    assert np.allclose(fit_cuts.fit(x, y, l2=0.0), true, atol=0.2)


def test_the_shipped_weights_score_whole_digits_higher(mnist_dir):
    x, y = fit_cuts.samples(12, seed=4)
    p = 1 / (1 + np.exp(-(x @ cuts.SCORE_WEIGHTS)))
    assert p[y == 1].mean() > p[y == 0].mean() + 0.2  # measured: 0.40 against 0.13
    assert np.mean((p > 0.5) == y) > 0.8  # measured: 0.86, as on the fitting set
