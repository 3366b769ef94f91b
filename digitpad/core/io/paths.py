"""Where things live: the bundled model (frozen app, installed package or checkout)
and the user's data. Qt-free, so the CLI and tests use the same answers as the GUI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "DigitPad"
DATA_DIR_ENV = "DIGITPAD_DATA_DIR"
MODEL_FILE = "model.keras"


def resources_dir() -> Path:
    """The read-only folder with the bundled model, its sidecar and card, and icons."""
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)  # PyInstaller's unpack folder
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources")
    package = Path(__file__).resolve().parents[2]  # digitpad/, from digitpad/core/io/
    candidates.append(package / "_resources")  # installed wheel
    candidates.append(package.parent / "resources")  # source checkout
    for candidate in candidates:
        if (candidate / MODEL_FILE).is_file():
            return candidate
    return candidates[-1]


def bundled_model_path() -> Path:
    return resources_dir() / MODEL_FILE


def user_data_dir() -> Path:
    """Per-user writable data (retrained models, samples); DIGITPAD_DATA_DIR overrides."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def program_command() -> list[str]:
    """How to run DigitPad again in a new process: the frozen executable itself, or this
    Python with `-m digitpad`. Sub-command arguments follow."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "digitpad"]


def beside_checkout(*parts: str) -> Path | None:
    """``shared/data/<parts>`` in a folder above this source tree (a development
    checkout with the project's data beside it); None when there is none."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.joinpath("shared", "data", *parts)
        if candidate.exists():
            return candidate
    return None
