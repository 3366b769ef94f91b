"""The "is it a digit at all?" check: a logistic regression on the features the network's
last layer reads, fitted after the network is trained.

Teaching the network itself to spread its probabilities on non-digits (outlier
exposure) cost it 1.3 points on MNIST and 1.2 on European digits in our trial (see
docs/experiments.md); a separate linear check on the same features leaves the digit
answers untouched, costs one dot product, and keeps the card's architecture.
"""

from __future__ import annotations

import keras
import numpy as np

from digitpad.core.models.ensemble import DigitCheck

# Real digits of writers the networks never saw that the check may turn away: the
# threshold is set so that this share of the calibration digits falls under it. One in
# a thousand: at one in two hundred, 1.3% of the MNIST test digits were turned away
# (for 96% of the non-digits instead of 92%; docs/experiments.md).
FALSE_REJECT_SHARE = 0.001


def features(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """float32 (N, 28, 28[, 1]) in [0, 1] -> the Flatten layer's output, float32 (N, F)."""
    flatten = next(layer for layer in model.layers if isinstance(layer, keras.layers.Flatten))
    extractor = keras.Model(model.inputs, flatten.output)
    x = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)
    return extractor.predict(x, batch_size=1000, verbose=0).astype(np.float32)


def fit(
    digit_features: np.ndarray, other_features: np.ndarray, seed: int, epochs: int = 12
) -> tuple[np.ndarray, float]:
    """Weights (F,) and bias of a logistic regression on (N, F) features, digits = 1,
    others = 0, the two classes weighing the same."""
    x = np.concatenate([digit_features, other_features])
    y = np.concatenate([np.ones(len(digit_features)), np.zeros(len(other_features))])
    weights = np.where(y == 1, 0.5 / len(digit_features), 0.5 / len(other_features)) * len(y)
    scale = x.std(axis=0) + 1e-3  # standardised inputs: one learning rate suits all
    keras.utils.set_random_seed(seed)
    head = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(1)])
    head.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    head.fit(
        x / scale, y, sample_weight=weights, batch_size=256, epochs=epochs, shuffle=True, verbose=0
    )
    kernel, bias = head.layers[-1].get_weights()
    return (kernel[:, 0] / scale).astype(np.float32), float(bias[0])


def threshold(scores: list[np.ndarray], share: float = FALSE_REJECT_SHARE) -> float:
    """The score under which ``share`` of the digits fall, each set weighing the same."""
    values = np.concatenate(scores)
    weights = np.concatenate([np.full(len(s), 1.0 / (len(s) * len(scores))) for s in scores])
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, share)])


def build(
    networks: list[keras.Model],
    digits: list[np.ndarray],
    others: np.ndarray,
    calibration: list[np.ndarray],
    seed: int,
) -> DigitCheck:
    """Fit one check per network on ``digits`` (image sets) against ``others``; set the
    threshold of their mean score on the ``calibration`` digit sets (never trained on)."""
    rows, biases = [], []
    for k, model in enumerate(networks):
        w, b = fit(
            np.concatenate([features(model, d) for d in digits]), features(model, others), seed + k
        )
        rows.append(w)
        biases.append(b)
    check = DigitCheck(np.stack(rows), np.asarray(biases, np.float32), 0.0)
    scores = [check.scores([features(m, c) for m in networks]) for c in calibration]
    return DigitCheck(check.weights, check.bias, threshold(scores))
