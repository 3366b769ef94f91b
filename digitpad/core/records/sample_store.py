"""The user's labelled samples: digits corrected in the app, drawn or in pictures.

Qt-free. Each sample is one file in `user_data_dir()/samples`, named
`<label>-<time>-<random>`: a drawing file (`.json`, the v1 format, with "label") for a
drawn digit, or for a digit in a picture the 28 x 28 field the model read, as a grey
PNG (`.png`, ink white). `digitpad train --samples` reads that folder as it is.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from digitpad.core.io import files, paths
from digitpad.core.io.drawing import MAX_FILE_BYTES as MAX_DRAWING_BYTES
from digitpad.core.io.drawing import Drawing, DrawingError

log = logging.getLogger(__name__)

SAMPLES_FOLDER = "samples"


def samples_dir() -> Path:
    return paths.user_data_dir() / SAMPLES_FOLDER


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int
    modified: float  # seconds since the epoch
    drawing: Drawing | None  # a drawn sample's strokes; None for a picture's
    field: np.ndarray | None = None  # a picture's: float32 (28, 28) in [0, 1], ink = 1


MAX_FIELD_BYTES = 64 * 1024  # a 28 x 28 grey PNG is under 1 KB
# What one sample file may be: a drawing (see io.drawing) or a field picture.
MAX_SAMPLE_BYTES = max(MAX_FIELD_BYTES, MAX_DRAWING_BYTES)
FIELD_NAME = re.compile(r"([0-9])-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}\.png")


def save_field_sample(
    field: np.ndarray, label: int, directory: Path | None = None, replaces: Path | None = None
) -> Path:
    """Write a picture's digit, as the model read it (float (28, 28), ink = 1), as a sample
    of `label`; its path. `replaces` as for save_sample."""
    from PIL import Image

    from digitpad.core.io import atomic

    if not 0 <= int(label) <= 9:
        raise ValueError(f"a sample's label is a digit 0-9, got {label!r}")
    pixels = np.asarray(field, np.float32)
    if pixels.shape != (28, 28) or not np.isfinite(pixels).all() or not pixels.any():
        raise DrawingError("a picture's sample is a 28 x 28 field with ink")
    path = _new_path(directory, label, ".png")
    with atomic.atomic_path(path, suffix=".png") as tmp:
        Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(tmp, "PNG")
    if replaces is not None and replaces != path:
        replaces.unlink(missing_ok=True)
    return path


def read_field(path: Path) -> np.ndarray:
    """A picture sample's field, float32 (28, 28) in [0, 1]; DrawingError if it is not one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(files.read_regular(path, MAX_FIELD_BYTES))) as image:
            if image.size != (28, 28) or image.mode != "L":
                raise DrawingError(f"not a 28 x 28 grey field ({image.size}, {image.mode})")
            return np.asarray(image, np.float32) / 255.0
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DrawingError(f"unreadable picture sample ({exc})") from None


def _new_path(directory: Path | None, label: int, suffix: str) -> Path:
    folder = directory if directory is not None else samples_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return folder / f"{int(label)}-{stamp}-{secrets.token_hex(3)}{suffix}"


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
    path = _new_path(directory, label, ".json")
    replace(drawing, label=int(label)).save(path)  # atomic: never a half-written sample
    if replaces is not None and replaces != path:
        replaces.unlink(missing_ok=True)
    return path


def count_samples(directory: Path | None = None) -> int:
    folder = directory if directory is not None else samples_dir()
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.suffix in (".json", ".png"))


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
    for path in sorted(folder.glob("*.png")) if folder.is_dir() else []:
        named = FIELD_NAME.fullmatch(path.name)
        try:
            if named is None:
                raise DrawingError("not named <digit>-<time>-<random>.png")
            field = read_field(path)
            modified = path.stat().st_mtime
        except (DrawingError, OSError) as exc:
            log.warning("skipping sample %s: %s", path.name, exc)
            continue
        found.append(Sample(path, int(named.group(1)), modified, None, field))
    found.sort(key=lambda s: (s.label, s.modified, s.path.name))
    return found


def delete_sample(path: Path) -> None:
    path.unlink(missing_ok=True)
