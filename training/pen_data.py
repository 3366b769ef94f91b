"""Real pen strokes and drawn non-digits as training images (NumPy only, no TensorFlow).

Every image here is made by the canvas' own function (``drawing_to_field``) from
points varied by :mod:`digitpad.core.made.pen_augment`, so the networks learn from exactly
what the app will show them. Only the training writers' strokes are used; the
calibration writers are rendered unvaried, for fitting the confidence after training.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.io import paths, pendigits
from digitpad.core.made import nondigits
from digitpad.core.made.pen_augment import DEFAULT, PenVariation, vary
from digitpad.core.page.field import drawing_to_field

BUNDLED_NAME = "pendigits-train"  # the installed app's copy (writers 1-25 only)


@dataclass
class PenData:
    path: Path
    sha256: str
    size: int
    train_x: np.ndarray  # uint8 (N, 28, 28): varied renditions, ink = 255
    train_y: np.ndarray  # int64 (N,)
    train_writers: int
    train_digits: int  # distinct recorded digits behind train_x
    calibration_x: np.ndarray  # float32 (M, 28, 28) in [0, 1], as the canvas renders them
    calibration_y: np.ndarray


def locate(explicit: str | None = None) -> Path | None:
    """The pen-strokes file: the explicit path, $DIGITPAD_PENDIGITS, the copy bundled
    with the app, or one beside a development checkout; None when there is none."""
    if explicit:
        return Path(explicit)
    if os.environ.get(pendigits.PENDIGITS_ENV):
        return Path(os.environ[pendigits.PENDIGITS_ENV])
    bundled = paths.resources_dir() / BUNDLED_NAME
    if bundled.is_file():
        return bundled
    return pendigits.default_path()


def to_uint8(fields: list[np.ndarray]) -> np.ndarray:
    return np.round(np.stack(fields) * 255).astype(np.uint8).reshape(-1, 28, 28)


def load(
    path: Path,
    copies: int,
    seed: int,
    limit: int | None = None,
    variation: PenVariation = DEFAULT,
    on_progress: Callable[[int, int], None] | None = None,
) -> PenData:
    """Read the file and render ``copies`` varied renditions of each training digit
    (the first one unvaried, exactly as drawn). ``on_progress(done, total)``: digits
    rendered so far, called after each."""
    data = pendigits.read_bytes(path)
    digits = pendigits.read(path, data)
    train = pendigits.training_digits(digits)
    if not train:
        raise pendigits.PenDigitsError(f"{path.name}: holds no digits of the training writers")
    calibration = pendigits.split(digits, pendigits.CALIBRATION_WRITERS)
    if limit:  # a small trial run: about `limit` renditions in all
        train, calibration = train[: max(1, limit // copies)], calibration[:limit]
    rng = np.random.default_rng(seed)
    fields, labels = [], []
    for done, digit in enumerate(train, 1):
        if on_progress is not None:
            on_progress(done - 1, len(train))
        for k in range(copies):
            if k == 0:
                field = drawing_to_field(digit.drawing)
            else:
                drawing, width = vary(digit.drawing, rng, variation)
                field = drawing_to_field(drawing, width)
            if field is not None:
                fields.append(field)
                labels.append(digit.label)
    if on_progress is not None:
        on_progress(len(train), len(train))
    cal_fields = [drawing_to_field(d.drawing) for d in calibration]
    keep = [k for k, f in enumerate(cal_fields) if f is not None]
    return PenData(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        train_x=to_uint8(fields),
        train_y=np.asarray(labels, np.int64),
        train_writers=len({d.writer for d in train}),
        train_digits=len(train),
        calibration_x=np.stack([cal_fields[k] for k in keep]).astype(np.float32)
        if keep
        else np.zeros((0, 28, 28), np.float32),
        calibration_y=np.asarray([calibration[k].label for k in keep], np.int64),
    )


def non_digit_images(count: int, seed: int) -> np.ndarray:
    """uint8 (<= count, 28, 28): drawn non-digits of the training families only."""
    fields = []
    for item in nondigits.non_digits(count, seed, nondigits.TRAINING_FAMILIES):
        field = drawing_to_field(item.drawing, item.stroke_width)
        if field is not None:
            fields.append(field)
    return to_uint8(fields) if fields else np.zeros((0, 28, 28), np.uint8)
