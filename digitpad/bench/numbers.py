"""Whole numbers: scanned digits, scanned zip codes and pen-written numbers.

The sets are built in code from the MNIST test images and the pen-digits file
(digitpad.core.made.synth), with fixed seeds, and go through the same paths as a user's
input: scans are encoded to files and read back by the image loader, numbers are
recognised with recognize_image / recognize_drawing as `digitpad predict` does.

A number is only as good as its digits: each number's target is 0.99 x (the
accuracy of the same digits, each scanned or drawn alone and read through the same
path) ^ 5, so what it measures is what splitting a number into digits costs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from digitpad.bench.figure import Figure
from digitpad.core.io import mnist, pendigits
from digitpad.core.made import synth
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.reading import recognize_drawing, recognize_image

SINGLE_TARGET = 0.99
NUMBER_SHARE = 0.99  # a number's target: this x (its digits' accuracy) ^ length
LENGTH = 5
SEEDS = {"zip codes": 10, "pen numbers": 2}  # none of them used in fitting or tuning


def run_number_benchmarks(
    recognizer: Recognizer,
    mnist_dir: str | Path | None,
    pendigits_path: str | Path | None,
    quick: bool,
) -> list[Figure]:
    """Scanned digits, scanned zip codes and pen numbers, each next to its target."""
    numbers = 100 if quick else 400
    figures: list[Figure] = []
    try:
        images, labels = mnist.load("test", mnist_dir)
    except mnist.MnistError as exc:
        figures.append(
            Figure("scanned digits and zip codes", None, "", "", None, f"skipped: {exc}")
        )
    else:
        figures += bench_zip_codes(recognizer, images, labels, numbers)
    path = Path(pendigits_path) if pendigits_path else pendigits.default_path()
    if path is not None and path.is_file():
        dev = pendigits.split(pendigits.read(path), pendigits.DEV_WRITERS)  # never trained on
        figures.append(bench_pen_numbers(recognizer, dev, numbers))
    else:
        figures.append(
            Figure(
                "pen numbers",
                None,
                "",
                "",
                None,
                f"skipped: set {pendigits.PENDIGITS_ENV} or --pendigits",
            )
        )
    return figures


def bench_zip_codes(
    recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int
) -> list[Figure]:
    """Zip codes, and their digits scanned one by one: the single-digit figure too."""
    start = time.perf_counter()
    codes = synth.zip_codes(images, labels, count, SEEDS["zip codes"], LENGTH)
    with tempfile.TemporaryDirectory() as tmp:
        exact = [_read_scan(recognizer, z.scan, tmp) == z.scan.text for z in codes]
        alone = [_read_scan(recognizer, d, tmp) == d.text for z in codes for d in z.digits]
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(alone))
    touching = [ok for ok, z in zip(exact, codes) if z.touching]
    return [
        Figure(
            f"scanned MNIST test digits ({len(alone):,}, image path)",
            accuracy,
            "",
            f">= {SINGLE_TARGET}",
            accuracy >= SINGLE_TARGET,
            "each alone on its own scan",
        ),
        _number_figure(
            f"{LENGTH}-digit zip codes, scanned ({len(codes):,}), exact",
            exact,
            alone,
            f"with a touching pair: {sum(touching)}/{len(touching)} read; {seconds:.0f} s for both",
        ),
    ]


def bench_pen_numbers(recognizer: Recognizer, digits: list, count: int) -> Figure:
    start = time.perf_counter()
    numbers = synth.pen_numbers(digits, count, SEEDS["pen numbers"], LENGTH)
    exact = [recognize_drawing(recognizer, n.drawing).text == n.text for n in numbers]
    alone = [
        recognize_drawing(recognizer, d).text == c
        for n in numbers
        for d, c in zip(n.digits, n.text)
    ]
    return _number_figure(
        f"{LENGTH}-digit pen numbers, writers 26-30 ({len(numbers):,}), exact",
        exact,
        alone,
        f"{time.perf_counter() - start:.0f} s",
    )


def _read_scan(recognizer: Recognizer, scan: synth.Scan, tmp: str) -> str:
    return recognize_image(recognizer, synth.load_scan(scan, tmp)).text


def _number_figure(name: str, exact: list[bool], alone: list[bool], note: str) -> Figure:
    accuracy = float(np.mean(exact))
    digits = float(np.mean(alone))
    target = NUMBER_SHARE * digits**LENGTH
    return Figure(
        name,
        accuracy,
        "",
        f">= {target:.4f}",
        accuracy >= target,
        f"the same digits alone: {digits:.4f}, ^{LENGTH} = {digits**LENGTH:.4f}; " + note,
    )
