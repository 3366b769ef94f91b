"""A network stored as plain arrays and a list of operations, run with NumPy.

This is how the app runs a converted open recogniser (see digitpad.core.models.open_reader):
the file is a NumPy ``.npz`` holding the weights and, under GRAPH_KEY, a JSON list
of nodes ``{"op", "inputs", "outputs", "attrs"}`` in execution order. The operations
are a small subset of ONNX's (opset 11 semantics), each a few lines below; nothing
in the file is ever executed as code, and every node is checked on loading: a known
operation, inputs that exist before they are used, attributes of the expected kinds.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.core.io import files

GRAPH_KEY = "__graph__"
MAX_FILE_BYTES = 64 * 1024 * 1024  # on disk, and again once unpacked
MAX_NODES = 5000
# What one run may cost, checked before each node runs, from its inputs' shapes (so a
# damaged file fails in one line instead of taking the machine's memory or an hour):
# the bundled recogniser makes at most 24 values and about 66,000 multiply-adds per
# input value; these leave four times that and more.
MAX_VALUES = 16 * 1024 * 1024  # in any one node's output (64 MB of float32)
MAX_WORK_PER_INPUT = 262_144  # multiply-adds over the whole run, per input value
# Attribute ranges: the recogniser's kernels are at most 7 wide, pads at most 3.
ATTRIBUTE_RANGES = {
    "kernel_shape": (1, 64),
    "strides": (1, 64),
    "pads": (0, 64),
    "dilations": (1, 1),
    "group": (1, 65536),
}


class GraphError(Exception):
    """A graph file that cannot be used (a one-line reason)."""


def read_arrays(
    file: Path, max_bytes: int, error: type[Exception], kind: str
) -> dict[str, np.ndarray]:
    """The arrays of a NumPy ``.npz`` archive, never unpickling anything; ``error``
    (one line) for a file that is not such an archive, or that holds (once unpacked)
    more than ``max_bytes``: the budget is checked on each member's unpacked size and
    on each array's declared size before anything is unpacked or allocated."""
    try:
        data = files.read_regular(file, max_bytes)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > max_bytes:
                raise error(f"{file.name}: unpacks to more than {max_bytes:,} bytes")
            return {m.filename.removesuffix(".npy"): _array(archive, m) for m in members}
    except error:
        raise
    except files.FileRefused as exc:
        raise error(f"{file.name}: {exc}") from None
    except Exception as exc:  # NumPy's header parser can fail in many ways (TokenError too)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        raise error(f"{file.name}: not {kind} ({detail})") from None


def _array(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member, its header checked against the member's size first (a header
    may declare 10^12 elements in a file of a few bytes)."""
    stream = io.BytesIO(archive.read(member))
    version = np.lib.format.read_magic(stream)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }.get(version)
    if read_header is None:
        raise ValueError(f"{member.filename}: .npy version {version} is not read")
    shape, _, dtype = read_header(stream)
    if dtype.hasobject:
        raise ValueError(f"{member.filename}: holds Python objects")
    if math.prod(shape) * dtype.itemsize > member.file_size:
        raise ValueError(f"{member.filename}: declares more data than it holds")
    stream.seek(0)
    return np.asarray(np.lib.format.read_array(stream, allow_pickle=False))


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """ONNX's SAME_UPPER: the output is ceil(size / stride); extra padding at the end."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pads(
    x: np.ndarray, attrs: dict, kernel: tuple[int, int], strides: tuple[int, int]
) -> tuple[int, int, int, int]:
    if attrs.get("auto_pad", "NOTSET") == "SAME_UPPER":
        (t, b), (left, r) = (_same_pads(x.shape[2 + k], kernel[k], strides[k]) for k in range(2))
        return t, left, b, r
    t, left, b, r = attrs.get("pads", (0, 0, 0, 0))
    return t, left, b, r


def _windows(x: np.ndarray, kernel: tuple, strides: tuple, pads: tuple, fill: float) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H', W', kh, kw) views of each output's window."""
    t, left, b, r = pads
    if any(pads):
        x = np.pad(x, ((0, 0), (0, 0), (t, b), (left, r)), constant_values=fill)
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))
    return windows[:, :, :: strides[0], :: strides[1]]


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **attrs: Any) -> np.ndarray:
    groups = int(attrs.get("group", 1))
    if any(d != 1 for d in attrs.get("dilations", (1, 1))):
        raise GraphError("Conv: dilations other than 1 are not supported")
    out_ch, per_group, kh, kw = w.shape
    strides = tuple(attrs.get("strides", (1, 1)))
    pads = _pads(x, attrs, (kh, kw), strides)
    n, c = x.shape[:2]
    if c != per_group * groups:
        raise GraphError(f"Conv: {c} input channels for a kernel of {per_group} x {groups}")
    if (kh, kw) == (1, 1) and groups == 1 and strides == (1, 1) and not any(pads):
        h, wd = x.shape[2:]
        y = np.matmul(w.reshape(out_ch, c), x.reshape(n, c, h * wd)).reshape(n, out_ch, h, wd)
    elif groups == c == out_ch:  # depthwise: a weighted sum of shifted copies
        t, left, bo, r = pads
        xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (left, r))) if any(pads) else x
        h = (xp.shape[2] - kh) // strides[0] + 1
        wd = (xp.shape[3] - kw) // strides[1] + 1
        y = np.zeros((n, c, h, wd), np.float32)
        for i in range(kh):
            for j in range(kw):
                part = xp[
                    :, :, i : i + h * strides[0] : strides[0], j : j + wd * strides[1] : strides[1]
                ]
                y += part * w[None, :, 0, i, j, None, None]
    else:
        win = _windows(x, (kh, kw), strides, pads, 0.0)  # (N, C, H', W', kh, kw)
        h, wd = win.shape[2:4]
        outs = []
        per_out = out_ch // groups
        for g in range(groups):
            part = win[:, g * per_group : (g + 1) * per_group]
            kernel = w[g * per_out : (g + 1) * per_out]
            cols = part.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, -1)
            y = cols @ kernel.reshape(per_out, -1).T
            outs.append(y.reshape(n, h, wd, per_out).transpose(0, 3, 1, 2))
        y = np.concatenate(outs, axis=1) if groups > 1 else outs[0]
    if b is not None:
        y = y + b[None, :, None, None]
    return y.astype(np.float32, copy=False)


def _pool(x: np.ndarray, reduce: np.ufunc, fill: float, attrs: dict) -> np.ndarray:
    """The reduction over each window, one kernel tap at a time (faster than windows)."""
    kh, kw = attrs["kernel_shape"]
    sh, sw = attrs.get("strides", (1, 1))
    if attrs.get("ceil_mode", 0):
        raise GraphError("pooling: ceil_mode is not supported")
    t, left, b, r = _pads(x, attrs, (kh, kw), (sh, sw))
    if t or left or b or r:
        x = np.pad(x, ((0, 0), (0, 0), (t, b), (left, r)), constant_values=fill)
    h = (x.shape[2] - kh) // sh + 1
    w = (x.shape[3] - kw) // sw + 1
    out = x[:, :, : (h - 1) * sh + 1 : sh, : (w - 1) * sw + 1 : sw].copy()
    for i in range(kh):
        for j in range(kw):
            if i or j:
                tap = x[:, :, i : i + (h - 1) * sh + 1 : sh, j : j + (w - 1) * sw + 1 : sw]
                reduce(out, tap, out=out)
    return out.astype(np.float32, copy=False)


def _max_pool(x: np.ndarray, **attrs: Any) -> np.ndarray:
    return _pool(x, np.maximum, -np.inf, attrs)


def _average_pool(x: np.ndarray, **attrs: Any) -> np.ndarray:
    kernel = tuple(attrs["kernel_shape"])
    if any(_pads(x, attrs, kernel, tuple(attrs.get("strides", (1, 1))))):
        raise GraphError("AveragePool: padding is not supported")
    return _pool(x, np.add, 0.0, attrs) / float(kernel[0] * kernel[1])


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error under 1.5e-7; NumPy has no erf), computed
    in place: the recogniser calls it on every activation."""
    a = np.abs(x)
    t = 0.3275911 * a
    t += 1.0
    np.reciprocal(t, out=t)
    poly = 1.061405429 * t
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += c
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    np.subtract(1.0, poly, out=poly)
    return np.copysign(poly, x, out=poly)


def _softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    # opset 11: the dimensions from ``axis`` on are flattened into one.
    axis = axis % x.ndim
    flat = x.reshape(x.shape[:axis] + (-1,))
    e = np.exp(flat - flat.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).reshape(x.shape)


def _reshape(x: np.ndarray, shape: np.ndarray) -> np.ndarray:
    sizes = [int(v) for v in shape]
    sizes = [x.shape[k] if v == 0 else v for k, v in enumerate(sizes)]  # 0: keep
    return x.reshape(sizes)


def _slice(
    x: np.ndarray, starts: Any, ends: Any, axes: Any = None, steps: Any = None
) -> np.ndarray:
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for a, s, e, st in zip(axes, starts, ends, steps):
        size = x.shape[int(a)]
        index[int(a)] = slice(
            *slice(
                int(max(min(s, size), -size - 1)), int(max(min(e, size), -size - 1)), int(st)
            ).indices(size)
        )
    return x[tuple(index)]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        return (np.trunc(a / b)).astype(a.dtype)
    return a / b


def _batch_norm(
    x: Any, scale: Any, bias: Any, mean: Any, var: Any, epsilon: float = 1e-5, **_: Any
) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    k = scale / np.sqrt(var + epsilon)
    return (x * k.reshape(shape) + (bias - mean * k).reshape(shape)).astype(np.float32)


def _reduce_mean(x: np.ndarray, axes: Any = None, keepdims: int = 1) -> np.ndarray:
    axes = tuple(int(a) for a in axes) if axes is not None else None
    return x.mean(axis=axes, keepdims=bool(keepdims)).astype(x.dtype, copy=False)


# op -> (function, attributes it accepts). Inputs are positional; "" marks an
# optional input that is absent.
OPS: dict[str, tuple[Callable, frozenset]] = {
    "Add": (np.add, frozenset()),
    "Sub": (np.subtract, frozenset()),
    "Mul": (np.multiply, frozenset()),
    "Div": (_div, frozenset()),
    "Pow": (np.power, frozenset()),
    "Sqrt": (np.sqrt, frozenset()),
    "Erf": (_erf, frozenset()),
    "Relu": (lambda x: np.maximum(x, 0), frozenset()),
    "Sigmoid": (lambda x: 1 / (1 + np.exp(-x)), frozenset()),
    "HardSigmoid": (
        lambda x, alpha=0.2, beta=0.5: np.clip(alpha * x + beta, 0, 1).astype(x.dtype),
        frozenset({"alpha", "beta"}),
    ),
    "Softmax": (_softmax, frozenset({"axis"})),
    "ReduceMean": (_reduce_mean, frozenset({"axes", "keepdims"})),
    "MatMul": (np.matmul, frozenset()),
    "Transpose": (lambda x, perm=None: np.transpose(x, perm), frozenset({"perm"})),
    "Reshape": (_reshape, frozenset()),
    "Squeeze": (
        lambda x, axes=None: np.squeeze(x, tuple(axes) if axes else None),
        frozenset({"axes"}),
    ),
    "Unsqueeze": (lambda x, axes: np.expand_dims(x, tuple(axes)), frozenset({"axes"})),
    "Slice": (_slice, frozenset()),
    "Concat": (lambda *xs, axis: np.concatenate(xs, axis=axis), frozenset({"axis"})),
    "Shape": (lambda x: np.array(x.shape, np.int64), frozenset()),
    "Conv": (
        _conv,
        frozenset({"group", "strides", "pads", "auto_pad", "dilations", "kernel_shape"}),
    ),
    "MaxPool": (_max_pool, frozenset({"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode"})),
    "AveragePool": (
        _average_pool,
        frozenset(
            {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "count_include_pad"}
        ),
    ),
    "BatchNormalization": (_batch_norm, frozenset({"epsilon", "momentum"})),
}


def _plain(value: object) -> bool:
    """An attribute value: a number, a short string or a list of numbers."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        return len(value) <= 64
    if isinstance(value, list):
        return len(value) <= 16 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
    return False


def _in_range(name: str, value: object) -> bool:
    low, high = ATTRIBUTE_RANGES.get(name, (-(2**31), 2**31))
    values = value if isinstance(value, list) else [value]
    return all(not isinstance(v, (int, float)) or low <= v <= high for v in values)


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(int(d) for d in shape)


def _cost(op: str, args: list, attrs: dict) -> tuple[int, int]:
    """(values in the output, multiply-adds) of one node, from its inputs' shapes alone:
    what running it would take. Operations not named here make no more values than
    they are given."""
    shapes = [np.shape(a) for a in args if a is not None]
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        out = _size(np.broadcast_shapes(*shapes))
        return out, out
    if op == "MatMul":
        (a, b) = shapes
        if len(a) < 2 or len(b) < 2:
            return max(_size(a), _size(b)), _size(a) * _size(b)
        out = _size(np.broadcast_shapes(a[:-2], b[:-2])) * a[-2] * b[-1]
        return out, out * a[-1]
    if op in ("Conv", "MaxPool", "AveragePool"):
        x = shapes[0]
        if len(x) != 4:
            raise GraphError(f"{op}: expected (N, C, H, W) input, got {x}")
        kernel = tuple(shapes[1][2:]) if op == "Conv" else tuple(attrs["kernel_shape"])
        strides = tuple(attrs.get("strides", (1, 1)))
        t, left, b, r = _pads(np.empty((0, 0) + tuple(x[2:]), np.float32), attrs, kernel, strides)
        h = (x[2] + t + b - kernel[0]) // strides[0] + 1
        w = (x[3] + left + r - kernel[1]) // strides[1] + 1
        padded = x[0] * x[1] * (x[2] + t + b) * (x[3] + left + r)
        channels = shapes[1][0] if op == "Conv" else x[1]
        out = x[0] * channels * max(h, 0) * max(w, 0)
        per = _size(shapes[1][1:]) if op == "Conv" else kernel[0] * kernel[1]
        return max(out, padded), out * per + padded
    if op == "Concat":
        out = sum(_size(s) for s in shapes)
        return out, out
    if op == "BatchNormalization" and any(_size(s) != shapes[0][1] for s in shapes[1:]):
        raise GraphError("BatchNormalization: parameters do not fit the channels")
    out = max((_size(s) for s in shapes), default=0)
    return out, out


class Graph:
    def __init__(
        self,
        nodes: list[dict],
        arrays: dict[str, np.ndarray],
        inputs: list[str],
        outputs: list[str],
        meta: dict,
    ):
        self.nodes, self.arrays, self.inputs, self.outputs, self.meta = (
            nodes,
            arrays,
            inputs,
            outputs,
            meta,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Graph:
        """GraphError (one line) for a file that is not a valid graph."""
        file = Path(path)
        raw = read_arrays(file, MAX_FILE_BYTES, GraphError, "a graph file")
        text = raw.pop(GRAPH_KEY, None)
        if text is None or text.dtype.kind != "U" or text.ndim != 0:
            raise GraphError(f"{file.name}: no graph description")
        try:
            spec = json.loads(str(text))
        except (ValueError, RecursionError):
            raise GraphError(f"{file.name}: the graph description is not plain JSON") from None
        return cls.checked(spec, raw, file.name)

    @classmethod
    def checked(cls, spec: object, arrays: dict[str, np.ndarray], name: str = "graph") -> Graph:
        if not isinstance(spec, dict) or not isinstance(spec.get("nodes"), list):
            raise GraphError(f"{name}: the graph description has no node list")
        nodes, inputs, outputs = spec["nodes"], spec.get("inputs"), spec.get("outputs")
        meta = spec.get("meta", {})
        if not (isinstance(inputs, list) and isinstance(outputs, list) and isinstance(meta, dict)):
            raise GraphError(f"{name}: the graph's inputs, outputs or meta are missing")
        if len(nodes) > MAX_NODES:
            raise GraphError(f"{name}: more than {MAX_NODES} nodes")
        for key, value in arrays.items():
            if value.dtype.kind not in "fiu":
                raise GraphError(f"{name}: array {key} is not numeric")
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                raise GraphError(f"{name}: array {key} holds NaN or infinity")
        known = set(arrays) | {str(i) for i in inputs}
        for k, node in enumerate(nodes):
            if not isinstance(node, dict) or node.get("op") not in OPS:
                op = node.get("op") if isinstance(node, dict) else node
                raise GraphError(f"{name}: node {k}: unknown operation {str(op)[:40]!r}")
            allowed = OPS[node["op"]][1]
            ins, outs, attrs = node.get("inputs"), node.get("outputs"), node.get("attrs", {})
            if not (isinstance(ins, list) and isinstance(outs, list) and isinstance(attrs, dict)):
                raise GraphError(f"{name}: node {k} ({node['op']}) is malformed")
            for i in ins:
                if not isinstance(i, str) or (i and i not in known):
                    raise GraphError(
                        f"{name}: node {k} ({node['op']}) reads {str(i)[:40]!r} before it exists"
                    )
            for a, v in attrs.items():
                if a not in allowed or not _plain(v) or not _in_range(a, v):
                    raise GraphError(
                        f"{name}: node {k} ({node['op']}): attribute {a!r} not accepted"
                    )
            if len(outs) != 1 or not isinstance(outs[0], str):
                raise GraphError(f"{name}: node {k} ({node['op']}) must have one output")
            known.add(outs[0])
        for o in outputs:
            if o not in known:
                raise GraphError(f"{name}: output {str(o)[:40]!r} is never computed")
        floats = {
            k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in arrays.items()
        }
        return cls(nodes, floats, [str(i) for i in inputs], [str(o) for o in outputs], meta)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """The graph's outputs for its inputs (float32 arrays)."""
        values: dict[str, np.ndarray] = dict(self.arrays)
        values.update({n: np.asarray(x, np.float32) for n, x in zip(self.inputs, inputs)})
        last_use = {}
        for k, node in enumerate(self.nodes):
            for i in node["inputs"]:
                last_use[i] = k
        budget = MAX_WORK_PER_INPUT * max(sum(np.size(x) for x in inputs), 1)
        for k, node in enumerate(self.nodes):
            function = OPS[node["op"]][0]
            args = [values[i] if i else None for i in node["inputs"]]
            while args and args[-1] is None:
                args.pop()
            attrs = node.get("attrs", {})
            try:
                made, work = _cost(node["op"], args, attrs)
                if made > MAX_VALUES:
                    raise GraphError(f"would make {made:,} values (at most {MAX_VALUES:,})")
                budget -= work
                if budget < 0:
                    raise GraphError("the graph does more work than a line recogniser may")
                values[node["outputs"][0]] = function(*args, **attrs)
            except GraphError as exc:
                raise GraphError(f"node {k} ({node['op']}): {exc}") from None
            except (ValueError, IndexError, TypeError, MemoryError, KeyError) as exc:
                detail = " ".join(str(exc).split())[:160]
                raise GraphError(f"node {k} ({node['op']}): {detail}") from None
            for i in node["inputs"]:  # free what no later node reads
                if last_use.get(i) == k and i not in self.arrays and i not in self.outputs:
                    values.pop(i, None)
        return [values[o] for o in self.outputs]
