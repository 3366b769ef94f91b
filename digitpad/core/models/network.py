"""The card network's forward pass in NumPy: 28x28 fields -> features -> probabilities.

Weights come from keras_file; several networks of one shape run together and share
their input patches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from digitpad.core.models.keras_file import SIDE, Weights, pooled_sides

if TYPE_CHECKING:
    pass


CHUNK = 64  # images per forward-pass chunk: measured fastest here with the card's


def forward_features(weights: Weights, x: np.ndarray) -> np.ndarray:
    """float32 (N, 28, 28) in [0, 1] -> what the last layer reads: the flattened second
    pooling's output, float32 (N, F) with F = ``weights.features``, each >= 0."""
    return forward_features_many([weights], x)[0]


def forward_features_many(members: Sequence[Weights], x: np.ndarray) -> list[np.ndarray]:
    """forward_features for several networks of one shape at once, one (N, F) each."""
    _one_shape(members)
    x = as_fields(x)
    outs = [np.empty((len(x), w.features), np.float32) for w in members]
    for start in range(0, len(x), CHUNK):
        for out, features in zip(outs, features_chunk(members, x[start : start + CHUNK])):
            out[start : start + CHUNK] = features
    return outs


def _one_shape(members: Sequence[Weights]) -> None:
    """The networks run together share their first layers' input patches and buffers."""
    if len({w.shape() for w in members}) > 1:
        raise ValueError("networks of different kernel sizes or filters cannot run together")


def as_fields(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"expected (N, {SIDE}, {SIDE}) images, got {x.shape}")
    return x


def logits_from_features(weights: Weights, features: np.ndarray) -> np.ndarray:
    """(N, F) features -> the last layer's inputs to softmax, float32 (N, 10)."""
    return features @ weights.w3 + weights.b3  # dropout: identity at inference


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def forward(weights: Weights, x: np.ndarray) -> np.ndarray:
    """float32 (N, 28, 28) in [0, 1] -> softmax probabilities float32 (N, 10)."""
    return softmax(logits_from_features(weights, forward_features(weights, x)))


def features_chunk(members: Sequence[Weights], x: np.ndarray) -> list[np.ndarray]:
    """The card's layers up to Flatten for a chunk of images, for each network (all of
    one shape).

    Each convolution is a matrix product over its KxK patches ("im2col"), computed only
    where its 2x2 max-pooling looks: the first at the four pooling offsets (then their
    maximum), the second at the outputs that pooling keeps (its whole 2x2 blocks: with
    the card's 3x3 kernels, 10x10 of its 11x11). Bias and ReLU come after the pooling,
    on a quarter of the values: max(z + b) = max(z) + b and ReLU is monotone, so every
    value is exactly that of the layers in order.
    """
    n = len(x)
    (k1, k2), (f1, _) = members[0].shape()
    p1, p2 = pooled_sides((k1, k2))
    s0, s1, s2 = x.strides
    # (n * p1 * p1, k1 * k1) patches of the conv1 outputs at rows 2i + a, columns 2j + b.
    patches = [
        np.lib.stride_tricks.as_strided(
            x[:, a:, b:], shape=(n, p1, p1, k1, k1), strides=(s0, 2 * s1, 2 * s2, s1, s2)
        ).reshape(n * p1 * p1, k1 * k1)
        for a in (0, 1)
        for b in (0, 1)
    ]
    c2 = 2 * p2  # the side of the conv2 outputs the second pooling reads
    cols = np.empty((n, c2, c2, k2, k2, f1), np.float32)
    out = []
    for w in members:
        h = patches[0] @ w.k1
        for p in patches[1:]:
            np.maximum(h, p @ w.k1, out=h)
        h += w.b1
        np.maximum(h, 0, out=h)
        h = h.reshape(n, p1, p1, f1)
        # conv2's patches in (dy, dx, channel) order, as Keras' (K2, K2, F1, F2) kernel.
        for dy in range(k2):
            for dx in range(k2):
                cols[:, :, :, dy, dx, :] = h[:, dy : dy + c2, dx : dx + c2, :]
        f2 = w.b2.size
        g = (cols.reshape(n * c2 * c2, k2 * k2 * f1) @ w.k2).reshape(n, p2, 2, p2, 2, f2)
        g = g.max(axis=(2, 4))
        g += w.b2
        np.maximum(g, 0, out=g)
        out.append(g.reshape(n, w.features))
    return out
