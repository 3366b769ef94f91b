"""Retraining with the user's own samples, fine-tuned from the current model."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("keras")

from digitpad.core.io import paths
from digitpad.core.io.drawing import Drawing
from digitpad.core.records import sample_store
from training.samples import load_samples, repeats
from training.train import TrainConfig, TrainingError, train


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
    result = train(
        TrainConfig(
            output=tmp_path / "out",
            recipe="default",
            epochs=1,
            limit=1000,
            data_dir=str(mnist_dir),
            samples_dir=str(tmp_path / "s"),
            init_model=str(paths.bundled_model_path()),
            augment=False,
        )
    )
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


def _with_config(tmp_path, name, change):
    import json
    import zipfile

    from digitpad.core.io import paths

    path = tmp_path / name
    with zipfile.ZipFile(paths.bundled_model_path()) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "config.json":
                data = json.dumps(change(json.loads(data))).encode()
            zout.writestr(item, data)
    return path


def _lambda_initializer(config):
    layer = next(la for la in config["config"]["layers"] if la["class_name"] == "Conv2D")
    layer["config"]["kernel_initializer"] = {
        "class_name": "__lambda__",
        "config": {"code": "print('pwned')"},
    }
    return config


def _input_is_a_lambda(config):
    config["config"]["layers"][0] = {
        "class_name": "Lambda",
        "config": {"function": {"class_name": "__lambda__", "config": {"code": "0"}}},
    }
    return config


def _os_module(config):
    layer = next(la for la in config["config"]["layers"] if la["class_name"] == "Dense")
    layer["module"] = "os"
    layer["class_name"] = "system"
    return config


@pytest.mark.parametrize("change", [lambda c: [], _input_is_a_lambda, _os_module])
def test_fine_tuning_from_a_hostile_model_is_one_line_and_runs_nothing(tmp_path, change, capfd):
    path = _with_config(tmp_path, "hostile.keras", change)
    with pytest.raises(TrainingError, match="cannot fine-tune") as info:
        train(TrainConfig(output=tmp_path / "out", init_model=str(path)))
    assert "\n" not in str(info.value)
    assert "pwned" not in capfd.readouterr().out
    assert not (tmp_path / "out").exists()


def test_gadgets_in_the_config_are_not_read_by_keras(tmp_path, capfd):
    """A __lambda__ initializer in an otherwise valid file: the weights are copied by the
    app's own reader into a freshly built network; nothing in the file is run."""
    from training.train import _load_initial

    path = _with_config(tmp_path, "gadget.keras", _lambda_initializer)
    networks = _load_initial(str(path))
    assert len(networks) == 1 and networks[0].count_params() == 34826
    assert "pwned" not in capfd.readouterr().out


def test_training_reads_picture_samples_too(tmp_path):

    field = np.zeros((28, 28), np.float32)
    field[4:24, 13:15] = 1.0
    for _ in range(5):
        sample_store.save_field_sample(field, 1, tmp_path)
    (tmp_path / "7-broken.png").write_bytes(b"not a png")
    drawing = Drawing.from_points([[[10, 10], [12, 90]]], 100, 100)
    sample_store.save_sample(drawing, 4, tmp_path)
    assert sample_store.count_samples(tmp_path) == 7  # the broken file counted, not read
    samples = load_samples(tmp_path)
    assert samples.count == 6
    assert sorted([*samples.train_y, *samples.held_y]) == [1, 1, 1, 1, 1, 4]
