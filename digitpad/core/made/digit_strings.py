"""Lines of digits written touching, overlapping or joined up, with separators among
them: the training strings of the sequence recogniser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digitpad.core.made.synth import Box, digit_patch, line_of_digits, usable_digits
from digitpad.core.models import sequence

# Separators people write in amounts and dates, drawn in an MNIST-like 28x28 field
# (digits fill rows 4-24): (kind, polylines in field pixels). None of them is a digit.
SEPARATORS: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {
    ".": (((13.5, 22.5), (14.5, 23.0)),),
    ",": (((14.5, 21.5), (14.0, 24.0), (12.5, 26.5)),),
    "-": (((9.0, 14.0), (19.0, 13.5)),),
    "=": (((9.0, 11.5), (19.0, 11.0)), ((9.0, 17.0), (19.0, 16.5))),
    "/-": (((16.0, 5.0), (8.0, 23.0)), ((13.0, 14.0), (22.0, 13.5))),
    "/": (((17.0, 5.0), (10.0, 23.0)),),
    "+": (((9.0, 14.0), (19.0, 14.0)), ((14.0, 9.0), (14.0, 19.0))),
}
STRING_LENGTHS = (1, 9)
STRING_GAPS = (-0.1, 0.5)  # ink-to-ink, digit heights: below 0 the digits overlap
TOUCHING_STRING_SHARE = 0.4  # strings whose gaps are all drawn from the touching end
SMALL_TAIL_SHARE = 0.2  # strings whose last digits are written smaller
JOINED_SHARE = 0.2  # strings written joined up: pen strokes from digit to digit


@dataclass(frozen=True)
class DigitString:
    ink: np.ndarray  # float32 (H, W), ink bright on 0, as ink.ink_from_grey gives
    text: str  # the digits only, left to right
    box: Box  # the line's ink box (digits and separators), end-exclusive


def _separator_patch(kind: str, rng: np.random.Generator) -> np.ndarray:
    field = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(field)
    width = int(rng.integers(2, 4))
    jitter = rng.normal(0, 0.8, size=2)
    for line in SEPARATORS[kind]:
        points = [(x + jitter[0] + rng.normal(0, 0.4), y + jitter[1]) for x, y in line]
        if len(points) == 2 and points[0] == points[1]:
            points[1] = (points[1][0] + 0.5, points[1][1])
        draw.line(points, fill=255, width=width, joint="curve")
        if kind == ".":
            x, y = points[0]
            r = rng.uniform(0.8, 1.8)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    blurred = field.filter(ImageFilter.GaussianBlur(0.6))
    return np.clip(np.asarray(blurred, np.float32) * 1.3, 0, 255)


def _wavy_lines(sheet: np.ndarray, rng: np.random.Generator, count: int) -> None:
    """Faint wavy lines across the sheet: what is left of a security background."""
    h, w = sheet.shape
    page = Image.fromarray(np.zeros_like(sheet), mode="F")
    draw = ImageDraw.Draw(page)
    xs = np.arange(0, w, 2.0)
    for _ in range(count):
        amp, period = rng.uniform(2, 0.3 * h), rng.uniform(0.5, 2.0) * h
        ys = rng.uniform(0, h) + amp * np.sin(2 * np.pi * xs / period + rng.uniform(0, 6.3))
        draw.line(list(zip(xs, ys)), fill=float(rng.uniform(0.25, 0.7)), width=1)
    np.maximum(sheet, np.asarray(page, np.float32), out=sheet)


def digit_strings(
    images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0
) -> list[DigitString]:
    """``count`` lines of 1 to 9 digits drawn from ``images_`` (28x28, ink bright:
    MNIST training digits, rendered pen digits), often touching or overlapping,
    with separators among and after them, slant, size and stroke variation, and
    leftovers of page clutter (faint wavy lines, a baseline, specks).

    For training the sequence recogniser: nothing here comes from a test set unless
    the caller passes one.
    """
    rng = np.random.default_rng(seed)
    usable = usable_digits(images_)
    out = []
    kinds = list(SEPARATORS)
    for _ in range(count):
        length = int(rng.integers(STRING_LENGTHS[0], STRING_LENGTHS[1] + 1))
        chosen = rng.choice(usable, size=length)
        scale = rng.uniform(1.2, 2.5)
        height = 20 * scale
        slant = rng.uniform(-12, 12)
        sources = [images_[i] for i in chosen]
        text = "".join(str(int(labels[i])) for i in chosen)
        # Separators: thousands dots or commas between digits, a mark at the end.
        items: list[tuple[np.ndarray, bool]] = [(s, True) for s in sources]
        if rng.random() < 0.5 and length >= 3:
            mark = str(rng.choice([".", ",", "."]))
            spots = rng.choice(np.arange(1, length), size=min(2, length - 1), replace=False)
            for spot in sorted(spots, reverse=True):
                items.insert(int(spot), (_separator_patch(mark, rng), False))
        if rng.random() < 0.35:
            end = str(rng.choice([k for k in kinds if k != "/"]))
            items.append((_separator_patch(end, rng), False))
        if rng.random() < 0.1:
            items.insert(0, (_separator_patch(str(rng.choice(["-", "=", "+"])), rng), False))
        sizes = rng.uniform(0.85, 1.15, len(items))
        if rng.random() < SMALL_TAIL_SHARE:  # cents written small on the baseline ("1oo")
            tail = [k for k, (_, digit) in enumerate(items) if digit][-int(rng.integers(1, 4)) :]
            sizes[tail] = rng.uniform(0.5, 0.8)
        patches = [
            digit_patch(s, scale * size, slant + rng.normal(0, 4))
            for (s, _), size in zip(items, sizes)
        ]
        touching = rng.random() < TOUCHING_STRING_SHARE
        low, high = STRING_GAPS
        gaps = [
            rng.uniform(low, 0.05 if touching else high) * height for _ in range(len(items) - 1)
        ]
        offsets = rng.normal(0, 0.05 * height, len(items)) + (1 - sizes) * 0.4 * height
        sheet, boxes = line_of_digits(patches, gaps, list(offsets), rng, height)
        if rng.random() < JOINED_SHARE:
            _join_strokes(sheet, boxes, [digit for _, digit in items], height, rng)
        line = sequence.line_box(boxes)
        _string_noise(sheet, line, height, rng)
        out.append(DigitString(sheet, text, line))
    return out


def _join_strokes(
    sheet: np.ndarray, boxes: list[Box], digits: list[bool], height: float, rng: np.random.Generator
) -> None:
    """Thin strokes from one digit's lower right to the next one's lower left, in place."""
    page = Image.fromarray(np.zeros_like(sheet), mode="F")
    draw = ImageDraw.Draw(page)
    width = max(1, round(height / 14))
    for k in range(len(boxes) - 1):
        if not (digits[k] and digits[k + 1]) or rng.random() < 0.4:
            continue
        a, b = boxes[k], boxes[k + 1]
        ya = a[1] + rng.uniform(0.55, 0.95) * (a[3] - a[1])
        yb = b[1] + rng.uniform(0.55, 0.95) * (b[3] - b[1])
        start = (a[2] - rng.uniform(0.0, 0.25) * (a[2] - a[0]), ya)
        end = (b[0] + rng.uniform(0.0, 0.25) * (b[2] - b[0]), yb)
        middle = ((start[0] + end[0]) / 2, max(ya, yb) + rng.uniform(0, 0.1) * height)
        draw.line([start, middle, end], fill=float(rng.uniform(0.6, 1.0)), width=width)
    np.maximum(sheet, np.asarray(page, np.float32), out=sheet)


def _string_noise(sheet: np.ndarray, line: Box, height: float, rng: np.random.Generator) -> None:
    """Stroke width, blur and clutter left over after the page is cleaned, in place."""
    h, w = sheet.shape
    if rng.random() < 0.3:  # heavier pen
        sheet[:] = _filtered(sheet, ImageFilter.MaxFilter(3))
    if rng.random() < 0.3:
        _wavy_lines(sheet, rng, int(rng.integers(1, 6)))
    if rng.random() < 0.15:  # a baseline the clean-up left
        y = line[3] + rng.uniform(-0.15, 0.05) * height
        y0, y1 = int(np.clip(y, 0, h - 1)), int(np.clip(y + max(1, height / 15), 1, h))
        sheet[y0:y1, int(rng.uniform(0, 0.3) * w) : int(rng.uniform(0.7, 1.0) * w)] = rng.uniform(
            0.5, 1.0
        )
    if rng.random() < 0.3:  # specks about the line
        for _ in range(int(rng.integers(1, 6))):
            y, x = int(rng.integers(line[1], line[3])), int(rng.integers(w))
            r = int(rng.integers(1, 3))
            sheet[max(0, y - r) : y + r, max(0, x - r) : x + r] = rng.uniform(0.4, 1.0)
    if rng.random() < 0.3:
        sheet[:] = _filtered(sheet, ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    np.clip(sheet * rng.uniform(0.6, 1.0), 0, 1, out=sheet)


def _filtered(sheet: np.ndarray, kind: ImageFilter.Filter) -> np.ndarray:
    """A PIL filter on float ink in [0, 1], through 8 bits (PIL filters no float images)."""
    image = Image.fromarray(np.round(np.clip(sheet, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.filter(kind), np.float32) / 255.0
