"""The canvas' finished strokes with undo and redo (no Qt: plain NumPy).

A state is a tuple of strokes; strokes are float64 (K, 3) arrays of x, y and
pressure (NaN without a pen) that are never changed in place, so keeping old
states for undo costs only the tuples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    Stroke = np.ndarray
    State = tuple[Stroke, ...]


class StrokeHistory:
    def __init__(self) -> None:
        self.strokes: State = ()
        self._undo: list[State] = []
        self._redo: list[State] = []

    def replace(self, strokes: State) -> None:
        """A new state after an edit; the old one can be undone, the redo list is dropped."""
        self._undo.append(self.strokes)
        self.strokes = tuple(strokes)
        self._redo.clear()

    def add(self, stroke: Stroke) -> None:
        self.replace(self.strokes + (stroke,))

    def clear(self) -> bool:
        if not self.strokes:
            return False
        self.replace(())
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.strokes)
        self.strokes = self._undo.pop()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.strokes)
        self.strokes = self._redo.pop()
        return True

    def transform(self, scale: float, dx: float, dy: float) -> None:
        """Map every state's points (x, y) -> (x * scale + dx, y * scale + dy).

        Applied to the undo and redo states too, so that undoing after the canvas
        was resized brings strokes back where they now belong.
        """

        def move(state: State) -> State:
            return tuple(transform_stroke(s, scale, dx, dy) for s in state)

        self.strokes = move(self.strokes)
        self._undo = [move(s) for s in self._undo]
        self._redo = [move(s) for s in self._redo]


def transform_stroke(stroke: Stroke, scale: float, dx: float, dy: float) -> Stroke:
    out = stroke.copy()
    out[:, 0] = stroke[:, 0] * scale + dx
    out[:, 1] = stroke[:, 1] * scale + dy
    return out


def fit_transform(old: tuple[float, float], new: tuple[float, float]) -> tuple[float, float, float]:
    """(scale, dx, dy) that maps a canvas of size `old` onto `new`, uniformly and centred."""
    (ow, oh), (nw, nh) = old, new
    scale = min(nw / ow, nh / oh)
    return scale, (nw - ow * scale) / 2, (nh - oh * scale) / 2
