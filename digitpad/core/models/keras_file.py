"""The card network's .keras file, read without TensorFlow.

A .keras file is a zip of config.json, metadata.json and model.weights.h5. Only the
JSON config and the HDF5 arrays are read: nothing in the file is ever executed, and
a file whose layers are not the card's is refused. The layers' widths and kernel
sizes are the file's own (training.model declares the card's); every shape of the
forward pass follows from them, and the weights must have exactly those shapes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from digitpad.core.io import files

if TYPE_CHECKING:
    pass


_CONV = {
    "strides": [1, 1],
    "padding": "valid",
    "activation": "relu",
    "use_bias": True,
    "dilation_rate": [1, 1],
    "data_format": "channels_last",
    "groups": 1,
}


_POOL = {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid", "data_format": "channels_last"}


# (Keras class name, expected config values); the card's layers in order. A Conv2D's
# filters and (odd, square) kernel_size are read from the file instead.
ARCHITECTURE: tuple[tuple[str, dict], ...] = (
    ("Conv2D", _CONV),
    ("MaxPooling2D", _POOL),
    ("Conv2D", _CONV),
    ("MaxPooling2D", _POOL),
    ("Flatten", {"data_format": "channels_last"}),
    ("Dropout", {}),
    ("Dense", {"units": 10, "activation": "softmax", "use_bias": True}),
)


# Every value the NumPy forward pass relies on is checked above, by name: a config
# that differs in any of them (channels first, grouped convolutions) is refused.
SIDE = 28  # the input: 28 x 28 fields of one channel


MAX_FILTERS = 256  # keeps the forward pass's buffers within tens of MB


MAX_WEIGHT = 1e3  # trained weights stay within a few units; far larger ones overflow


MAX_MODEL_BYTES = 64 * 1024 * 1024


class ModelError(Exception):
    """A model file that cannot be used; the message is one line."""


def pooled_sides(kernels: tuple[int, int]) -> tuple[int, int]:
    """The side of each max-pooling's output for these conv kernel sizes: a valid KxK
    convolution of an n x n map is n - K + 1 wide, and 2x2 pooling of stride 2 keeps
    the whole 2x2 blocks of it (a last odd row and column drop out)."""
    first = (SIDE - kernels[0] + 1) // 2
    return first, (first - kernels[1] + 1) // 2


@dataclass(frozen=True)
class Weights:
    """One network's weights, the kernels flattened for the forward pass's matrix
    products. K1, K2 are the kernel sizes, F1, F2 the filters, P2 the second pooling's
    side (pooled_sides)."""

    k1: np.ndarray  # float32 (K1 * K1, F1): conv1 kernel, rows in (dy, dx) order
    b1: np.ndarray  # float32 (F1,)
    k2: np.ndarray  # float32 (K2 * K2 * F1, F2): conv2 kernel, rows in (dy, dx, channel)
    b2: np.ndarray  # float32 (F2,)
    w3: np.ndarray  # float32 (P2 * P2 * F2, 10)
    b3: np.ndarray  # float32 (10,)
    kernels: tuple[int, int]  # K1, K2

    @property
    def filters(self) -> tuple[int, int]:
        return self.b1.size, self.b2.size

    @property
    def features(self) -> int:
        """How many values the last layer reads: the flattened second pooling."""
        return self.w3.shape[0]

    def shape(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Kernel sizes and filters: networks alike in these run together."""
        return self.kernels, self.filters

    def keras_weights(self) -> list[np.ndarray]:
        """The arrays in Keras' shapes and order, for ``model.set_weights``."""
        (k1, k2), (f1, f2) = self.kernels, self.filters
        return [
            self.k1.reshape(k1, k1, 1, f1),
            self.b1,
            self.k2.reshape(k2, k2, f1, f2),
            self.b2,
            self.w3,
            self.b3,
        ]


def _check_layer(index: int, layer: dict, expected: tuple[str, dict]) -> None:
    cls, want = expected
    got_cls = layer.get("class_name")
    config = layer.get("config") or {}
    if got_cls != cls:
        raise ModelError(
            f"layer {index + 1} is {got_cls}, expected {cls} "
            "(only the model card's layers are supported)"
        )
    for key, value in want.items():
        got = config.get(key)
        if isinstance(got, tuple):
            got = list(got)
        if got != value:
            raise ModelError(f"layer {index + 1} ({cls}) has {key}={got!r}, expected {value!r}")


def _conv_size(index: int, layer: dict) -> tuple[int, int]:
    """A Conv2D's filters and kernel size: at most MAX_FILTERS, and a square kernel of
    odd size (3, 5, ...: the sizes this reader is tested against Keras with)."""
    config = layer.get("config") or {}
    filters, size = config.get("filters"), config.get("kernel_size")
    if isinstance(size, tuple):
        size = list(size)
    if not (_is_int(filters) and 1 <= filters <= MAX_FILTERS):
        raise ModelError(
            f"layer {index + 1} (Conv2D) has filters={filters!r}, expected 1 to {MAX_FILTERS}"
        )
    if not (
        isinstance(size, list)
        and len(size) == 2
        and all(_is_int(k) for k in size)
        and size[0] == size[1]
        and size[0] % 2 == 1
        and size[0] >= 1
    ):
        raise ModelError(
            f"layer {index + 1} (Conv2D) has kernel_size={size!r}, expected a square of odd size"
        )
    return filters, size[0]


def _check_input(config: dict, raw_layers: list[dict]) -> None:
    """Wherever the config states the input's shape, it is that of a 28 x 28 field."""
    inner, build = config.get("config") or {}, config.get("build_config")
    stated = [
        inner.get("build_input_shape"),
        build.get("input_shape") if isinstance(build, dict) else None,
    ]
    for layer in raw_layers:
        if layer.get("class_name") == "InputLayer":
            layer_config = layer.get("config") or {}
            stated += [layer_config.get("batch_shape"), layer_config.get("batch_input_shape")]
    for shape in stated:
        if shape is not None and (not isinstance(shape, list) or shape[1:] != [SIDE, SIDE, 1]):
            raise ModelError(f"input shape {shape!r}, expected [None, {SIDE}, {SIDE}, 1]")


def _dataset(h5: Any, path: str, h5py: Any) -> Any:
    """The dataset at ``path``, reached through hard links only and stored in the file
    itself: a soft or external link, or external storage, could make the model read
    another file of this computer as its weights."""
    node = h5
    for part in path.split("/"):
        link = node.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            kind = "missing" if link is None else type(link).__name__
            raise ModelError(f"weights {path}: {kind} (only data stored in the file is read)")
        node = node[part]
    if not isinstance(node, h5py.Dataset) or node.external:
        raise ModelError(f"weights {path}: not a dataset stored in the file")
    return node


def _weights_group(layers: list[dict], index: int) -> str:
    """The HDF5 group Keras 3 stores a Sequential layer's weights under.

    It is named after the layer's class in snake case, numbered among the layers of
    the same class ("conv2d", "conv2d_1"), not after the layer's own (global) name.
    """
    cls = layers[index]["class_name"]
    snake = {"Conv2D": "conv2d", "Dense": "dense"}[cls]
    count = sum(layer["class_name"] == cls for layer in layers[:index])
    return snake if count == 0 else f"{snake}_{count}"


MAX_CONFIG_BYTES = 1024 * 1024  # the card's config.json is about 5 KB


def read_keras(path: str | os.PathLike) -> tuple[Weights, dict]:
    """Validate a .keras file against the card's layers; return its weights and config.

    Whatever is wrong with the file, the answer is one ModelError line.
    """
    path = Path(path)
    try:
        return _read_keras(path)
    except ModelError:
        raise
    except Exception as exc:  # a hostile file must never end in a traceback
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        raise ModelError(f"{path.name}: not a usable model file ({detail})") from None


def _read_keras(path: Path) -> tuple[Weights, dict]:
    import h5py  # deferred: only needed when a model is loaded

    try:
        data = files.read_regular(path, MAX_MODEL_BYTES)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            for member in ("config.json", "model.weights.h5"):
                if names.count(member) > 1:
                    raise ModelError(f"{path.name}: holds {member} more than once")
            if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                raise ModelError(f"{path.name}: its config is too large to be this model")
            if archive.getinfo("model.weights.h5").file_size > MAX_MODEL_BYTES:
                raise ModelError(f"{path.name}: its weights are too large to be this model")
            config = json.loads(archive.read("config.json"))
            weights_blob = archive.read("model.weights.h5")
    except ModelError:
        raise
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except files.FileRefused as exc:
        raise ModelError(f"{path.name}: {exc}") from None
    except KeyError as exc:
        raise ModelError(f"{path.name}: not a Keras model file (missing {exc})") from None
    except (
        OSError,
        zipfile.BadZipFile,
        ValueError,
        RecursionError,
        RuntimeError,
        NotImplementedError,
    ) as exc:  # encrypted or unknown compression: the last two
        detail = " ".join(str(exc).split())[:160]
        raise ModelError(f"{path.name}: not a readable .keras file ({detail})") from None

    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        got = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ModelError(f"{path.name}: expected a Sequential model, got {got!r}")
    inner = config.get("config")
    raw_layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(raw_layers, list) or not all(
        isinstance(layer, dict) and isinstance(layer.get("config", {}), dict)
        for layer in raw_layers
    ):
        raise ModelError(f"{path.name}: its config holds no list of layers")
    layers = [layer for layer in raw_layers if layer.get("class_name") != "InputLayer"]
    if len(layers) != len(ARCHITECTURE):
        raise ModelError(
            f"{path.name}: {len(layers)} layers, expected {len(ARCHITECTURE)} "
            "(only the model card's layers are supported)"
        )
    try:
        for index, (layer, expected) in enumerate(zip(layers, ARCHITECTURE)):
            _check_layer(index, layer, expected)
        _check_input(config, raw_layers)
        (f1, k1), (f2, k2) = _conv_size(0, layers[0]), _conv_size(2, layers[2])
    except ModelError as exc:
        raise ModelError(f"{path.name}: {exc}") from None
    side = pooled_sides((k1, k2))[1]
    if side < 1:
        raise ModelError(
            f"{path.name}: kernels of {k1}x{k1} and {k2}x{k2} leave nothing of a "
            f"{SIDE}x{SIDE} field"
        )
    features = side * side * f2
    # The arrays the layers' settings imply, each with the settings it follows from.
    expected_shapes = {
        0: ([(k1, k1, 1, f1), (f1,)], f"filters={f1}, kernel_size={k1}"),
        2: ([(k2, k2, f1, f2), (f2,)], f"filters={f2}, kernel_size={k2}, {f1} channels in"),
        6: ([(features, 10), (10,)], f"units=10, {features:,} features in"),
    }

    arrays: dict[int, list[np.ndarray]] = {}
    try:
        with h5py.File(io.BytesIO(weights_blob), "r") as h5:
            for index, (shapes, settings) in expected_shapes.items():
                name = _weights_group(layers, index)
                values = []
                for i, shape in enumerate(shapes):
                    try:
                        dataset = _dataset(h5, f"layers/{name}/vars/{i}", h5py)
                    except ModelError as exc:
                        raise ModelError(f"{path.name}: {exc}") from None
                    if dataset.shape != shape:  # checked before anything is read
                        raise ModelError(
                            f"{path.name}: weights of {name} have shape {dataset.shape}, "
                            f"expected {shape} from its config ({settings})"
                        )
                    value = np.asarray(dataset, dtype=np.float32)
                    if not np.isfinite(value).all():
                        raise ModelError(f"{path.name}: weights of {name} are not finite")
                    if value.size and float(np.abs(value).max()) > MAX_WEIGHT:
                        raise ModelError(
                            f"{path.name}: weights of {name} are out of range "
                            f"(beyond {MAX_WEIGHT:g})"
                        )
                    values.append(value)
                arrays[index] = values
    except ModelError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"{path.name}: unreadable weights ({exc})") from None

    (c1, b1), (c2, b2), (w3, b3) = arrays[0], arrays[2], arrays[6]
    weights = Weights(
        k1=np.ascontiguousarray(c1.reshape(k1 * k1, f1)),
        b1=b1,
        k2=np.ascontiguousarray(c2.reshape(k2 * k2 * f1, f2)),
        b2=b2,
        w3=np.ascontiguousarray(w3),
        b3=b3,
        kernels=(k1, k2),
    )
    return weights, config


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
