"""The sequence recogniser's training (training/strings.py): export and a short run."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.made import digit_strings
from digitpad.core.models import sequence


def test_the_export_reads_as_keras_does(mnist_test):
    """Batch normalisation folded into the kernels: NumPy and Keras agree."""
    import keras

    from training import strings

    model = strings.build_model()
    rng = np.random.default_rng(0)
    for k in range(1, len(sequence.POOLS) + 1):
        bn = model.get_layer(f"bn{k}")
        gamma, beta, mean, var = bn.get_weights()
        bn.set_weights(
            [
                gamma * rng.uniform(0.5, 2, gamma.shape),
                rng.normal(0, 0.3, beta.shape),
                rng.normal(0, 0.3, mean.shape),
                rng.uniform(0.5, 2, var.shape),
            ]
        )
    reader = sequence.SequenceModel(
        {name: (a, b) for name, a, b in strings._pairs(strings.export(model))}
    )
    images, labels = mnist_test
    for s in digit_strings.digit_strings(images, labels, 4, seed=2):
        line = sequence.line_input(s.ink, s.box)
        assert line is not None
        expected = keras.ops.softmax(model(line[None, :, :, None], training=False)).numpy()[0]
        assert np.abs(reader.step_probabilities(line) - expected).max() < 1e-5


@pytest.mark.slow
def test_a_short_run_writes_a_model_the_app_loads(tmp_path, mnist_dir, monkeypatch):
    from training import strings

    monkeypatch.setattr(strings, "CHUNK", 100)
    output = tmp_path / "strings.npz"
    strings.train(200, 1, seed=0, output=output, held_out=100)
    model = sequence.SequenceModel.load(output)
    assert model.step_probabilities(np.zeros((32, 64), np.float32)).shape == (16, 11)
