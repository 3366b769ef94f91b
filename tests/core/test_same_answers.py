"""predict's JSON on a fixed set of made inputs stays what it was.

The inputs are made in code from a seed (MNIST scans alone, on cluttered pages and in
lines of 5 and 9 digits, pen-written numbers as drawings), read as `digitpad predict
--json` reads them, and compared with `data/same_answers.jsonl`. A change that is only
a move or a speed-up must leave every line as it was; a change meant to alter answers
rewrites the file (DIGITPAD_WRITE_ANSWERS=1) and the diff shows what changed.

Texts, digits, boxes, marks and rejections are compared exactly; confidences and
probabilities (printed to 6 decimals) within 2e-6, so that a last-bit difference in a
float32 sum on another CPU does not count as a change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXPECTED = Path(__file__).parent / "data" / "same_answers.jsonl"
SEED = 20261207
TOLERANCE = 2e-6


def _made_inputs(folder: Path, images: np.ndarray, labels: np.ndarray, pen_digits) -> list[Path]:
    from digitpad.core.made import clutter, synth

    paths = []

    def keep(name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        paths.append(path)

    for k, scan in enumerate(synth.mnist_scans(images, labels, 12, SEED)):
        keep(f"scan-{k:02d}{scan.suffix}", scan.data)
    for k, page in enumerate(clutter.cluttered_scans(images, labels, 8, SEED)):
        path = folder / f"clutter-{k:02d}.png"
        Image.fromarray(page.pixels).save(path)
        paths.append(path)
    for length in (5, 9):
        for k, code in enumerate(synth.zip_codes(images, labels, 5, SEED, length)):
            keep(f"line{length}-{k:02d}{code.scan.suffix}", code.scan.data)
    for k, number in enumerate(synth.pen_numbers(pen_digits, 5, SEED, 4)):
        path = folder / f"drawing-{k:02d}.json"
        number.drawing.save(path)
        paths.append(path)
    return paths


def _answers(folder: Path, paths: list[Path], recognizer) -> list[dict]:
    from digitpad.core.api import read_json_line

    out = []
    for path in paths:
        line = read_json_line(path, recognizer)
        line["path"] = os.path.relpath(line["path"], folder)
        out.append(line)
    return out


def _same(got, expected, where: str) -> None:
    if isinstance(expected, float) or isinstance(got, float):
        assert isinstance(got, (int, float)) and isinstance(expected, (int, float)), where
        assert abs(got - expected) <= TOLERANCE, f"{where}: {got} != {expected}"
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), where
        for key in expected:
            _same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got}"
        for k, (a, b) in enumerate(zip(got, expected)):
            _same(a, b, f"{where}[{k}]")
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"


@pytest.mark.slow
def test_predict_json_on_made_inputs_is_unchanged(tmp_path, mnist_test, pen, recognizer):
    images, labels = mnist_test
    paths = _made_inputs(tmp_path, images, labels, pen)
    answers = _answers(tmp_path, paths, recognizer)
    if os.environ.get("DIGITPAD_WRITE_ANSWERS") == "1":
        EXPECTED.parent.mkdir(exist_ok=True)
        EXPECTED.write_text("".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
    expected = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    assert [a["path"] for a in answers] == [e["path"] for e in expected]
    for got, want in zip(answers, expected):
        _same(got, want, want["path"])
    # Not a test of nothing: the made inputs are read, and mostly right.
    assert sum(bool(a.get("text")) for a in answers) >= len(answers) - 3
