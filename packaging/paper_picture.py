"""The README's real-paper picture, made in code: a cheque amount through the pipeline.

    python packaging/paper_picture.py [--out docs/real_paper.png] [--mnist-dir DIR]

MNIST test digits written as the amount "15.728,50=" on a security background of
wavy lines with a printed baseline under it, some digits touching; then the ink the
scan pipeline finds, and what DigitPad reads: each digit's box with its reading
(green), separators as marks (blue). Needs the MNIST files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitpad.core.io import mnist
from digitpad.core.made import synth
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.page.ink import ink_from_grey
from digitpad.core.reading import recognize_image

ROOT = Path(__file__).resolve().parent.parent
HEIGHT = 60.0


def amount(mnist_dir: str | None) -> np.ndarray:
    """The grey page (float, paper light) of the amount."""
    imgs, labels = mnist.load("test", mnist_dir)
    rng = np.random.default_rng(5)
    text = "1572850"
    patches = [
        synth.digit_patch(imgs[np.flatnonzero(labels == int(c))[k + 30]], 3.0, rng.uniform(-3, 3))
        for k, c in enumerate(text)
    ]
    gaps = [0.4, 0.9, -0.02, 0.3, 0.9, -0.03]  # a "." and a "," go in the wide gaps
    ink, boxes = synth.line_of_digits(patches, [g * HEIGHT for g in gaps], [0.0] * 7, rng, HEIGHT)
    ink = np.pad(ink, ((10, 10), (0, 70)))
    boxes = [(x0, y0 + 10, x1, y1 + 10) for x0, y0, x1, y1 in boxes]
    base = int(np.median([b[3] for b in boxes]))
    page = Image.fromarray((ink * 255).astype(np.uint8))
    draw = ImageDraw.Draw(page)
    for after, comma in ((1, False), (4, True)):
        x = (boxes[after][2] + boxes[after + 1][0]) // 2
        if comma:
            draw.line([(x + 4, base - 6), (x - 3, base + 12)], fill=255, width=5)
        else:
            draw.ellipse([x - 3, base - 7, x + 3, base - 1], fill=255)
    mid = (boxes[0][1] + base) // 2
    right = boxes[-1][2] + 20
    for dy in (-7, 7):  # "=" after the amount
        draw.line([(right, mid + dy), (right + 35, mid + dy)], fill=255, width=5)
    h, w = ink.shape
    ink = np.asarray(page, np.float32) / 255
    paper = Image.new("F", (w, h), 0.93)
    lines = ImageDraw.Draw(paper)
    xs = np.arange(0, w, 2.0)
    for _ in range(14):  # the security background
        y, amp, period = rng.uniform(0, h), rng.uniform(3, 10), rng.uniform(40, 90)
        phase = rng.uniform(0, 2 * np.pi)
        lines.line(
            list(zip(xs, y + amp * np.sin(2 * np.pi * xs / period + phase))), fill=0.8, width=1
        )
    lines.line([(0, base + 8), (w, base + 8)], fill=0.35, width=2)  # printed baseline
    grey = np.asarray(paper, np.float32) * (1 - 0.85 * ink)
    return np.clip(grey + rng.normal(0, 0.01, grey.shape), 0, 1).astype(np.float32)


def picture(grey: np.ndarray, recognizer: Recognizer) -> Image.Image:
    ink = ink_from_grey(grey)
    result = recognize_image(recognizer, ink)
    h, w = grey.shape
    scale = 2
    out = Image.new("RGB", (w * scale, (3 * h + 40) * scale), (255, 255, 255))
    rows = [
        Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB"),
        Image.fromarray((255 - ink * 255).astype(np.uint8)).convert("RGB"),
    ]
    read = rows[1].copy()
    draw = ImageDraw.Draw(read)
    for d in result.digits:
        draw.rectangle([d.box[0], d.box[1], d.box[2] - 1, d.box[3] - 1], outline=(0, 150, 0))
        draw.text((d.box[0] + 2, d.box[1] - 11), str(d.digit), fill=(0, 120, 0))
    for m in result.marks:
        draw.rectangle([m.box[0], m.box[1], m.box[2] - 1, m.box[3] - 1], outline=(0, 90, 255))
    rows.append(read)
    for k, row in enumerate(rows):
        out.paste(row.resize((w * scale, h * scale), Image.Resampling.NEAREST), (0, k * h * scale))
    caption = f'read: text "{result.text}", marks ' + " ".join(f'"{m.char}"' for m in result.marks)
    ImageDraw.Draw(out).text((8, 3 * h * scale + 20), caption, fill=(0, 0, 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "real_paper.png"))
    parser.add_argument("--mnist-dir")
    args = parser.parse_args()
    image = picture(amount(args.mnist_dir), Recognizer.load())
    image.save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
