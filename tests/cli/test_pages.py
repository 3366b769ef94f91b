"""Pages: each page of a multi-page TIFF (a scanner's) is one input of `predict` and of
the Python API, named by its number; a damaged page is one line and the others go on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from digitpad.core.io import images
from tests.cli.test_predict import run_cli, run_json


def _page(digit: np.ndarray) -> Image.Image:
    """An MNIST digit written large on a page, dark on light as scanned."""
    page = np.full((160, 120), 250, np.uint8)
    big = np.asarray(Image.fromarray(digit).resize((84, 84), Image.BILINEAR))
    page[38:122, 18:102] = 250 - (big.astype(np.int32) * 240 // 255)
    return Image.fromarray(page)


@pytest.fixture
def scan(tmp_path, mnist_test):
    """A 3-page TIFF (deflate, as scanners write them) and the digit on each page."""
    digits, labels = mnist_test
    pages = [_page(digits[k]) for k in range(3)]
    path = tmp_path / "scan.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_adobe_deflate")
    return path, [str(int(labels[k])) for k in range(3)]


def test_each_page_is_one_input_named_by_its_number(scan):
    path, texts = scan
    proc, records = run_json(path)
    assert proc.returncode == 0, proc.stderr
    assert [(r["path"], r["page"]) for r in records] == [(str(path), k) for k in (1, 2, 3)]
    assert [r["text"] for r in records] == texts
    plain = run_cli("predict", path).stdout.splitlines()
    assert [line.split(":")[0] for line in plain] == [f"{path}[{k}]" for k in (1, 2, 3)]
    assert [line.split(":")[1].split()[0] for line in plain] == texts


def test_pages_spread_over_processes_come_out_the_same(scan, tmp_path):
    path, _ = scan
    single = tmp_path / "one.tif"
    Image.open(path).save(single)  # its first page alone: no "page" at all
    args = ["predict", "--json", path, single, path]
    one = run_cli(*args, "--jobs", "1").stdout
    two = run_cli(*args, "--jobs", "2").stdout
    assert one == two and len(one.splitlines()) == 7
    assert "page" not in json.loads(one.splitlines()[3])


def test_a_damaged_page_is_one_line_and_the_others_are_read(scan):
    path, texts = scan
    with Image.open(path) as image:
        image.seek(1)
        start, length = image.tag_v2[273][0], image.tag_v2[279][0]  # page 2's strip
    data = bytearray(path.read_bytes())
    data[start : start + length] = bytes(length)  # no longer deflate data
    path.write_bytes(bytes(data))
    proc, records = run_json(path)
    assert proc.returncode == 1
    assert [r.get("text") for r in records] == [texts[0], None, texts[2]]
    assert records[1]["page"] == 2 and "\n" not in records[1]["error"]


def test_a_page_bomb_is_one_line(tmp_path):
    path = tmp_path / "bomb.tif"
    tiny = Image.new("L", (1, 1), 255)
    tiny.save(path, save_all=True, append_images=[tiny] * images.MAX_PAGES)
    proc, records = run_json(path)
    assert proc.returncode == 1
    assert records == [{"path": str(path), "error": f"more than {images.MAX_PAGES:,} pages"}]


def test_the_api_reads_pages(scan):
    import digitpad

    path, texts = scan
    assert digitpad.page_count(path) == 3
    assert [r.text for r in digitpad.read_pages(path)] == texts
    assert digitpad.read(path, page=2).text == texts[1]
    assert digitpad.read(path).text == texts[0]  # the first page, as before
    with pytest.raises(digitpad.ImageError, match="no page 4"):
        digitpad.read(path, page=4)
