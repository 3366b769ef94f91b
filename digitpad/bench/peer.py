"""The open recogniser as its own project runs it, to time DigitPad against: PP-OCRv6's
small recognition model through onnxruntime, on the same image files.

Neither is a dependency of DigitPad: the figure is measured where onnxruntime is
installed and DIGITPAD_PPOCR_ONNX names the model (the .onnx file, or the RapidOCR
wheel that ships it: ``pip download --no-deps rapidocr==3.10.0``), and skipped with a
one-line reason elsewhere. The peer gets what its own pipeline gives the recogniser:
the image decoded in colour, resized to 48 rows (at most 320 columns at that height,
wider lines keep their aspect), scaled to [-1, 1], one thread; the time includes the
decoding, as DigitPad's does.
"""

from __future__ import annotations

import math
import os
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

PEER_ENV = "DIGITPAD_PPOCR_ONNX"
WHEEL_MEMBER = "rapidocr/models/PP-OCRv6_rec_small.onnx"
HEIGHT = 48
WIDTH = 320


class PeerMissing(Exception):
    """Why the peer cannot be timed here, in one line."""


def load_session():  # an onnxruntime.InferenceSession
    try:
        import onnxruntime
    except ImportError:
        raise PeerMissing("onnxruntime is not installed") from None
    place = os.environ.get(PEER_ENV)
    if not place:
        raise PeerMissing(f"set {PEER_ENV} to PP-OCRv6_rec_small.onnx or the RapidOCR wheel")
    path = Path(place)
    if not path.is_file():
        raise PeerMissing(f"{PEER_ENV}: no file {path}")
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            model = wheel.read(WHEEL_MEMBER)
    else:
        model = path.read_bytes()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one process of one thread, as `predict --jobs 1`
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def line_input(path: str | Path) -> np.ndarray:
    """(1, 3, 48, W) float32 as PP-OCR's recogniser takes a line."""
    with Image.open(path) as opened:
        rgb = opened.convert("RGB")
    w, h = rgb.size
    resized = max(1, math.ceil(HEIGHT * w / max(h, 1)))  # its aspect kept
    width = max(WIDTH, resized)  # padded to at least WIDTH
    pixels = np.asarray(rgb.resize((resized, HEIGHT), Image.BILINEAR), np.float32)
    pixels = (pixels[:, :, ::-1] / 255.0 - 0.5) / 0.5  # BGR, as it was trained
    out = np.zeros((1, 3, HEIGHT, width), np.float32)
    out[0, :, :, : pixels.shape[1]] = pixels.transpose(2, 0, 1)
    return out


def seconds_per_image(session, paths: list) -> float:
    """The peer's time per file: decode, prepare, recognise."""
    name = session.get_inputs()[0].name
    session.run(None, {name: line_input(paths[0])})  # its first run sets itself up
    start = time.perf_counter()
    for path in paths:
        session.run(None, {name: line_input(path)})
    return (time.perf_counter() - start) / len(paths)
