"""DigitPad: recognise handwritten digits and whole numbers, drawn or scanned.

    >>> import digitpad
    >>> result = digitpad.read("scan.png")  # a path, an array of pixels or a Drawing
    >>> result.text, [(d.digit, d.confidence, d.box) for d in result.digits]

Importing this package is cheap: the names below load on first use, and none of them
imports Qt or TensorFlow.
"""

from __future__ import annotations

import os as _os
from typing import TYPE_CHECKING, Any

# NumPy's BLAS must be told its thread count before NumPy loads. Inference works on
# small matrices: one thread answers a drawing in ~0.15 ms, while OpenBLAS' default
# threads spin against each other and anything else running (measured 8 ms for the
# same call with another process busy on this 2-core machine, and the 10,000 MNIST
# test images took 4.7 s instead of 1.4 s).
# (Only OpenBLAS, NumPy's own: TensorFlow's threads in the training process stay as
# they are.)
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The public API: name -> the module that defines it.
_API = {
    "read": "digitpad.core.api",
    "read_pages": "digitpad.core.api",
    "page_count": "digitpad.core.api",
    "read_json_line": "digitpad.core.api",
    "input_files": "digitpad.core.api",
    "Recognizer": "digitpad.core.models.ensemble",
    "Result": "digitpad.core.result",
    "Digit": "digitpad.core.result",
    "Rejected": "digitpad.core.result",
    "Mark": "digitpad.core.result",
    "ModelError": "digitpad.core.models.keras_file",
    "Drawing": "digitpad.core.io.drawing",
    "DrawingError": "digitpad.core.io.drawing",
    "ImageError": "digitpad.core.io.images",
}
__all__ = [
    "__version__",
    "read",
    "read_pages",
    "page_count",
    "read_json_line",
    "input_files",
    "Recognizer",
    "Result",
    "Digit",
    "Rejected",
    "Mark",
    "ModelError",
    "Drawing",
    "DrawingError",
    "ImageError",
]

if TYPE_CHECKING:
    __version__: str
    from digitpad.core.api import input_files, page_count, read, read_json_line, read_pages
    from digitpad.core.io.drawing import Drawing, DrawingError
    from digitpad.core.io.images import ImageError
    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.models.keras_file import ModelError
    from digitpad.core.result import Digit, Mark, Rejected, Result


def __getattr__(name: str) -> Any:
    if name == "__version__":  # pyproject.toml's, as installed: the one place it is kept
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("digitpad")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
        globals()[name] = value
        return value
    if name in _API:
        import importlib

        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'digitpad' has no attribute {name!r}")
