"""The model card's network: Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10.

This is the one place that declares its widths and kernel sizes: the app's NumPy
reader (digitpad.core.models.keras_file) takes them, and every shape that follows from them,
from each saved file's config.
"""

from __future__ import annotations

import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
CONV_FILTERS = (32, 64)  # the two convolutions' widths
KERNEL_SIZES = (3, 3)  # their square kernels' sides (odd: what the reader accepts)
CARD_PARAMETERS = 34_826


def build_model(
    filters: tuple[int, int] = CONV_FILTERS, kernels: tuple[int, int] = KERNEL_SIZES
) -> keras.Model:
    """The card's architecture, layer for layer (34,826 trainable parameters with the
    card's widths and kernels, the defaults)."""
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(filters[0], kernel_size=(kernels[0],) * 2, activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(filters[1], kernel_size=(kernels[1],) * 2, activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="digitpad_cnn",
    )
    return model


def describe_layers(model: keras.Model) -> list[dict]:
    """Name, type, output shape and parameter count of each layer, for the model card.

    Names are Keras' defaults for a first model ("conv2d", "conv2d_1"): Keras numbers
    layers across every model a process builds, which would make each card differ.
    """
    seen: dict[str, int] = {}
    out = []
    for layer in model.layers:
        kind = type(layer).__name__
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in kind).lstrip("_")
        snake = snake.replace("2_d", "2d")
        count = seen.get(kind, 0)
        seen[kind] = count + 1
        out.append(
            {
                "name": snake if count == 0 else f"{snake}_{count}",
                "type": kind,
                "output_shape": list(layer.output.shape),
                "params": int(layer.count_params()),
            }
        )
    return out
