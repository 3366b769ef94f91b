"""Real paper and batch speed: cheque amounts, photos and scans of other people's
digits, synthetic page clutter, and how fast a folder or a phone photo is read.

The real sets are evaluation only (their licences keep them out of any model): they
are read from folders with a labels.tsv (FILE<TAB>DIGITS) the way a user's files are,
through recognize_path. Their folders come from --cheques / --photos, the variables
below, or shared/data beside a development checkout; a missing one is skipped.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from digitpad.bench import peer
from digitpad.bench.figure import Figure
from digitpad.bench.handwriting import data_folder, halves_note, read_labelled_folder
from digitpad.core.api import read, recognize_path
from digitpad.core.made import cells, clutter, synth
from digitpad.core.models.ensemble import Recognizer

CHEQUES_ENV = "DIGITPAD_CHEQUES"
PHOTOS_ENV = "DIGITPAD_PHOTOS"
# (folder, one digit per file, target) for photos-dev; photos counted with and without
# their 28x28 crops.
PHOTO_SETS = (
    ("photos", True, 0.99),
    ("numbers", False, 0.92),
    ("drawn", True, 0.99),
    ("scans", True, 0.985),
)
# photos-dev2 (folder, one digit per file, target): the targets for other writers.
PHOTO2_ENV = "DIGITPAD_PHOTOS2"
PHOTO2_SETS = (("singles", True, 0.97), ("numbers", False, 0.95), ("table-cells", False, 0.98))
CHEQUES_TARGET = 0.94
PEER_RATIO_TARGET = 1.0  # no slower than the open recogniser run on its own
MARK_CELLS_TARGET = 0.98
MARK_CELLS_SEED = 53  # never used in tuning
CLUTTER_TARGET = 0.98
CLUTTER_SEED = 31  # never used in tuning
CELL_SEED = 47  # never used in tuning
SMALL_TARGET_MS = 3.0
PHOTO_TARGET_S = 0.5


def _read_all(recognizer: Recognizer, rows: list[tuple[Path, str]], single: bool) -> list[bool]:
    out = []
    for path, digits in rows:
        try:
            text = recognize_path(recognizer, str(path), 1 if single else None).text
        except Exception:  # an unreadable file counts as wrong
            text = None
        out.append(text == digits)
    return out


def bench_cheques(recognizer: Recognizer, directory: Path, quick: bool) -> list[Figure]:
    """Cheque amounts read right, and the time each takes against the open recogniser
    run on its own (bench/peer.py) on the same files, in this run."""
    rows = read_labelled_folder(directory)[:: 4 if quick else 1]
    start = time.perf_counter()
    exact = _read_all(recognizer, rows, single=False)
    ours = (time.perf_counter() - start) / max(len(rows), 1)
    value = float(np.mean(exact))
    figures = [
        Figure(
            f"cheque amounts ({len(rows):,}), exact digit string",
            value,
            "",
            f">= {CHEQUES_TARGET}",
            value >= CHEQUES_TARGET,
            f"{halves_note(rows, exact)}; marks left out; {ours * len(rows):.0f} s",
        )
    ]
    name = "cheque amount's time / PP-OCRv6 small rec's (onnxruntime), one thread each"
    try:
        session = peer.load_session()
    except peer.PeerMissing as exc:
        return figures + [Figure(name, None, "", "", None, f"skipped: {exc}")]
    theirs = peer.seconds_per_image(session, [path for path, _ in rows])
    ratio = ours / theirs
    return figures + [
        Figure(
            name,
            ratio,
            "x",
            f"<= {PEER_RATIO_TARGET}",
            ratio <= PEER_RATIO_TARGET,
            f"ours {ours * 1000:.0f} ms, theirs {theirs * 1000:.0f} ms, decoding included",
        )
    ]


def _read_sets(recognizer: Recognizer, directory: Path, sets: tuple) -> Iterator[tuple]:
    """(name, single, target, rows, right) for each of ``sets`` that ``directory`` holds:
    its labelled files and whether each was read right."""
    for name, single, target in sets:
        if (directory / name / "labels.tsv").is_file():
            rows = read_labelled_folder(directory / name)
            yield name, single, target, rows, _read_all(recognizer, rows, single)


def _set_figure(title: str, single: bool, right: list[bool], target: float, note: str) -> Figure:
    value = float(np.mean(right))
    kind = "one digit" if single else "exact"
    name = f"{title} ({len(right)}), {kind}"
    return Figure(name, value, "", f">= {target}", value >= target, note)


def bench_photos(recognizer: Recognizer, directory: Path) -> list[Figure]:
    """photos-dev, each set with its two halves (see halves_note)."""
    figures = []
    for name, single, target, rows, right in _read_sets(recognizer, directory, PHOTO_SETS):
        note = halves_note(rows, right)
        if name == "photos":
            large = [ok for ok, (path, _) in zip(right, rows) if _larger_than(path, 28)]
            note += f"; larger than 28x28: {sum(large)}/{len(large)}"
        figures.append(_set_figure(f"photos-dev/{name}", single, right, target, note))
    return figures


def bench_photos2(recognizer: Recognizer, directory: Path) -> list[Figure]:
    """photos-dev2, each set with its two halves (see halves_note)."""
    return [
        _set_figure(f"photos-dev2/{name}", single, right, target, halves_note(rows, right))
        for name, single, target, rows, right in _read_sets(recognizer, directory, PHOTO2_SETS)
    ]


def bench_mark_cells(recognizer: Recognizer, images_: np.ndarray, labels: np.ndarray) -> Figure:
    """Marks of one or two MNIST test digits in low-resolution printed table cells,
    their four rulings in the crop (digitpad.core.made.cells)."""
    scans = cells.mark_cells(images_, labels, 200, MARK_CELLS_SEED)
    right = []
    for scan in scans:
        pixels = np.asarray(Image.open(io.BytesIO(scan.data)))
        right.append(read(pixels, recognizer).text == scan.text)
    value = float(np.mean(right))
    return Figure(
        f"made marks in table cells ({len(scans)}), exact",
        value,
        "",
        f">= {MARK_CELLS_TARGET}",
        value >= MARK_CELLS_TARGET,
    )


def _larger_than(path: Path, side: int) -> bool:
    try:
        with Image.open(path) as image:
            return max(image.size) > side
    except Exception:
        return True


def bench_clutter(
    recognizer: Recognizer, images_: np.ndarray, labels: np.ndarray, quick: bool
) -> Figure:
    """Single MNIST test digits scanned with page clutter of every kind synth makes."""
    count = 200 if quick else 1000
    scans = clutter.cluttered_scans(images_, labels, count, CLUTTER_SEED)
    right, kinds = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for scan in scans:
            ok = recognize_path(recognizer, _saved(scan, tmp), 1).text == scan.text
            right.append(ok)
            kinds.setdefault(scan.clutter, []).append(ok)
    value = float(np.mean(right))
    worst = min(kinds.items(), key=lambda item: np.mean(item[1]))
    return Figure(
        f"synthetic cluttered scans ({count:,}), one digit",
        value,
        "",
        f">= {CLUTTER_TARGET}",
        value >= CLUTTER_TARGET,
        f"{len(kinds)} kinds; hardest: {worst[0]} {np.mean(worst[1]):.3f}",
    )


def _saved(scan, tmp: str) -> str:
    path = os.path.join(tmp, "scan.png")
    Image.fromarray(scan.pixels).save(path)
    return path


def bench_batch_speed(
    recognizer: Recognizer, images_: np.ndarray, labels: np.ndarray, quick: bool
) -> list[Figure]:
    """ms per small image read from files one after another in one process (28x28 PNGs,
    and zip-code cells: 158x158 grey JPEGs), and the time to read a 4000 x 3000 phone
    photo of a number (decode included)."""
    count = 300 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for k in range(count):
            path = os.path.join(tmp, f"{k:05d}.png")
            Image.fromarray(255 - images_[k]).save(path)  # dark ink on white, as scanned
            files.append(path)
        per_image = _ms_per_file(recognizer, files)
        cells = []
        for k, scan in enumerate(synth.cell_scans(images_, labels, count, CELL_SEED)):
            path = os.path.join(tmp, f"cell-{k:05d}{scan.suffix}")
            Path(path).write_bytes(scan.data)
            cells.append((path, scan.text))
        start = time.perf_counter()
        right = [recognize_path(recognizer, path, 1).text == text for path, text in cells]
        per_cell = (time.perf_counter() - start) / len(cells) * 1000
        photo = os.path.join(tmp, "photo.jpg")
        _phone_photo(images_).save(photo, quality=90)
        times = []
        for _ in range(1 if quick else 3):
            start = time.perf_counter()
            recognize_path(recognizer, photo)
            times.append(time.perf_counter() - start)
    cpus = os.cpu_count() or 1
    return [
        Figure(
            f"small image in a batch (28x28 PNG, {count:,}, one process)",
            per_image,
            "ms",
            f"<= {SMALL_TARGET_MS}",
            per_image <= SMALL_TARGET_MS,
            f"predict --jobs {cpus} spreads a folder over {cpus} processes",
        ),
        Figure(
            f"zip-code cell in a batch (158x158 grey JPEG, {count:,}, one process)",
            per_cell,
            "ms",
            f"<= {SMALL_TARGET_MS}",
            per_cell <= SMALL_TARGET_MS,
            f"one digit each, read right: {np.mean(right):.3f}",
        ),
        Figure(
            "4000x3000 phone photo of a number",
            min(times),
            "s",
            f"<= {PHOTO_TARGET_S}",
            min(times) <= PHOTO_TARGET_S,
            "JPEG decode to digits",
        ),
    ]


def _ms_per_file(recognizer: Recognizer, files: list[str]) -> float:
    start = time.perf_counter()
    for path in files:
        recognize_path(recognizer, path)
    return (time.perf_counter() - start) / len(files) * 1000


def _phone_photo(images_: np.ndarray) -> Image.Image:
    """Five MNIST digits written large on a 4000 x 3000 page with a soft shadow."""
    page = np.full((3000, 4000), 205.0, np.float32)
    page *= np.linspace(1.0, 0.7, 3000, dtype=np.float32)[:, None]  # light falls off
    for k in range(5):
        digit = (
            np.asarray(Image.fromarray(images_[k]).resize((500, 500), Image.BILINEAR), np.float32)
            / 255.0
        )
        y, x = 1200, 700 + k * 560
        page[y : y + 500, x : x + 500] *= 1.0 - 0.8 * digit
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))


def run_paper_benchmarks(
    recognizer: Recognizer,
    images_: np.ndarray | None,
    labels: np.ndarray | None,
    cheques: str | None,
    photos: str | None,
    quick: bool,
) -> list[Figure]:
    figures: list[Figure] = []
    place = data_folder(cheques, CHEQUES_ENV, "cheques-train")
    if place is not None and (place / "labels.tsv").is_file():
        figures += bench_cheques(recognizer, place, quick)
    else:
        figures.append(
            Figure("cheque amounts", None, "", "", None, f"skipped: set {CHEQUES_ENV} or --cheques")
        )
    place = data_folder(photos, PHOTOS_ENV, "photos-dev")
    if place is not None and place.is_dir():
        figures += bench_photos(recognizer, place)
    else:
        figures.append(
            Figure("photos-dev", None, "", "", None, f"skipped: set {PHOTOS_ENV} or --photos")
        )
    place = data_folder(None, PHOTO2_ENV, "photos-dev2")
    if place is not None and place.is_dir():
        figures += bench_photos2(recognizer, place)
    else:
        figures.append(Figure("photos-dev2", None, "", "", None, f"skipped: set {PHOTO2_ENV}"))
    if images_ is not None and labels is not None:
        figures.append(bench_mark_cells(recognizer, images_, labels))
        figures.append(bench_clutter(recognizer, images_, labels, quick))
        figures += bench_batch_speed(recognizer, images_, labels, quick)
    return figures
