"""Reader for the UNIPEN-style pen trajectories of the UCI pen-digits set.

Real strokes by 30 real writers (CC BY 4.0, Alpaydin and Alimoglu). Writers 1-22 train
the bundled model, writers 23-25 calibrate its confidence (held out of the networks'
training), and writers 26-30 are the development split that only ever measures it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.io import files, paths
from digitpad.core.io.drawing import Drawing, DrawingError

PENDIGITS_ENV = "DIGITPAD_PENDIGITS"
BOX_UNITS = 500.0  # each digit was written in a 500x500 tablet-unit box
TRAIN_WRITERS = frozenset(range(1, 23))
CALIBRATION_WRITERS = frozenset(range(23, 26))
DEV_WRITERS = frozenset(range(26, 31))
LICENCE = "CC BY 4.0"
CREDIT = (
    "Pen-Based Recognition of Handwritten Digits, E. Alpaydin and F. Alimoglu, "
    "Bogazici University (UCI Machine Learning Repository)"
)


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: int
    drawing: Drawing


class PenDigitsError(ValueError):
    """A file that is not a readable pen-strokes file; the message is one line."""


MAX_FILE_BYTES = 64 * 1024 * 1024  # the whole set is 3.6 MB


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's bytes, from a regular file within MAX_FILE_BYTES; PenDigitsError else."""
    try:
        return files.read_regular(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise PenDigitsError(f"{Path(path).name}: {exc.strerror or exc}") from None


def read(path: str | os.PathLike, data: bytes | None = None) -> list[PenDigit]:
    """All digits in file order (``data``: the file's bytes, when already read). The
    file's y grows upwards; drawings have y down. PenDigitsError (one line) for a file
    that holds no pen digits or is damaged."""
    name = Path(path).name
    data = read_bytes(path) if data is None else data
    try:
        digits = _parse(data.decode("ascii").splitlines())
    except UnicodeDecodeError:
        raise PenDigitsError(f"{name}: not a pen-strokes file (not ASCII text)") from None
    except (ValueError, IndexError, DrawingError) as exc:
        detail = " ".join(str(exc).split())[:120]
        raise PenDigitsError(f"{name}: not a pen-strokes file ({detail})") from None
    if not digits:
        raise PenDigitsError(f"{name}: holds no pen digits")
    return digits


def _parse(lines: list[str]) -> list[PenDigit]:
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] | None = None

    def flush() -> None:
        if label is not None and strokes:
            digits.append(
                PenDigit(
                    label,
                    writer or 0,
                    Drawing.from_points(
                        [[[x, BOX_UNITS - y] for x, y in s] for s in strokes],
                        width=BOX_UNITS,
                        height=BOX_UNITS,
                        label=label,
                    ),
                )
            )

    for line in lines:
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


def split(digits: list[PenDigit], writers: frozenset[int]) -> list[PenDigit]:
    """The digits written by ``writers``, in file order."""
    return [d for d in digits if d.writer in writers]


def training_digits(digits: list[PenDigit]) -> list[PenDigit]:
    """The training writers' digits; raises if a development writer slipped through."""
    chosen = split(digits, TRAIN_WRITERS)
    leaked = {d.writer for d in chosen} & (DEV_WRITERS | CALIBRATION_WRITERS)
    if leaked:  # cannot happen with disjoint sets; guards edits to the constants
        raise ValueError(f"held-out writers {sorted(leaked)} reached the training data")
    return chosen


def write_writers(
    source: str | os.PathLike, target: str | os.PathLike, writers: frozenset[int]
) -> int:
    """Copy the header and the digits of ``writers`` from one pen-strokes file to a new
    one (written atomically); returns how many digits were kept."""
    from digitpad.core.io import atomic

    kept = 0
    blocks: list[list[str]] = []
    current: list[str] = []
    with open(source, encoding="ascii") as f:
        lines = f.read().splitlines(keepends=True)
    header = []
    for line in lines:
        if line.startswith(".SEGMENT"):
            if current:
                blocks.append(current)
            current = [line]
        elif current:
            current.append(line)
        else:
            header.append(line)
    if current:
        blocks.append(current)
    out = list(header)
    for block in blocks:
        comment = next((ln for ln in block if ln.startswith(".COMMENT")), "")
        parts = comment.split()
        if len(parts) > 2 and int(parts[2]) in writers:
            out += block
            kept += 1
    atomic.write_text(target, "".join(out))
    return kept


def default_path() -> Path | None:
    """$DIGITPAD_PENDIGITS, else shared/data/pendigits/pendigits-train beside a checkout."""
    env = os.environ.get(PENDIGITS_ENV)
    if env:
        return Path(env)
    return paths.beside_checkout("pendigits", "pendigits-train")


def labels(digits: list[PenDigit]) -> np.ndarray:
    return np.array([d.label for d in digits], dtype=np.int64)
