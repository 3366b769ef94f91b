"""The one bridge between NumPy arrays and QImage.

Qt aligns every scanline of a QImage to 4 bytes, so a row in memory can be longer
than its pixels; both directions below go through bytesPerLine() for that reason.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def grey_to_qimage(grey: np.ndarray) -> QImage:
    """float (H, W) in [0, 1], or uint8 (H, W) -> a Grayscale8 QImage that owns its pixels."""
    array = np.asarray(grey)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"expected a non-empty 2-D array, got shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(np.nan_to_num(array.astype(np.float32)) * 255.0 + 0.5, 0, 255)
        array = array.astype(np.uint8)
    height, width = array.shape
    stride = (width + 3) // 4 * 4  # rows padded to 4 bytes, as QImage stores them
    padded = np.zeros((height, stride), np.uint8)
    padded[:, :width] = array
    # The constructor borrows the buffer; copy() gives the QImage its own pixels.
    return QImage(padded.tobytes(), width, height, stride, QImage.Format.Format_Grayscale8).copy()


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """Any QImage -> uint8 (H, W, 4) RGBA, a copy that does not share Qt's memory."""
    converted = image.convertToFormat(QImage.Format.Format_RGBA8888)
    height, width = converted.height(), converted.width()
    if height == 0 or width == 0:
        return np.zeros((height, width, 4), np.uint8)
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), np.uint8, count=stride * height)
    # Drop the padding at the end of each scanline before reshaping into pixels.
    return buffer.reshape(height, stride)[:, : width * 4].reshape(height, width, 4).copy()
