"""The open recogniser's conversion: a small ONNX recogniser of the same form (RGB
stem, Identity, convolution + bias, GELU, a character head) converted and run by the
NumPy graph runner gives the original's digit probabilities."""

import math

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from digitpad.core.models import graph, open_reader  # noqa: E402
from training import ppocr  # noqa: E402

CHARACTERS = list("ab0123456789.xyz")  # the head's class k + 1 is CHARACTERS[k]; 0 is blank


def _model(rng):
    stem = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    bias = rng.normal(size=(1, 4, 1, 1)).astype(np.float32)
    head = rng.normal(size=(4 * 6, len(CHARACTERS) + 1)).astype(np.float32)
    head_bias = rng.normal(size=len(CHARACTERS) + 1).astype(np.float32)
    inits = [
        numpy_helper.from_array(stem, "stem"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array(math.sqrt(2), np.float32), "root2"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array([1, 4 * 6, -1], np.int64), "flat"),
        numpy_helper.from_array(head, "head"),
        numpy_helper.from_array(head_bias, "head_bias"),
    ]
    nodes = [
        helper.make_node(
            "Conv", ["x", "stem"], ["c"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        ),
        helper.make_node("Add", ["c", "bias"], ["cb"]),
        helper.make_node("Identity", ["cb"], ["cb2"]),
        helper.make_node("Div", ["cb2", "root2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["e1"]),
        helper.make_node("Mul", ["cb2", "e1"], ["g0"]),
        helper.make_node("Mul", ["g0", "half"], ["g"]),  # GELU
        helper.make_node("Reshape", ["g", "flat"], ["r"]),  # (1, rows x channels, steps)
        helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["t", "head"], ["m"]),
        helper.make_node("Add", ["m", "head_bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["out"], axis=2),
    ]
    g = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, None])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, None, len(CHARACTERS) + 1])],
        inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    model.metadata_props.add(key="character", value="\n".join(CHARACTERS))
    return model, (stem, bias, head, head_bias)


def _reference(x, stem, bias, head, head_bias):
    """The tiny model in plain NumPy, from its RGB input (all channels equal)."""
    rgb = np.repeat(x, 3, axis=1)[0]
    padded = np.pad(rgb, ((0, 0), (1, 1), (1, 1)))
    h, w = x.shape[2] // 2, x.shape[3] // 2
    c = np.zeros((4, h, w))
    for o in range(4):
        for i in range(h):
            for j in range(w):
                c[o, i, j] = (padded[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3] * stem[o]).sum()
    c += bias[0]
    gelu = c * 0.5 * (1 + np.vectorize(math.erf)(c / math.sqrt(2)))
    logits = gelu.reshape(4 * 6, -1).T @ head + head_bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    keep = [1 + CHARACTERS.index(str(d)) for d in range(10)] + [0]
    q = p[:, keep]
    return q / q.sum(axis=1, keepdims=True)


def test_the_converted_graph_gives_the_original_digit_probabilities(tmp_path):
    rng = np.random.default_rng(0)
    model, weights = _model(rng)
    spec, arrays = ppocr.convert(model.SerializeToString(), "tiny.onnx")
    assert not any(n["op"] == "Identity" for n in spec["nodes"])
    convs = [n for n in spec["nodes"] if n["op"] == "Conv"]
    assert len(convs[0]["inputs"]) == 3  # the bias went into the convolution
    assert spec["meta"]["classes"] == open_reader.CLASSES
    path = tmp_path / "tiny.npz"
    ppocr.write(spec, arrays, path)
    network = graph.Graph.load(path)
    x = rng.uniform(-1, 1, size=(1, 1, 12, 16)).astype(np.float32)
    got = network.run(x)[0][0]
    got = got / got.sum(axis=1, keepdims=True)
    # float16 storage of the weights: agreement to about 1e-2 on random weights
    np.testing.assert_allclose(got, _reference(x, *weights), atol=2e-2)
    assert (got.argmax(axis=1) == _reference(x, *weights).argmax(axis=1)).mean() >= 0.75
