"""Evaluation sets built in code: scanned digits, scanned zip codes and pen-written numbers.

Everything here is deterministic for a seed and nothing is stored: the sets are
rebuilt from the MNIST test images and the pen-digits trajectories each time.

- Scans: MNIST test digits printed the way a phone or a flatbed sees paper: dark ink
  on a paper colour, rotated up to +-10 degrees, at different scales and margins,
  blurred, with uneven illumination, sensor noise and JPEG artefacts, in both
  polarities, as RGB, 8-bit grey or 16-bit grey files. They are encoded to file bytes
  so that they go through the real image loader (:func:`load_scan`).
- Zip codes: five such digits side by side with varying gaps, baseline jitter and,
  in one in ten, one pair whose inks touch; each comes with the same five digits
  scanned one by one in the same style, so a number can be compared with its digits.
- Pen numbers: five digits of one writer of the pen-digits set, scaled to a common
  height with some jitter and placed side by side with random gaps, as a person
  writes; strokes stay in writing order. Each comes with its digits as drawings.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from digitpad.core.io.drawing import Drawing
from digitpad.core.io.pendigits import PenDigit
from digitpad.core.page.ink import load_grey_sized

Box = tuple[int, int, int, int]

MAX_ANGLE = 10.0  # degrees, either way
SCALES = (1.0, 4.5)  # MNIST pixels -> scan pixels, single digits (digits 20-90 px tall)
ZIP_SCALES = (1.0, 3.5)  # the same for zip codes (digits 20-70 px tall)
MARGINS = (0.2, 1.5)  # paper around the ink, in digit heights
GAPS = (0.06, 0.45)  # ink-to-ink gap between neighbours, in digit heights
TOUCHING = (-0.015, 0.0)  # the same for a touching pair: the inks meet
TOUCHING_SHARE = 0.1  # zip codes with one touching pair
BASELINE_JITTER = 0.06  # vertical offset of each digit, in digit heights (either way)
PEN_HEIGHT = 100.0  # canvas pixels
PEN_HEIGHT_JITTER = 0.1  # each digit's height within +-10% of the common one
PEN_GAPS = (0.1, 0.5)  # ink-to-ink gap between pen digits, in digit heights
PROFILE_INK = 0.3  # ink level that counts when measuring gaps between digits
LUMA = np.array([[0.299], [0.587], [0.114]], np.float32)  # RGB -> grey


@dataclass(frozen=True)
class ScanStyle:
    """How a piece of paper is printed and photographed; shared by a number and its digits."""

    paper: tuple[float, float, float]  # RGB, 0-255
    ink: tuple[float, float, float]
    shading: float  # depth of the illumination ramp, fraction of paper
    shading_angle: float  # direction of the ramp, radians
    blur: float  # Gaussian radius, in MNIST pixels (scaled with the digit)
    noise: float  # standard deviation, grey levels
    inverted: bool  # light ink on dark paper
    mode: str  # "RGB", "L" or "I;16"
    file_format: str  # "JPEG", "PNG" or "TIFF"
    quality: int  # JPEG quality


@dataclass(frozen=True)
class Scan:
    """An encoded image file and what it shows."""

    data: bytes
    suffix: str  # ".png", ".jpg", ".tif"
    text: str  # the digits, left to right
    boxes: tuple[Box, ...]  # each digit's ink box, file pixels, end-exclusive


@dataclass(frozen=True)
class ZipCode:
    scan: Scan  # the whole number
    digits: tuple[Scan, ...]  # the same digits, each scanned alone in the same style
    touching: bool  # whether one pair of neighbours touches


@dataclass(frozen=True)
class PenNumber:
    drawing: Drawing
    text: str
    boxes: tuple[tuple[float, float, float, float], ...]  # each digit's points, canvas pixels
    digits: tuple[Drawing, ...]  # each digit alone, as placed


# --- Scans ------------------------------------------------------------------------


def random_style(rng: np.random.Generator) -> ScanStyle:
    paper_level = rng.uniform(185, 250)
    r, g, b = (float(np.clip(paper_level + rng.normal(0, 6), 0, 255)) for _ in range(3))
    paper = (r, g, b)
    if rng.random() < 0.3:  # blue ballpoint
        ink = (rng.uniform(10, 50), rng.uniform(20, 60), rng.uniform(70, 130))
    else:  # black or graphite
        level = rng.uniform(0, 80)
        ink = (level, level, level)
    mode = str(rng.choice(["RGB", "L", "I;16"], p=[0.45, 0.35, 0.2]))
    if mode == "I;16":
        file_format = str(rng.choice(["PNG", "TIFF"]))
    else:
        file_format = str(rng.choice(["JPEG", "PNG"], p=[0.6, 0.4]))
    return ScanStyle(
        paper=paper,
        ink=(float(ink[0]), float(ink[1]), float(ink[2])),
        shading=float(rng.uniform(0, 0.3)),
        shading_angle=float(rng.uniform(0, 2 * np.pi)),
        blur=float(rng.uniform(0, 0.6)),
        noise=float(rng.uniform(0, 10)),
        inverted=bool(rng.random() < 0.2),
        mode=mode,
        file_format=file_format,
        quality=int(rng.integers(40, 96)),
    )


def digit_patch(image: np.ndarray, scale: float, angle: float) -> np.ndarray:
    """An MNIST image (28, 28), ink bright -> float32 ink in [0, 1], scaled and rotated.

    The whole 28x28 field is kept (grown by the rotation), so the field's centre is the
    patch's centre: digits placed by their centres share MNIST's vertical alignment.
    """
    ink = Image.fromarray(np.asarray(image, dtype=np.float32) / 255.0, mode="F")
    size = max(1, round(28 * scale))
    ink = ink.resize((size, size), Image.Resampling.BICUBIC)
    ink = ink.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=0.0)
    return np.clip(np.asarray(ink, dtype=np.float32), 0.0, 1.0)


def ink_box(ink: np.ndarray, level: float = PROFILE_INK) -> Box | None:
    mask = ink > level
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def print_scan(
    ink: np.ndarray, style: ScanStyle, scale: float, rng: np.random.Generator
) -> tuple[bytes, str]:
    """Ink float (H, W) in [0, 1] -> the encoded file's bytes and suffix, printed in the style."""
    h, w = ink.shape
    paper = np.asarray(style.paper, np.float32)
    colour = np.asarray(style.ink, np.float32)
    if style.mode != "RGB":  # grey files: work on the luminance only
        paper, colour = paper[None] @ LUMA, colour[None] @ LUMA
    page = paper + (colour - paper) * ink[..., None]
    # Uneven illumination: a linear ramp of light across the sheet in some direction.
    ramp = np.cos(style.shading_angle) * np.arange(w, dtype=np.float32)[None, :] / max(
        w, 1
    ) + np.sin(style.shading_angle) * np.arange(h, dtype=np.float32)[:, None] / max(h, 1)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    page *= (1 - style.shading * ramp)[..., None]
    image = Image.fromarray(
        np.clip(page, 0, 255).astype(np.uint8).squeeze(axis=2)
        if page.shape[2] == 1
        else np.clip(page, 0, 255).astype(np.uint8)
    )
    if style.blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(style.blur * scale))
    pixels = np.asarray(image, dtype=np.float32)
    pixels = pixels + style.noise * rng.standard_normal(pixels.shape, dtype=np.float32)
    if style.inverted:
        pixels = 255 - pixels
    pixels = np.clip(pixels, 0, 255)
    if style.mode == "I;16":
        image = Image.fromarray(np.round(pixels * 257).astype(np.uint16))
    else:
        image = Image.fromarray(np.round(pixels).astype(np.uint8))
    buffer = io.BytesIO()
    if style.file_format == "JPEG":
        image.save(buffer, "JPEG", quality=style.quality)
        return buffer.getvalue(), ".jpg"
    if style.file_format == "TIFF":
        image.save(buffer, "TIFF")
        return buffer.getvalue(), ".tif"
    image.save(buffer, "PNG")
    return buffer.getvalue(), ".png"


def _margins(rng: np.random.Generator, height: float) -> np.ndarray:
    return np.round(rng.uniform(*MARGINS, size=4) * height).astype(int)  # left, top, right, bottom


def _on_paper(
    patches: list[np.ndarray], xs: list[int], ys: list[int], rng: np.random.Generator, height: float
) -> tuple[np.ndarray, list[Box]]:
    """Paste patches at (x, y) (any origin) onto one ink sheet with random margins."""
    boxes = [ink_box(p) or (0, 0, 0, 0) for p in patches]  # patches hold ink
    x0 = min(x + b[0] for x, b in zip(xs, boxes))
    y0 = min(y + b[1] for y, b in zip(ys, boxes))
    x1 = max(x + b[2] for x, b in zip(xs, boxes))
    y1 = max(y + b[3] for y, b in zip(ys, boxes))
    left, top, right, bottom = _margins(rng, height)
    sheet = np.zeros((y1 - y0 + top + bottom, x1 - x0 + left + right), np.float32)
    placed = []
    for patch, x, y, box in zip(patches, xs, ys, boxes):
        # Paste only the patch's ink box: its empty field may reach past the margins.
        bx0, by0, bx1, by1 = box
        px, py = x + bx0 - x0 + left, y + by0 - y0 + top
        region = sheet[py : py + by1 - by0, px : px + bx1 - bx0]
        np.maximum(region, patch[by0:by1, bx0:bx1], out=region)
        placed.append((int(px), int(py), int(px + bx1 - bx0), int(py + by1 - by0)))
    return sheet, placed


def usable_digits(images_: np.ndarray) -> np.ndarray:
    """Indices of images with some ink (every MNIST test image has)."""
    return np.flatnonzero((images_ > PROFILE_INK * 255).reshape(len(images_), -1).any(axis=1))


def mnist_scans(images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0) -> list[Scan]:
    """``count`` MNIST digits (drawn without replacement), each scanned alone in its own style."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(usable_digits(images_), size=min(count, len(images_)), replace=False)
    scans = []
    for index in chosen:
        scale = rng.uniform(*SCALES)
        angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE)
        style = random_style(rng)
        scans.append(
            _scan_digit_patch(
                digit_patch(images_[index], scale, angle),
                str(int(labels[index])),
                style,
                scale,
                rng,
            )
        )
    return scans


# A zip-code cell as postal scanners cut them: a fixed square of grey pixels.
CELL_SIDE = 158
CELL_DIGIT = (70, 110)  # the digit's height in the cell, pixels


def cell_scans(images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0) -> list[Scan]:
    """``count`` MNIST digits, each alone in a CELL_SIDE-square grey JPEG (the size of a
    scanned zip-code digit): dark ink on light paper, slightly blurred, with sensor
    noise, at a varying size and position."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(usable_digits(images_), size=min(count, len(images_)), replace=False)
    scans = []
    for index in chosen:
        size = int(rng.integers(*CELL_DIGIT)) * 28 // 20  # MNIST's digits fill 20 of 28
        patch = np.asarray(
            Image.fromarray(images_[index]).resize((size, size), Image.Resampling.BICUBIC),
            np.float32,
        )
        sheet = np.zeros((CELL_SIDE, CELL_SIDE), np.float32)
        y, x = (int(rng.integers(0, max(1, CELL_SIDE - size + 1))) for _ in range(2))
        part = patch[: CELL_SIDE - y, : CELL_SIDE - x] / 255.0
        sheet[y : y + part.shape[0], x : x + part.shape[1]] = part
        paper, ink = rng.uniform(190, 245), rng.uniform(20, 100)
        page = paper + (ink - paper) * sheet + rng.normal(0, rng.uniform(1, 6), sheet.shape)
        image = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(60, 95)))
        box = ink_box(sheet) or (0, 0, 0, 0)
        scans.append(Scan(buffer.getvalue(), ".jpg", str(int(labels[index])), (box,)))
    return scans


def drawing_scans(fields: Sequence[np.ndarray], seed: int = 0) -> list[Scan]:
    """Each rendered drawing (float (28, 28), ink = 1) scanned alone like an MNIST digit,
    its text empty: drawn non-digits on paper, for the image path's "not a digit"."""
    rng = np.random.default_rng(seed)
    scans = []
    for field in fields:
        scale = rng.uniform(*SCALES)
        angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE)
        style = random_style(rng)
        patch = digit_patch(np.asarray(field) * 255.0, scale, angle)
        scans.append(_scan_digit_patch(patch, "", style, scale, rng))
    return scans


def _profiles(patch: np.ndarray, y: int) -> dict[int, tuple[int, int]]:
    """Row (sheet coordinates) -> (leftmost, rightmost) ink column in the patch."""
    mask = patch > PROFILE_INK
    out = {}
    for row in np.flatnonzero(mask.any(axis=1)):
        cols = np.flatnonzero(mask[row])
        out[y + int(row)] = (int(cols[0]), int(cols[-1]))
    return out


def _next_x(placed: list[tuple[int, dict]], profile: dict[int, tuple[int, int]], gap: float) -> int:
    """The x at which a patch's ink comes ``gap`` pixels (rows in common) after the others'."""
    need = -np.inf
    for x, other in placed:
        for row, (left, _) in profile.items():
            if row in other:
                need = max(need, x + other[row][1] + 1 + gap - left)
    if not np.isfinite(need):  # no row in common: box to box
        x, other = placed[-1]
        need = x + max(r for _, r in other.values()) + 1 + gap - min(c for c, _ in profile.values())
    return int(round(need))


def zip_codes(
    images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0, length: int = 5
) -> list[ZipCode]:
    """``count`` numbers of ``length`` MNIST digits scanned as one line, and their digits alone.

    Gaps vary; each digit's centre moves up or down a little; a share of the numbers
    has one pair of neighbours whose inks touch.
    """
    rng = np.random.default_rng(seed)
    usable = usable_digits(images_)
    out = []
    for _ in range(count):
        chosen = rng.choice(usable, size=length, replace=False)
        style = random_style(rng)
        scale = rng.uniform(*ZIP_SCALES)
        height = 20 * scale
        scales = scale * rng.uniform(0.92, 1.08, size=length)
        angles = rng.uniform(-MAX_ANGLE, MAX_ANGLE, size=length)
        touching = rng.random() < TOUCHING_SHARE
        touch_at = int(rng.integers(1, length)) if touching else -1
        patches = [digit_patch(images_[i], s, a) for i, s, a in zip(chosen, scales, angles)]
        offsets = rng.uniform(-BASELINE_JITTER, BASELINE_JITTER, size=length) * height
        gaps = [
            rng.uniform(*(TOUCHING if k == touch_at else GAPS)) * height for k in range(1, length)
        ]
        sheet, boxes = line_of_digits(patches, gaps, list(offsets), rng, height)
        data, suffix = print_scan(sheet, style, scale, rng)
        text = "".join(str(int(labels[i])) for i in chosen)
        singles = tuple(
            _scan_digit_patch(p, str(int(labels[i])), style, scale, rng)
            for p, i in zip(patches, chosen)
        )
        out.append(ZipCode(Scan(data, suffix, text, tuple(boxes)), singles, touching))
    return out


def line_of_digits(
    patches: Sequence[np.ndarray],
    gaps: Sequence[float],
    offsets: Sequence[float],
    rng: np.random.Generator,
    height: float,
) -> tuple[np.ndarray, list[Box]]:
    """Digit patches (digit_patch) side by side on one ink sheet with random margins.

    ``gaps[k]`` is the ink-to-ink gap in pixels between digit k and k + 1, measured row
    by row (0 or less: they touch); ``offsets`` move each digit's centre up or down.
    Returns the sheet, float32 (H, W), ink bright, and each digit's ink box.
    """
    xs: list[int] = []
    ys: list[int] = []
    placed: list[tuple[int, dict]] = []
    for k, patch in enumerate(patches):
        y = int(round(offsets[k] - patch.shape[0] / 2))  # the field's centre on the baseline
        profile = _profiles(patch, y)
        x = 0 if k == 0 else _next_x(placed, profile, gaps[k - 1])
        xs.append(x)
        ys.append(y)
        placed.append((x, profile))
    return _on_paper(list(patches), xs, ys, rng, height)


def _scan_digit_patch(
    patch: np.ndarray, text: str, style: ScanStyle, scale: float, rng: np.random.Generator
) -> Scan:
    sheet, boxes = _on_paper([patch], [0], [0], rng, 20 * scale)
    data, suffix = print_scan(sheet, style, scale, rng)
    return Scan(data, suffix, text, tuple(boxes))


def load_scan(scan: Scan, directory: str | os.PathLike | None = None) -> np.ndarray:
    """The scan through the real loader (a file on disk): float32 (H, W), ink bright."""
    folder = None if directory is None else os.fspath(directory)
    with tempfile.NamedTemporaryFile(suffix=scan.suffix, dir=folder, delete=False) as f:
        f.write(scan.data)
        name = f.name
    try:
        ink, _ = load_grey_sized(name)
    finally:
        Path(name).unlink(missing_ok=True)
    return ink


# --- Pen numbers ------------------------------------------------------------------


def _dense(stroke: np.ndarray, step: float) -> np.ndarray:
    """The stroke's polyline resampled at ``step`` or finer: (K, 2)."""
    xy = stroke[:, :2]
    if len(xy) < 2:
        return xy
    pieces = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:]):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        t = np.arange(1, n + 1)[:, None] / n
        pieces.append(a + (b - a) * t)
    return np.concatenate(pieces)


def _pen_profile(strokes: list[np.ndarray], band: float) -> dict[int, tuple[float, float]]:
    points = np.concatenate([_dense(s, band / 2) for s in strokes])
    rows = np.floor(points[:, 1] / band).astype(int)
    out = {}
    for row in np.unique(rows):
        xs = points[rows == row, 0]
        out[int(row)] = (float(xs.min()), float(xs.max()))
    return out


def pen_numbers(
    digits: Sequence[PenDigit], count: int, seed: int = 0, length: int = 5
) -> list[PenNumber]:
    """``count`` numbers, each of ``length`` digits by one writer, written left to right."""
    rng = np.random.default_rng(seed)
    by_writer: dict[int, dict[int, list[PenDigit]]] = {}
    for d in digits:
        by_writer.setdefault(d.writer, {}).setdefault(d.label, []).append(d)
    writers = sorted(w for w, found in by_writer.items() if len(found) == 10)
    if not writers:
        raise ValueError("no writer has written all ten digits")
    out = []
    for _ in range(count):
        found = by_writer[writers[int(rng.integers(len(writers)))]]
        text = "".join(str(v) for v in rng.integers(0, 10, size=length))
        samples = [found[int(c)][int(rng.integers(len(found[int(c)])))] for c in text]
        out.append(write_number([d.drawing for d in samples], text, rng))
    return out


def write_number(
    digits: Sequence[Drawing],
    text: str,
    rng: np.random.Generator,
    gaps: Sequence[float] | None = None,
) -> PenNumber:
    """Digit drawings written side by side, as a person writes a number.

    Each digit is scaled to PEN_HEIGHT (within +-PEN_HEIGHT_JITTER), moved up or down
    a little and placed so that its ink comes ``gaps[k]`` (in digit heights; random
    in PEN_GAPS by default) after the ink of the digits before it, row by row; a
    slanted digit's box can then reach over its neighbour's. Strokes keep their order.
    """
    band = PEN_HEIGHT / 20
    placed_strokes: list[list[np.ndarray]] = []
    right: dict[int, float] = {}
    for k, source in enumerate(digits):
        bounds = source.bounds()
        assert bounds is not None, "pen digits are never empty"
        x0, y0, x1, y1 = bounds
        height = PEN_HEIGHT * rng.uniform(1 - PEN_HEIGHT_JITTER, 1 + PEN_HEIGHT_JITTER)
        scale = height / max(y1 - y0, 1e-6)
        top = (
            PEN_HEIGHT * rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) + (PEN_HEIGHT - height) / 2
        )
        strokes = [
            np.column_stack([(s[:, 0] - x0) * scale, (s[:, 1] - y0) * scale + top, s[:, 2]])
            for s in source.strokes
        ]
        profile = _pen_profile(strokes, band)
        if k:
            gap = (rng.uniform(*PEN_GAPS) if gaps is None else gaps[k - 1]) * PEN_HEIGHT
            shared = [right[r] - left for r, (left, _) in profile.items() if r in right]
            shift = (max(shared) if shared else max(right.values())) + gap
            strokes = [s + (shift, 0, 0) for s in strokes]
            profile = {r: (a + shift, b + shift) for r, (a, b) in profile.items()}
        for r, (_, b) in profile.items():
            right[r] = max(right.get(r, -np.inf), b)
        placed_strokes.append(strokes)
    margin = 0.5 * PEN_HEIGHT
    all_points = np.concatenate([s[:, :2] for group in placed_strokes for s in group])
    offset = margin - all_points.min(axis=0)
    width, height = all_points.max(axis=0) + offset + margin
    singles, boxes, everything = [], [], []
    for group in placed_strokes:
        moved = [np.column_stack([s[:, :2] + offset, s[:, 2]]) for s in group]
        points = np.concatenate([s[:, :2] for s in moved])
        (bx0, by0), (bx1, by1) = points.min(axis=0), points.max(axis=0)
        boxes.append((float(bx0), float(by0), float(bx1), float(by1)))
        singles.append(Drawing([m.copy() for m in moved], float(width), float(height)))
        everything += moved
    return PenNumber(
        Drawing(everything, float(width), float(height)), text, tuple(boxes), tuple(singles)
    )
