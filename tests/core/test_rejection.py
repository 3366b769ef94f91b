""" "Not a digit": what is not a digit is turned away, odd real digits are still read."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.io.drawing import Drawing
from digitpad.core.made import nondigits
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.reading import recognize_drawing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundled():
    recognizer = Recognizer.load()
    if recognizer.check is None:
        pytest.skip("the bundled model has no non-digit check")
    return recognizer


def _circle(cx, cy, r, n=40):
    return [
        [cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n)]
        for k in range(n + 1)
    ]


def test_drawn_non_digits_are_turned_away(bundled):
    items = nondigits.non_digits(300, seed=4242)  # a seed neither training nor bench uses
    rejected = [not recognize_drawing(bundled, i.drawing, max_digits=1).digits for i in items]
    assert np.mean(rejected) >= 0.85
    held = [r for r, i in zip(rejected, items) if i.family in nondigits.HELD_OUT]
    assert np.mean(held) >= 0.6  # shapes it never saw in training


@pytest.mark.parametrize(
    "strokes, digit",
    [
        ([[[140, 30], [138, 250]]], 1),  # a 1 as one straight stroke
        ([[[142, 40], [139, 240]]], 1),
        ([_circle(140, 140, 40)], 0),  # a 0 as a small circle
        ([_circle(140, 140, 90)], 0),
    ],
)
def test_odd_real_digits_are_still_read(bundled, strokes, digit):
    result = recognize_drawing(bundled, Drawing.from_points(strokes))
    assert result.text == str(digit) and not result.rejected


def test_real_pen_digits_are_rarely_turned_away(bundled, pen):
    from digitpad.core.io import pendigits

    dev = pendigits.split(pen, pendigits.DEV_WRITERS)[::4]
    turned_away = [not recognize_drawing(bundled, d.drawing, max_digits=1).digits for d in dev]
    assert np.mean(turned_away) <= 0.02


def test_the_json_line_lists_a_rejected_part_without_probabilities(bundled, tmp_path):
    star = nondigits.draw("star", np.random.default_rng(5)).drawing
    two_parts = Drawing.from_points(
        [[[40, 40], [38, 240]]]  # a 1 on the left
        + [[[x + 300, y] for x, y, _ in s.tolist()] for s in star.strokes],
        width=900,
        height=300,
    )
    path = tmp_path / "one-and-star.json"
    two_parts.save(path)
    out = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    record = json.loads(out.stdout)
    assert record["text"] == "1" and len(record["digits"]) == 1
    assert record["digits"][0]["sure"] is True
    assert len(record["rejected"]) == 1
    rejected = record["rejected"][0]
    assert rejected["reason"] == "not a digit" and set(rejected) == {"box", "reason"}
    assert rejected["box"][0] >= 300  # the star's box, in canvas pixels
