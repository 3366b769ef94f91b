"""Draw DigitPad's icon and write it in the three formats the installers need.

    uv run python packaging/make_icons.py

resources/icons/digitpad.png (512 px, the window icon and Linux), digitpad.ico
(Windows, 16-256 px) and digitpad.icns (macOS). The outputs are committed; run this
again only to change the icon.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "icons"
SIZE = 1024  # drawn at this size, then reduced (anti-aliasing)
FINAL = 512


def _bezier(p0, p1, p2, p3, steps=64):
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        yield (
            u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
            u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
        )


def _stroke(draw: ImageDraw.ImageDraw, points, width: float, fill) -> None:
    """A pen stroke: round dots along a polyline (round caps and joins)."""
    r = width / 2
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / 2))
        for i in range(steps + 1):
            x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def draw_icon() -> Image.Image:
    s = SIZE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    # A rounded tile with a vertical gradient: deep blue to teal.
    gradient = Image.new("RGBA", (s, s))
    top, bottom = (32, 64, 160), (16, 150, 170)
    for y in range(s):
        t = y / (s - 1)
        gradient.paste(
            tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)) + (255,), (0, y, s, y + 1)
        )
    mask = Image.new("L", (s, s), 0)
    margin = s * 0.06
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, s - margin, s - margin), radius=s * 0.2, fill=255
    )
    img.paste(gradient, (0, 0), mask)
    # The 28x28 grid the digit is read on, faintly.
    grid = ImageDraw.Draw(img)
    inner = (margin + s * 0.1, s - margin - s * 0.1)
    for i in range(1, 4):
        at = inner[0] + (inner[1] - inner[0]) * i / 4
        grid.line((at, inner[0], at, inner[1]), fill=(255, 255, 255, 40), width=int(s * 0.006))
        grid.line((inner[0], at, inner[1], at), fill=(255, 255, 255, 40), width=int(s * 0.006))
    # A handwritten "2": the hook, then the base.
    pen = ImageDraw.Draw(img)
    hook = list(
        _bezier(
            (0.30 * s, 0.36 * s), (0.34 * s, 0.14 * s), (0.78 * s, 0.16 * s), (0.66 * s, 0.44 * s)
        )
    )
    diagonal = list(
        _bezier(
            (0.66 * s, 0.44 * s), (0.58 * s, 0.58 * s), (0.40 * s, 0.70 * s), (0.29 * s, 0.78 * s)
        )
    )
    base = list(
        _bezier(
            (0.29 * s, 0.78 * s), (0.45 * s, 0.76 * s), (0.60 * s, 0.76 * s), (0.74 * s, 0.77 * s)
        )
    )
    _stroke(pen, hook + diagonal + base, s * 0.085, (255, 255, 255, 255))
    return img.resize((FINAL, FINAL), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw_icon()
    icon.save(OUT / "digitpad.png", optimize=True)
    icon.save(OUT / "digitpad.ico", sizes=[(n, n) for n in (16, 24, 32, 48, 64, 128, 256)])
    icon.save(OUT / "digitpad.icns")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
