"""DigitPad: recognise handwritten digits and whole numbers, drawn or scanned."""

import os as _os

# NumPy's BLAS must be told its thread count before NumPy loads. Inference works on
# small matrices: one thread answers a drawing in ~0.15 ms, while OpenBLAS' default
# threads spin against each other and anything else running (measured 8 ms for the
# same call with another process busy on this 2-core machine, and the 10,000 MNIST
# test images took 4.7 s instead of 1.4 s).
# (Only OpenBLAS, NumPy's own: TensorFlow's threads in the training process stay as
# they are.)
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
