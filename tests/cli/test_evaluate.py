"""`digitpad evaluate`: the bundled model on the MNIST test set, as JSON and as text."""

from __future__ import annotations

import json

import numpy as np

from digitpad.__main__ import main


def test_evaluate_json_agrees_with_itself_and_with_the_sidecar(capsys, mnist_dir):
    assert main(["evaluate", "--json", "--data-dir", str(mnist_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    confusion = np.asarray(report["confusion"])
    assert confusion.shape == (10, 10) and report["count"] == confusion.sum() == 10_000
    assert report["accuracy"] == np.trace(confusion) / 10_000
    recall = np.diag(confusion) / confusion.sum(axis=1)
    np.testing.assert_allclose(report["recall"], recall, atol=1e-6)
    # Training stored its own measurement of the same networks: they must agree.
    from digitpad.core.models.ensemble import Recognizer

    stored = Recognizer.load().meta["test"]
    assert abs(report["accuracy"] - stored["accuracy"]) <= 0.0005
    assert abs(report["loss"] - stored["loss"]) <= 0.001


def test_evaluate_without_the_data_is_one_line(capsys, tmp_path):
    assert main(["evaluate", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("digitpad: ") and "\n" not in err
