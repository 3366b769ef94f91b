"""Calibration metrics on small fixed sets."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.records import metrics


def test_ece_of_a_perfectly_calibrated_set_is_zero():
    # 10 answers at 0.8 confidence of which 8 are right; 10 at 1.0, all right.
    confidence = np.array([0.8] * 10 + [1.0] * 10)
    correct = np.array([1] * 8 + [0] * 2 + [1] * 10, bool)
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(0.0)


def test_ece_of_an_overconfident_set():
    confidence = np.full(10, 0.95)
    correct = np.array([1] * 5 + [0] * 5, bool)
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(0.45)
    # Two bins, weighted by their shares: |0.35 - 0| * 0.5 + |0.95 - 1| * 0.5.
    confidence = np.array([0.35] * 4 + [0.95] * 4)
    correct = np.array([0] * 4 + [1] * 4, bool)
    assert metrics.expected_calibration_error(confidence, correct) == pytest.approx(0.2)


def _logits_to_probs(z):
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def test_fit_temperature_recovers_the_temperature_that_made_the_data():
    rng = np.random.default_rng(0)
    n = 20_000
    true_logits = rng.normal(0, 2.0, (n, 10))
    labels = np.array([rng.choice(10, p=p) for p in _logits_to_probs(true_logits)])
    # An overconfident model: its logits are the true ones times 2.5.
    over = _logits_to_probs(true_logits * 2.5)
    temperature = metrics.fit_temperature(over, labels)
    assert temperature == pytest.approx(2.5, rel=0.05)
    calibrated = metrics.with_temperature(over, temperature)
    np.testing.assert_allclose(calibrated, _logits_to_probs(true_logits), atol=0.03)
    np.testing.assert_array_equal(calibrated.argmax(axis=1), over.argmax(axis=1))
    before = metrics.expected_calibration_error(over.max(axis=1), over.argmax(axis=1) == labels)
    after = metrics.expected_calibration_error(
        calibrated.max(axis=1), calibrated.argmax(axis=1) == labels
    )
    assert after < 0.02 < before


def test_fit_temperature_weights_the_sets():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3.0, (4000, 10))
    labels = z.argmax(axis=1)  # always right: wants a low temperature
    wrong = (labels + 1) % 10  # always wrong: wants a high one
    probs = _logits_to_probs(z)
    both = np.concatenate([probs, probs])
    y = np.concatenate([labels, wrong])
    w_right = np.concatenate([np.ones(4000), np.full(4000, 1e-3)])
    w_wrong = w_right[::-1]
    assert metrics.fit_temperature(both, y, w_right) < metrics.fit_temperature(both, y, w_wrong)
