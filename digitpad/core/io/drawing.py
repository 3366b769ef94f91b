"""Drawings: strokes of (x, y[, pressure]) points in canvas pixels, and their JSON file format.

File format v1:
    {"format": "digitpad-drawing", "version": 1, "width": W, "height": H,
     "strokes": [[[x, y] or [x, y, p], ...], ...], "label": optional digit}
Coordinates are canvas pixels, origin top-left, y down; pressure is in [0, 1].
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import numpy as np

from digitpad.core.io import atomic, files

FORMAT = "digitpad-drawing"
VERSION = 1
# Far above any hand-drawn number (a minute of drawing at 1 kHz), far below what
# would make parsing or rendering hang.
MAX_POINTS = 200_000
# A written number of twenty digits takes well under a hundred strokes; past this many,
# splitting a drawing into digits would take seconds (its work grows with the strokes).
MAX_STROKES = 1_000
MAX_FILE_BYTES = 16 * 1024 * 1024
# Canvas sizes are below 1e6 pixels; points may stray off the canvas, but not by more
# than this (1e308 would overflow every sum and give boxes of 309-digit integers).
MAX_COORDINATE = 1e6


class DrawingError(ValueError):
    """A drawing file or structure that cannot be used; the message is one line."""


@dataclass
class Drawing:
    """Strokes in canvas pixels.

    Each stroke is float64 (K, 3): x, y and pressure; pressure is NaN where the
    input device gave none.
    """

    strokes: list[np.ndarray] = field(default_factory=list)
    width: float = 280.0
    height: float = 280.0
    label: int | None = None

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)

    def is_empty(self) -> bool:
        return self.point_count == 0

    @classmethod
    def from_points(
        cls, strokes: list, width: float = 280.0, height: float = 280.0, label: int | None = None
    ) -> Drawing:
        """Build from nested lists/arrays of [x, y] or [x, y, p]; validates like a file."""
        return cls.from_dict(
            {
                "format": FORMAT,
                "version": VERSION,
                "width": width,
                "height": height,
                "strokes": strokes,
                "label": label,
            }
        )

    @classmethod
    def from_dict(cls, data: object) -> Drawing:
        if not isinstance(data, dict):
            raise DrawingError("not a drawing: expected a JSON object")
        if data.get("format") != FORMAT:
            raise DrawingError(f'not a drawing: "format" must be "{FORMAT}"')
        if isinstance(data.get("version"), bool) or data.get("version") != VERSION:
            raise DrawingError(
                f"unsupported drawing version {data.get('version')!r} "
                f"(this DigitPad reads version {VERSION})"
            )
        size = []
        for name in ("width", "height"):
            value = data.get(name)
            if not _is_number(value) or not 0 < value < MAX_COORDINATE:
                raise DrawingError(f'"{name}" must be a positive number, got {value!r}')
            size.append(float(value))
        width, height = size
        label = data.get("label")
        if label is not None and (
            not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9
        ):
            raise DrawingError(f'"label" must be a digit 0-9, got {label!r}')
        raw = data.get("strokes")
        if not isinstance(raw, list):
            raise DrawingError('"strokes" must be a list of strokes')
        if len(raw) > MAX_STROKES:
            raise DrawingError(f"too many strokes ({len(raw):,}; at most {MAX_STROKES:,})")
        total = sum(len(s) for s in raw if isinstance(s, list))
        if total > MAX_POINTS:
            raise DrawingError(f"too many points ({total:,}; at most {MAX_POINTS:,})")
        strokes = [_parse_stroke(s, i) for i, s in enumerate(raw)]
        return cls([s for s in strokes if len(s)], width, height, label)

    def to_dict(self) -> dict:
        strokes = []
        for s in self.strokes:
            has_p = not np.isnan(s[:, 2]).all()
            pts = s if has_p else s[:, :2]
            strokes.append([[round(float(v), 2) for v in p] for p in np.nan_to_num(pts, nan=1.0)])
        out = {
            "format": FORMAT,
            "version": VERSION,
            "width": self.width,
            "height": self.height,
            "strokes": strokes,
        }
        if self.label is not None:
            out["label"] = self.label
        return out

    @classmethod
    def load(cls, path: str | os.PathLike) -> Drawing:
        """Read a drawing file; DrawingError (one line) for anything unusable."""
        path = Path(path)
        try:
            data = json.loads(files.read_regular(path, MAX_FILE_BYTES))
        except OSError as exc:
            raise DrawingError(files.reason(exc)) from None
        except UnicodeDecodeError:
            raise DrawingError("not a drawing: the file is not UTF-8 text") from None
        except RecursionError:
            raise DrawingError("not a drawing: nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError
            raise DrawingError(f"not valid JSON ({exc})") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike) -> None:
        atomic.write_text(path, json.dumps(self.to_dict(), separators=(",", ":")))

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) of all points, or None when empty."""
        if self.is_empty():
            return None
        pts = np.concatenate([s[:, :2] for s in self.strokes])
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


def _is_number(value: object) -> TypeGuard[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer of hundreds of digits
        return False


def _parse_stroke(stroke: object, index: int) -> np.ndarray:
    if not isinstance(stroke, (list, np.ndarray)):
        raise DrawingError(f"stroke {index} must be a list of points")
    out = np.full((len(stroke), 3), np.nan)
    for j, point in enumerate(stroke):
        if (
            not isinstance(point, (list, tuple, np.ndarray))
            or len(point) not in (2, 3)
            or not all(_is_number(v) or isinstance(v, np.number) for v in point)
        ):
            raise DrawingError(f"stroke {index}, point {j}: expected [x, y] or [x, y, pressure]")
        values = [float(v) for v in point]
        if not all(math.isfinite(v) for v in values):
            raise DrawingError(f"stroke {index}, point {j}: coordinates must be finite")
        out[j, : len(values)] = values
    if len(stroke):
        if np.abs(out[:, :2]).max() > MAX_COORDINATE:
            raise DrawingError(
                f"stroke {index}: coordinates beyond ±{MAX_COORDINATE:,.0f} (a canvas is "
                "at most that large)"
            )
        out[:, 2] = np.clip(out[:, 2], 0.0, 1.0)  # NaN stays NaN
    return out
