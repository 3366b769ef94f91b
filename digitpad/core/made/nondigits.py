"""Things people draw or scan that are not digits, drawn in code as pen strokes.

Letters, shapes, marks and scribbles, each a small template in a unit box (x right,
y down) varied by :mod:`digitpad.core.made.pen_augment` as a real hand would vary it. They
train the networks to spread their probabilities on what is not a digit, and measure
how often "not a digit" is said (``digitpad bench``). Shapes that *are* digits when
drawn alone are left out on purpose: a single vertical stroke (1), a circle or an
oval (0), and letters that people write for digits (O, o, D, Q, I, l, i, J, j, S, s,
Z, z, B, b, G, g, q, a, d, y, C, c).

Some families are never used in training (``HELD_OUT``), so the bench can tell
whether rejection carries over to shapes the networks never saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digitpad.core.io.drawing import Drawing
from digitpad.core.made.pen_augment import DEFAULT, PenVariation, vary

Stroke = list[tuple[float, float]]
Template = Callable[[np.random.Generator], list[Stroke]]


def _line(x0: float, y0: float, x1: float, y1: float, n: int = 8) -> Stroke:
    t = np.linspace(0, 1, n)
    return list(zip(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))


def _poly(*points: tuple[float, float]) -> Stroke:
    out: Stroke = []
    for a, b in zip(points, points[1:]):
        out += _line(*a, *b, n=6)[(1 if out else 0) :]
    return out


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 16) -> Stroke:
    """Degrees, 0 = right, growing clockwise on screen (y down)."""
    t = np.radians(np.linspace(a0, a1, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# --- Letters (only those that do not double as digits) ------------------------------

LETTERS: dict[str, Template] = {
    "A": lambda r: [_poly((0.1, 1), (0.5, 0), (0.9, 1)), _line(0.25, 0.62, 0.75, 0.62)],
    "E": lambda r: [_poly((0.8, 0), (0.15, 0), (0.15, 1), (0.8, 1)), _line(0.15, 0.5, 0.65, 0.5)],
    "F": lambda r: [_poly((0.8, 0), (0.2, 0), (0.2, 1)), _line(0.2, 0.48, 0.65, 0.48)],
    "H": lambda r: [_line(0.15, 0, 0.15, 1), _line(0.85, 0, 0.85, 1), _line(0.15, 0.5, 0.85, 0.5)],
    "K": lambda r: [_line(0.2, 0, 0.2, 1), _poly((0.8, 0), (0.2, 0.55), (0.85, 1))],
    "L": lambda r: [_poly((0.2, 0), (0.2, 1), (0.85, 1))],
    "M": lambda r: [_poly((0.05, 1), (0.15, 0), (0.5, 0.7), (0.85, 0), (0.95, 1))],
    "N": lambda r: [_poly((0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0))],
    "P": lambda r: [_line(0.2, 1, 0.2, 0), _arc(0.2, 0.27, 0.6, 0.27, -90, 90)],
    "R": lambda r: [
        _line(0.2, 1, 0.2, 0),
        _arc(0.2, 0.25, 0.55, 0.25, -90, 90),
        _line(0.35, 0.5, 0.85, 1),
    ],
    "T": lambda r: [_line(0.05, 0, 0.95, 0), _line(0.5, 0, 0.5, 1)],
    "U": lambda r: [
        _line(0.15, 0, 0.15, 0.6)
        + _arc(0.5, 0.6, 0.35, 0.4, 180, 0)[1:]
        + _line(0.85, 0.6, 0.85, 0)[1:]
    ],
    "V": lambda r: [_poly((0.05, 0), (0.5, 1), (0.95, 0))],
    "W": lambda r: [_poly((0.0, 0), (0.22, 1), (0.5, 0.3), (0.78, 1), (1.0, 0))],
    "X": lambda r: [_line(0.1, 0, 0.9, 1), _line(0.9, 0, 0.1, 1)],
    "Y": lambda r: [_poly((0.1, 0), (0.5, 0.5), (0.9, 0)), _line(0.5, 0.5, 0.5, 1)],
    "e": lambda r: [_line(0.15, 0.55, 0.85, 0.55) + _arc(0.5, 0.55, 0.35, 0.45, 0, -300)[1:]],
    "h": lambda r: [
        _line(0.2, 0, 0.2, 1),
        _line(0.2, 1, 0.2, 0.6)
        + _arc(0.5, 0.65, 0.3, 0.25, 180, 360)[1:]
        + _line(0.8, 0.65, 0.8, 1)[1:],
    ],
    "k": lambda r: [_line(0.2, 0, 0.2, 1), _poly((0.75, 0.4), (0.2, 0.72), (0.8, 1))],
    "m": lambda r: [
        _line(0.05, 1, 0.05, 0.2)
        + _arc(0.27, 0.35, 0.22, 0.2, 180, 360)[1:]
        + _line(0.49, 0.35, 0.49, 1)[1:],
        _line(0.49, 0.45, 0.49, 0.35)
        + _arc(0.72, 0.35, 0.23, 0.2, 180, 360)[1:]
        + _line(0.95, 0.35, 0.95, 1)[1:],
    ],
    "n": lambda r: [
        _line(0.15, 1, 0.15, 0.1)
        + _arc(0.5, 0.35, 0.35, 0.3, 180, 360)[1:]
        + _line(0.85, 0.35, 0.85, 1)[1:]
    ],
    "r": lambda r: [
        _line(0.2, 1, 0.2, 0.1),
        _line(0.2, 0.4, 0.2, 0.4) + _arc(0.55, 0.35, 0.35, 0.25, 180, 300)[1:],
    ],
    "t": lambda r: [
        _line(0.45, 0, 0.45, 0.85) + _arc(0.65, 0.85, 0.2, 0.15, 180, 90)[1:],
        _line(0.1, 0.3, 0.85, 0.3),
    ],
    "u": lambda r: [
        _line(0.15, 0, 0.15, 0.6)
        + _arc(0.5, 0.6, 0.35, 0.4, 180, 0)[1:]
        + _line(0.85, 0.6, 0.85, 0)[1:]
        + _line(0.85, 0, 0.85, 1)[1:]
    ],
    "v": lambda r: [_poly((0.1, 0.2), (0.5, 1), (0.9, 0.2))],
    "w": lambda r: [_poly((0.0, 0.2), (0.25, 1), (0.5, 0.45), (0.75, 1), (1.0, 0.2))],
    "x": lambda r: [_line(0.15, 0.25, 0.85, 1), _line(0.85, 0.25, 0.15, 1)],
    "f": lambda r: [
        _arc(0.65, 0.2, 0.25, 0.2, 0, -180) + _line(0.4, 0.2, 0.4, 1)[1:],
        _line(0.15, 0.45, 0.75, 0.45),
    ],
}


# --- Shapes, marks and scribbles ----------------------------------------------------


def _star(r: np.random.Generator) -> list[Stroke]:
    start = r.uniform(0, 72)
    pts = [
        (
            0.5 + 0.5 * math.cos(math.radians(start + 144 * k - 90)),
            0.5 + 0.5 * math.sin(math.radians(start + 144 * k - 90)),
        )
        for k in range(6)
    ]
    return [_poly(*pts)]


def _smiley(r: np.random.Generator) -> list[Stroke]:
    return [
        _arc(0.5, 0.5, 0.5, 0.5, 0, 360, 28),
        _line(0.33, 0.33, 0.34, 0.36, 2),
        _line(0.66, 0.33, 0.67, 0.36, 2),
        _arc(0.5, 0.55, 0.25, 0.2, 20, 160),
    ]


def _heart(r: np.random.Generator) -> list[Stroke]:
    left = _arc(0.28, 0.3, 0.23, 0.22, 0, -200)
    right = _arc(0.72, 0.3, 0.23, 0.22, -340, 0)
    return [left + [(0.5, 1.0)], [(0.5, 1.0)] + right]


def _triangle(r: np.random.Generator) -> list[Stroke]:
    return [_poly((0.5, 0), (1, 0.9), (0, 0.9), (0.5, 0))]


def _square(r: np.random.Generator) -> list[Stroke]:
    h = r.uniform(0.55, 1.0)
    return [_poly((0, 0), (1, 0), (1, h), (0, h), (0, 0))]


def _arrow(r: np.random.Generator) -> list[Stroke]:
    return [_line(0, 0.5, 1, 0.5), _poly((0.7, 0.25), (1, 0.5), (0.7, 0.75))]


def _plus(r: np.random.Generator) -> list[Stroke]:
    return [_line(0, 0.5, 1, 0.5), _line(0.5, 0, 0.5, 1)]


def _check(r: np.random.Generator) -> list[Stroke]:
    return [_poly((0, 0.55), (0.35, 1), (1, 0))]


def _spiral(r: np.random.Generator) -> list[Stroke]:
    turns = r.uniform(2, 3.5)
    t = np.linspace(0, turns * 2 * math.pi, int(40 * turns))
    radius = 0.5 * t / t[-1]
    return [list(zip(0.5 + radius * np.cos(t), 0.5 + radius * np.sin(t)))]


def _zigzag(r: np.random.Generator) -> list[Stroke]:
    n = int(r.integers(4, 8))
    return [_poly(*[(k / n, float(k % 2)) for k in range(n + 1)])]


def _wave(r: np.random.Generator) -> list[Stroke]:
    t = np.linspace(0, 1, 40)
    cycles = r.uniform(1.5, 3)
    return [list(zip(t, 0.5 + 0.2 * np.sin(t * cycles * 2 * math.pi)))]


def _scribble(r: np.random.Generator) -> list[Stroke]:
    """A tangle: a random walk that turns a lot, as when a user scratches something out."""
    n = int(r.integers(25, 60))
    heading = r.uniform(0, 2 * math.pi)
    xy, pts = np.array([0.5, 0.5]), []
    for _ in range(n):
        heading += r.normal(0, 1.2)
        xy = np.clip(xy + 0.18 * np.array([math.cos(heading), math.sin(heading)]), 0, 1)
        pts.append(tuple(xy))
    return [pts]


def _hatching(r: np.random.Generator) -> list[Stroke]:
    """Scratched-out ink: back-and-forth strokes in one go."""
    n = int(r.integers(5, 10))
    return [_poly(*[(float(k % 2), k / (n - 1)) for k in range(n)])]


def _hash(r: np.random.Generator) -> list[Stroke]:
    return [
        _line(0.35, 0, 0.25, 1),
        _line(0.75, 0, 0.65, 1),
        _line(0, 0.33, 1, 0.33),
        _line(0, 0.67, 1, 0.67),
    ]


def _asterisk(r: np.random.Generator) -> list[Stroke]:
    return [_line(0.5, 0, 0.5, 1), _line(0.07, 0.25, 0.93, 0.75), _line(0.93, 0.25, 0.07, 0.75)]


def _equals(r: np.random.Generator) -> list[Stroke]:
    gap = r.uniform(0.15, 0.4)
    return [_line(0, 0.5 - gap / 2, 1, 0.5 - gap / 2), _line(0, 0.5 + gap / 2, 1, 0.5 + gap / 2)]


def _dash(r: np.random.Generator) -> list[Stroke]:
    tilt = r.uniform(-0.15, 0.15)
    return [_line(0, 0.5 - tilt, 1, 0.5 + tilt)]


def _flat_line(r: np.random.Generator) -> list[Stroke]:
    """A stroke far from upright (at least 50 degrees off vertical): never a 1."""
    angle = math.radians(r.choice([-1, 1]) * r.uniform(55, 85))
    dx, dy = math.sin(angle), math.cos(angle)
    return [_line(0.5 - dx / 2, 0.5 - dy / 2, 0.5 + dx / 2, 0.5 + dy / 2)]


def _flat_oval(r: np.random.Generator) -> list[Stroke]:
    ry = r.uniform(0.12, 0.25)
    return [_arc(0.5, 0.5, 0.5, ry, 0, 360, 28)]


def _dots(r: np.random.Generator) -> list[Stroke]:
    n = int(r.integers(2, 6))
    pts = r.uniform(0, 1, (n, 2))
    return [_line(x, y, x + 0.02, y + 0.02, 2) for x, y in pts]


def _percent(r: np.random.Generator) -> list[Stroke]:
    return [
        _arc(0.2, 0.2, 0.17, 0.17, 0, 360, 14),
        _line(0.85, 0, 0.15, 1),
        _arc(0.8, 0.8, 0.17, 0.17, 0, 360, 14),
    ]


def _crossed_box(r: np.random.Generator) -> list[Stroke]:
    return [_poly((0, 0), (1, 0), (1, 1), (0, 1), (0, 0)), _line(0, 0, 1, 1), _line(1, 0, 0, 1)]


def _cloud(r: np.random.Generator) -> list[Stroke]:
    bumps = int(r.integers(4, 7))
    pts: Stroke = []
    for k in range(bumps):
        a = 360 * k / bumps
        cx, cy = 0.5 + 0.32 * math.cos(math.radians(a)), 0.5 + 0.32 * math.sin(math.radians(a))
        pts += _arc(cx, cy, 0.2, 0.2, a - 90, a + 90, 8)
    return [pts + pts[:1]]


SHAPES: dict[str, Template] = {
    "star": _star,
    "smiley": _smiley,
    "heart": _heart,
    "triangle": _triangle,
    "square": _square,
    "arrow": _arrow,
    "plus": _plus,
    "check": _check,
    "spiral": _spiral,
    "zigzag": _zigzag,
    "wave": _wave,
    "scribble": _scribble,
    "hatching": _hatching,
    "hash": _hash,
    "asterisk": _asterisk,
    "equals": _equals,
    "dash": _dash,
    "flat-line": _flat_line,
    "flat-oval": _flat_oval,
    "dots": _dots,
    "percent": _percent,
    "crossed-box": _crossed_box,
    "cloud": _cloud,
}
FAMILIES: dict[str, Template] = {**LETTERS, **SHAPES}
# Never used in training: the bench's measure of shapes the networks have not seen.
HELD_OUT = frozenset({"K", "R", "w", "f", "heart", "cloud", "percent", "crossed-box"})
TRAINING_FAMILIES = tuple(sorted(set(FAMILIES) - HELD_OUT))
# Flat, thin marks keep their own proportions: they must not be stretched upright.
_KEEP_ASPECT = {"dash", "equals", "flat-oval", "wave", "arrow"}


@dataclass(frozen=True)
class NonDigit:
    family: str
    drawing: Drawing
    stroke_width: float


def draw(family: str, rng: np.random.Generator, variation: PenVariation = DEFAULT) -> NonDigit:
    """One hand-drawn rendition of ``family`` on a 280x280 canvas, varied like a pen digit."""
    strokes = FAMILIES[family](rng)
    aspect = 1.0 if family in _KEEP_ASPECT else rng.uniform(0.7, 1.2)
    size = rng.uniform(120, 220)
    scaled = [[(40 + x * size * aspect, 30 + y * size) for x, y in s] for s in strokes]
    drawing = Drawing.from_points(scaled, width=280.0, height=280.0)
    varied, width = vary(drawing, rng, variation)
    return NonDigit(family, varied, width)


def non_digits(count: int, seed: int, families: tuple[str, ...] | None = None) -> list[NonDigit]:
    """``count`` non-digit drawings cycling through ``families`` (default: all), from a seed."""
    names = sorted(families or FAMILIES)
    rng = np.random.default_rng(seed)
    return [draw(names[k % len(names)], rng) for k in range(count)]
