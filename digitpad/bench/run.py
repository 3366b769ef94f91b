"""`digitpad bench` itself: the MNIST, process and start-up figures, every family in turn,
and the report, as text or JSON.

Accuracy figures use the full sets (10,000 MNIST test images, 7,494 pen digits);
timings are medians or percentiles over repeated runs on this machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digitpad.bench.figure import Figure, plain
from digitpad.core.io import mnist, paths, pendigits
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.keras_file import ModelError
from digitpad.core.records import evaluation


def bench_mnist(recognizer: Recognizer, data_dir: str | None) -> list[Figure]:
    start = time.perf_counter()
    measured = evaluation.evaluate(Recognizer.load(recognizer.path).predict, data_dir)
    seconds = time.perf_counter() - start
    accuracy, loss = measured.accuracy, measured.loss
    return [
        Figure("MNIST test accuracy (10,000)", accuracy, "", ">= 0.9950", accuracy >= 0.995),
        Figure("MNIST test loss", loss, "", "< 0.0271", loss < 0.0271),
        Figure("10,000 MNIST test images, incl. loading", seconds, "s", "<= 2.0", seconds <= 2.0),
    ]


def bench_predict_process(model: str | None, runs: int) -> list[Figure]:
    from PIL import Image, ImageDraw

    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "one.png"
        canvas = Image.new("L", (200, 200), 255)
        ImageDraw.Draw(canvas).line([(100, 30), (96, 170)], fill=0, width=14)
        canvas.save(image)
        command = [*paths.program_command(), "predict", str(image)]
        if model:
            command += ["--model", model]
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=60)
            times.append(time.perf_counter() - t)
    median = statistics.median(times)
    return [
        Figure(
            "`digitpad predict one.png`, whole process (median)",
            median,
            "s",
            "<= 1.0",
            median <= 1.0,
            f"{runs} runs",
        )
    ]


def bench_gui_startup(runs: int) -> list[Figure]:
    """`digitpad --smoke-test` starts the full app offscreen and reports its own timings,
    measured from process start."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    visible, first = [], []
    for _ in range(runs):
        out = subprocess.run(
            [*paths.program_command(), "--smoke-test"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            return [
                Figure(
                    "app start-up (smoke test)",
                    None,
                    "",
                    "",
                    None,
                    f"skipped: smoke test failed: {out.stderr.strip()[-200:]}",
                )
            ]
        timings = json.loads(out.stdout.strip().splitlines()[-1])
        visible.append(timings["window_visible_s"])
        first.append(timings["first_prediction_s"])
    v, f = statistics.median(visible), statistics.median(first)
    note = f"{runs} runs, {env['QT_QPA_PLATFORM']}"
    return [
        Figure("app window visible after launch (median)", v, "s", "<= 1.0", v <= 1.0, note),
        Figure("app first prediction after launch (median)", f, "s", "<= 1.5", f <= 1.5, note),
    ]


def run(args) -> int:
    try:
        recognizer = Recognizer.load(args.model)
    except ModelError as exc:
        print(f"digitpad: {exc}", file=sys.stderr)
        return 1
    repeats = 1 if args.quick else 3
    figures: list[Figure] = []
    try:
        figures += bench_mnist(recognizer, args.data_dir)
    except mnist.MnistError as exc:
        figures.append(Figure("MNIST test set", None, "", "", None, f"skipped: {exc}"))
    from digitpad.bench import handwriting as real

    pen_path = Path(args.pendigits) if args.pendigits else pendigits.default_path()
    if pen_path and pen_path.is_file():
        figures += real.bench_pen_dev(recognizer, pen_path, repeats)
    else:
        figures.append(
            Figure(
                "pen digits",
                None,
                "",
                "",
                None,
                f"skipped: set {pendigits.PENDIGITS_ENV} or --pendigits",
            )
        )
    ardis = real.ardis_folder(args.ardis)
    if ardis is not None and (ardis / "labels.tsv").is_file():
        figures += real.bench_ardis(recognizer, ardis, args.quick)
    else:
        figures.append(
            Figure("ARDIS dev", None, "", "", None, f"skipped: set {real.ARDIS_ENV} or --ardis")
        )
    figures += real.bench_non_digits(recognizer, args.quick)
    from digitpad.bench.numbers import run_number_benchmarks

    figures += run_number_benchmarks(recognizer, args.data_dir, pen_path, args.quick)
    from digitpad.bench.paper import run_paper_benchmarks

    try:
        test_images, test_labels = mnist.load("test", args.data_dir)
    except mnist.MnistError:
        test_images = test_labels = None
    figures += run_paper_benchmarks(
        recognizer,
        test_images,
        test_labels,
        getattr(args, "cheques", None),
        getattr(args, "photos", None),
        args.quick,
    )
    from digitpad.bench.hostile import bench_hostile_pages

    figures += bench_hostile_pages(recognizer)
    figures += bench_predict_process(args.model, 3 if args.quick else 9)
    figures += bench_gui_startup(3 if args.quick else 5)
    if args.json:
        print(
            json.dumps(
                {
                    "model": str(recognizer.path),
                    "cpus": os.cpu_count(),
                    "figures": [plain(f) for f in figures],
                }
            )
        )
        return 0
    print(f"model: {recognizer.path}   ({os.cpu_count()} CPUs)")
    for f in figures:
        if f.value is None:
            print(f"  {f.name:<52} {f.note}")
            continue
        value = f"{f.value:.4f}" if not f.unit else f"{f.value:.3f} {f.unit}"
        verdict = "" if f.ok is None else "met" if f.ok else "MISSED"
        print(
            f"  {f.name:<52} {value:>12}   target {f.target:<9} {verdict}"
            + (f"  ({f.note})" if f.note else "")
        )
    return 0
