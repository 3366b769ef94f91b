"""The NumPy forward pass against Keras itself, on all 10,000 MNIST test images."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitpad.core import paths  # noqa: E402
from digitpad.core.recognizer import Recognizer  # noqa: E402


@pytest.mark.slow
def test_numpy_matches_keras_on_the_whole_test_set(mnist_test):
    images = mnist_test[0].astype(np.float32) / 255.0
    model = keras.saving.load_model(paths.bundled_model_path(), safe_mode=True, compile=False)
    expected = model.predict(images[..., None], batch_size=1000, verbose=0)
    got = Recognizer.load().predict(images)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() <= 1e-5
