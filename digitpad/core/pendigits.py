"""Reader for the UNIPEN-style pen trajectories of the UCI pen-digits set.

Used as a development and benchmark set for the drawing path: real strokes by real
writers that no MNIST-trained model has seen. Never training data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.drawing import Drawing

PENDIGITS_ENV = "DIGITPAD_PENDIGITS"
BOX_UNITS = 500.0  # each digit was written in a 500x500 tablet-unit box


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: int
    drawing: Drawing


def read(path: str | os.PathLike) -> list[PenDigit]:
    """All digits in file order. The file's y grows upwards; drawings have y down."""
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] | None = None

    def flush() -> None:
        if label is not None and strokes:
            digits.append(PenDigit(label, writer or 0, Drawing.from_points(
                [[[x, BOX_UNITS - y] for x, y in s] for s in strokes],
                width=BOX_UNITS, height=BOX_UNITS, label=label)))

    with open(path, encoding="ascii") as f:
        for line in f:
            word = line.split(maxsplit=1)[0] if line.strip() else ""
            if word == ".SEGMENT":
                flush()
                label = int(line.split('"')[1])
                writer, strokes = None, []
            elif word == ".COMMENT" and label is not None:
                parts = line.split()
                writer = int(parts[2]) if len(parts) > 2 else None
            elif word == ".PEN_DOWN":
                current = []
            elif word == ".PEN_UP":
                if current:
                    strokes.append(current)
                current = None
            elif current is not None and word and not word.startswith("."):
                x, y = line.split()[:2]
                current.append((float(x), float(y)))
    flush()
    return digits


def default_path() -> Path | None:
    """$DIGITPAD_PENDIGITS, else shared/data/pendigits/pendigits-train beside a checkout."""
    env = os.environ.get(PENDIGITS_ENV)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "pendigits" / "pendigits-train"
        if candidate.is_file():
            return candidate
    return None


def labels(digits: list[PenDigit]) -> np.ndarray:
    return np.array([d.label for d in digits], dtype=np.int64)
