"""Splitting drawings and images into digits, left to right."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpad.core import raster, segment
from digitpad.core.io.drawing import Drawing
from digitpad.core.made import synth
from digitpad.core.reading import recognize_drawing, recognize_image
from digitpad.core.segment import pixels


def _writer_digits(pen, writer: int, text: str) -> list[Drawing]:
    """The first sample of each digit of ``text`` by one writer."""
    return [next(d.drawing for d in pen if d.writer == writer and d.label == int(c)) for c in text]


# --- Drawings -------------------------------------------------------------------------

FOUR = [[[40, 40], [20, 140], [110, 140]], [[90, 60], [90, 220]]]  # "L", then the stem
FIVE = [
    [[60, 40], [50, 120], [110, 120], [120, 180], [100, 220], [40, 220]],  # body
    [[60, 40], [130, 40]],
]  # bar, after it


@pytest.mark.parametrize("strokes", [FOUR, FIVE], ids=["four", "five"])
def test_a_digit_written_in_two_strokes_stays_one_digit(strokes, recognizer):
    drawing = Drawing.from_points(strokes)
    for judge in (None, "recognizer"):
        parts = segment.split_drawing(
            drawing, judge=None if judge is None else _drawing_judge(recognizer)
        )
        assert len(parts) == 1
        assert parts[0].box == drawing.bounds()


def _drawing_judge(recognizer):
    from digitpad.core.page.field import drawing_to_field

    def judge(drawings):
        fields = [drawing_to_field(d) for d in drawings]
        out = np.zeros((len(fields), 10), np.float32)
        for k, f in enumerate(fields):
            if f is not None:
                out[k] = recognizer.predict(f[None])[0]
        return out

    return judge


def test_two_stroke_fours_and_fives_of_real_writers_stay_one_digit(pen):
    two_strokes = [d for d in pen if d.label in (4, 5) and len(d.drawing.strokes) == 2]
    assert len(two_strokes) > 500
    kept = [len(segment.split_drawing(d.drawing)) == 1 for d in two_strokes]
    assert np.mean(kept) >= 0.99


def test_a_number_from_pen_digits_gives_its_digits_in_order(pen):
    rng = np.random.default_rng(0)
    for writer in (1, 7, 19):
        number = synth.write_number(_writer_digits(pen, writer, "12345"), "12345", rng)
        parts = segment.split_drawing(number.drawing)
        assert len(parts) == 5, writer
        for part, box in zip(parts, number.boxes):
            assert part.box == pytest.approx(box)
        assert sum(len(p.drawing.strokes) for p in parts) == len(number.drawing.strokes)


def test_a_digit_reaching_over_its_neighbours_box_is_still_two_digits(recognizer):
    # A 7 whose bar reaches over the 1 written after it: the boxes overlap.
    drawing = Drawing.from_points([[[20, 40], [130, 40], [50, 220]], [[122, 110], [120, 220]]])
    parts = segment.split_drawing(drawing)
    assert [p.box for p in parts] == [(20, 40, 130, 220), (120, 110, 122, 220)]
    assert recognize_drawing(recognizer, drawing).text == "71"


def test_real_numbers_with_overlapping_boxes_are_split_right(pen):
    numbers = synth.pen_numbers(pen, 300, seed=21)
    hard = [n for n in numbers if any(a[2] > b[0] for a, b in zip(n.boxes, n.boxes[1:]))]
    assert len(hard) > 100  # slanted writing: neighbours' boxes overlap in about half
    right = []
    for number in hard:
        boxes = [p.box for p in segment.split_drawing(number.drawing)]
        right.append(len(boxes) == 5 and np.allclose(boxes, number.boxes))
    assert np.mean(right) >= 0.95  # 0.99 when measured


def test_a_late_bar_joins_its_digit():
    # A 5's body, then a 3, then the 5's bar, added last.
    body = [[60, 40], [50, 120], [110, 120], [120, 180], [100, 220], [40, 220]]
    three = [[180, 40], [250, 60], [200, 120], [260, 170], [180, 220]]
    bar = [[60, 40], [130, 40]]
    parts = segment.split_drawing(Drawing.from_points([body, three, bar], width=300))
    assert [len(p.drawing.strokes) for p in parts] == [2, 1]


def test_max_digits_caps_the_count_by_merging_the_closest(pen):
    number = synth.write_number(
        _writer_digits(pen, 3, "12345"),
        "12345",
        np.random.default_rng(1),
        gaps=[0.4, 0.1, 0.4, 0.4],
    )
    assert len(segment.split_drawing(number.drawing)) == 5
    capped = segment.split_drawing(number.drawing, max_digits=4)
    assert len(capped) == 4
    # The two closest digits (2 and 3, 0.1 apart) became one.
    assert capped[1].box == pytest.approx(
        (
            number.boxes[1][0],
            min(number.boxes[1][1], number.boxes[2][1]),
            number.boxes[2][2],
            max(number.boxes[1][3], number.boxes[2][3]),
        )
    )
    whole = segment.split_drawing(number.drawing, max_digits=1)
    assert len(whole) == 1 and whole[0].drawing is number.drawing


def test_taps_alone_are_no_digit_and_taps_near_a_digit_join_it():
    taps = Drawing.from_points([[[100, 100]], [[101, 102], [102, 102]]])
    assert segment.split_drawing(taps) == []
    one = Drawing.from_points([[[140, 40], [138, 240]], [[139, 30]], [[20, 20], [21, 21]]])
    parts = segment.split_drawing(one)
    assert len(parts) == 1 and len(parts[0].drawing.strokes) == 2  # the far tap is dropped


def test_recognize_drawing_returns_boxes_in_canvas_pixels_left_to_right(recognizer, pen):
    number = synth.write_number(_writer_digits(pen, 11, "907"), "907", np.random.default_rng(2))
    result = recognize_drawing(recognizer, number.drawing)
    assert result.text == "907"
    for digit, (x0, y0, x1, y1) in zip(result.digits, number.boxes):
        assert digit.box == (
            int(np.floor(x0)),
            int(np.floor(y0)),
            int(np.ceil(x1)),
            int(np.ceil(y1)),
        )
        assert 0 <= digit.confidence <= 1 and digit.probabilities.shape == (10,)
    assert recognize_drawing(recognizer, number.drawing, max_digits=1).text != "907"


# --- Images ---------------------------------------------------------------------------


def _line(
    images: list[np.ndarray], gaps: list[float], scale: float = 3.0, seed: int = 0
) -> tuple[np.ndarray, list]:
    """MNIST digits side by side, gaps in digit heights; ink float (H, W) and true boxes."""
    rng = np.random.default_rng(seed)
    patches = [synth.digit_patch(im, scale, 0.0) for im in images]
    height = 20 * scale
    return synth.line_of_digits(
        patches, [g * height for g in gaps], [0.0] * len(patches), rng, height
    )


def _pick(mnist_test, text: str, skip: int = 0) -> list[np.ndarray]:
    images, labels = mnist_test
    return [images[np.flatnonzero(labels == int(c))[skip]] for c in text]


def _iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def test_separate_digits_give_crops_and_boxes_left_to_right(mnist_test):
    ink, boxes = _line(_pick(mnist_test, "3507"), [0.3, 0.2, 0.4])
    parts = segment.split_image(ink)
    assert len(parts) == 4
    for part, box in zip(parts, boxes):
        assert _iou(part.box, box) > 0.8
        assert part.crop.dtype == np.float32 and part.crop.max() > 0.9
        assert 0 < part.crop.mean() < 1  # grey levels, not a mask
    assert np.diff([p.box[0] for p in parts]).min() > 0


def test_touching_digits_are_split(mnist_test, recognizer):
    judge = _image_judge(recognizer)
    split = 0
    cases = ["4080", "2356", "9731", "6802", "5529", "3174", "8263", "2047"]
    for k, text in enumerate(cases):
        gaps = [0.3] * 3
        gaps[1] = -0.01  # the middle pair touches
        ink, boxes = _line(_pick(mnist_test, text, skip=k), gaps, seed=k)
        labels, count = raster.label(ink > pixels.INK_LEVEL)
        assert count <= 3  # really touching
        parts = segment.split_image(ink, judge=judge)
        split += len(parts) == 4 and all(_iou(p.box, b) > 0.5 for p, b in zip(parts, boxes))
    assert split >= 6, split  # measured: 7 of 8


def test_very_wide_touching_digits_are_cut_without_a_judge(mnist_test):
    ink, boxes = _line(_pick(mnist_test, "000"), [-0.01, -0.01])
    parts = segment.split_image(ink)
    assert len(parts) == 3
    assert all(_iou(p.box, b) > 0.5 for p, b in zip(parts, boxes))


def _image_judge(recognizer):
    from digitpad.core.page.field import image_to_field

    def judge(crops):
        out = np.zeros((len(crops), 10), np.float32)
        for k, crop in enumerate(crops):
            field = image_to_field(crop)
            if field is not None:
                out[k] = recognizer.predict(field[None])[0]
        return out

    return judge


def _draw(size, strokes, width=14) -> np.ndarray:
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=255, width=width, joint="curve")
    return np.asarray(image, dtype=np.float32) / 255.0


def test_a_broken_eight_and_a_detached_bar_are_joined(mnist_test, recognizer):
    images, labels = mnist_test
    eight = synth.digit_patch(images[np.flatnonzero(labels == 8)[0]], 5.0, 0.0)
    rows = np.flatnonzero((eight > 0.2).any(axis=1))
    middle = (rows[0] + rows[-1]) // 2
    eight[middle - 2 : middle + 2] = 0  # a gap right through the waist
    assert raster.label(eight > 0.2)[1] >= 2
    assert len(segment.split_image(eight)) == 1
    assert recognize_image(recognizer, eight).text == "8"

    body = [(60, 60), (55, 130), (100, 120), (130, 150), (125, 200), (90, 220), (50, 205)]
    five = _draw((200, 260), [body, [(75, 52), (140, 52)]])  # the bar does not touch
    assert raster.label(five > 0.2)[1] == 2
    parts = segment.split_image(five)
    assert len(parts) == 1
    assert recognize_image(recognizer, five).text == "5"


def test_specks_are_ignored(mnist_test):
    ink, boxes = _line(_pick(mnist_test, "42"), [0.4])
    rng = np.random.default_rng(3)
    for y, x in zip(rng.integers(0, ink.shape[0], 12), rng.integers(0, ink.shape[1], 12)):
        ink[y : y + 2, x : x + 2] = 1.0  # dust
    parts = segment.split_image(ink)
    assert len(parts) == 2
    assert all(_iou(p.box, b) > 0.8 for p, b in zip(parts, boxes))


def test_max_digits_caps_images_too(mnist_test):
    ink, boxes = _line(_pick(mnist_test, "1234"), [0.4, 0.1, 0.4])
    assert len(segment.split_image(ink)) == 4
    capped = segment.split_image(ink, max_digits=3)
    assert len(capped) == 3
    assert (
        _iou(
            capped[1].box,
            (
                boxes[1][0],
                min(boxes[1][1], boxes[2][1]),
                boxes[2][2],
                max(boxes[1][3], boxes[2][3]),
            ),
        )
        > 0.8
    )
    whole = segment.split_image(ink, max_digits=1)
    assert len(whole) == 1
    assert (
        _iou(
            whole[0].box,
            (boxes[0][0], min(b[1] for b in boxes), boxes[3][2], max(b[3] for b in boxes)),
        )
        > 0.8
    )


def test_empty_and_blank_images_have_no_digit():
    assert segment.split_image(np.zeros((40, 60), np.float32)) == []
    with pytest.raises(ValueError):
        segment.split_image(np.zeros((3, 4, 3), np.float32))


def test_recognize_image_returns_boxes_in_image_pixels_left_to_right(mnist_test, recognizer):
    ink, boxes = _line(_pick(mnist_test, "6149"), [0.3, 0.25, 0.35])
    result = recognize_image(recognizer, ink)
    assert result.text == "6149"
    for digit, box in zip(result.digits, boxes):
        assert _iou(digit.box, box) > 0.8
        assert all(isinstance(v, int) for v in digit.box)
    assert [d.box[0] for d in result.digits] == sorted(d.box[0] for d in result.digits)
    assert len(recognize_image(recognizer, ink, max_digits=1).digits) == 1


def test_margin_keeps_telling_sure_from_surer():
    p = np.array(
        [[1.0] + [0.0] * 9, [0.999, 0.001] + [0.0] * 8, [0.1] * 10, [0.0] * 10], np.float32
    )
    m = pixels.margin(p)
    assert m[0] == 40.0 and 6.5 < m[1] < 7.5 and m[2] == pytest.approx(np.log(1 / 9))
    assert m[3] == -5.0
