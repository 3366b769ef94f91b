"""The training module: a short real run, cancel, and the card's architecture."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from digitpad.core.records.training_events import EXIT_CANCELLED  # noqa: E402
from training.model import CARD_PARAMETERS, build_model  # noqa: E402
from training.train import OUTPUT_FILES, TrainConfig, TrainingCancelled, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_architecture_is_the_card():
    model = build_model()
    assert model.count_params() == CARD_PARAMETERS == 34826
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]


@pytest.mark.slow
def test_one_epoch_on_2000_images_writes_a_usable_model(tmp_path, mnist_dir):
    events = []
    result = train(
        TrainConfig(
            output=tmp_path,
            recipe="default",
            epochs=1,
            limit=2000,
            data_dir=str(mnist_dir),
            members=2,
        ),
        on_progress=events.append,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*OUTPUT_FILES, "member-2.keras"])
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["parameters"] == 34826 and meta["train_count"] == 1800
    assert meta["validation_count"] == 200 and meta["epochs_completed"] == 1
    assert np.array(meta["test"]["confusion"]).sum() == 10000
    assert set(meta["data_sha256"]) >= {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte"}
    assert "digitpad train --recipe default" in meta["command"]
    kinds = {e.name for e in events}
    assert {"start", "batch", "epoch", "done"} <= kinds
    batch = next(e for e in events if e.name == "batch")
    assert batch.batches > 0 and 0 <= batch.accuracy <= 1 and batch.eta_s >= 0
    assert next(e for e in events if e.name == "epoch").val_loss > 0
    done = events[-1]
    assert done.name == "done" and done.test_accuracy == meta["test"]["accuracy"]
    # The NumPy path reads what Keras wrote, and agrees with it.
    from digitpad.core.models.ensemble import Recognizer

    recognizer = Recognizer.load(tmp_path / "model.keras")
    assert recognizer.meta["model_sha256"] == meta["model_sha256"]
    assert result.meta["test"]["accuracy"] == meta["test"]["accuracy"]
    # Two networks, trained in turn; the progress counts on across both.
    assert len(recognizer.members) == 2 and [m["seed"] for m in meta["members"]] == [0, 1]
    assert max(e.epoch for e in events if e.name == "epoch") == 2
    assert {e.epochs for e in events if e.name == "epoch"} == {2}
    # Calibrated, with a non-digit check, and every data source named with its licence.
    assert (
        meta["calibration"]["temperature"] > 0
        and len(meta["calibration"]["member_temperatures"]) == 2
    )
    assert recognizer.check is not None and recognizer.check.weights.shape == (2, 1600)
    names = " ".join(s["name"] for s in meta["data_sources"])
    assert "MNIST" in names and "non-digits" in names
    assert all(s.get("licence") for s in meta["data_sources"])
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "## Calibration" in card and "CC BY-SA 3.0" in card


@pytest.mark.slow
def test_cancel_mid_epoch_leaves_the_previous_model_untouched(tmp_path, mnist_dir):
    previous = {name: f"previous {name}".encode() for name in OUTPUT_FILES}
    for name, data in previous.items():
        (tmp_path / name).write_bytes(data)
    checks = []

    def should_stop():  # asked after every batch; stop in the middle of the first epoch
        checks.append(1)
        return len(checks) > 5

    with pytest.raises(TrainingCancelled):
        train(
            TrainConfig(
                output=tmp_path,
                recipe="card",
                epochs=2,
                limit=2000,
                batch_size=32,
                data_dir=str(mnist_dir),
            ),
            should_stop=should_stop,
        )
    assert len(checks) == 6  # it stopped at the first batch that asked
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == previous


@pytest.mark.slow
def test_sigterm_stops_the_cli_within_a_batch_and_writes_nothing(tmp_path, mnist_dir):
    out = tmp_path / "out"
    env = {**os.environ, "DIGITPAD_MNIST_DIR": str(mnist_dir)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "digitpad",
            "train",
            "--recipe",
            "card",
            "--limit",
            "6000",
            "--epochs",
            "5",
            "--progress",
            "json",
            "--output",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    events = []
    try:
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "batch":
                proc.send_signal(signal.SIGTERM)
                break
        rest = proc.stdout.read()
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    events += [json.loads(line) for line in rest.splitlines() if line.strip()]
    assert code == EXIT_CANCELLED
    assert events[-1]["event"] == "cancelled"
    # At most one more batch ran after the signal.
    assert sum(e["event"] == "batch" for e in events) <= 2
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("where", ["under a file", "a file"])
def test_an_unwritable_output_is_refused_before_training(tmp_path, where):
    from training.train import TrainingError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    output = blocker / "model" if where == "under a file" else blocker
    started = []
    with pytest.raises(TrainingError, match="cannot write the model") as info:
        train(
            TrainConfig(output=output, epochs=1, limit=500), on_progress=lambda e: started.append(e)
        )
    assert "\n" not in str(info.value)
    assert not started  # refused before loading anything


@pytest.mark.slow
def test_a_new_output_folder_appears_whole(tmp_path, mnist_dir):
    output = tmp_path / "versions" / "new"
    train(TrainConfig(output=output, recipe="card", epochs=1, limit=600, data_dir=str(mnist_dir)))
    assert sorted(p.name for p in output.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in output.parent.iterdir()] == ["new"]  # no staging left behind
