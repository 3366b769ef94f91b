"""The model card's network: Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10."""

from __future__ import annotations

import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
CARD_PARAMETERS = 34_826


def build_model() -> keras.Model:
    """The card's architecture, layer for layer (34,826 trainable parameters)."""
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="digitpad_cnn",
    )
    return model


def describe_layers(model: keras.Model) -> list[dict]:
    """Name, type, output shape and parameter count of each layer, for the model card."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output.shape),
            "params": int(layer.count_params()),
        }
        for layer in model.layers
    ]
