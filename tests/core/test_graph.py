"""The NumPy graph runner: its operations against plain references, and its file checks."""

import io
import json
import math
import pickle

import numpy as np
import pytest

from digitpad.core.models import graph


def _run(op, inputs, attrs=None, arrays=None):
    names = [f"in{k}" for k in range(len(inputs))]
    spec = {
        "nodes": [{"op": op, "inputs": names, "outputs": ["y"], "attrs": attrs or {}}],
        "inputs": names,
        "outputs": ["y"],
    }
    return graph.Graph.checked(spec, arrays or {}).run(*inputs)[0]


def _reference_conv(x, w, b, stride, pads, groups):
    n, c, h, wd = x.shape
    o, per, kh, kw = w.shape
    t, left, bo, r = pads
    xp = np.pad(x, ((0, 0), (0, 0), (t, bo), (left, r)))
    oh, ow = (xp.shape[2] - kh) // stride[0] + 1, (xp.shape[3] - kw) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    per_out = o // groups
    for oc in range(o):
        g = oc // per_out
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * per : (g + 1) * per,
                    i * stride[0] : i * stride[0] + kh,
                    j * stride[1] : j * stride[1] + kw,
                ]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + b[oc]
    return y


@pytest.mark.parametrize(
    "channels, out, kernel, stride, pads, groups",
    [
        (3, 4, (3, 3), (2, 2), (1, 1, 1, 1), 1),  # a strided stem
        (6, 6, (3, 3), (2, 1), (1, 1, 1, 1), 6),  # depthwise, strided in height
        (4, 5, (1, 1), (1, 1), (0, 0, 0, 0), 1),  # pointwise
        (4, 4, (1, 7), (1, 1), (0, 3, 0, 3), 4),  # a wide depthwise kernel
        (4, 6, (3, 3), (1, 1), (1, 1, 1, 1), 2),  # grouped
    ],
)
def test_conv_matches_a_plain_loop(channels, out, kernel, stride, pads, groups):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, channels, 7, 9)).astype(np.float32)
    w = rng.normal(size=(out, channels // groups, *kernel)).astype(np.float32)
    b = rng.normal(size=out).astype(np.float32)
    attrs = {
        "strides": list(stride),
        "pads": list(pads),
        "group": groups,
        "kernel_shape": list(kernel),
    }
    spec = {
        "nodes": [{"op": "Conv", "inputs": ["x", "w", "b"], "outputs": ["y"], "attrs": attrs}],
        "inputs": ["x"],
        "outputs": ["y"],
    }
    got = graph.Graph.checked(spec, {"w": w, "b": b}).run(x)[0]
    np.testing.assert_allclose(got, _reference_conv(x, w, b, stride, pads, groups), atol=1e-4)


def test_same_upper_padding_puts_the_extra_row_at_the_end():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    y = _run("MaxPool", [x], {"kernel_shape": [2, 2], "strides": [1, 1], "auto_pad": "SAME_UPPER"})
    assert y.shape == (1, 1, 4, 4)
    assert y[0, 0, 0, 0] == 5 and y[0, 0, 3, 3] == 15 and y[0, 0, 3, 0] == 13


def test_average_pool_and_softmax_and_erf():
    x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6)
    y = _run("AveragePool", [x], {"kernel_shape": [3, 2], "strides": [3, 2]})
    assert y.shape == (1, 1, 2, 3) and y[0, 0, 0, 0] == pytest.approx(np.mean([0, 1, 6, 7, 12, 13]))
    s = _run("Softmax", [np.array([[1.0, 2.0, 3.0]], np.float32)], {"axis": 1})
    np.testing.assert_allclose(s[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-6)
    v = np.linspace(-4, 4, 81).astype(np.float32)
    np.testing.assert_allclose(_run("Erf", [v]), [math.erf(t) for t in v], atol=3e-7)


def test_shape_arithmetic_reshape_and_slice():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        _run("Reshape", [x, np.array([0, -1], np.int64)]), x.reshape(2, 12)
    )
    got = _run("Slice", [x, np.array([1]), np.array([2**62]), np.array([2])])
    np.testing.assert_array_equal(got, x[:, :, 1:])
    np.testing.assert_array_equal(_run("Shape", [x]), [2, 3, 4])


def _saved(tmp_path, spec, arrays, name="g.npz"):
    path = tmp_path / name
    buffer = io.BytesIO()
    np.savez(buffer, **{graph.GRAPH_KEY: np.array(json.dumps(spec))}, **arrays)
    path.write_bytes(buffer.getvalue())
    return path


GOOD = {
    "nodes": [{"op": "Relu", "inputs": ["x"], "outputs": ["y"]}],
    "inputs": ["x"],
    "outputs": ["y"],
}


def test_a_saved_graph_loads_and_runs(tmp_path):
    g = graph.Graph.load(_saved(tmp_path, GOOD, {}))
    np.testing.assert_array_equal(g.run(np.array([-1.0, 2.0]))[0], [0.0, 2.0])


@pytest.mark.parametrize(
    "spec, arrays, message",
    [
        (
            {**GOOD, "nodes": [{"op": "Eval", "inputs": ["x"], "outputs": ["y"]}]},
            {},
            "unknown operation",
        ),
        (
            {**GOOD, "nodes": [{"op": "Relu", "inputs": ["z"], "outputs": ["y"]}]},
            {},
            "before it exists",
        ),
        (
            {
                **GOOD,
                "nodes": [
                    {"op": "Relu", "inputs": ["x"], "outputs": ["y"], "attrs": {"code": "x"}}
                ],
            },
            {},
            "not accepted",
        ),
        ({**GOOD, "outputs": ["w"]}, {}, "never computed"),
        (GOOD, {"w": np.array([np.nan], np.float32)}, "NaN"),
        ({"nodes": "all"}, {}, "no node list"),
    ],
)
def test_bad_graphs_are_refused_in_one_line(tmp_path, spec, arrays, message):
    with pytest.raises(graph.GraphError, match=message) as info:
        graph.Graph.load(_saved(tmp_path, spec, arrays))
    assert "\n" not in str(info.value)


def test_garbage_and_pickles_are_refused_without_running_them(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(graph.GraphError):
        graph.Graph.load(garbage)

    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("a pickle in a graph file was executed",))

    path = tmp_path / "pickled.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **{graph.GRAPH_KEY: np.array(pickle.dumps(Boom()), dtype=object)})
    path.write_bytes(buffer.getvalue())
    with pytest.raises(graph.GraphError):
        graph.Graph.load(path)
