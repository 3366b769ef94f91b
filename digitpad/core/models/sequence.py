"""The sequence recogniser: a line of ink -> the digits in it, touching or not.

A small convolutional network reads a line scaled to LINE_HEIGHT rows and gives, for
every TIME_STEP columns, the probabilities of the ten digits and of "no digit here"
(the CTC blank, which also covers separators and clutter). Decoding keeps each run's
best class and drops blanks and repeats (best-path CTC decoding), so a digit is
reported once at the columns where the network saw it.

It is trained by ``training.strings`` on synthetic strings (digitpad.core.made.synth
``digit_strings``) and shipped as a NumPy ``.npz`` of plain arrays: loading it runs
no code (no pickles), and every array's shape is checked against LAYERS.

The network's shape lives here, once: ``training.strings`` builds its Keras model
from LAYERS and exports the arrays under these names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from digitpad.core import raster
from digitpad.core.io import paths
from digitpad.core.models import graph

LINE_HEIGHT = 32  # rows the network reads
INK_HEIGHT = 28  # rows the line's box is scaled to; the rest is margin
PAD = 8  # empty columns on each side of the line
TIME_STEP = 4  # columns per output step (two 2x2 poolings)
# Strokes thinner than this (in line pixels) are widened by one pixel each side: the
# training strings' strokes are 2.5-4 px at this height, a fine pen's can be under 1.
THIN_LINE = 1.8
MAX_WIDTH = 2048  # a longer line (about 80 digits) is not read by the network
BLANK = 10
CLASSES = 11  # ten digits and the blank
FILE_NAME = "strings.npz"

# (name, kind, shape) of every array, in order. conv: (kh, kw, in, out) with batch
# normalisation folded in; each conv is followed by a ReLU and a max pooling of
# POOLS[k]; "dense" reads each step's column of features (rows x channels).
CONV_FILTERS = (16, 32, 64)
POOLS = ((2, 2), (2, 2), (2, 1))
FEATURE_ROWS = LINE_HEIGHT // 8
DENSE_UNITS = 128
CONTEXT_KERNEL = 5  # steps the 1-D convolution over the line sees
LAYERS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("conv1", (3, 3, 1, CONV_FILTERS[0])),
    ("conv2", (3, 3, CONV_FILTERS[0], CONV_FILTERS[1])),
    ("conv3", (3, 3, CONV_FILTERS[1], CONV_FILTERS[2])),
    ("dense", (FEATURE_ROWS * CONV_FILTERS[2], DENSE_UNITS)),
    ("context", (CONTEXT_KERNEL, DENSE_UNITS, DENSE_UNITS)),
    ("out", (DENSE_UNITS, CLASSES)),
)
MAX_FILE_BYTES = 16 * 1024 * 1024


class SequenceModelError(Exception):
    """A strings model file that cannot be used (a one-line reason)."""


@dataclass(frozen=True)
class Reading:
    """What the network read in one line."""

    text: str
    spans: tuple[tuple[int, int], ...]  # each digit's steps, [first, last + 1)
    probabilities: np.ndarray  # float32 (len(text), 10): each digit's best step, no blank
    confidence: float  # the best path's probability per step, geometric mean


def line_input(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Ink (H, W), bright on 0, and the line's box (x0, y0, x1, y1, end-exclusive) ->
    float32 (LINE_HEIGHT, W'), W' a multiple of TIME_STEP; None when there is nothing
    to read or the line is too long. The same function makes the training inputs."""
    x0, y0, x1, y1 = (int(v) for v in box)
    h, w = ink.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    crop = np.asarray(ink[y0:y1, x0:x1], np.float32)
    peak = float(crop.max())
    if not np.isfinite(peak) or peak <= 0:
        return None
    scale = INK_HEIGHT / (y1 - y0)
    width = max(1, round((x1 - x0) * scale))
    if width + 2 * PAD > MAX_WIDTH:
        return None
    image = Image.fromarray(crop / peak, mode="F")
    scaled = np.asarray(image.resize((width, INK_HEIGHT), Image.Resampling.BILINEAR), np.float32)
    top_level = float(scaled.max())
    if top_level <= 0:
        return None
    scaled = scaled / top_level  # a fine line fades when scaled down: bring it back
    if 0 < raster.stroke_width(scaled > 0.3) < THIN_LINE:
        widened = Image.fromarray(scaled, mode="F").filter(ImageFilter.MaxFilter(3))
        scaled = np.asarray(widened, np.float32)
    total = -(-(width + 2 * PAD) // TIME_STEP) * TIME_STEP
    out = np.zeros((LINE_HEIGHT, total), np.float32)
    top = (LINE_HEIGHT - INK_HEIGHT) // 2
    out[top : top + INK_HEIGHT, PAD : PAD + width] = np.clip(scaled, 0.0, 1.0)
    return out


def line_box(boxes: Sequence[Sequence[int]]) -> tuple[int, int, int, int]:
    """The box of a line's pieces (x0, y0, x1, y1, end-exclusive): what line_input reads."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _column(step: float, box: tuple[int, int, int, int]) -> float:
    """A position in line_input's steps -> the image column under it."""
    return box[0] + (step * TIME_STEP - PAD) * (box[3] - box[1]) / INK_HEIGHT


def digit_columns(reading: Reading, box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    """Each digit of a reading -> the image columns it owns, [first, last), left to
    right: neighbours part halfway between where the network saw each of them, the
    first starts at the line's left end and the last ends at its right end."""
    x0, x1 = box[0], box[2]
    cuts = [_column((a[1] + b[0]) / 2, box) for a, b in zip(reading.spans[:-1], reading.spans[1:])]
    edges = [x0] + [int(np.clip(round(c), x0, x1)) for c in cuts] + [x1]
    return [(edges[k], edges[k + 1]) for k in range(len(reading.text))]


def digit_centres(reading: Reading, box: tuple[int, int, int, int]) -> list[float]:
    """The image column where the network saw each digit of a reading."""
    return [_column((a + b) / 2, box) for a, b in reading.spans]


class SequenceModel:
    def __init__(self, arrays: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.arrays = arrays

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> SequenceModel:
        """The bundled model or ``path``; SequenceModelError when it cannot be used."""
        file = Path(path) if path is not None else paths.resources_dir() / FILE_NAME
        raw = graph.read_arrays(file, MAX_FILE_BYTES, SequenceModelError, "a strings model")
        arrays = {}
        for name, shape in LAYERS:
            kernel, bias = raw.get(f"{name}.kernel"), raw.get(f"{name}.bias")
            if kernel is None or bias is None:
                raise SequenceModelError(f"{file.name}: {name} is missing")
            if kernel.shape != shape or bias.shape != (shape[-1],):
                raise SequenceModelError(
                    f"{file.name}: {name} has shape {kernel.shape}, expected {shape}"
                )
            if kernel.dtype.kind != "f" or bias.dtype.kind != "f":
                raise SequenceModelError(f"{file.name}: {name} is not floating point")
            if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
                raise SequenceModelError(f"{file.name}: {name} holds NaN or infinity")
            arrays[name] = (kernel.astype(np.float32), bias.astype(np.float32))
        return cls(arrays)

    def step_probabilities(self, line: np.ndarray) -> np.ndarray:
        """float32 (LINE_HEIGHT, W) from line_input -> float32 (W // TIME_STEP, CLASSES)."""
        x = np.asarray(line, np.float32)[:, :, None]
        for k, pool in enumerate(POOLS):
            kernel, bias = self.arrays[f"conv{k + 1}"]
            x = _max_pool(np.maximum(_conv2d(x, kernel) + bias, 0.0), pool)
        steps = x.shape[1]
        x = x.transpose(1, 0, 2).reshape(steps, -1)  # each step: rows x channels
        kernel, bias = self.arrays["dense"]
        x = np.maximum(x @ kernel + bias, 0.0)
        kernel, bias = self.arrays["context"]
        half = CONTEXT_KERNEL // 2
        padded = np.pad(x, ((half, half), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, CONTEXT_KERNEL, axis=0)
        x = np.maximum(np.einsum("tck,kco->to", windows, kernel, optimize=True) + bias, 0.0)
        kernel, bias = self.arrays["out"]
        logits = x @ kernel + bias
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        if not np.isfinite(p).all():  # weights that are finite but overflow on this line
            raise SequenceModelError("the strings model gives NaN or infinity")
        return p

    def read(self, line: np.ndarray) -> Reading:
        return decode(self.step_probabilities(line))


def decode(probabilities: np.ndarray) -> Reading:
    """Best-path CTC decoding of (T, C) step probabilities: the ten digits, the blank,
    then any classes of marks, which separate digits but are never reported."""
    best = probabilities.argmax(axis=1)
    text, spans, rows = [], [], []
    start = 0
    for t in range(1, len(best) + 1):
        if t == len(best) or best[t] != best[start]:
            if best[start] < BLANK:
                run = probabilities[start:t, :BLANK]
                peak = start + int(run[:, best[start]].argmax())
                p = probabilities[peak, :BLANK]
                text.append(str(int(best[start])))
                spans.append((start, t))
                rows.append(p / max(float(p.sum()), 1e-12))
            start = t
    path = probabilities[np.arange(len(best)), best] if len(best) else np.ones(1)
    confidence = float(np.exp(np.mean(np.log(np.maximum(path, 1e-12)))))
    return Reading(
        "".join(text),
        tuple(spans),
        np.array(rows, np.float32).reshape(-1, BLANK),
        confidence,
    )


def _conv2d(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'same' convolution (as Keras: cross-correlation) of (H, W, C) by (kh, kw, C, O)."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))
    h, w, c = x.shape
    cols = windows.transpose(0, 1, 3, 4, 2).reshape(h * w, kh * kw * c)
    return (cols @ kernel.reshape(kh * kw * c, -1)).reshape(h, w, -1)


def _max_pool(x: np.ndarray, pool: tuple[int, int]) -> np.ndarray:
    ph, pw = pool
    h, w, c = x.shape
    x = x[: h - h % ph, : w - w % pw]
    return x.reshape(h // ph, ph, w // pw, pw, c).max(axis=(1, 3))


def compose(crops: list[tuple[np.ndarray, tuple[int, int]]], shape: tuple[int, int]) -> np.ndarray:
    """Crops (grey, ink bright) placed at their (x, y) origins on an empty (H, W) sheet:
    the line's ink without what segmentation left out (marks, specks, rules)."""
    sheet = np.zeros(shape, np.float32)
    for crop, (x, y) in crops:
        h, w = crop.shape
        region = sheet[y : y + h, x : x + w]
        np.maximum(region, crop[: region.shape[0], : region.shape[1]], out=region)
    return sheet


def widened(crop: np.ndarray, scale: float) -> np.ndarray:
    """A part of a line written with a fine line, its strokes widened so that they stay
    THIN_LINE wide once the line is scaled by ``scale``; other parts as they are."""
    if crop.size == 0 or scale >= 1:
        return crop
    width = raster.stroke_width(crop > 0.3 * float(crop.max()))
    if not 0 < width * scale < THIN_LINE:
        return crop
    radius = int(np.ceil((THIN_LINE / scale - width) / 2))
    if radius < 1:
        return crop
    # A square max filter whose cost does not grow with its size (Pillow's does, as the
    # square of it: a 103 px line of fine scribbles took 51 s); the same values.
    return raster.rank_filter(np.asarray(crop, np.float32), 2 * radius + 1, np.maximum)
