"""Made pages that once took far too long: each must be read, start to finish, in under
MAX_S (the promise for any input under 10 MB on a 2-core machine)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitpad.bench.figure import Figure
from digitpad.core import api
from digitpad.core.models.ensemble import Recognizer

MAX_S = 5.0
SIDE = 1600


def tall_scribbles() -> Image.Image:
    """Eight page-high scribbles of a fine pen side by side: read as one line of
    digits about 1,500 px high whose strokes must be widened (51 s once)."""
    rng = np.random.default_rng(3)
    page = Image.new("L", (SIDE, SIDE), 255)
    draw = ImageDraw.Draw(page)
    for k in range(8):
        x = 100 + k * 190
        points = [
            (x + int(rng.integers(-70, 71)), 100 + j * 47 + int(rng.integers(-20, 21)))
            for j in range(30)
        ]
        draw.line(points, fill=0, width=2)
    return page


def dense_noise() -> Image.Image:
    """Salt and pepper over the whole page: tens of thousands of specks."""
    rng = np.random.default_rng(5)
    return Image.fromarray(np.where(rng.random((SIDE, SIDE)) < 0.08, 0, 255).astype(np.uint8))


def grid_of_marks() -> Image.Image:
    """A ruled grid with a short mark in every cell: hundreds of lines and parts."""
    page = Image.new("L", (SIDE, SIDE), 255)
    draw = ImageDraw.Draw(page)
    for v in range(0, SIDE, 40):
        draw.line([(v, 0), (v, SIDE)], fill=0, width=1)
        draw.line([(0, v), (SIDE, v)], fill=0, width=1)
    for y in range(10, SIDE, 40):
        for x in range(12, SIDE, 40):
            draw.line([(x, y), (x + 12, y + 18)], fill=0, width=3)
    return page


PAGES = {
    "tall scribbles": tall_scribbles,
    "dense noise": dense_noise,
    "grid of marks": grid_of_marks,
}


def bench_hostile_pages(recognizer: Recognizer) -> list[Figure]:
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, make in PAGES.items():
            path = Path(folder) / f"{name.replace(' ', '-')}.png"
            make().save(path)
            start = time.perf_counter()
            api.read_or_error(recognizer, str(path))
            times[name] = time.perf_counter() - start
    worst = max(times, key=times.__getitem__)
    note = ", ".join(f"{n} {t:.2f} s" for n, t in times.items())
    return [
        Figure(
            f"slowest made hostile page ({worst})",
            times[worst],
            "s",
            f"<= {MAX_S:.0f}",
            times[worst] <= MAX_S,
            note,
        )
    ]
