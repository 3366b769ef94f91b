"""Retraining with the user's own samples, fine-tuned from the current model."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("keras")

from digitpad.core import paths  # noqa: E402
from digitpad.core.drawing import Drawing  # noqa: E402
from training.samples import load_samples, repeats  # noqa: E402
from training.train import TrainConfig, TrainingError, train  # noqa: E402


def write_samples(folder, count=10):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        x = 140 + rng.uniform(-20, 20)
        one = [[[x, 40], [x + rng.uniform(-10, 10), 240]]]
        Drawing.from_points(one, label=1).save(folder / f"sample-{i:03d}.json")
    (folder / "broken.json").write_text("{")
    Drawing.from_points(one).save(folder / "unlabelled.json")


def test_samples_split_and_skip_unusable_files(tmp_path):
    write_samples(tmp_path / "s", 10)
    samples = load_samples(tmp_path / "s")
    assert samples.count == 10 and len(samples.held_y) == 2
    assert samples.train_x.shape == (8, 28, 28) and (samples.train_y == 1).all()
    assert repeats(8, 54000) == 50 and repeats(5000, 54000) == 1 and repeats(0, 10) == 0


@pytest.mark.slow
def test_fine_tune_with_samples_reports_before_and_after(tmp_path, mnist_dir):
    write_samples(tmp_path / "s", 10)
    result = train(TrainConfig(
        output=tmp_path / "out", recipe="default", epochs=1, limit=1000,
        data_dir=str(mnist_dir), samples_dir=str(tmp_path / "s"),
        init_model=str(paths.bundled_model_path()), augment=False))
    meta = json.loads((tmp_path / "out" / "model.json").read_text())
    assert meta["samples"]["count"] == 10 and meta["samples"]["held_out"] == 2
    assert meta["samples"]["accuracy_before"] == 1.0  # the bundled model reads these 1s
    assert 0.0 <= meta["samples"]["accuracy_after"] <= 1.0
    assert meta["augmentation"] is False and "--no-augment" in meta["command"]
    # Fine-tuning from a strong model keeps it strong, even after a short run.
    assert result.meta["test"]["accuracy"] > 0.98


def test_fine_tuning_from_a_foreign_model_is_refused(tmp_path):
    (tmp_path / "bad.keras").write_text("not a model")
    with pytest.raises(TrainingError, match="cannot fine-tune"):
        train(TrainConfig(output=tmp_path / "out", init_model=str(tmp_path / "bad.keras")))
