"""Marks in the cells of a printed table, made from MNIST digits: the crops a user cuts
from a photographed mark sheet or register.

A cell is about twice as wide as high, its four printed rulings kept (grey, thinner
than the pen, a little inside the crop's edge), sometimes the top one cut off or a dot
left from the row above; a mark of one or two digits sits inside, clear of the rulings.
Sizes vary from a low-resolution screenshot (about 64 x 33 px) to a good scan.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from digitpad.core.made.synth import Scan, digit_patch, ink_box, usable_digits

CELL_SIZE = (64, 33)  # (width, height) at scale 1, pixels
CELL_SCALES = (1.0, 1.5)
MARK_HEIGHT = (0.5, 0.68)  # the digits' ink height x the cell's height
TWO_DIGITS = 0.8  # share of marks of two digits


def mark_cells(images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0) -> list[Scan]:
    """``count`` table cells, each a PNG holding a mark of one or two MNIST digits."""
    rng = np.random.default_rng(seed)
    usable = usable_digits(images_)
    out = []
    for _ in range(count):
        scale = rng.uniform(*CELL_SCALES)
        width = round(CELL_SIZE[0] * scale * rng.uniform(0.95, 1.15))
        height = round(CELL_SIZE[1] * scale * rng.uniform(0.97, 1.03))
        sheet = np.zeros((height, width), np.float32)
        chosen = rng.choice(usable, size=2 if rng.random() < TWO_DIGITS else 1, replace=False)
        ink_height = rng.uniform(*MARK_HEIGHT) * height
        patches = [digit_patch(images_[i], ink_height / 20, rng.uniform(-8, 8)) for i in chosen]
        gap = rng.uniform(0.05, 0.3) * ink_height
        total = sum(p.shape[1] for p in patches) - 8 * ink_height / 20 * (len(patches) - 1)
        x = int(round((width - total) / 2 + rng.uniform(-0.1, 0.1) * width))
        boxes = []
        for patch in patches:
            y = int(round((height - patch.shape[0]) / 2 + rng.uniform(-0.06, 0.06) * height))
            _stamp(sheet, patch, x, y)
            box = ink_box(patch)
            if box is not None:
                boxes.append((box[0] + x, box[1] + y, box[2] + x, box[3] + y))
            x += patch.shape[1] - round(8 * ink_height / 20) + round(gap)
        rulings = _rulings(height, width, scale, rng)
        level = rng.uniform(0.35, 0.75)  # printed lines: lighter than the pen
        page = np.maximum(sheet, level * rulings)
        paper, ink = rng.uniform(200, 250), rng.uniform(10, 70)
        grey = paper + (ink - paper) * page + rng.normal(0, rng.uniform(1, 5), page.shape)
        image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.2, 0.5) * scale)))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        text = "".join(str(int(labels[i])) for i in chosen)
        out.append(Scan(buffer.getvalue(), ".png", text, tuple(boxes)))
    return out


def _stamp(sheet: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = sheet.shape
    y0, x0 = max(0, y), max(0, x)
    y1, x1 = min(h, y + patch.shape[0]), min(w, x + patch.shape[1])
    if y1 > y0 and x1 > x0:
        part = patch[y0 - y : y1 - y, x0 - x : x1 - x]
        np.maximum(sheet[y0:y1, x0:x1], part, out=sheet[y0:y1, x0:x1])


def _rulings(height: int, width: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """The cell's printed lines, 1 on them: four sides a few pixels inside the crop,
    each side's thickness its own; sometimes the top cut off, or a dot from above."""
    lines = np.zeros((height, width), np.float32)
    inset = lambda: int(rng.integers(0, max(1, round(3 * scale))))  # noqa: E731
    thick = lambda: max(1, round(rng.uniform(0.8, 1.6) * scale))  # noqa: E731
    top, bottom = inset(), height - 1 - inset()
    left, right = inset(), width - 1 - inset()
    if rng.random() > 0.2:
        lines[top : top + thick(), :] = 1.0
    lines[bottom - thick() + 1 : bottom + 1, :] = 1.0
    lines[:, left : left + thick()] = 1.0
    lines[:, right - thick() + 1 : right + 1] = 1.0
    if rng.random() < 0.15:  # a dot or a short stroke left from the row above
        x = int(rng.integers(width // 4, 3 * width // 4))
        size = max(2, round(2 * scale))
        lines[: size + top, x : x + size] = 1.0
    return lines
