"""Pages: each page of a PDF or a multi-page TIFF (a scanner's) is one input of
`predict` and of the Python API, named by its number; a damaged page is one line and
the others go on; a broken, encrypted or page-bomb PDF is one line."""

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


def _pdf(objects: list[str], trailer: str = "") -> bytes:
    """A minimal PDF of these object bodies (numbered from 1), with a right xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer}>>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"
CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"


@pytest.fixture
def scanned_pdf(tmp_path, mnist_test):
    """A scanner's PDF: one picture per page, at 200 dpi."""
    digits, labels = mnist_test
    pages = [_page(digits[k]) for k in range(3, 6)]
    path = tmp_path / "scan.pdf"
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=200.0)
    return path, [str(int(labels[k])) for k in range(3, 6)]


def test_each_page_of_a_pdf_is_one_input(scanned_pdf, tmp_path):
    path, texts = scanned_pdf
    proc, records = run_json(path, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert [(r["path"], r["page"], r["text"]) for r in records] == [
        (str(path), k, texts[k - 1]) for k in (1, 2, 3)
    ]
    for record in records:  # boxes in the page's pixels at 200 dpi: 120 x 160 here
        for digit in record["digits"]:
            x0, y0, x1, y1 = digit["box"]
            assert 0 <= x0 < x1 <= 120 and 0 <= y0 < y1 <= 160
    one = tmp_path / "one.pdf"
    _page(np.zeros((28, 28), np.uint8)).save(one, resolution=200.0)
    assert run_json(one)[1][0]["page"] == 1  # a PDF's pages are always numbered


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("broken.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8, "not a readable PDF"),
        (
            "locked.pdf",
            _pdf(
                [
                    CATALOG,
                    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    PAGE,
                    "<< /Filter /Standard /V 1 /R 2 /O <"
                    + "11" * 32
                    + "> /U <"
                    + "22" * 32
                    + "> /P -4 >>",
                ],
                "/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef>"
                " <0123456789abcdef0123456789abcdef>] ",
            ),
            "an encrypted PDF: it needs a password",
        ),
        (
            "bomb.pdf",
            _pdf(
                [
                    CATALOG,
                    "<< /Type /Pages /Kids [" + "3 0 R " * (images.MAX_PAGES + 1) + "] "
                    f"/Count {images.MAX_PAGES + 1} >>",
                    PAGE,
                ]
            ),
            f"more than {images.MAX_PAGES:,} pages",
        ),
    ],
)
def test_a_bad_pdf_is_one_line_and_the_rest_go_on(tmp_path, scanned_pdf, name, data, words):
    bad = tmp_path / name
    bad.write_bytes(data)
    good, texts = scanned_pdf
    proc, records = run_json(bad, good)
    assert proc.returncode == 1
    assert records[0]["path"] == str(bad) and words in records[0]["error"]
    assert "\n" not in records[0]["error"]
    assert [r["text"] for r in records[1:]] == texts
    plain = run_cli("predict", bad)
    assert plain.returncode == 1 and plain.stderr.count("\n") == 1


def test_the_api_reads_a_pdf(scanned_pdf):
    import digitpad

    path, texts = scanned_pdf
    assert digitpad.page_count(path) == 3
    assert [r.text for r in digitpad.read_pages(path)] == texts
    assert digitpad.read(path, page=3).text == texts[2]
    with pytest.raises(digitpad.ImageError, match="no page 4: the file holds 3"):
        digitpad.read(path, page=4)
