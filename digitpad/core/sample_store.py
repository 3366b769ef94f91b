"""The user's labelled samples: drawings corrected in the app, kept as drawing files.

Qt-free. Each sample is one drawing file (the v1 format, with "label") in
`user_data_dir()/samples`, named `<label>-<time>-<random>.json`; `digitpad train
--samples` reads that folder as it is.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from digitpad.core import paths
from digitpad.core.drawing import Drawing, DrawingError

log = logging.getLogger(__name__)

SAMPLES_FOLDER = "samples"


def samples_dir() -> Path:
    return paths.user_data_dir() / SAMPLES_FOLDER


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int
    modified: float  # seconds since the epoch
    drawing: Drawing


def save_sample(
    drawing: Drawing, label: int, directory: Path | None = None, replaces: Path | None = None
) -> Path:
    """Write `drawing` labelled `label` (0-9) as a new sample file; its path.

    `replaces`: a sample written earlier for the same drawing (the user changed their
    mind about the digit); it is removed once the new file is in place.
    """
    if not 0 <= int(label) <= 9:
        raise ValueError(f"a sample's label is a digit 0-9, got {label!r}")
    if drawing.is_empty():
        raise DrawingError("an empty drawing cannot be a sample")
    folder = directory if directory is not None else samples_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{int(label)}-{stamp}-{secrets.token_hex(3)}.json"
    replace(drawing, label=int(label)).save(path)  # atomic: never a half-written sample
    if replaces is not None and replaces != path:
        replaces.unlink(missing_ok=True)
    return path


def count_samples(directory: Path | None = None) -> int:
    folder = directory if directory is not None else samples_dir()
    return sum(1 for _ in folder.glob("*.json")) if folder.is_dir() else 0


def list_samples(directory: Path | None = None) -> list[Sample]:
    """The readable, labelled samples, by digit and then oldest first."""
    folder = directory if directory is not None else samples_dir()
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            drawing = Drawing.load(path)
            modified = path.stat().st_mtime
        except (DrawingError, OSError) as exc:
            log.warning("skipping sample %s: %s", path.name, exc)
            continue
        if drawing.label is None:
            log.warning("skipping sample %s: it has no label", path.name)
            continue
        found.append(Sample(path, drawing.label, modified, drawing))
    found.sort(key=lambda s: (s.label, s.modified, s.path.name))
    return found


def delete_sample(path: Path) -> None:
    path.unlink(missing_ok=True)
