"""The NumPy forward pass against Keras itself, on all 10,000 MNIST test images."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitpad.core.io import paths  # noqa: E402
from digitpad.core.models.ensemble import Recognizer  # noqa: E402
from digitpad.core.models.network import forward  # noqa: E402


@pytest.mark.slow
def test_numpy_matches_keras_on_the_whole_test_set(mnist_test):
    """Every network of the bundled model, and the model as a whole (their average,
    with the ensemble's temperature), read the same in NumPy as in Keras."""
    images = mnist_test[0].astype(np.float32) / 255.0
    recognizer = Recognizer.load()
    names = [m["file"] for m in recognizer.meta.get("members", [])] or [paths.MODEL_FILE]
    outputs = []
    for name, weights in zip(names, recognizer.members, strict=True):
        model = keras.saving.load_model(paths.resources_dir() / name, safe_mode=True, compile=False)
        expected = model.predict(images[..., None], batch_size=1000, verbose=0)
        got = forward(weights, images)
        assert (got.argmax(axis=1) == expected.argmax(axis=1)).all(), name
        assert np.abs(got - expected).max() <= 1e-5, name
        outputs.append(expected)
    average = np.mean(outputs, axis=0)
    if recognizer.temperature != 1.0:
        from digitpad.core.records.metrics import with_temperature

        average = with_temperature(average, recognizer.temperature)
    assert np.abs(recognizer.predict(images) - average).max() <= 1e-4
