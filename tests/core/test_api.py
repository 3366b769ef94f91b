"""The public API: `digitpad.read` on files, pixels and drawings; cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib
from PIL import Image, ImageDraw

import digitpad
from digitpad.core.io.drawing import Drawing

ROOT = Path(__file__).resolve().parents[2]


def _number_image(
    text_strokes: list[list[tuple[int, int]]], size=(220, 100), width=9
) -> Image.Image:
    image = Image.new("L", size, 235)
    draw = ImageDraw.Draw(image)
    for stroke in text_strokes:
        draw.line(stroke, fill=30, width=width, joint="curve")
    return image


# "17": a one, and a seven with its bar.
SEVENTEEN = [[(50, 20), (48, 80)], [(110, 22), (160, 22), (128, 82)]]


@pytest.fixture(scope="module")
def seventeen(tmp_path_factory) -> tuple[Path, Image.Image]:
    image = _number_image(SEVENTEEN)
    path = tmp_path_factory.mktemp("api") / "seventeen.png"
    image.save(path)
    return path, image


def test_a_file_and_its_pixels_read_the_same(seventeen):
    path, image = seventeen
    from_file = digitpad.read(path)
    assert from_file.text == "17"
    grey = np.asarray(image)
    rgb = np.asarray(image.convert("RGB"))
    for pixels in (grey, rgb, grey.astype(np.float32) / 255.0, np.dstack([rgb, 255 + 0 * grey])):
        got = digitpad.read(pixels)
        assert got.to_json() == from_file.to_json(), pixels.dtype


def test_a_large_array_gives_boxes_in_its_own_pixels():
    image = _number_image([[(x * 10, y * 10) for x, y in s] for s in SEVENTEEN], (2200, 1000), 90)
    result = digitpad.read(np.asarray(image))
    assert result.text == "17"
    x0, y0, x1, y1 = result.digits[0].box
    assert 400 <= x0 and x1 <= 600 and 150 <= y0 and y1 <= 850  # the one, near x = 490


def test_a_drawing_and_its_file_read_the_same(tmp_path):
    drawing = Drawing.from_points([[[140, 40], [138, 240]]])
    path = tmp_path / "one.json"
    drawing.save(path)
    assert digitpad.read(drawing).to_json() == digitpad.read(str(path)).to_json()
    assert digitpad.read(drawing).text == "1"


def test_the_model_may_be_a_path_or_a_recognizer(seventeen):
    path, _ = seventeen
    from digitpad.core.io import paths

    loaded = digitpad.Recognizer.load()
    by_path = digitpad.read(path, model=paths.bundled_model_path())
    assert digitpad.read(path, model=loaded).to_json() == by_path.to_json()
    one = digitpad.read(path, max_digits=1)  # "17" read as one part
    assert len(one.digits) + len(one.rejected) == 1


@pytest.mark.parametrize(
    "pixels", [np.zeros(5), np.zeros((4, 4, 2)), np.zeros((0, 8)), np.array([["a", "b"]])]
)
def test_pixels_of_no_image_shape_are_one_line(pixels):
    with pytest.raises(digitpad.ImageError) as caught:
        digitpad.read(pixels)
    assert "\n" not in str(caught.value)


def test_a_bad_model_path_is_one_model_error(seventeen, tmp_path):
    (tmp_path / "bad.keras").write_text("no")
    with pytest.raises(digitpad.ModelError):
        digitpad.read(seventeen[0], model=tmp_path / "bad.keras")


def test_read_json_line_is_predicts_object_for_each_file(seventeen, tmp_path):
    import json

    from digitpad.core.api import read_json_line

    (tmp_path / "broken.png").write_bytes(b"not an image")
    inputs = [seventeen[0], tmp_path / "broken.png", tmp_path / "missing.png"]
    for max_digits in (None, 1):
        option = [] if max_digits is None else ["--max-digits", str(max_digits)]
        printed = subprocess.run(
            [sys.executable, "-m", "digitpad", "predict", "--json", *option, *map(str, inputs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.splitlines()
        lines = [
            json.dumps(read_json_line(p, max_digits=max_digits), allow_nan=False) for p in inputs
        ]
        assert lines == printed
    assert json.loads(printed[1]).keys() == {"path", "error"}
    assert json.loads(printed[2])["error"] == "no such file"


def test_threads_starting_together_load_the_default_model_once(seventeen, monkeypatch):
    import threading
    import time

    from digitpad.core import api

    loads = []
    load = digitpad.Recognizer.load.__func__

    def slow_load(cls, path=None):
        loads.append(path)
        time.sleep(0.2)  # every thread is waiting for the model meanwhile
        return load(cls, path)

    monkeypatch.setattr(digitpad.Recognizer, "load", classmethod(slow_load))
    api._loaded.cache_clear()
    try:
        threads = [threading.Thread(target=digitpad.read, args=(seventeen[0],)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert loads == [None]
    finally:
        api._loaded.cache_clear()


def test_the_exports_are_what_the_api_lists():
    assert sorted(digitpad.__all__) == sorted(["__version__", *digitpad._API])
    for name in digitpad.__all__:
        assert getattr(digitpad, name) is not None
    with pytest.raises(AttributeError):
        digitpad.no_such_name  # noqa: B018


def test_the_version_is_pyprojects():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert digitpad.__version__ == project["version"]


def test_importing_is_cheap_and_reading_never_loads_qt_or_tensorflow():
    code = (
        "import sys, digitpad; before = set(sys.modules); "
        "import numpy as np; digitpad.read(np.zeros((20, 20), np.uint8)); "
        "print('numpy' in before, any(m.split('.')[0] in "
        "{'PySide6', 'tensorflow', 'keras'} for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["False", "False"]


def test_the_readme_example_runs(tmp_path, seventeen, monkeypatch, capsys):
    """The README's "Python API" block, run as it is on files of those names."""
    import re
    import shutil

    from digitpad.core.io import paths

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shutil.copy(seventeen[0], tmp_path / "zip-code.png")
    shutil.copy(seventeen[0], tmp_path / "seven.png")
    shutil.copy(paths.bundled_model_path(), tmp_path / "my-model.keras")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.startswith("17\n1 ")
