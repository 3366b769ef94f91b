"""The open line recogniser: PaddleOCR's PP-OCRv6 small recognition model, digits only.

It reads a line of printed or handwritten text on paper and is far better than our
own networks at real people's strings (cheque amounts, numbers in photos), having
been trained on a great deal of real writing. ``training.ppocr`` converts the
published ONNX model (Apache-2.0) into a plain-array graph file
(resources/FILE_NAME) that digitpad.core.models.graph runs with NumPy; its head is cut
down to the ten digits and the CTC blank, so that decoding is
digitpad.core.models.sequence.decode's. (Keeping mark classes such as "." and "/" as
separators was tried: "/" takes slanted 1s, and the other marks changed nothing.)

The input is the grey image itself (paper light), not the ink mask: the model was
trained on photos of paper, background and all.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.core.io import paths
from digitpad.core.models import graph, sequence

FILE_NAME = "ppocr_rec.npz"
CLASSES = [str(d) for d in range(10)] + [""]  # the ten digits, then the CTC blank
HEIGHT = 48  # rows the network reads
MIN_WIDTH = 320  # a shorter line is padded to this width, as PaddleOCR does
DIGIT_WIDTH = 64  # ... and a single digit to this: as well read, at a third of the time
MAX_WIDTH = 2048  # a longer line is not read (about 40 digits)
STEP = 8  # input columns per output step
MARGIN = 0.1  # paper kept around the ink's box, x its height (plus 2 px)


class OpenReaderError(Exception):
    """A recogniser file that cannot be used (a one-line reason)."""


def line_input(
    grey: np.ndarray, box: tuple[int, int, int, int], min_width: int = MIN_WIDTH
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Grey (H, W), paper light (about 1), and the ink's box (x0, y0, x1, y1) ->
    the network's input (1, 1, HEIGHT, W') and the box it covers in the image; None
    when there is nothing to read or the line is too long. A shorter line is padded
    to ``min_width`` columns (the cost grows with them)."""
    h, w = grey.shape
    x0, y0, x1, y1 = (int(v) for v in box)
    if x1 <= x0 or y1 <= y0:
        return None
    pad = int(MARGIN * (y1 - y0)) + 2
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    if x1 <= x0 or y1 <= y0:
        return None
    width = max(1, int(np.ceil(HEIGHT * (x1 - x0) / (y1 - y0))))
    if width > MAX_WIDTH:
        return None
    crop = np.clip(np.nan_to_num(np.asarray(grey[y0:y1, x0:x1], np.float32), nan=1.0), 0.0, 1.0)
    image = Image.fromarray(np.round(crop * 255).astype(np.uint8))  # as the model was fed: 8 bits
    scaled = np.asarray(image.resize((width, HEIGHT), Image.Resampling.BILINEAR), np.float32)
    x = np.zeros((1, 1, HEIGHT, max(width, min_width)), np.float32)  # 0 is mid-grey
    x[0, 0, :, :width] = scaled / 127.5 - 1.0
    return x, (x0, y0, x1, y1)


def step_column(step: float, covered: tuple[int, int, int, int]) -> float:
    """A position in output steps -> the image column under it."""
    x0, y0, _, y1 = covered
    return x0 + (step * STEP + STEP / 2) * (y1 - y0) / HEIGHT


class OpenReader:
    def __init__(self, network: graph.Graph):
        self.network = network

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> OpenReader:
        """The bundled recogniser or ``path``; OpenReaderError when it cannot be used."""
        file = Path(path) if path is not None else paths.resources_dir() / FILE_NAME
        try:
            network = graph.Graph.load(file)
        except graph.GraphError as exc:
            raise OpenReaderError(str(exc)) from None
        if (
            network.meta.get("classes") != CLASSES
            or len(network.inputs) != 1
            or len(network.outputs) != 1
        ):
            raise OpenReaderError(f"{file.name}: not a digit line recogniser")
        reader = cls(network)
        try:  # a tiny blank line must give one row of CLASSES per step
            probe = reader.step_probabilities(np.zeros((1, 1, HEIGHT, MIN_WIDTH), np.float32))
        except graph.GraphError as exc:
            raise OpenReaderError(f"{file.name}: {exc}") from None
        if probe.shape != (MIN_WIDTH // STEP, len(CLASSES)) or not np.isfinite(probe).all():
            raise OpenReaderError(f"{file.name}: gives {probe.shape} instead of steps x classes")
        return reader

    def step_probabilities(self, x: np.ndarray) -> np.ndarray:
        """(1, 1, HEIGHT, W) from line_input -> float32 (W // STEP, len(CLASSES))."""
        with np.errstate(over="ignore", under="ignore"):
            out = np.asarray(self.network.run(x)[0], np.float32)
        if out.ndim != 3 or out.shape[0] != 1 or out.shape[2] != len(CLASSES):
            raise graph.GraphError(f"gives {out.shape} instead of steps x classes")
        if not np.isfinite(out).all():
            raise graph.GraphError("gives NaN or infinity")
        return out[0]

    def read(self, x: np.ndarray) -> sequence.Reading:
        return sequence.decode(self.step_probabilities(x))
