"""`digitpad predict` as a user runs it: a subprocess, real files, its output and exit code.

The bundled model will be replaced by better ones, so nothing here depends on which
digit it reads: only on the shape of the answers and on how inputs are handled.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60
# A "7" drawn in a 64 x 48 canvas (not square, so swapped axes would show).
SIZE = (64, 48)
SEVEN = [(18, 8), (44, 8), (30, 40)]
STROKE = 6


# --- Running the command ------------------------------------------------------------


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "digitpad", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def run_json(*args: str | Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    proc = run_cli("predict", "--json", *args)
    lines = proc.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) for r in records), proc.stdout
    return proc, records


def check_result(record: dict, size: tuple[float, float] | None) -> None:
    """A success record: text matches digits, probabilities sane, boxes inside ``size``.

    ``size`` None: only checks that each box is four ordered whole numbers.
    """
    assert "error" not in record, record
    assert isinstance(record["text"], str)
    digits = record["digits"]
    assert isinstance(digits, list)
    assert record["text"] == "".join(str(d["digit"]) for d in digits)
    assert isinstance(record["rejected"], list)
    for r in record["rejected"]:
        assert r["reason"] == "not a digit" and len(r["box"]) == 4, r
        assert set(r) == {"box", "reason"}  # no probabilities shown as if it were a digit
    for d in digits:
        assert set(d) >= {"digit", "confidence", "sure", "probabilities", "box"}
        assert d["sure"] is (d["confidence"] >= 0.7)
        assert isinstance(d["digit"], int) and 0 <= d["digit"] <= 9
        probs = d["probabilities"]
        assert len(probs) == 10
        assert all(isinstance(p, float | int) and 0.0 <= p <= 1.0 for p in probs)
        assert sum(probs) == pytest.approx(1.0, abs=1e-3)
        assert d["confidence"] == pytest.approx(max(probs), abs=1e-6)
        assert probs[d["digit"]] == pytest.approx(max(probs), abs=1e-6)
        x0, y0, x1, y1 = d["box"]
        assert all(isinstance(v, int) for v in d["box"]), d["box"]
        assert x0 <= x1 and y0 <= y1, d["box"]
        if size is not None:
            width, height = size
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (d["box"], size)


def check_error(record: dict, path: str | Path) -> None:
    assert record["path"] == str(path)
    assert set(record) == {"path", "error"}, record
    message = record["error"]
    assert isinstance(message, str) and message.strip()
    assert "\n" not in message and "\r" not in message
    assert "Traceback" not in message


# --- Making inputs --------------------------------------------------------------------


def seven_image(ink: int = 255, paper: int = 0, size=SIZE, points=SEVEN, width=STROKE):
    image = Image.new("L", size, paper)
    ImageDraw.Draw(image).line(points, fill=ink, width=width)
    return image


def ink_bounds(image: Image.Image, paper: int) -> tuple[int, int, int, int]:
    """End-exclusive (x0, y0, x1, y1) of the pixels that are not paper."""
    pixels = np.asarray(image.convert("L"), dtype=np.int32)
    ys, xs = np.nonzero(np.abs(pixels - paper) > 0)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def drawing(strokes, width=280, height=280, **extra) -> dict:
    return {
        "format": "digitpad-drawing",
        "version": 1,
        "width": width,
        "height": height,
        "strokes": strokes,
        **extra,
    }


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data))  # NaN / Infinity become bare literals, as Python writes
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A 1-bit grey PNG declaring width x height, with a tiny (short) compressed stream."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * 16, 9))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def good_images(tmp_path_factory) -> list[tuple[Path, tuple[int, int, int, int], int]]:
    """(path, ink bounds, tolerance in px) for a "7" in every supported format and mode."""
    folder = tmp_path_factory.mktemp("good")
    out = []

    def add(name: str, image: Image.Image, bounds, tolerance=2, **save) -> None:
        path = folder / name
        image.save(path, **save)
        out.append((path, bounds, tolerance))

    for ink, paper, tag in ((255, 0, "white_on_black"), (0, 255, "black_on_white")):
        image = seven_image(ink, paper)
        bounds = ink_bounds(image, paper)
        add(f"{tag}.png", image, bounds)
        add(f"{tag}.jpg", image, bounds, 4, quality=95)
        add(f"{tag}.bmp", image, bounds)
        add(f"{tag}.tif", image, bounds)
        add(f"{tag}.gif", image, bounds)
        add(f"{tag}.webp", image, bounds, 4, quality=95)
        add(f"{tag}_rgb.png", image.convert("RGB"), bounds)
        add(f"{tag}_palette.png", image.convert("P"), bounds)
        wide = Image.fromarray(np.asarray(image, dtype=np.uint16) * 257)
        assert wide.mode.startswith("I;16")
        add(f"{tag}_16bit.tif", wide, bounds)
        add(f"{tag}_16bit.png", wide, bounds)

    # Black ink on a transparent background (what many drawing apps export).
    rgba = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    ImageDraw.Draw(rgba).line(SEVEN, fill=(0, 0, 0, 255), width=STROKE)
    add("transparent_rgba.png", rgba, ink_bounds(rgba.getchannel("A"), 0))
    add("transparent_rgba.webp", rgba, ink_bounds(rgba.getchannel("A"), 0), 4, lossless=True)
    # Palette image whose background index is transparent.
    palette = seven_image(0, 255).convert("P")
    add(
        "transparent_palette.png",
        palette,
        ink_bounds(seven_image(0, 255), 255),
        transparency=palette.getpixel((0, 0)),
    )
    return out


# --- Good inputs ----------------------------------------------------------------------


def test_every_image_format_gives_one_digit_with_a_box_around_the_ink(good_images):
    paths = [p for p, _, _ in good_images]
    proc, records = run_json(*paths)
    assert proc.returncode == 0, proc.stderr
    assert [r["path"] for r in records] == [str(p) for p in paths]
    for (path, (bx0, by0, bx1, by1), tol), record in zip(good_images, records):
        check_result(record, SIZE)
        assert len(record["digits"]) == 1, (path.name, record)
        assert len(record["text"]) == 1
        x0, y0, x1, y1 = record["digits"][0]["box"]
        assert abs(x0 - bx0) <= tol and abs(y0 - by0) <= tol, (path.name, record["digits"][0])
        assert abs(x1 - bx1) <= tol and abs(y1 - by1) <= tol, (path.name, record["digits"][0])


def test_blank_images_have_no_digit(tmp_path):
    paths = []
    for name, mode, colour in (
        ("white.png", "L", 255),
        ("black.png", "L", 0),
        ("white.jpg", "RGB", (255, 255, 255)),
        ("clear.png", "RGBA", (0, 0, 0, 0)),
    ):
        path = tmp_path / name
        Image.new(mode, SIZE, colour).save(path)
        paths.append(path)
    proc, records = run_json(*paths)
    assert proc.returncode == 0, proc.stderr
    assert [r["path"] for r in records] == [str(p) for p in paths]
    for record in records:
        check_result(record, SIZE)
        assert record["text"] == "" and record["digits"] == [], record


def test_boxes_are_in_the_files_pixels_for_large_and_rotated_images(tmp_path):
    # Larger than the working size, so it is reduced before recognition.
    big = seven_image(0, 255, (3200, 1600), [(2300, 300), (2900, 300), (2600, 1300)], 80)
    big_path = tmp_path / "big.png"
    big.save(big_path)
    bx0, by0, bx1, by1 = ink_bounds(big, 255)
    # Stored landscape with an EXIF "rotate 90 degrees" tag: upright it is portrait.
    small = seven_image(0, 255, (400, 200), [(300, 50), (360, 50), (330, 150)], 12)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated_path = tmp_path / "rotated.jpg"
    small.save(rotated_path, exif=exif.tobytes(), quality=95)

    proc, records = run_json(big_path, rotated_path)
    assert proc.returncode == 0, proc.stderr
    check_result(records[0], big.size)
    x0, y0, x1, y1 = records[0]["digits"][0]["box"]
    slack = 8  # a few reduced pixels, mapped back
    assert bx0 - slack <= x0 <= bx0 + slack and bx1 - slack <= x1 <= bx1 + slack
    assert by0 - slack <= y0 <= by0 + slack and by1 - slack <= y1 <= by1 + slack

    check_result(records[1], (200, 400))  # upright size
    # The 7 was drawn in the stored orientation, so upright it lies on its side: read as
    # a digit or said "not a digit", its box is where the ink is once upright.
    part = (records[1]["digits"] or records[1]["rejected"])[0]
    x0, y0, x1, y1 = part["box"]
    assert y0 >= 200  # the ink was on the right, which is the bottom once upright


def test_drawing_gives_one_digit_with_a_box_in_canvas_coordinates(tmp_path):
    points = [[100, 50], [180, 50], [130, 230]]
    plain = write_json(tmp_path / "seven.json", drawing([points]))
    pressure = write_json(
        tmp_path / "pressure.json", drawing([[[x, y, 0.6] for x, y in points]], 400, 300, label=7)
    )
    floats = write_json(
        tmp_path / "floats.json", drawing([[[x + 0.25, y + 0.5] for x, y in points]], 280.0, 280.0)
    )
    two_strokes = write_json(
        tmp_path / "two.json", drawing([[[100, 50], [180, 50]], [[180, 50], [130, 230]]])
    )
    empty = write_json(tmp_path / "empty.json", drawing([]))
    empty_strokes = write_json(tmp_path / "empty_strokes.json", drawing([[], []]))

    paths = [plain, pressure, floats, two_strokes, empty, empty_strokes]
    proc, records = run_json(*paths)
    assert proc.returncode == 0, proc.stderr
    assert [r["path"] for r in records] == [str(p) for p in paths]
    for record, canvas in zip(records[:4], [(280, 280), (400, 300), (280, 280), (280, 280)]):
        check_result(record, canvas)
        assert len(record["digits"]) == 1, record
        x0, y0, x1, y1 = record["digits"][0]["box"]
        # Around the strokes' points (80 x 180), allowing for their width and rounding.
        assert 100 - 25 <= x0 <= 101 and 179 <= x1 <= 180 + 25, record
        assert 50 - 25 <= y0 <= 51 and 229 <= y1 <= 230 + 25, record
    for record in records[4:]:
        check_result(record, (280, 280))
        assert record["text"] == "" and record["digits"] == []


def test_folders_expand_recursively_in_sorted_order(tmp_path):
    root = tmp_path / "inputs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "nothing").mkdir()
    files = [
        root / "a.png",
        root / "sub" / "b.bmp",
        root / "sub" / "deeper" / "c.GIF",
        root / "sub" / "deeper" / "d.webp",
        root / "z.json",
    ]
    for path in files:
        if path.suffix == ".json":
            write_json(path, drawing([[[100, 50], [180, 50], [130, 230]]]))
        else:
            seven_image().save(path, format=Image.registered_extensions()[path.suffix.lower()])
    (root / "notes.txt").write_text("not an input\n")
    (root / "sub" / "model.keras").write_bytes(b"not an input either")

    single = tmp_path / "single.png"
    seven_image().save(single)
    proc, records = run_json(single, root)
    assert proc.returncode == 0, proc.stderr
    assert [r["path"] for r in records] == [str(single)] + [str(p) for p in sorted(files)]
    for record in records:
        check_result(record, (280, 280) if record["path"].endswith(".json") else SIZE)
        assert len(record["digits"]) == 1


def test_max_digits_and_explicit_model_are_accepted(tmp_path):
    path = tmp_path / "seven.png"
    seven_image().save(path)
    proc, records = run_json(
        "--max-digits", "1", "--model", REPO / "resources" / "model.keras", path
    )
    assert proc.returncode == 0, proc.stderr
    assert len(records) == 1
    check_result(records[0], SIZE)
    assert len(records[0]["digits"]) == 1


def test_text_mode_prints_one_line_per_input(tmp_path):
    seven, blank = tmp_path / "seven.png", tmp_path / "blank.png"
    seven_image().save(seven)
    Image.new("L", SIZE, 255).save(blank)
    sketch = write_json(tmp_path / "sketch.json", drawing([[[100, 50], [180, 50], [130, 230]]]))
    missing = tmp_path / "missing.png"

    proc = run_cli("predict", seven, blank, sketch, missing)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert len(out) == 3, proc.stdout
    for line, path in zip(out, (seven, blank, sketch)):
        assert line.startswith(f"{path}: "), line
    assert out[0][len(f"{seven}: ") :][:1].isdigit()
    assert out[1] == f"{blank}: no digit"
    err = proc.stderr.splitlines()
    assert len(err) == 1 and str(missing) in err[0], proc.stderr

    proc = run_cli("predict", seven, blank)
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 2


# --- Bad inputs -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> list[Path]:
    """Files (and a folder, and a missing path) that must each fail with one line."""
    folder = tmp_path_factory.mktemp("bad")
    bad: list[Path] = [folder / "missing.png"]

    empty_dir = folder / "no_images"
    (empty_dir / "inner").mkdir(parents=True)
    (empty_dir / "inner" / "readme.txt").write_text("hello\n")
    bad.append(empty_dir)

    def add_bytes(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        bad.append(folder / name)

    rng = np.random.default_rng(0)
    add_bytes("random.png", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    add_bytes("random.jpg", b"\xff\xd8\xff\xe0" + rng.integers(0, 256, 4096, np.uint8).tobytes())
    noisy = Image.fromarray(rng.integers(0, 256, (96, 96), dtype=np.uint8))
    for fmt, ext in (
        ("PNG", "png"),
        ("JPEG", "jpg"),
        ("TIFF", "tif"),
        ("GIF", "gif"),
        ("WEBP", "webp"),
        ("BMP", "bmp"),
    ):
        path = folder / f"whole.{ext}"
        noisy.save(path, format=fmt)
        data = path.read_bytes()
        path.unlink()
        add_bytes(f"truncated.{ext}", data[: len(data) // 2])
    add_bytes("header_only.tif", (folder / "truncated.tif").read_bytes()[:40])
    add_bytes("zero_bytes.png", b"")
    add_bytes("zero_bytes.jpg", b"")
    add_bytes("text.png", b"this is not an image\n")
    add_bytes("html.webp", b"<html><body>404 not found</body></html>\n")

    bad.append(png_header_only(folder / "bomb_50000.png", 50_000, 50_000))
    bad.append(png_header_only(folder / "bomb_10000.png", 10_000, 10_000))  # 100 MP

    def add_json(name: str, data) -> None:
        bad.append(write_json(folder / name, data))

    ok = [[100, 50], [180, 50], [130, 230]]
    add_json("wrong_format.json", {**drawing([ok]), "format": "something-else"})
    add_json("no_format.json", {"strokes": [ok]})
    add_json("wrong_version.json", {**drawing([ok]), "version": 99})
    add_json("top_level_list.json", [ok])
    add_json("strokes_not_list.json", drawing({"0": ok}))
    add_json("strokes_string.json", drawing("M 0 0 L 10 10"))
    add_json("stroke_not_list.json", drawing([5]))
    add_json("one_coordinate.json", drawing([[[100, 50], [180]]]))
    add_json("four_coordinates.json", drawing([[[100, 50, 1, 2]]]))
    add_json("string_coordinates.json", drawing([[["100", "50"], ["180", "50"]]]))
    add_json("null_coordinate.json", drawing([[[100, None], [180, 50]]]))
    add_json("bool_coordinate.json", drawing([[[True, False], [180, 50]]]))
    add_json("nan.json", drawing([[[math.nan, 50], [180, 50]]]))
    add_json("infinity.json", drawing([[[100, 50], [math.inf, 50]]]))
    add_json("minus_infinity.json", drawing([[[100, -math.inf], [180, 50]]]))
    add_json("nan_pressure.json", drawing([[[100, 50, math.nan], [180, 50, 0.5]]]))
    add_json("nan_width.json", drawing([ok], width=math.nan))
    add_json("zero_height.json", drawing([ok], height=0))
    add_json("bad_label.json", drawing([ok], label=12))
    (folder / "huge_integer.json").write_text(
        json.dumps(drawing([[[0, 0], [1, 1]]])).replace("[1, 1]", "[1" + "0" * 400 + ", 1]")
    )
    bad.append(folder / "huge_integer.json")
    add_bytes("not_json.json", b"{this is not json")
    add_bytes("zero_bytes.json", b"")
    add_bytes("binary.json", b"\xff\xfe\x00\x01garbage")
    add_bytes("deeply_nested.json", b"[" * 100_000 + b"]" * 100_000)
    return bad


def test_bad_inputs_each_fail_alone_with_one_json_line(tmp_path, bad_inputs):
    good = tmp_path / "good.png"
    seven_image().save(good)
    sketch = write_json(tmp_path / "good.json", drawing([[[100, 50], [180, 50], [130, 230]]]))
    # Good inputs before, between and after the bad ones.
    args = [
        good,
        *bad_inputs[: len(bad_inputs) // 2],
        sketch,
        *bad_inputs[len(bad_inputs) // 2 :],
        good,
    ]

    start = time.monotonic()
    proc, records = run_json(*args)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    assert elapsed < 30
    assert proc.stderr == "", proc.stderr  # no warnings, no tracebacks: errors are in the JSON
    assert [r["path"] for r in records] == [str(p) for p in args]
    for path, record in zip(args, records):
        if path in (good, sketch):
            check_result(record, SIZE if path == good else (280, 280))
            assert len(record["digits"]) == 1
        else:
            check_error(record, path)


def test_bad_inputs_in_text_mode_give_one_stderr_line_naming_each(tmp_path, bad_inputs):
    good = tmp_path / "good.png"
    seven_image().save(good)
    proc = run_cli("predict", good, *bad_inputs, good)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert len(out) == 2 and all(line.startswith(f"{good}: ") for line in out), proc.stdout
    err = proc.stderr.splitlines()
    assert len(err) == len(bad_inputs), proc.stderr
    for line, path in zip(err, bad_inputs):
        assert line.startswith("digitpad: ") and str(path) in line, line


def test_a_million_points_and_a_pixel_bomb_fail_quickly(tmp_path):
    points = tmp_path / "million.json"
    header = json.dumps(drawing([]))[:-3]  # up to '"strokes": '
    points.write_text(header + "[[" + ",".join(["[1.5,2.5]"] * 1_000_000) + "]]}")
    strokes = tmp_path / "million_strokes.json"
    strokes.write_text(header + "[" + ",".join(["[[1,2]]"] * 1_000_000) + "]}")
    bomb = png_header_only(tmp_path / "bomb.png", 50_000, 50_000)
    assert points.stat().st_size < 16_000_000 and bomb.stat().st_size < 10_000

    start = time.monotonic()
    proc, records = run_json(points, strokes, bomb)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1
    assert elapsed < 60, f"took {elapsed:.1f} s"  # only catches a hang; speed is for bench
    for path, record in zip((points, strokes, bomb), records):
        check_error(record, path)


def test_absurd_but_finite_coordinates_never_crash(tmp_path):
    paths = [
        write_json(tmp_path / "span_overflows.json", drawing([[[1e308, 0], [-1e308, 0]]])),
        write_json(tmp_path / "both_overflow.json", drawing([[[1e308, 1e308], [-1e308, -1e308]]])),
        write_json(tmp_path / "split.json", drawing([[[1e308, 0]], [[-1e308, 0]]])),
        write_json(tmp_path / "huge.json", drawing([[[1e300, 0], [0, 1e300]]])),
        write_json(tmp_path / "tiny.json", drawing([[[0, 0], [1e-300, 1e-300]]], 1e-300, 1e-300)),
    ]
    proc, records = run_json(*paths)
    assert proc.returncode in (0, 1)
    assert proc.stderr == "", proc.stderr
    assert [r["path"] for r in records] == [str(p) for p in paths]
    for path, record in zip(paths, records):
        if "error" in record:
            check_error(record, path)
        else:
            check_result(record, None)


# --- Models and usage -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        None,  # no such file
        b"",  # empty
        b"definitely not a zip archive\n",
        b"PK\x05\x06" + b"\x00" * 18,  # an empty zip
    ],
)
def test_a_broken_model_is_one_line_and_exit_1(tmp_path, content):
    model = tmp_path / "broken.keras"
    if content is not None:
        model.write_bytes(content)
    image = tmp_path / "seven.png"
    seven_image().save(image)
    for extra in ((), ("--json",)):
        proc = run_cli("predict", *extra, "--model", model, image)
        assert proc.returncode == 1
        assert proc.stdout == ""
        err = proc.stderr.splitlines()
        assert len(err) == 1 and "broken.keras" in err[0], proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["predict"],
        ["predict", "--json"],
        ["predict", "--max-digits", "0", "x.png"],
        ["predict", "--max-digits", "-3", "x.png"],
        ["predict", "--max-digits", "two", "x.png"],
        ["predict", "--no-such-option", "x.png"],
    ],
)
def test_usage_errors_exit_2(args):
    proc = run_cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "usage" in proc.stderr.lower()


@pytest.mark.parametrize("suffix", [".png", ".json"])
def test_a_file_gone_during_a_batch_reads_as_one_missing_from_the_start(tmp_path, suffix):
    """Deleted after the folder was listed, or never there: the same words."""
    from digitpad import commands
    from digitpad.core import api
    from digitpad.core.models.ensemble import Recognizer

    recognizer = Recognizer.load()
    listed = tmp_path / f"gone{suffix}"
    listed.write_bytes(b"")
    items = list(commands.expand_inputs([str(listed), str(tmp_path / f"never{suffix}")]))
    listed.unlink()  # gone between listing and reading
    lines = [commands._answer(recognizer, *item, None, True)[0] for item in items]
    assert [json.loads(line)["error"] for line in lines] == [api.NO_FILE, api.NO_FILE]
