"""The NumPy reader follows the widths and kernels training/model.py gives a network."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitpad.core.io import mnist, paths  # noqa: E402
from digitpad.core.models.ensemble import Recognizer  # noqa: E402
from digitpad.core.models.keras_file import ModelError  # noqa: E402
from digitpad.core.models.network import forward  # noqa: E402
from training.model import build_model  # noqa: E402


def _trained(path, mnist_dir, filters, kernels):
    """A network of these widths and kernels, one epoch on 3,000 MNIST images, saved."""
    images, labels = mnist.load("train", mnist_dir)
    x = images[:3000, ..., None].astype(np.float32) / 255.0
    keras.utils.set_random_seed(0)
    model = build_model(filters, kernels)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x, labels[:3000].astype(np.int64), batch_size=64, epochs=1, verbose=0)
    model.save(path)
    return model


@pytest.mark.slow
@pytest.mark.parametrize(
    "filters, kernels",
    [
        ((8, 16), (3, 3)),  # the card's kernels: conv2's last odd row is pooled away
        ((8, 16), (5, 3)),  # an even conv2 output: pooling keeps all of it
        ((6, 12), (3, 5)),
    ],
)
def test_a_narrower_network_reads_the_same_in_numpy_as_in_keras(
    tmp_path, mnist_dir, mnist_test, filters, kernels
):
    path = tmp_path / "narrow.keras"
    model = _trained(path, mnist_dir, filters, kernels)
    x = mnist_test[0][:2000].astype(np.float32) / 255.0
    expected = model.predict(x[..., None], batch_size=500, verbose=0)
    recognizer = Recognizer.load(path)
    assert recognizer.weights.filters == filters and recognizer.weights.kernels == kernels
    flatten = next(la for la in model.layers if isinstance(la, keras.layers.Flatten))
    assert recognizer.features == flatten.output.shape[-1]
    for got in (forward(recognizer.weights, x), recognizer.predict(x)):
        assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
        assert np.abs(got - expected).max() <= 1e-5


@pytest.mark.slow
def test_weights_that_disagree_with_their_config_are_refused(tmp_path, mnist_dir):
    """A narrow network's weights under the card's config: one ModelError line."""
    narrow = tmp_path / "narrow.keras"
    _trained(narrow, mnist_dir, (8, 16), (3, 3))
    card_config = zipfile.ZipFile(paths.bundled_model_path()).read("config.json")
    mixed = tmp_path / "mixed.keras"
    with zipfile.ZipFile(narrow) as zin, zipfile.ZipFile(mixed, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, card_config if name == "config.json" else zin.read(name))
    with pytest.raises(ModelError, match="have shape") as info:
        Recognizer.load(mixed)
    assert "\n" not in str(info.value)

    # The networks of an ensemble, and its digit check, follow the network's shape.
    small = Recognizer.load(narrow)
    card = Recognizer.load(paths.bundled_model_path())
    with pytest.raises(ModelError, match="one shape"):
        Recognizer(card.weights, narrow, members=[small.weights, card.weights])
    check = {"members": [{"weights": [0.0] * small.features, "bias": 1.0}], "threshold": 0}
    narrow.with_suffix(".json").write_text(json.dumps({"digit_check": check}))
    assert Recognizer.load(narrow).check is not None
    check["members"][0]["weights"] = [0.0] * card.features
    narrow.with_suffix(".json").write_text(json.dumps({"digit_check": check}))
    assert Recognizer.load(narrow).check is None
    # Training builds the card's network: it fine-tunes only from one of its widths.
    from training.train import TrainingError, _load_initial

    with pytest.raises(TrainingError, match="not the card's"):
        _load_initial(str(narrow))
