"""Retrained models, kept as versions in the user data dir (one folder each). Qt-free.

A version folder holds what `digitpad train --output` writes: model.keras, model.json,
MODEL_CARD.md and confusion.png. Only complete folders (model and sidecar) count.
The install folder is never written: versions live under `paths.user_models_dir()`.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from digitpad.core.io import files, paths

log = logging.getLogger(__name__)

SIDECAR = "model.json"


@dataclass(frozen=True)
class ModelVersion:
    folder: Path
    meta: dict

    @property
    def model_path(self) -> Path:
        return self.folder / paths.MODEL_FILE

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def test_accuracy(self) -> float | None:
        return test_metric(self.meta, "accuracy")


def test_metric(meta: dict | None, key: str) -> float | None:
    """meta["test"][key] as a float, or None when the sidecar does not have it."""
    test = meta.get("test") if isinstance(meta, dict) else None
    value = test.get(key) if isinstance(test, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


MAX_SIDECAR_BYTES = 4 * 1024 * 1024  # a sidecar is a few KB of JSON


def read_meta(folder: Path) -> dict:
    """The version's sidecar; {} when it is missing or unreadable."""
    try:
        meta = json.loads(files.read_regular(folder / SIDECAR, MAX_SIDECAR_BYTES))
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("cannot read %s: %s", folder / SIDECAR, exc)
        return {}
    return meta if isinstance(meta, dict) else {}


def is_complete(folder: Path) -> bool:
    return (folder / paths.MODEL_FILE).is_file() and (folder / SIDECAR).is_file()


def new_version_dir(recipe: str) -> Path:
    """A fresh folder name under the user's models folder (not created yet)."""
    base = paths.user_models_dir()
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{recipe}"
    candidate, n = base / stem, 2
    while candidate.exists():
        candidate, n = base / f"{stem}-{n}", n + 1
    return candidate


def list_versions() -> list[ModelVersion]:
    """Complete versions, newest first."""
    base = paths.user_models_dir()
    if not base.is_dir():
        return []
    # Hidden folders are a training run's staging, not yet a version.
    folders = [
        f for f in base.iterdir() if f.is_dir() and not f.name.startswith(".") and is_complete(f)
    ]
    folders.sort(key=lambda f: f.name, reverse=True)
    return [ModelVersion(f, read_meta(f)) for f in folders]


def is_user_version(path: Path) -> bool:
    """Whether `path` lies inside the user's models folder."""
    try:
        path.resolve().relative_to(paths.user_models_dir().resolve())
    except (ValueError, OSError):
        return False
    return True


def discard(folder: Path) -> None:
    """Delete a version folder; refuses anything outside the user's models folder."""
    if not is_user_version(folder) or folder.resolve() == paths.user_models_dir().resolve():
        raise ValueError(f"{folder} is not a model version of this user")
    shutil.rmtree(folder, ignore_errors=True)
