"""Single digits on pages with the clutter of real paper, for the bench and training:
hand-drawn frames, printed boxes and comb fields, a scanner's margin, ruled lines, a
shadow, a crease, a security background, thin ballpoint strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from digitpad.core.made.synth import MAX_ANGLE, Box, digit_patch, ink_box, usable_digits

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
    chosen = rng.choice(usable_digits(images_), size=min(count, len(images_)), replace=False)
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
    box = ink_box(sheet)
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
