"""The user's own labelled digits ("teach it my handwriting") as training data.

Samples are drawing files with a "label", or the 28 x 28 fields of digits in pictures
(digitpad.core.records.sample_store). Every fifth one (in sorted file order, so
the split is stable between runs) is held out to measure the model on the user's
own handwriting before and after retraining; the rest join the MNIST training set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.io.drawing import Drawing, DrawingError
from digitpad.core.page.field import drawing_to_field
from digitpad.core.records import sample_store

log = logging.getLogger(__name__)
HOLD_OUT_EVERY = 5
# A handful of samples among 54,000 MNIST images would be drowned out: each training
# sample is repeated so that together they are about 2% of an epoch (at most 50 times).
SHARE_OF_EPOCH = 0.02
MAX_REPEAT = 50


@dataclass
class Samples:
    train_x: np.ndarray  # float32 (N, 28, 28) in [0, 1]
    train_y: np.ndarray  # int64 (N,)
    held_x: np.ndarray
    held_y: np.ndarray

    @property
    def count(self) -> int:
        return len(self.train_y) + len(self.held_y)


def load_samples(folder: str | Path) -> Samples:
    """Read every labelled sample in ``folder`` (pictures' fields, then drawings, also in
    sub-folders); unusable files are skipped with a warning."""
    fields, labels = [], []
    for sample in sample_store.list_samples(Path(folder)):
        if sample.field is not None:  # a digit in a picture: the field the model read
            fields.append(sample.field)
            labels.append(sample.label)
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            drawing = Drawing.load(path)
        except DrawingError as exc:
            log.warning("skipping sample %s: %s", path.name, exc)
            continue
        field = drawing_to_field(drawing) if drawing.label is not None else None
        if field is None:
            log.warning("skipping sample %s: no label or no ink", path.name)
            continue
        fields.append(field)
        labels.append(drawing.label)
    x = np.asarray(fields, np.float32).reshape(-1, 28, 28)
    y = np.asarray(labels, np.int64)
    held = np.zeros(len(y), bool)
    held[HOLD_OUT_EVERY - 1 :: HOLD_OUT_EVERY] = True
    return Samples(x[~held], y[~held], x[held], y[held])


def repeats(n_samples: int, n_train: int) -> int:
    if n_samples == 0:
        return 0
    return int(min(MAX_REPEAT, max(1, round(SHARE_OF_EPOCH * n_train / n_samples))))
