"""Inference without TensorFlow: a NumPy forward pass of the card's network that reads
its weights from the same .keras file Keras saved.

A .keras file is a zip of config.json, metadata.json and model.weights.h5. Only the
JSON config and the HDF5 arrays are read: nothing in the file is ever executed, and
a file whose layers are not the card's is refused. The layers' widths and kernel
sizes are the file's own (training.model declares the card's); every shape of the
forward pass follows from them, and the weights must have exactly those shapes.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import logging
import math
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from digitpad.core.io import atomic, paths

if TYPE_CHECKING:
    from digitpad.core.io.drawing import Drawing
    from digitpad.core.models.open_reader import OpenReader
    from digitpad.core.models.sequence import SequenceModel
    from digitpad.core.segment.common import Judge

log = logging.getLogger(__name__)

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
CHUNK = 64  # images per forward-pass chunk: measured fastest here with the card's
# network (its conv2 patch buffer of 64 images is 7 MB; 128 was 10% slower, 256 twice
# as slow)


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
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{path.name}: too large to be this model")
        with zipfile.ZipFile(path) as archive:
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


def forward_features(weights: Weights, x: np.ndarray) -> np.ndarray:
    """float32 (N, 28, 28) in [0, 1] -> what the last layer reads: the flattened second
    pooling's output, float32 (N, F) with F = ``weights.features``, each >= 0."""
    return forward_features_many([weights], x)[0]


def forward_features_many(members: Sequence[Weights], x: np.ndarray) -> list[np.ndarray]:
    """forward_features for several networks of one shape at once, one (N, F) each."""
    _one_shape(members)
    x = _fields(x)
    outs = [np.empty((len(x), w.features), np.float32) for w in members]
    for start in range(0, len(x), CHUNK):
        for out, features in zip(outs, _features_chunk(members, x[start : start + CHUNK])):
            out[start : start + CHUNK] = features
    return outs


def _one_shape(members: Sequence[Weights]) -> None:
    """The networks run together share their first layers' input patches and buffers."""
    if len({w.shape() for w in members}) > 1:
        raise ValueError("networks of different kernel sizes or filters cannot run together")


def _fields(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"expected (N, {SIDE}, {SIDE}) images, got {x.shape}")
    return x


def logits_from_features(weights: Weights, features: np.ndarray) -> np.ndarray:
    """(N, F) features -> the last layer's inputs to softmax, float32 (N, 10)."""
    return features @ weights.w3 + weights.b3  # dropout: identity at inference


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def forward(weights: Weights, x: np.ndarray) -> np.ndarray:
    """float32 (N, 28, 28) in [0, 1] -> softmax probabilities float32 (N, 10)."""
    return softmax(logits_from_features(weights, forward_features(weights, x)))


def _features_chunk(members: Sequence[Weights], x: np.ndarray) -> list[np.ndarray]:
    """The card's layers up to Flatten for a chunk of images, for each network (all of
    one shape).

    Each convolution is a matrix product over its KxK patches ("im2col"), computed only
    where its 2x2 max-pooling looks: the first at the four pooling offsets (then their
    maximum), the second at the outputs that pooling keeps (its whole 2x2 blocks: with
    the card's 3x3 kernels, 10x10 of its 11x11). Bias and ReLU come after the pooling,
    on a quarter of the values: max(z + b) = max(z) + b and ReLU is monotone, so every
    value is exactly that of the layers in order.
    """
    n = len(x)
    (k1, k2), (f1, _) = members[0].shape()
    p1, p2 = pooled_sides((k1, k2))
    s0, s1, s2 = x.strides
    # (n * p1 * p1, k1 * k1) patches of the conv1 outputs at rows 2i + a, columns 2j + b.
    patches = [
        np.lib.stride_tricks.as_strided(
            x[:, a:, b:], shape=(n, p1, p1, k1, k1), strides=(s0, 2 * s1, 2 * s2, s1, s2)
        ).reshape(n * p1 * p1, k1 * k1)
        for a in (0, 1)
        for b in (0, 1)
    ]
    c2 = 2 * p2  # the side of the conv2 outputs the second pooling reads
    cols = np.empty((n, c2, c2, k2, k2, f1), np.float32)
    out = []
    for w in members:
        h = patches[0] @ w.k1
        for p in patches[1:]:
            np.maximum(h, p @ w.k1, out=h)
        h += w.b1
        np.maximum(h, 0, out=h)
        h = h.reshape(n, p1, p1, f1)
        # conv2's patches in (dy, dx, channel) order, as Keras' (K2, K2, F1, F2) kernel.
        for dy in range(k2):
            for dx in range(k2):
                cols[:, :, :, dy, dx, :] = h[:, dy : dy + c2, dx : dx + c2, :]
        f2 = w.b2.size
        g = (cols.reshape(n * c2 * c2, k2 * k2 * f1) @ w.k2).reshape(n, p2, 2, p2, 2, f2)
        g = g.max(axis=(2, 4))
        g += w.b2
        np.maximum(g, 0, out=g)
        out.append(g.reshape(n, w.features))
    return out


@dataclass(frozen=True)
class DigitCheck:
    """Is a field a digit at all? A logistic regression on the features each network's
    last layer reads (fitted by training.digit_check), averaged over the networks; a
    score under ``threshold`` means "not a digit"."""

    weights: np.ndarray  # float32 (M, F): one row per network, F its features
    bias: np.ndarray  # float32 (M,)
    threshold: float

    def scores(self, features: list[np.ndarray]) -> np.ndarray:
        """One float32 (N, F) per network -> float32 (N,): log-odds of being a digit."""
        return np.mean([f @ w + b for f, w, b in zip(features, self.weights, self.bias)], axis=0)

    def to_json(self) -> dict:
        count = self.weights.shape[1]
        return {
            "method": f"logistic regression on the {count:,} features the last layer reads",
            "members": [
                {"weights": [round(float(v), 7) for v in w], "bias": float(b)}
                for w, b in zip(self.weights, self.bias)
            ],
            "threshold": float(self.threshold),
        }

    @classmethod
    def from_json(cls, data: object, members: int, features: int) -> DigitCheck:
        """Raises ModelError (one line) unless it holds, per network, finite weights for
        its ``features`` and a bias, and a finite threshold."""
        if not isinstance(data, dict) or not isinstance(data.get("members"), list):
            raise ModelError("digit check: expected an object with members")
        rows, biases = [], []
        for item in data["members"]:
            weights = item.get("weights") if isinstance(item, dict) else None
            bias = item.get("bias") if isinstance(item, dict) else None
            if (
                not isinstance(weights, list)
                or len(weights) != features
                or not all(_is_number(v) for v in weights)
                or not _is_number(bias)
            ):
                raise ModelError(
                    f"digit check: expected {features:,} weights and a bias per network"
                )
            rows.append(weights)
            biases.append(bias)
        threshold = data.get("threshold")
        if len(rows) != members or not _is_number(threshold):
            raise ModelError(f"digit check: expected {members} networks and a threshold")
        with np.errstate(over="ignore"):  # too large for float32 -> inf, refused below
            weights, bias = np.asarray(rows, np.float32), np.asarray(biases, np.float32)
        if not (
            np.isfinite(weights).all() and np.isfinite(bias).all() and math.isfinite(threshold)
        ):
            raise ModelError("digit check: values must be finite")
        return cls(weights, bias, float(threshold))


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


MEMBER_NAME = re.compile(r"[A-Za-z0-9_.-]+\.keras")  # a plain file name beside the sidecar
MAX_MEMBERS = 5


class Recognizer:
    """Loads a model once; predicts (N, 10) probabilities from (N, 28, 28) fields.

    A model is one network, or an ensemble of up to five networks of the same
    shape (kernel sizes and filters) whose probabilities are averaged: the sidecar
    then lists the networks' files (``members``), the first being the model file itself.
    """

    def __init__(
        self,
        weights: Weights,
        path: Path,
        meta: dict | None = None,
        members: list[Weights] | None = None,
        strings: SequenceModel | None = None,
        lines: OpenReader | None = None,
    ) -> None:
        self.members = list(members) if members else [weights]
        self.strings = strings  # reads lines of touching digits; None: segmentation only
        self.lines = lines  # the open line recogniser, best on real paper; None: not used
        self.weights = self.members[0]
        if any(w.shape() != self.weights.shape() for w in self.members):
            raise ModelError(
                f"{path.name}: its networks differ in kernel sizes or filters "
                "(an ensemble's networks must be of one shape)"
            )
        self.features = self.weights.features  # what the last layer and the check read
        self.path = path
        self.meta = meta or {}
        self.check = _digit_check(self.meta, path, len(self.members), self.features)
        self.temperature = _ensemble_temperature(self.meta) if len(self.members) > 1 else 1.0

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Recognizer:
        """The model at ``path`` (default: the bundled one), with its sidecar if present."""
        path = Path(path) if path is not None else paths.bundled_model_path()
        atomic.finish_interrupted(path.parent)  # a training killed while moving files in
        weights, _ = read_keras(path)
        meta = None
        sidecar = (
            path.with_name("model.json")
            if path.name == "model.keras"
            else path.with_suffix(".json")
        )
        if sidecar.is_file():
            try:
                meta = _read_sidecar(sidecar)
            except (OSError, ValueError, RecursionError) as exc:
                log.warning(
                    "ignoring unreadable model metadata %s: %s",
                    sidecar.name,
                    " ".join(str(exc).split())[:200],
                )
        members = [weights]
        for name in _member_files(meta, path)[1:]:
            member, _ = read_keras(path.with_name(name))
            members.append(member)
        return cls(weights, path, meta, members, bundled_strings(), bundled_open_reader())

    def predict(self, fields: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28) in [0, 1], ink = 1 -> float32 (N, 10) probabilities."""
        return self.read(fields, check=False)[0]

    def read(self, fields: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities float32 (N, 10) and bool (N,): whether each field is a digit at all.

        A model without a digit check (one trained before it existed) calls everything
        with ink a digit.
        """
        p, likeness = self.read_scores(fields, check)
        return p, likeness >= 0

    def read_scores(self, fields: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities float32 (N, 10) and float32 (N,): the digit check's log-odds over
        its threshold (negative: not a digit; all zeros without a check)."""
        fields = _fields(fields)
        digit_check = self.check if check else None
        p = np.zeros((len(fields), 10), np.float32)
        scores = np.zeros(len(fields), np.float32)
        # Chunk by chunk, straight to the last layer and the check: the features of each
        # network are never kept for the whole batch.
        for start in range(0, len(fields), CHUNK):
            chunk = _features_chunk(self.members, fields[start : start + CHUNK])
            for w, f in zip(self.members, chunk):
                p[start : start + CHUNK] += softmax(logits_from_features(w, f))
            if digit_check is not None:
                scores[start : start + CHUNK] = digit_check.scores(chunk)
        p /= len(self.members)
        if self.temperature != 1.0:
            p = softmax(np.log(np.maximum(p, 1e-30)) / np.float32(self.temperature))
        if digit_check is None:
            return p, np.zeros(len(p), np.float32)
        return p, scores - np.float32(digit_check.threshold)


def _bundled(file_name: str, load: Any, error: type[Exception], what: str, without: str) -> Any:
    """A bundled optional model, or None (logged) when it is missing or unusable."""
    if not (paths.resources_dir() / file_name).is_file():
        log.info("no bundled %s: %s", what, without)
        return None
    try:
        return load()
    except error as exc:
        log.warning("ignoring the %s: %s", what, exc)
    return None


@functools.lru_cache(maxsize=1)
def bundled_strings() -> SequenceModel | None:
    """The bundled sequence recogniser (the same for every digit model); None when it is
    missing or unusable: lines are then split by segmentation alone."""
    from digitpad.core.models import sequence

    return _bundled(
        sequence.FILE_NAME,
        sequence.SequenceModel.load,
        sequence.SequenceModelError,
        "strings model",
        "lines are read by segmentation alone",
    )


@functools.lru_cache(maxsize=1)
def bundled_open_reader() -> OpenReader | None:
    """The bundled open line recogniser; None when it is missing or unusable: lines are
    then read by our own networks alone."""
    from digitpad.core.models import open_reader

    return _bundled(
        open_reader.FILE_NAME,
        open_reader.OpenReader.load,
        open_reader.OpenReaderError,
        "open line recogniser",
        "lines are read by our own networks",
    )


MAX_SIDECAR_BYTES = 4 * 1024 * 1024


def _read_sidecar(path: Path) -> dict:
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        raise ValueError("too large")
    meta = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError("not a JSON object")
    return meta


def _member_files(meta: dict | None, path: Path) -> list[str]:
    """The ensemble's file names from the sidecar, checked; [] for a single network."""
    members = meta.get("members") if isinstance(meta, dict) else None
    if members is None:
        return []
    listed = members if isinstance(members, list) else []
    names: list[str] = [
        m["file"] for m in listed if isinstance(m, dict) and isinstance(m.get("file"), str)
    ]
    if (
        not names
        or len(names) != len(listed)
        or len(names) > MAX_MEMBERS
        or not all(isinstance(n, str) and MEMBER_NAME.fullmatch(n) for n in names)
        or len(set(names)) != len(names)
        or names[0] != path.name
    ):
        raise ModelError(
            f"{path.name}: its sidecar lists networks that cannot be used "
            f"(at most {MAX_MEMBERS} plain .keras file names, this file first)"
        )
    return names


def _ensemble_temperature(meta: dict) -> float:
    calibration = meta.get("calibration") if isinstance(meta, dict) else None
    value = calibration.get("ensemble_temperature") if isinstance(calibration, dict) else None
    return float(value) if _is_number(value) and 0.05 <= value <= 20 else 1.0


def _digit_check(meta: dict, path: Path, members: int, features: int) -> DigitCheck | None:
    data = meta.get("digit_check") if isinstance(meta, dict) else None
    if data is None:
        return None
    try:
        return DigitCheck.from_json(data, members, features)
    except ModelError as exc:
        log.warning("%s: ignoring the model's %s", path.name, exc)
        return None


# --- From inputs to answers -------------------------------------------------------


@dataclass(frozen=True)
class Digit:
    digit: int
    confidence: float
    probabilities: np.ndarray  # float32 (10,)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in input pixels (canvas or image)
    field: np.ndarray  # float32 (28, 28): what the model saw

    @property
    def sure(self) -> bool:
        """False when the reading is doubtful: the app says "not sure"."""
        return self.confidence >= LOW_CONFIDENCE

    def to_json(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": round(float(self.confidence), 6),
            "sure": self.sure,
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            "box": list(self.box),
        }


NOT_A_DIGIT = "not a digit"


@dataclass(frozen=True)
class Rejected:
    """A part of the input that holds ink but is not a digit (a letter, a shape, a mark)."""

    box: tuple[int, int, int, int]
    field: np.ndarray
    reason: str = NOT_A_DIGIT

    def to_json(self) -> dict:
        return {"box": list(self.box), "reason": self.reason}


@dataclass(frozen=True)
class Mark:
    """A separator written among the digits (".", ",", "-", "="): not part of the text."""

    char: str
    box: tuple[int, int, int, int]

    def to_json(self) -> dict:
        return {"char": self.char, "box": list(self.box)}


@dataclass(frozen=True)
class Result:
    digits: tuple[Digit, ...]
    rejected: tuple[Rejected, ...] = ()
    marks: tuple[Mark, ...] = ()

    @property
    def text(self) -> str:
        """The digits left to right; "" when there is none."""
        return "".join(str(d.digit) for d in self.digits)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "digits": [d.to_json() for d in self.digits],
            "rejected": [r.to_json() for r in self.rejected],
            "marks": [m.to_json() for m in self.marks],
        }


EMPTY = Result(())


def _result(recognizer: Recognizer, fields: list, boxes: list) -> Result:
    """A Digit or a Rejected part per field and box, left to right as given; parts whose
    field is None (nothing to read) drop out."""
    kept = [(f, _whole_box(box)) for f, box in zip(fields, boxes) if f is not None]
    if not kept:
        return EMPTY
    probs, digit_like = recognizer.read(np.stack([f for f, _ in kept]))
    digits, rejected = [], []
    for p, ok, (f, box) in zip(probs, digit_like, kept):
        if ok:
            digits.append(Digit(int(p.argmax()), float(p.max()), p, box, f))
        else:
            rejected.append(Rejected(box, f))
    return Result(tuple(digits), tuple(rejected))


# Below this top probability a digit is flagged "not sure". Measured with the bundled
# model: of the MNIST test digits 0.4% fall below 0.7 and only 46% of those are right
# (99.7% above it); of the 7,494 pen digits, 1.9% and 49% (97.3% above it). Under 0.7
# a reading is a coin toss; a higher bar flags many more digits that are right.
LOW_CONFIDENCE = 0.7


def recognize_drawing(
    recognizer: Recognizer, drawing: Drawing, max_digits: int | None = None
) -> Result:
    """A Drawing -> Result with its digits left to right; EMPTY when it holds no digit.

    Boxes are the digits' points in canvas pixels. ``max_digits`` caps the count
    (1: the whole drawing is one digit).
    """
    from digitpad.core import segment
    from digitpad.core.io.drawing import MAX_STROKES, DrawingError
    from digitpad.core.page.field import drawing_to_field

    if len(drawing.strokes) > MAX_STROKES:  # drawings made in code skip the file's checks
        raise DrawingError(f"too many strokes ({len(drawing.strokes):,}; at most {MAX_STROKES:,})")
    parts = segment.split_drawing(drawing, max_digits, _drawing_judge(recognizer))
    return _result(
        recognizer, [drawing_to_field(p.drawing) for p in parts], [_whole_box(p.box) for p in parts]
    )


def recognize_image(
    recognizer: Recognizer,
    ink: np.ndarray,
    max_digits: int | None = None,
    grey: np.ndarray | None = None,
) -> Result:
    """Grey float (H, W), ink bright -> Result with its digits left to right; EMPTY without ink.

    Boxes are in the array's pixels, end-exclusive. ``max_digits`` caps the count
    (1: all the ink is one digit). ``grey`` is the image the ink came from (paper
    light, the same shape), which the open line recogniser reads; without it, lines
    are read by our own networks alone (they know MNIST-like ink arrays better).
    """
    from digitpad.core import segment
    from digitpad.core.page.field import image_to_field

    parts = segment.split_image(ink, max_digits, _image_judge(recognizer))
    digits = [p for p in parts if not p.mark]
    result = _result(recognizer, [image_to_field(p.crop) for p in digits], [p.box for p in digits])
    if max_digits != 1 and _is_line(digits):
        result = _read_whole_line(recognizer, ink, grey, parts, digits, result)
    marks = tuple(Mark(p.mark, p.box) for p in parts if p.mark)
    return dataclasses.replace(result, marks=marks) if marks else result


# The open recogniser's weight against our own line reading's where both count the
# same digits (geometric weighting): it reads real writing far better, ours knows
# MNIST-like digits better.
OURS_WEIGHT = 0.5


def _read_whole_line(
    recognizer: Recognizer,
    ink: np.ndarray,
    grey: np.ndarray | None,
    parts: list,
    digits: list,
    segmented: Result,
) -> Result:
    """A line's digits: the open recogniser's reading, combined with our own where they
    count the same digits; ours where the open one loses digits standing clearly apart
    (or is not there)."""
    ours = segmented
    strings = getattr(recognizer, "strings", None)
    if strings is not None:
        line = _read_line(recognizer, strings, ink.shape, digits)
        if line is not None and not _drops_digits_apart(line, segmented, digits):
            ours = line
    reader = getattr(recognizer, "lines", None)
    if reader is None or grey is None:  # no paper to read: an ink array alone
        return ours
    opened = _read_open(recognizer, reader, grey, ink, parts, digits)
    if opened is None or _drops_digits_apart(opened, segmented, digits):
        return ours
    if len(ours.digits) != len(opened.digits):
        return opened
    combined = []
    for theirs, mine in zip(opened.digits, ours.digits):
        both = np.exp(
            np.log(np.maximum(theirs.probabilities, 1e-9))
            + OURS_WEIGHT * np.log(np.maximum(mine.probabilities, 1e-9))
        )
        both /= both.sum()
        combined.append(
            Digit(
                int(both.argmax()), float(both.max()), both.astype(np.float32), mine.box, mine.field
            )
        )
    return Result(tuple(combined))


def _is_line(parts: list) -> bool:
    """Two parts or more, or a piece alone as wide as segmentation would consider cutting
    (maybe touching digits): a single digit, however slanted or flourished, never is."""
    from digitpad.core.segment.pixels import SPLIT_LONE

    if len(parts) >= 2:
        return True
    if len(parts) == 1:
        x0, y0, x1, y1 = parts[0].box
        return x1 - x0 > SPLIT_LONE * (y1 - y0)
    return False


def _read_line(
    recognizer: Recognizer, strings: SequenceModel, shape: tuple[int, int], parts: list
) -> Result | None:
    """The digits of a line of image parts, as the sequence recogniser places them and
    both networks read them; None when the line cannot be read that way.

    The sequence recogniser says how many digits there are and where; each digit's
    columns are cut out of the line and read by the card network too, and the two
    readings are combined by their geometric mean: the card network knows single
    digits best, the sequence model knows where touching digits begin and end.
    """
    from digitpad.core.models import sequence
    from digitpad.core.page.field import image_to_field

    box = sequence.line_box([p.box for p in parts])
    scale = sequence.INK_HEIGHT / max(box[3] - box[1], 1)
    line = sequence.compose([(sequence.widened(p.crop, scale), p.origin) for p in parts], shape)
    x = sequence.line_input(line, box)
    if x is None:
        return None
    reading = strings.read(x)
    if not reading.text:
        return None
    owners = _owners(parts, sequence.digit_centres(reading, box))
    if owners is not None:  # one digit per part, as segmentation found them: its crops
        crops = [parts[k].crop for k in owners]
        boxes = [parts[k].box for k in owners]
    else:  # touching digits: each one's columns of the line
        cut = _cut_columns(line, box, sequence.digit_columns(reading, box))
        if cut is None:
            return None  # a digit with no ink under it: trust the segmentation instead
        crops, boxes = cut
    fields = [f for f in (image_to_field(c) for c in crops) if f is not None]
    if len(fields) != len(crops):
        return None
    card, _ = recognizer.read(np.stack(fields), check=False)
    both = np.sqrt(card * reading.probabilities)
    both /= np.maximum(both.sum(axis=1, keepdims=True), 1e-12)
    return Result(
        tuple(
            Digit(int(p.argmax()), float(p.max()), p.astype(np.float32), b, f)
            for p, b, f in zip(both, boxes, fields)
        )
    )


def _cut_columns(
    line: np.ndarray, box: tuple[int, int, int, int], columns: list
) -> tuple[list, list] | None:
    """Each digit's ink in its columns of a line, and its box; None when a digit has
    no ink under it."""
    crops, boxes = [], []
    for c0, c1 in columns:
        crop = line[box[1] : box[3], c0:c1]
        rows = np.flatnonzero(crop.max(axis=1) > 0) if crop.size else np.zeros(0, int)
        cols = np.flatnonzero(crop.max(axis=0) > 0) if crop.size else np.zeros(0, int)
        if rows.size == 0:
            return None
        r0, r1, k0, k1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        crops.append(crop[r0:r1, k0:k1])
        boxes.append((c0 + k0, box[1] + r0, c0 + k1, box[1] + r1))
    return crops, boxes


def _read_open(
    recognizer: Recognizer,
    reader: OpenReader,
    grey: np.ndarray,
    ink: np.ndarray,
    parts: list,
    digits: list,
) -> Result | None:
    """The open recogniser's reading of the line that ``parts`` (marks included: it
    knows them) make on the grey image; each digit's box and field are its columns of
    the line's ink. None when the line cannot be read that way."""
    from digitpad.core.models import open_reader, sequence
    from digitpad.core.page.field import image_to_field

    prepared = open_reader.line_input(grey, sequence.line_box([p.box for p in parts]))
    if prepared is None:
        return None
    x, covered = prepared
    reading = reader.read(x)
    if not reading.text:
        return None
    box = sequence.line_box([p.box for p in digits])
    line = sequence.compose([(p.crop, p.origin) for p in digits], ink.shape)
    centres = [open_reader.step_column((a + b) / 2, covered) for a, b in reading.spans]
    cuts = [
        int(np.clip(round((a + b) / 2), box[0], box[2])) for a, b in zip(centres[:-1], centres[1:])
    ]
    edges = [box[0]] + cuts + [box[2]]
    cut = _cut_columns(line, box, list(zip(edges[:-1], edges[1:])))
    if cut is None:
        return None
    fields = [f for f in (image_to_field(c) for c in cut[0]) if f is not None]
    if len(fields) != len(cut[0]):
        return None
    return Result(
        tuple(
            Digit(int(p.argmax()), float(p.max()), p.astype(np.float32), b, f)
            for p, b, f in zip(reading.probabilities, cut[1], fields)
        )
    )


# Parts this far apart (x the line's height) are separate digits, never one.
APART = 0.15


def _drops_digits_apart(line: Result, segmented: Result, parts: list) -> bool:
    """Whether the line's reading has fewer digits than segmentation found, all of them
    digits standing clearly apart: then the sequence model has lost one (a faint or
    broken stroke unlike its training strings), not joined two halves of one digit."""
    if len(line.digits) >= len(parts) or segmented.rejected:
        return False
    if len(segmented.digits) != len(parts):
        return False
    boxes = sorted(p.box for p in parts)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    gaps = [b[0] - a[2] for a, b in zip(boxes[:-1], boxes[1:])]
    return min(gaps) >= APART * height


def _owners(parts: list, centres: list[float]) -> list[int] | None:
    """The part under each digit's centre when every part holds exactly one digit's
    centre; None otherwise."""
    owners = []
    for middle in centres:
        under = [k for k, p in enumerate(parts) if p.box[0] <= middle < p.box[2]]
        if len(under) != 1:
            return None
        owners.append(under[0])
    return owners if sorted(owners) == list(range(len(parts))) else None


def _whole_box(box: Sequence[float]) -> tuple[int, int, int, int]:
    """Canvas (or pixel) coordinates -> whole pixels that still contain the points."""
    x0, y0, x1, y1 = box
    return (int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1)))


def _probabilities(recognizer: Recognizer, fields: list) -> np.ndarray:
    """float32 (N, 10) per field (or None); a row of zeros where there is nothing to read."""
    out = np.zeros((len(fields), 10), np.float32)
    present = [k for k, f in enumerate(fields) if f is not None]
    if present:
        out[present] = recognizer.predict(np.stack([fields[k] for k in present]))
    return out


def _drawing_judge(recognizer: Recognizer) -> Judge:
    from digitpad.core.page.field import drawing_to_field

    return lambda drawings: _probabilities(recognizer, [drawing_to_field(d) for d in drawings])


def _image_judge(recognizer: Recognizer) -> Judge:
    from digitpad.core.page.field import image_to_field

    def judge(crops: list) -> tuple[np.ndarray, np.ndarray]:
        fields = [image_to_field(c) for c in crops]
        probs = np.zeros((len(fields), 10), np.float32)
        likeness = np.full(len(fields), -10.0, np.float32)  # nothing to read: no digit
        present = [(k, f) for k, f in enumerate(fields) if f is not None]
        if present:
            rows = [k for k, _ in present]
            probs[rows], likeness[rows] = recognizer.read_scores(np.stack([f for _, f in present]))
        return probs, likeness

    return judge
