"""Where the bundled resources are found (checkout, installed wheel, frozen app), and
how DigitPad starts itself again (the retraining process, the benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

from digitpad.core.io import paths


def test_checkout_resources_hold_the_model():
    assert paths.bundled_model_path().is_file()
    assert (paths.resources_dir() / "icons" / "digitpad.png").is_file()


def test_frozen_app_resources_come_first(tmp_path, monkeypatch):
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / paths.MODEL_FILE).write_bytes(b"model")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resources_dir() == tmp_path / "resources"


def test_frozen_app_without_its_resources_falls_back(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resources_dir() != tmp_path / "resources"
    assert paths.bundled_model_path().is_file()


def test_program_command(monkeypatch):
    assert paths.program_command() == [sys.executable, "-m", "digitpad"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert paths.program_command() == [sys.executable]


def test_user_data_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path))
    assert paths.user_data_dir() == tmp_path
    assert paths.user_models_dir() == Path(tmp_path) / "models"
