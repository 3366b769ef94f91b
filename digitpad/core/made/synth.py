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
from PIL import Image, ImageDraw, ImageFilter

from digitpad.core.io.drawing import Drawing
from digitpad.core.io.pendigits import PenDigit
from digitpad.core.models import sequence
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


def _ink_box(ink: np.ndarray, level: float = PROFILE_INK) -> Box | None:
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
    boxes = [_ink_box(p) or (0, 0, 0, 0) for p in patches]  # patches hold ink
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


def _usable(images_: np.ndarray) -> np.ndarray:
    """Indices of images with some ink (every MNIST test image has)."""
    return np.flatnonzero((images_ > PROFILE_INK * 255).reshape(len(images_), -1).any(axis=1))


def mnist_scans(images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0) -> list[Scan]:
    """``count`` MNIST digits (drawn without replacement), each scanned alone in its own style."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(_usable(images_), size=min(count, len(images_)), replace=False)
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
    usable = _usable(images_)
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


# --- Page clutter -------------------------------------------------------------------

CLUTTER_KINDS = (
    "hand-drawn frame",
    "printed box",
    "comb field",
    "scanner margin",
    "ruled lines",
    "shadow",
    "crease",
    "guilloche",
    "thin ballpoint",
)


@dataclass(frozen=True)
class ClutteredScan:
    """A grey page (uint8, dark ink on light paper) with one digit and one kind of clutter."""

    pixels: np.ndarray
    text: str
    clutter: str  # one of CLUTTER_KINDS
    box: Box  # the digit's ink box


def cluttered_scans(
    images_: np.ndarray, labels: np.ndarray, count: int, seed: int = 0
) -> list[ClutteredScan]:
    """``count`` MNIST digits, each alone on a page with the clutter of real paper: the
    kinds in turn (hand-drawn frames, form boxes and comb fields, a scanner's black
    margin, ruled lines up to 10 degrees, a soft shadow, a crease, a security
    background of wavy lines, thin ballpoint strokes)."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(_usable(images_), size=min(count, len(images_)), replace=False)
    return [
        _cluttered(
            images_[index], str(int(labels[index])), CLUTTER_KINDS[k % len(CLUTTER_KINDS)], rng
        )
        for k, index in enumerate(chosen)
    ]


def _cluttered(image: np.ndarray, text: str, kind: str, rng: np.random.Generator) -> ClutteredScan:
    scale = rng.uniform(2.5, 4.5)
    patch = digit_patch(image, scale, rng.uniform(-MAX_ANGLE, MAX_ANGLE))
    if kind == "thin ballpoint":  # a 1-2 px line: only the core of the stroke, faint
        patch = np.clip((patch - 0.75) * 4, 0, 1) * rng.uniform(0.35, 0.6)
    ph, pw = patch.shape
    h, w = int(ph * rng.uniform(1.6, 2.2)), int(pw * rng.uniform(1.6, 2.4))
    oy, ox = (h - ph) // 2 + int(rng.integers(-4, 5)), (w - pw) // 2 + int(rng.integers(-4, 5))
    paper = rng.uniform(190, 245)
    contrast = rng.uniform(0.6, 0.85) * paper
    sheet = np.zeros((h, w), np.float32)
    sheet[oy : oy + ph, ox : ox + pw] = patch
    page = Image.fromarray(np.full((h, w), paper, np.float32), mode="F")
    draw = ImageDraw.Draw(page)
    box = _ink_box(sheet)
    assert box is not None, "a digit patch holds ink"
    x0, y0, x1, y1 = box
    line = max(1, round(rng.uniform(0.6, 1.2) * scale))
    dark = paper - contrast * rng.uniform(0.7, 1.0)
    if kind == "hand-drawn frame":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx = (x1 - x0) / 2 + rng.uniform(0.15, 0.35) * (y1 - y0)
        ry = (y1 - y0) / 2 + rng.uniform(0.15, 0.35) * (y1 - y0)
        square = rng.random() < 0.5
        t = np.linspace(0, 2 * np.pi * rng.uniform(0.9, 1.0), 80) + rng.uniform(0, 2 * np.pi)
        bend = 1.0 if not square else 0.25
        px = cx + rx * np.sign(np.cos(t)) * np.abs(np.cos(t)) ** bend
        py = cy + ry * np.sign(np.sin(t)) * np.abs(np.sin(t)) ** bend
        wobble = 0.02 * (y1 - y0)
        points = list(zip(px + rng.normal(0, wobble, t.size), py + rng.normal(0, wobble, t.size)))
        draw.line(points, fill=dark, width=line + 1, joint="curve")
    elif kind in ("printed box", "comb field"):
        pad = rng.uniform(0.1, 0.3) * (y1 - y0)
        rect = [x0 - pad, y0 - pad, x1 + pad, y1 + pad]
        if kind == "printed box":
            draw.rectangle(rect, outline=dark, width=line)
        else:  # the bottom of a row of boxes, ticks between them
            draw.line([(0, rect[3]), (w, rect[3])], fill=dark, width=line)
            for x in (rect[0], rect[2]):
                draw.line([(x, rect[3] - 0.35 * (y1 - y0)), (x, rect[3])], fill=dark, width=line)
    elif kind == "scanner margin":
        side, depth = int(rng.integers(4)), int(rng.uniform(0.04, 0.1) * max(h, w)) + 2
        edge = [(0, 0, depth, h), (0, 0, w, depth), (w - depth, 0, w, h), (0, h - depth, w, h)]
        draw.rectangle(edge[side], fill=rng.uniform(5, 40))
    elif kind == "ruled lines":
        slope = np.tan(np.radians(rng.uniform(-10, 10)))
        spacing = (y1 - y0) * rng.uniform(0.8, 1.2)
        first = y1 - rng.uniform(0.0, 0.3) * (y1 - y0)
        for k in range(-3, 4):
            y = first + k * spacing
            draw.line(
                [(0, y - slope * w / 2), (w, y + slope * w / 2)],
                fill=paper - contrast * 0.5,
                width=max(1, line - 1),
            )
    elif kind == "crease":
        angle = rng.uniform(0, np.pi)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = np.cos(angle) * 2 * max(h, w), np.sin(angle) * 2 * max(h, w)
        draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=paper * 0.82, width=2)
    elif kind == "guilloche":
        xs = np.arange(0, w, 2.0)
        for _ in range(int(rng.integers(8, 16))):
            y = rng.uniform(0, h)
            amp, period = rng.uniform(3, 12), rng.uniform(30, 90)
            phase = rng.uniform(0, 2 * np.pi)
            ys = y + amp * np.sin(2 * np.pi * xs / period + phase)
            draw.line(list(zip(xs, ys)), fill=paper * rng.uniform(0.75, 0.88), width=1)
    grey: np.ndarray = np.asarray(page, np.float32)
    if kind == "shadow":  # a soft edge across the page, the far side much darker
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (
            np.cos(angle) * (np.arange(w)[None, :] - w / 2)
            + np.sin(angle) * (np.arange(h)[:, None] - h / 2)
        ) / (0.15 * max(h, w))
        grey = grey * (1 - rng.uniform(0.35, 0.55) / (1 + np.exp(-ramp)))
    grey = grey - contrast * sheet * (grey / paper)  # ink darkens its own paper
    grey = grey + rng.normal(0, rng.uniform(1, 5), grey.shape)
    pixels = np.clip(np.round(grey), 0, 255).astype(np.uint8)
    return ClutteredScan(pixels, text, kind, box)


# --- Digit strings for the sequence recogniser ------------------------------------

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
    usable = _usable(images_)
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
