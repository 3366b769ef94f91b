"""What can go wrong in a training run ends as one `error` (TrainingError), never a
traceback, and leaves nothing half-written."""

from __future__ import annotations

import errno
import json
import os
import sys

import pytest

pytest.importorskip("keras")

from training import train as train_module
from training.samples import load_samples
from training.train import TrainConfig, TrainingError, train


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_pipe_as_the_model_to_fine_tune_from_is_refused_at_once(tmp_path, within):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    config = TrainConfig(output=tmp_path / "out", epochs=1, limit=50, init_model=str(fifo))
    outcome = within(20, lambda: train(config))
    assert isinstance(outcome, TrainingError) and "not a regular file" in str(outcome)
    assert not (tmp_path / "out").exists()


def test_a_text_file_as_pen_strokes_is_an_error(tmp_path, mnist_dir):
    notes = tmp_path / "notes.txt"
    notes.write_text("not pen strokes\n")
    config = TrainConfig(
        output=tmp_path / "out", epochs=1, limit=50, data_dir=str(mnist_dir), pendigits=str(notes)
    )
    with pytest.raises(TrainingError, match="pen strokes") as info:
        train(config)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


def test_an_unlabelled_drawing_of_absurd_coordinates_is_skipped(tmp_path):
    bad = {
        "format": "digitpad-drawing",
        "version": 1,
        "width": 280,
        "height": 280,
        "strokes": [[[1e308, -1e308], [-1e308, 1e308]]],
    }
    good = {**bad, "strokes": [[[100, 60], [110, 220]]], "label": 1}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "good.json").write_text(json.dumps(good))
    samples = load_samples(tmp_path)
    assert samples.count == 1


@pytest.mark.slow
def test_a_disk_that_fills_while_writing_is_an_error(tmp_path, mnist_dir, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(train_module.keras.Model, "save", full)
    config = TrainConfig(
        output=tmp_path / "out", recipe="card", epochs=1, limit=300, data_dir=str(mnist_dir)
    )
    with pytest.raises(TrainingError, match="No space left") as info:
        train(config)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging left behind
