"""`digitpad bench`, real handwriting: new writers' pen digits, European digits on paper,
how honest the confidence is, and how often "not a digit" is said to what is not one.

The development sets are never trained on: pen writers 26-30, ARDIS (evaluation only,
by its licence) and drawn non-digits made from a seed that training does not use.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from digitpad.bench.figure import Figure
from digitpad.core.api import recognize_path
from digitpad.core.io import paths, pendigits
from digitpad.core.made import nondigits, synth
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.page.field import drawing_to_field
from digitpad.core.reading import recognize_drawing
from digitpad.core.records import metrics
from digitpad.core.result import LOW_CONFIDENCE, Result

ARDIS_ENV = "DIGITPAD_ARDIS"
NON_DIGIT_SEED = 777  # training draws its non-digits from seeds 10,000 and up
NON_DIGIT_COUNT = 2150  # 50 of each family


def halves_note(rows: list[tuple[Path, str]], right: list[bool]) -> str:
    """The share read right in each half of a development set (by a hash of the file
    name): one half to decide on, the other to confirm."""
    halves: dict[str, list[bool]] = {"A": [], "B": []}
    for ok, (path, _) in zip(right, rows):
        halves[half_of(path.name)].append(ok)
    return " ".join(f"{k} {np.mean(v):.3f} ({len(v)})" for k, v in halves.items() if v)


def half_of(name: str) -> str:
    """The half of a development set a file belongs to, by a hash of its name."""
    return "A" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "B"


def read_labelled_folder(folder: Path) -> list[tuple[Path, str]]:
    """(file, digits) for each line ``FILE<TAB>DIGITS`` of the folder's labels.tsv."""
    rows = []
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            name, text = line.split("\t", 1)
            rows.append((folder / name, text.strip()))
    return rows


def data_folder(explicit: str | None, env: str, name: str) -> Path | None:
    """An evaluation set's folder: given, from the variable ``env``, or shared/data/name
    beside a development checkout; None when none is found."""
    if explicit:
        return Path(explicit)
    value = os.environ.get(env)
    return Path(value) if value else paths.beside_checkout(name)


def ardis_folder(explicit: str | None) -> Path | None:
    return data_folder(explicit, ARDIS_ENV, "ardis-train")


def _answer(result) -> tuple[int, float]:
    """(digit or -1, confidence) of a one-digit reading; -1 when nothing was read as a
    digit (no ink, or "not a digit")."""
    if not result.digits:
        return -1, 0.0
    d = result.digits[0]
    return d.digit, d.confidence


def confidence_figures(
    predicted: np.ndarray, confidence: np.ndarray, labels: np.ndarray, name: str
) -> list[Figure]:
    """How honest the confidence is. A real digit answered "not a digit" counts as a
    wrong answer that was flagged."""
    right = predicted == labels
    flagged = confidence < LOW_CONFIDENCE  # every rejection has confidence 0
    wrong_flagged = float(flagged[~right].mean()) if (~right).any() else 1.0
    right_flagged = float(flagged[right].mean()) if right.any() else 0.0
    answered = predicted >= 0
    ece = metrics.expected_calibration_error(confidence[answered], right[answered])
    return [
        Figure(
            f"wrong answers marked not sure ({name})",
            wrong_flagged,
            "",
            ">= 0.70",
            wrong_flagged >= 0.70,
            f"{int((~right).sum())} wrong",
        ),
        Figure(
            f"right answers marked not sure ({name})",
            right_flagged,
            "",
            "<= 0.03",
            right_flagged <= 0.03,
        ),
        Figure(f"expected calibration error ({name}, 10 bins)", ece, "", "<= 0.02", ece <= 0.02),
    ]


def bench_pen_dev(recognizer: Recognizer, path: Path, repeats: int) -> list[Figure]:
    digits = pendigits.split(pendigits.read(path), pendigits.DEV_WRITERS)
    labels = pendigits.labels(digits)
    answers = [_answer(recognize_drawing(recognizer, d.drawing, max_digits=1)) for d in digits]
    predicted = np.array([a[0] for a in answers])
    confidence = np.array([a[1] for a in answers])
    accuracy = float((predicted == labels).mean())
    rejected = float((predicted < 0).mean())
    # Warm latency of one drawing -> probabilities, as the canvas asks after each stroke.
    times = []
    sample = digits[:: max(1, len(digits) // 400)]
    for _ in range(repeats):
        for d in sample:
            t = time.perf_counter()
            recognize_drawing(recognizer, d.drawing)
            times.append((time.perf_counter() - t) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    return [
        Figure(
            f"pen digits, writers 26-30 ({len(digits):,}, drawing path)",
            accuracy,
            "",
            ">= 0.985",
            accuracy >= 0.985,
            f"{rejected:.2%} said not a digit",
        ),
        *confidence_figures(predicted, confidence, labels, "pen writers 26-30"),
        Figure("drawing -> probabilities p50 (warm)", float(p50), "ms", "<= 3", p50 <= 3),
        Figure("drawing -> probabilities p95 (warm)", float(p95), "ms", "<= 6", p95 <= 6),
    ]


def bench_ardis(recognizer: Recognizer, folder: Path, quick: bool = False) -> list[Figure]:
    rows = read_labelled_folder(folder)[:: 4 if quick else 1]
    right = [
        recognize_path(recognizer, str(file), max_digits=1).text == text for file, text in rows
    ]
    accuracy = sum(right) / max(len(rows), 1)
    return [
        Figure(
            f"ARDIS dev ({len(rows):,}, image path, one digit)",
            accuracy,
            "",
            ">= 0.985",
            accuracy >= 0.985,
            halves_note(rows, right),
        )
    ]


def bench_non_digits(recognizer: Recognizer, quick: bool = False) -> list[Figure]:
    items = nondigits.non_digits(NON_DIGIT_COUNT // (4 if quick else 1), NON_DIGIT_SEED)
    held = np.array([i.family in nondigits.HELD_OUT for i in items])
    alone = np.array(
        [not recognize_drawing(recognizer, i.drawing, max_digits=1).digits for i in items]
    )
    free = np.array([not recognize_drawing(recognizer, i.drawing).digits for i in items])
    fields = [drawing_to_field(i.drawing) for i in items[::5]]
    scans = synth.drawing_scans([f for f in fields if f is not None], seed=NON_DIGIT_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        # Read from the file, paper and all, as a user's scan is (the open recogniser's
        # second opinion reads the paper).
        scanned = np.array([not _read_file(recognizer, s, tmp).digits for s in scans])
    rate = float(alone.mean())
    return [
        Figure(
            f"non-digit drawings said not a digit ({len(items):,})",
            rate,
            "",
            ">= 0.90",
            rate >= 0.90,
            f"{len(nondigits.FAMILIES)} families; the {len(nondigits.HELD_OUT)} never "
            f"trained on: {alone[held].mean():.3f}",
        ),
        Figure(
            "non-digit drawings, split as the canvas does",
            float(free.mean()),
            "",
            "(none)",
            None,
            "no part read as a digit",
        ),
        Figure(
            f"non-digits scanned on paper ({len(scans):,}, image path)",
            float(scanned.mean()),
            "",
            "(none)",
            None,
        ),
    ]


def _read_file(recognizer: Recognizer, scan: synth.Scan, tmp: str) -> Result:
    path = os.path.join(tmp, "scan" + scan.suffix)
    Path(path).write_bytes(scan.data)
    return recognize_path(recognizer, path, max_digits=1)
