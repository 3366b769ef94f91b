"""A seeded, bounded fuzz run: mutated images, drawings, model files and line-model
files, and model files that are pipes or devices.

Seed files are made in code (every supported format and several modes, drawings, the
bundled model), then mutated: bytes flipped, runs deleted or repeated, truncated,
headers kept with bodies of random bytes. Each input must give exactly one JSON line
and no traceback; the whole run must end, within its memory.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.core.io import files, paths
from digitpad.core.models import graph, open_reader, sequence

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201
PER_SEED_FILE = 12


def _seed_images() -> dict[str, bytes]:
    rng = np.random.default_rng(SEED)
    ink = np.full((60, 48), 235, np.uint8)
    ink[10:50, 20:28] = 20
    base = Image.fromarray(ink)
    out = {}
    for mode in ("L", "RGB", "RGBA", "LA", "P", "1", "I;16"):
        image = (
            base.convert(mode) if mode != "I;16" else Image.fromarray(ink.astype(np.uint16) * 257)
        )
        for fmt, suffix in (
            ("PNG", ".png"),
            ("TIFF", ".tif"),
            ("BMP", ".bmp"),
            ("GIF", ".gif"),
            ("WEBP", ".webp"),
            ("JPEG", ".jpg"),
        ):
            buffer = io.BytesIO()
            try:
                image.save(buffer, fmt)
            except (OSError, ValueError, KeyError):
                continue  # not every format takes every mode
            out[f"{mode.replace(';', '')}-{fmt.lower()}{suffix}"] = buffer.getvalue()
    noise = Image.fromarray(rng.integers(0, 255, (40, 40), dtype=np.uint8))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    out["noise.png"] = buffer.getvalue()
    return out


def _seed_drawings() -> dict[str, bytes]:
    drawing = {
        "format": "digitpad-drawing",
        "version": 1,
        "width": 280,
        "height": 280,
        "strokes": [[[140, 40], [138, 240]], [[100, 50, 0.5], [180, 60, 0.7]]],
    }
    return {"one.json": json.dumps(drawing).encode()}


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    buf = bytearray(data)
    kind = int(rng.integers(5))
    if kind == 0 and buf:  # flip bytes
        for _ in range(int(rng.integers(1, 20))):
            buf[int(rng.integers(len(buf)))] = int(rng.integers(256))
    elif kind == 1 and len(buf) > 8:  # truncate
        buf = buf[: int(rng.integers(1, len(buf)))]
    elif kind == 2 and len(buf) > 8:  # delete a run
        start = int(rng.integers(len(buf) - 4))
        del buf[start : start + int(rng.integers(1, min(200, len(buf) - start)))]
    elif kind == 3 and buf:  # repeat a run
        start = int(rng.integers(len(buf)))
        buf[start:start] = buf[start : start + 64] * int(rng.integers(2, 50))
    else:  # the header, then random bytes
        keep = min(len(buf), 32)
        buf = buf[:keep] + bytearray(
            rng.integers(0, 256, int(rng.integers(1, 4000)), dtype=np.uint8).tobytes()
        )
    return bytes(buf)


@pytest.mark.slow
def test_mutated_inputs_each_get_one_json_line(tmp_path):
    rng = np.random.default_rng(SEED)
    folder = tmp_path / "inputs"
    folder.mkdir()
    seeds = {**_seed_images(), **_seed_drawings()}
    for name, data in seeds.items():
        (folder / name).write_bytes(data)
        stem, suffix = name.rsplit(".", 1)
        for k in range(PER_SEED_FILE):
            (folder / f"{stem}-m{k}.{suffix}").write_bytes(_mutate(data, rng))
    count = len(list(folder.iterdir()))
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "DIGITPAD_DATA_DIR": str(home / "dp"),
    }
    before = _checkout_state()
    # The CLI in a Python that reports its own memory peak (VmHWM) when it is done.
    script = (
        "import atexit, sys\n"
        "from digitpad.__main__ import main\n"
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM'):\n"
        "            print('PEAK', line.split()[1], file=sys.stderr)\n"
        "if sys.platform.startswith('linux'):\n"
        "    atexit.register(peak)\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, "predict", "--json", str(folder)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == count, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    for record in lines:
        assert ("error" in record) != ("text" in record), record
        if "error" in record:
            assert "\n" not in record["error"] and record["error"]
    assert out.returncode in (0, 1)
    peaks = [int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("PEAK")]
    assert all(kb < 600 * 1024 for kb in peaks), peaks
    # Nothing written outside the test's own folder: not in the checkout, not at home.
    assert _checkout_state() == before
    assert not any(p.is_file() for p in home.rglob("*"))


def _checkout_state() -> str:
    out = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else ""


@pytest.mark.slow
def test_mutated_model_files_each_give_one_line(tmp_path):
    rng = np.random.default_rng(SEED + 1)
    original = paths.bundled_model_path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    drawing = tmp_path / "one.json"
    drawing.write_bytes(_seed_drawings()["one.json"])
    models = []
    for k in range(24):
        path = tmp_path / f"m{k}.keras"
        if k % 2:  # the zip's bytes mutated
            path.write_bytes(_mutate(original, rng))
        else:  # a well-formed zip with one member mutated
            target = ("config.json", "model.weights.h5")[(k // 2) % 2]
            with zipfile.ZipFile(path, "w") as archive:
                for name, data in members.items():
                    archive.writestr(name, _mutate(data, rng) if name == target else data)
        models.append(path)
    for path in models:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "digitpad",
                "predict",
                "--json",
                str(drawing),
                "--model",
                str(path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in out.stderr, (path.name, out.stderr[-1500:])
        if out.returncode == 0:
            assert len(out.stdout.splitlines()) == 1  # a mutation the model survived
        else:
            assert out.returncode == 1
            assert len(out.stderr.strip().splitlines()) == 1, (path.name, out.stderr)


def _mutated_npz(original: bytes, rng: np.random.Generator, k: int) -> bytes:
    """The archive's bytes mutated, or a well-formed archive with one member mutated
    (the graph's description among them)."""
    if k % 2:
        return _mutate(original, rng)
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    names = sorted(members)
    target = names[int(rng.integers(len(names)))]
    if k % 4 == 0 and f"{graph.GRAPH_KEY}.npy" in members:
        target = f"{graph.GRAPH_KEY}.npy"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, _mutate(data, rng) if name == target else data)
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, load, error",
    [
        (open_reader.FILE_NAME, open_reader.OpenReader.load, open_reader.OpenReaderError),
        (sequence.FILE_NAME, sequence.SequenceModel.load, sequence.SequenceModelError),
    ],
    ids=["open-reader", "strings"],
)
def test_mutated_line_model_files_each_give_one_line(tmp_path, name, load, error):
    """Each mutation loads and reads a line, or fails loading or reading in one line."""
    rng = np.random.default_rng(SEED + 2)
    original = (paths.resources_dir() / name).read_bytes()
    grey = np.ones((48, 200), np.float32)
    grey[10:38, 20:180:12] = 0.0  # a few strokes to read
    outcomes = []
    for k in range(16):
        path = tmp_path / f"m{k}-{name}"
        path.write_bytes(_mutated_npz(original, rng, k))
        try:
            model = load(path)
            if isinstance(model, open_reader.OpenReader):
                model.read(open_reader.line_input(grey, (20, 10, 180, 38))[0])
            else:
                model.read(sequence.line_input(1.0 - grey, (20, 10, 180, 38)))
            outcomes.append("read")
        except (error, graph.GraphError, sequence.SequenceModelError) as exc:
            assert "\n" not in str(exc) and str(exc)
            outcomes.append("refused")
    assert "refused" in outcomes  # the mutations reach the checks


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_model_that_is_a_pipe_or_device_gives_one_line(tmp_path, kind):
    path = tmp_path / "model.keras"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)
    drawing = tmp_path / "one.json"
    drawing.write_bytes(_seed_drawings()["one.json"])
    out = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", str(drawing), "--model", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [f"digitpad: model.keras: {files.NOT_REGULAR}"]
