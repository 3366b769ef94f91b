"""A damaged line-model file fails in one line: budgets on what loading unpacks and on
what running may make and do, and non-finite answers turned into an error line."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from digitpad import commands
from digitpad.core import api
from digitpad.core.models import graph, open_reader, sequence
from digitpad.core.models.ensemble import Recognizer


def _saved(tmp_path, spec, arrays, name="g.npz"):
    buffer = io.BytesIO()
    np.savez(buffer, **{graph.GRAPH_KEY: np.array(json.dumps(spec))}, **arrays)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def _reader_spec(before=()):
    """A tiny working digit line reader: the mean of each 8 columns -> 11 classes.
    ``before``: nodes that take "x" to "x0" first (the reader reads "x0")."""
    nodes = list(before) or [{"op": "Relu", "inputs": ["x"], "outputs": ["x0"]}]
    nodes += [
        {
            "op": "AveragePool",
            "inputs": ["x0"],
            "outputs": ["p"],
            "attrs": {"kernel_shape": [48, 8], "strides": [48, 8]},
        },
        {"op": "Reshape", "inputs": ["p", "shape"], "outputs": ["r"]},
        {"op": "MatMul", "inputs": ["r", "w"], "outputs": ["m"]},
        {"op": "Softmax", "inputs": ["m"], "outputs": ["y"], "attrs": {"axis": 2}},
    ]
    arrays = {
        "shape": np.array([1, -1, 1], np.int64),
        "w": np.linspace(-1, 1, 11, dtype=np.float32)[None, :],
        "zero": np.zeros(1, np.float32),
    }
    spec = {
        "nodes": nodes,
        "inputs": ["x"],
        "outputs": ["y"],
        "meta": {"classes": open_reader.CLASSES},
    }
    return spec, arrays


def test_the_tiny_reader_is_a_reader(tmp_path):
    """The yardstick for the tests below: without damage it loads and reads."""
    reader = open_reader.OpenReader.load(_saved(tmp_path, *_reader_spec()))
    x = np.full((1, 1, open_reader.HEIGHT, 400), 0.5, np.float32)
    assert reader.step_probabilities(x).shape == (50, len(open_reader.CLASSES))


def _conv(k):
    return {
        "op": "Conv",
        "inputs": [f"c{k}", "kernel"],
        "outputs": [f"c{k + 1}"],
        "attrs": {"pads": [1, 1, 1, 1]},
    }


def test_a_graph_of_thousands_of_heavy_convolutions_is_refused(tmp_path):
    heavy = [{"op": "Conv", "inputs": ["x", "widen"], "outputs": ["c0"]}]
    heavy += [_conv(k) for k in range(4990)]
    heavy += [{"op": "ReduceMean", "inputs": ["c4990"], "outputs": ["x0"], "attrs": {"axes": [1]}}]
    spec, arrays = _reader_spec(heavy)
    arrays["widen"] = np.ones((64, 1, 1, 1), np.float32)
    arrays["kernel"] = np.full((64, 64, 3, 3), 1e-3, np.float32)
    with pytest.raises(open_reader.OpenReaderError, match="more work") as info:
        open_reader.OpenReader.load(_saved(tmp_path, spec, arrays))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "attrs",
    [
        {"kernel_shape": [10**12, 1]},  # a Python loop of 10^12 taps
        {"kernel_shape": [1, 1], "pads": [10**8, 10**8, 10**8, 10**8]},  # 23.6 GB of padding
        {"kernel_shape": [1, 1], "strides": [0, 1]},
    ],
    ids=["kernel", "pads", "strides"],
)
def test_attributes_out_of_range_are_refused_when_loading(tmp_path, attrs):
    spec, arrays = _reader_spec(
        [{"op": "MaxPool", "inputs": ["x"], "outputs": ["x0"], "attrs": attrs}]
    )
    with pytest.raises(graph.GraphError, match="not accepted"):
        graph.Graph.load(_saved(tmp_path, spec, arrays))


def test_a_broadcast_that_would_fill_memory_is_refused_before_it_runs(tmp_path):
    # (N, 1) + (1, N) makes N^2 values: 2.4 GB from a file of a few hundred bytes.
    nodes = [
        {"op": "Reshape", "inputs": ["x", "column"], "outputs": ["a"]},
        {"op": "Reshape", "inputs": ["x", "row"], "outputs": ["b"]},
        {"op": "Add", "inputs": ["a", "b"], "outputs": ["y"]},
    ]
    arrays = {"column": np.array([-1, 1], np.int64), "row": np.array([1, -1], np.int64)}
    g = graph.Graph.load(
        _saved(tmp_path, {"nodes": nodes, "inputs": ["x"], "outputs": ["y"]}, arrays)
    )
    with pytest.raises(graph.GraphError, match="would make"):
        g.run(np.zeros((1, 1, 48, 500), np.float32))


def test_a_member_that_unpacks_beyond_the_budget_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("zeros.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f4", "fortran_order": False, "shape": (20 * 1024 * 1024,)}
            )
            block = bytes(1024 * 1024)
            for _ in range(80):
                member.write(block)
    assert path.stat().st_size < 1024 * 1024  # small on disk
    with pytest.raises(graph.GraphError, match="unpacks to more than"):
        graph.Graph.load(path)


def test_an_array_header_declaring_more_than_it_holds_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.npy", header.getvalue() + struct.pack("<f", 1.0))
    with pytest.raises(graph.GraphError, match="declares more data") as info:
        graph.Graph.load(path)
    with pytest.raises(sequence.SequenceModelError, match="declares more data"):
        sequence.SequenceModel.load(path)
    assert "\n" not in str(info.value)


def test_a_deeply_nested_description_is_refused(tmp_path):
    path = tmp_path / "deep.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **{graph.GRAPH_KEY: np.array("[" * 200_000 + "]" * 200_000)})
    path.write_bytes(buffer.getvalue())
    with pytest.raises(graph.GraphError, match="not plain JSON"):
        graph.Graph.load(path)


def _nan_on_ink(tmp_path):
    """A reader that is finite on the blank probe but gives NaN on any ink:
    sqrt(0 - x * x)."""
    spec, arrays = _reader_spec(
        [
            {"op": "Mul", "inputs": ["x", "x"], "outputs": ["sq"]},
            {"op": "Sub", "inputs": ["zero", "sq"], "outputs": ["neg"]},
            {"op": "Sqrt", "inputs": ["neg"], "outputs": ["x0"]},
        ]
    )
    return open_reader.OpenReader.load(_saved(tmp_path, spec, arrays))


def test_a_reader_giving_nan_on_real_ink_is_one_error_line(tmp_path, mnist_test):
    images, _ = mnist_test
    line = np.full((60, 200), 255, np.uint8)
    for k in range(4):
        line[16:44, 10 + 45 * k : 38 + 45 * k] = 255 - images[k]
    path = tmp_path / "line.png"
    Image.fromarray(line).save(path)
    damaged = Recognizer.load()
    damaged.lines = _nan_on_ink(tmp_path)  # in place of the bundled reader
    answer = api.read_or_error(damaged, str(path))
    assert isinstance(answer, str) and "NaN" in answer and "\n" not in answer
    text, failed = commands._answer(damaged, str(path), None, None, None, True)
    assert failed and json.loads(text)["error"] == answer
