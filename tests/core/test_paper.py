"""Real paper, built in code: separators, page clutter of each kind, touching digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from digitpad.core.made import clutter, synth
from digitpad.core.page.ink import ink_from_grey
from digitpad.core.reading import recognize_image
from digitpad.core.segment import frames, marks, pixels

HEIGHT = 60.0


def _number(mnist_test, text: str, seed: int = 0) -> tuple[np.ndarray, list]:
    """MNIST test digits of ``text`` side by side (ink bright), with their true boxes."""
    imgs, labels = mnist_test
    patches = [
        synth.digit_patch(imgs[np.flatnonzero(labels == int(c))[k + 3]], 3.0, 0.0)
        for k, c in enumerate(text)
    ]
    return synth.line_of_digits(
        patches,
        [0.35 * HEIGHT] * (len(text) - 1),
        [0.0] * len(text),
        np.random.default_rng(seed),
        HEIGHT,
    )


def _with_gap(ink: np.ndarray, boxes: list, after: int, width: int) -> tuple[np.ndarray, list]:
    """Open a gap of ``width`` columns after digit ``after`` (for a mark to go in)."""
    cut = boxes[after][2] + 4
    out = np.concatenate(
        [ink[:, :cut], np.zeros((ink.shape[0], width), np.float32), ink[:, cut:]], axis=1
    )
    moved = [
        b if k <= after else (b[0] + width, b[1], b[2] + width, b[3]) for k, b in enumerate(boxes)
    ]
    return out, moved


def _stroke(ink: np.ndarray, points, width: int) -> None:
    image = Image.fromarray((ink * 255).astype(np.uint8))
    ImageDraw.Draw(image).line(points, fill=255, width=width)
    ink[:] = np.asarray(image, np.float32) / 255


def test_separators_are_marks_left_out_of_the_text(mnist_test, recognizer):
    ink, boxes = _number(mnist_test, "15728")
    ink, boxes = _with_gap(ink, boxes, 1, 24)  # "15.728"
    ink, boxes = _with_gap(ink, boxes, 4, 24)  # "15.728,"
    base = int(np.median([b[3] for b in boxes]))  # on the line the digits sit on
    dot_x = boxes[1][2] + 14
    ink[base - 7 : base - 1, dot_x : dot_x + 6] = 1.0
    comma_x = boxes[4][2] + 14
    _stroke(ink, [(comma_x + 4, base - 6), (comma_x, base + 8)], 5)
    ink = np.pad(ink, ((0, 12), (0, 60)))
    dash_x = ink.shape[1] - 50
    mid = (boxes[0][1] + base) // 2
    ink[mid : mid + 5, dash_x : dash_x + 30] = 1.0  # a trailing dash
    result = recognize_image(recognizer, ink)
    assert result.text == "15728", result.text
    chars = [m.char for m in result.marks]
    assert chars == [".", ",", "-"], chars
    assert result.marks[0].box[0] > result.digits[1].box[2]  # in place, between the digits
    record = json.loads(json.dumps(result.to_json()))
    assert [m["char"] for m in record["marks"]] == chars
    assert all(len(m["box"]) == 4 for m in record["marks"])


def test_equals_and_no_marks_for_parts_of_digits():
    # boxes: two digits, "=" after them; a 5's loose bar over its body is no mark
    boxes = np.array(
        [
            [0, 0, 40, 60],
            [50, 0, 90, 60],
            [100, 20, 130, 26],
            [100, 34, 130, 40],
            [150, 0, 190, 60],
            [152, -8, 195, -2],
        ]
    )
    areas = np.array([900, 900, 180, 180, 900, 200])
    found = marks.find_marks(boxes, areas)
    assert found == [("=", [2, 3])]
    # a lone flat piece with nothing digit-sized beside it is not called a mark
    assert marks.find_marks(boxes[2:4], areas[2:4]) == []


def test_a_mark_never_splits_or_swallows_a_digit(mnist_test, recognizer):
    ink, _ = _number(mnist_test, "1000")
    plain = recognize_image(recognizer, ink)
    assert plain.marks == ()
    assert len(plain.digits) == 4


@pytest.mark.parametrize("kind", clutter.CLUTTER_KINDS)
def test_each_kind_of_clutter_is_built_and_read(kind, mnist_test, recognizer):
    imgs, labels = mnist_test
    scans = [s for s in clutter.cluttered_scans(imgs, labels, 180, seed=4) if s.clutter == kind]
    assert len(scans) == 20
    right = []
    for scan in scans:
        assert scan.pixels.dtype == np.uint8 and scan.pixels.ndim == 2
        ink = ink_from_grey(scan.pixels.astype(np.float32) / 255)
        right.append(recognize_image(recognizer, ink, 1).text == scan.text)
    # Measured with the bundled model on this seed: 19/20 or 20/20 of every kind
    # (before hairlines were taken out: guilloche 11/20, creases 15/20, frames 17/20).
    assert np.mean(right) >= 0.9, (kind, right)


def test_a_hand_drawn_frame_is_taken_out(mnist_test, recognizer):
    imgs, labels = mnist_test
    six = synth.digit_patch(imgs[np.flatnonzero(labels == 6)[0]], 4.0, 0.0)
    ink = np.pad(six, 40)
    h, w = ink.shape
    t = np.linspace(0.3, 0.3 + 2 * np.pi * 0.95, 60)
    rng = np.random.default_rng(0)
    ring = [
        (
            w / 2 + 0.42 * w * np.cos(a) + rng.normal(0, 1.5),
            h / 2 + 0.42 * h * np.sin(a) + rng.normal(0, 1.5),
        )
        for a in t
    ]
    _stroke(ink, ring, 4)
    assert frames.find_frames(*_stats(ink)).any()
    for cap in (None, 1):
        result = recognize_image(recognizer, ink, cap)
        assert result.text == "6"
        assert result.digits[0].box[2] - result.digits[0].box[0] < 0.6 * w


def _page_with(ink: np.ndarray, paper: float = 220.0) -> Image.Image:
    """Ink (bright, [0, 1]) as dark writing on a grey page, to draw clutter on."""
    return Image.fromarray((paper - 0.7 * paper * ink).astype(np.uint8))


def test_hairlines_crossing_a_digit_are_taken_out(mnist_test, recognizer):
    """A security background's wavy lines and a crease, 1-2 px across the digit's
    8-12 px strokes, leave the ink; the digit's own ink stays."""
    imgs, labels = mnist_test
    for index, digit in ((0, 4), (1, 5), (2, 3)):
        patch = synth.digit_patch(imgs[np.flatnonzero(labels == digit)[index]], 4.0, 0.0)
        ink = np.pad(patch, 60)
        page = _page_with(ink)
        draw = ImageDraw.Draw(page)
        h, w = ink.shape
        xs = np.arange(0, w, 2.0)
        for k, y in enumerate(np.linspace(0.2 * h, 0.8 * h, 6)):
            ys = y + 6 * np.sin(2 * np.pi * xs / 50 + k)
            draw.line(list(zip(xs, ys)), fill=185, width=1)
        draw.line([(0, 0.9 * h), (w, 0.1 * h)], fill=180, width=2)  # a crease
        found = ink_from_grey(np.asarray(page, np.float32) / 255)
        ys_, xs_ = np.nonzero(found > 0.1)
        y0, y1 = np.nonzero(ink.any(axis=1))[0][[0, -1]]
        x0, x1 = np.nonzero(ink.any(axis=0))[0][[0, -1]]
        # nothing of the lines beyond a few pixels of the digit's own box
        assert xs_.min() >= x0 - 8 and xs_.max() <= x1 + 8, (digit, xs_.min(), xs_.max())
        assert ys_.min() >= y0 - 8 and ys_.max() <= y1 + 8, (digit, ys_.min(), ys_.max())
        # and the digit's strokes are all there
        assert (found[ink > 0.5] > 0).mean() > 0.97
        assert recognize_image(recognizer, found, 1).text == str(digit)


def test_a_digit_written_with_a_fine_line_is_no_hairline(mnist_test, recognizer):
    """Hairlines are thin for the writing around them: a digit that is all thin
    strokes, alone on the page, keeps every stroke."""
    imgs, labels = mnist_test
    for digit in (1, 7, 4):
        patch = synth.digit_patch(imgs[np.flatnonzero(labels == digit)[0]], 4.0, 0.0)
        thin = np.clip((patch - 0.75) * 4, 0, 1)  # a 1-2 px ballpoint line
        ink = np.pad(thin, 40)
        found = ink_from_grey(np.asarray(_page_with(ink), np.float32) / 255)
        assert (found[ink > 0.5] > 0).mean() > 0.97, digit


def test_a_frame_open_above_a_narrow_digit_is_taken_out(mnist_test, recognizer):
    """A ring around a 1 whose gap (a sixth of the ring) is wider than the 1 itself,
    and that comes close to it at one point, still closes it in."""
    imgs, labels = mnist_test
    one = synth.digit_patch(imgs[np.flatnonzero(labels == 1)[0]], 4.0, 0.0)
    ink = np.pad(one, 40)
    h, w = ink.shape
    t = np.linspace(-np.pi / 2 + 0.5, 3 * np.pi / 2 - 0.5, 80)  # open at the top
    ring = [(w / 2 + 0.3 * w * np.cos(a), h / 2 + 0.42 * h * np.sin(a)) for a in t]
    _stroke(ink, ring, 4)
    assert frames.find_frames(*_stats(ink)).any()
    result = recognize_image(recognizer, ink, 1)
    assert result.text == "1"
    assert result.digits[0].box[2] - result.digits[0].box[0] < 0.5 * w


def _stats(ink):
    from digitpad.core.raster import label

    labels, count = label(ink > 0.2)
    boxes, areas = pixels._component_stats(labels, count)
    return labels, boxes, areas


def test_a_zero_is_no_frame_of_a_dot(mnist_test):
    imgs, labels = mnist_test
    zero = synth.digit_patch(imgs[np.flatnonzero(labels == 0)[0]], 4.0, 0.0)
    cy, cx = zero.shape[0] // 2, zero.shape[1] // 2
    zero[cy - 2 : cy + 2, cx - 2 : cx + 2] = 1.0  # a speck inside
    assert not frames.find_frames(*_stats(zero)).any()


@pytest.mark.parametrize("degrees", [-9.5, 9.5])
def test_ruled_lines_up_to_ten_degrees_are_taken_out(degrees, mnist_test, recognizer):
    ink, boxes = _number(mnist_test, "5263")
    h, w = ink.shape
    page = Image.fromarray((ink * 255).astype(np.uint8))
    slope = np.tan(np.radians(degrees))
    y = max(b[3] for b in boxes) - 8
    ImageDraw.Draw(page).line([(0, y - slope * w / 2), (w, y + slope * w / 2)], fill=200, width=2)
    ruled = np.asarray(page, np.float32) / 255
    grey = 1 - 0.8 * ruled
    assert recognize_image(recognizer, ink_from_grey(1 - 0.8 * ink)).text == "5263"
    assert recognize_image(recognizer, ink_from_grey(grey)).text == "5263"


def test_a_single_digit_is_never_split(mnist_test, recognizer):
    """Wide digits alone (a flat 0, a wide 4) stay one digit, with or without a cap."""
    imgs, labels = mnist_test
    split = 0
    for digit in (0, 4, 7, 2):
        for k in range(5):
            patch = synth.digit_patch(imgs[np.flatnonzero(labels == digit)[k]], 3.0, 0.0)
            wide = np.asarray(
                Image.fromarray(patch, mode="F").resize(
                    (int(patch.shape[1] * 1.6), patch.shape[0])
                ),
                np.float32,
            )
            split += len(recognize_image(recognizer, wide).digits) > 1
            assert len(recognize_image(recognizer, wide, 1).digits) == 1
    assert split == 0


def test_thin_writing_beside_a_sharp_patch_of_light_is_the_ink(mnist_test, recognizer):
    """A photo half in shadow with a sharp edge: the lit half is a broad bright patch,
    the writing thin dark strokes; the strokes are the ink, not the patch."""
    ink, _ = _number(mnist_test, "52602")
    thin = np.clip((ink - 0.75) * 4, 0, 1)  # a fine pen
    page = np.pad(1 - 0.7 * thin, 60, constant_values=1.0) * 0.55
    h, w = page.shape
    lit = np.zeros((h, w), bool)
    lit[:, int(0.5 * w) :] = True
    lit[int(0.6 * h) :, int(0.35 * w) :] = True
    page[lit] = np.minimum(page[lit] / 0.55 * 0.95, 0.95)
    found = ink_from_grey(page.astype(np.float32))
    strokes = np.pad(thin, 60) > 0.05
    near = np.zeros_like(strokes)
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            near |= np.roll(np.roll(strokes, dy, axis=0), dx, axis=1)
    assert found[strokes].mean() > 0.2  # the strokes are found ...
    assert not found[lit & ~near].any()  # ... and nothing of the lit patch
    # Segmentation reads the five digits. The sequence model (on by default) loses the
    # faint, broken 2 in the shadow and reads "5602": a known weakness, in the README.
    strings, recognizer.strings = recognizer.strings, None
    try:
        assert recognize_image(recognizer, found).text == "52602"
    finally:
        recognizer.strings = strings


def test_a_leading_one_is_no_margin(mnist_test, recognizer):
    ink, boxes = _number(mnist_test, "9624")
    one = np.zeros((ink.shape[0], 60), np.float32)
    top, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
    one[top:bottom, 20:25] = 1.0  # a plain straight 1, a digit's height, spaced as a digit
    line = np.concatenate([one, ink[:, boxes[0][0] - 10 :]], axis=1)
    assert recognize_image(recognizer, ink_from_grey(1 - 0.8 * line)).text == "19624"


def test_ink_cut_off_by_the_edge_below_the_line_is_no_digit(mnist_test, recognizer):
    ink, boxes = _number(mnist_test, "23308")
    page = np.pad(ink, ((80, 80), (60, 60)))
    page[-70:, :4] = 1.0  # a table's edge in a corner of the photo, as tall as a digit
    assert recognize_image(recognizer, page).text == "23308"
    page[:, :] = 0
    page[80 : 80 + ink.shape[0], 0 : ink.shape[1]] = ink  # the number itself at the edge stays
    assert recognize_image(recognizer, page).text == "23308"


@pytest.mark.parametrize("side", ["left", "top", "right", "bottom"])
def test_a_scanners_black_margin_is_no_ink(side, mnist_test, recognizer):
    ink, _ = _number(mnist_test, "4071")
    grey = np.pad(1 - 0.8 * ink, 30, constant_values=1.0) * 0.9
    h, w = grey.shape
    depth = 25
    band = {
        "left": np.s_[:, :depth],
        "top": np.s_[:depth, :],
        "right": np.s_[:, w - depth :],
        "bottom": np.s_[h - depth :, :],
    }[side]
    grey[band] = 0.06
    found = ink_from_grey(grey.astype(np.float32))
    assert not found[band].any()
    assert recognize_image(recognizer, found).text == "4071"


def test_a_large_digit_drawn_with_a_fine_line_reads_as_with_a_thick_one(recognizer):
    """Tablet traces and 1 px pens on a 300 px digit: widened before the fit, they read
    as the same digit drawn with a thick pen (a fine line alone fades to a faint grey)."""
    from digitpad.core.page.field import image_to_field

    strokes = {
        "3": [[(60, 40), (230, 40), (120, 140), (230, 200), (200, 300), (60, 290)]],
        "4": [[(150, 30), (40, 220), (260, 220)], [(190, 110), (190, 330)]],
        "0": [
            [(150 + 100 * np.sin(t), 180 + 150 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]
        ],
    }
    for text, lines in strokes.items():
        thick = Image.new("L", (300, 360), 0)
        fine = Image.new("L", (300, 360), 0)
        for line in lines:
            ImageDraw.Draw(thick).line(line, fill=255, width=24, joint="curve")
            ImageDraw.Draw(fine).line(line, fill=255, width=1)
        as_thick = np.asarray(thick, np.float32) / 255
        as_fine = np.asarray(fine, np.float32) / 255
        assert recognize_image(recognizer, as_thick, 1).text == text
        assert recognize_image(recognizer, as_fine, 1).text == text
        assert image_to_field(as_fine).max() > 0.9  # full ink, not a faint trace


def test_zip_code_cells_are_158_pixel_grey_jpegs_and_read(tmp_path, mnist_test, recognizer):
    import io

    from digitpad.core.api import recognize_path

    images, labels = mnist_test
    cells = synth.cell_scans(images, labels, 20, seed=3)
    right = 0
    for k, scan in enumerate(cells):
        with Image.open(io.BytesIO(scan.data)) as image:
            assert image.size == (synth.CELL_SIDE, synth.CELL_SIDE) and image.mode == "L"
        x0, y0, x1, y1 = scan.boxes[0]
        assert 0 <= x0 < x1 <= synth.CELL_SIDE and 0 <= y0 < y1 <= synth.CELL_SIDE
        assert y1 - y0 >= synth.CELL_DIGIT[0] * 0.6  # the digit's own ink, not its field
        path = tmp_path / f"cell-{k}{scan.suffix}"
        path.write_bytes(scan.data)
        right += recognize_path(recognizer, str(path), 1).text == scan.text
    assert right >= 18


@pytest.mark.parametrize("blur", [0.5, 1.0])
def test_an_out_of_focus_photo_of_a_digit_is_read(blur, mnist_test, recognizer):
    """A phone photo slightly out of focus: grey ink on grey paper, its strokes fading
    over several pixels (blur as a share of the longer side, as a lens gives it). Such
    strokes once looked like the soft edge of a shadow and were dropped: no digit."""
    from digitpad.core.api import recognize_pixels

    imgs, labels = mnist_test
    rng = np.random.default_rng(3)
    for text in "3945":
        k = int(np.flatnonzero(labels == int(text))[2])
        digit = Image.fromarray(imgs[k]).resize((420, 420), Image.Resampling.BICUBIC)
        ink = np.zeros((900, 1200), np.float32)
        ink[240:660, 390:810] = np.asarray(digit, np.float32) / 255
        page = 0.72 - 0.4 * ink + rng.normal(0, 0.01, ink.shape).astype(np.float32)
        photo = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
        photo = photo.filter(ImageFilter.GaussianBlur(blur * 1200 / 100))
        assert recognize_pixels(recognizer, np.asarray(photo), 1).text == text


def test_a_digit_the_check_turns_away_is_read_when_both_readers_agree(mnist_test, recognizer):
    """The digit check was fitted on drawn non-digits and turns away a few real digits
    on paper (21 of the 10,000 MNIST test digits on a page like this one). Where the
    open recogniser, reading the paper, sees the one digit the card networks think
    likeliest, it is a digit: these four were "not a digit"."""
    from digitpad.core.api import recognize_pixels

    imgs, labels = mnist_test
    for k in (717, 1156, 2770, 4498):
        digit = Image.fromarray(imgs[k]).resize((168, 168), Image.Resampling.BICUBIC)
        ink = np.zeros((300, 400), np.float32)
        ink[60:228, 110:278] = np.asarray(digit, np.float32) / 255
        page = np.clip((0.8 - 0.55 * ink) * 255, 0, 255).astype(np.uint8)
        result = recognize_pixels(recognizer, page, 1)
        assert result.text == str(labels[k]) and not result.rejected
        alone = recognize_image(recognizer, ink_from_grey(page / 255.0), 1)  # no paper
        assert alone.rejected and not alone.digits


def test_a_digit_the_networks_are_unsure_of_is_read_with_the_open_recogniser(
    mnist_test, recognizer, monkeypatch
):
    """A single digit on paper that the card networks read under SINGLE_UNSURE is read by
    the open recogniser too, and the two are combined: these three were read wrong."""
    from digitpad.core import reading
    from digitpad.core.api import recognize_pixels

    imgs, labels = mnist_test
    for k in (449, 1039, 1260):
        digit = Image.fromarray(imgs[k]).resize((168, 168), Image.Resampling.BICUBIC)
        ink = np.zeros((300, 400), np.float32)
        ink[60:228, 110:278] = np.asarray(digit, np.float32) / 255
        page = np.clip((0.8 - 0.55 * ink) * 255, 0, 255).astype(np.uint8)
        result = recognize_pixels(recognizer, page, 1)
        assert result.text == str(labels[k])
        assert 0 < result.digits[0].confidence <= 1 and result.digits[0].probabilities.sum() > 0.99
        with monkeypatch.context() as m:
            m.setattr(reading, "SINGLE_UNSURE", 0.0)  # the card networks alone
            alone = recognize_pixels(recognizer, page, 1)
        assert alone.text != str(labels[k]) and alone.digits[0].confidence < reading.SINGLE_UNSURE


@pytest.mark.parametrize(
    "strokes",
    [
        [[(300, 250), (560, 250), (400, 700)], [(280, 470), (600, 470)]],  # a long bar
        [[(300, 300), (300, 250), (560, 250), (420, 720)], [(350, 480), (540, 480)]],  # a serif
        [[(300, 250), (560, 250), (380, 760)], [(340, 480), (520, 480)]],  # a long stem
    ],
)
def test_a_crossed_seven_in_a_photo_is_a_seven(strokes, recognizer):
    """European 7s, crossed, photographed in pen on grey paper: a 7, never "not a digit"."""
    from digitpad.core.api import recognize_pixels

    for width in (14, 26):
        image = Image.new("L", (900, 900), 0)
        for line in strokes:
            ImageDraw.Draw(image).line(line, fill=255, width=width, joint="curve")
        ink = np.asarray(image.filter(ImageFilter.GaussianBlur(2)), np.float32) / 255
        noise = np.random.default_rng(0).normal(0, 3, ink.shape)
        page = np.clip((0.78 - 0.5 * ink) * 255 + noise, 0, 255).astype(np.uint8)
        result = recognize_pixels(recognizer, page, 1)
        assert result.text == "7" and not result.rejected
