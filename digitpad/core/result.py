"""What a reading returns: Digit, Rejected, Mark and Result, and their JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Digit:
    digit: int
    confidence: float
    probabilities: np.ndarray  # float32 (10,)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in input pixels (canvas or image)
    field: np.ndarray  # float32 (28, 28): what the model saw

    @property
    def sure(self) -> bool:
        """False when the reading is doubtful: the app says "not sure"."""
        return self.confidence >= LOW_CONFIDENCE

    def to_json(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": round(float(self.confidence), 6),
            "sure": self.sure,
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            "box": list(self.box),
        }


NOT_A_DIGIT = "not a digit"


@dataclass(frozen=True)
class Rejected:
    """A part of the input that holds ink but is not a digit (a letter, a shape, a mark)."""

    box: tuple[int, int, int, int]
    field: np.ndarray
    reason: str = NOT_A_DIGIT

    def to_json(self) -> dict:
        return {"box": list(self.box), "reason": self.reason}


@dataclass(frozen=True)
class Mark:
    """A separator written among the digits (".", ",", "-", "="): not part of the text."""

    char: str
    box: tuple[int, int, int, int]

    def to_json(self) -> dict:
        return {"char": self.char, "box": list(self.box)}


@dataclass(frozen=True)
class Result:
    digits: tuple[Digit, ...]
    rejected: tuple[Rejected, ...] = ()
    marks: tuple[Mark, ...] = ()

    @property
    def text(self) -> str:
        """The digits left to right; "" when there is none."""
        return "".join(str(d.digit) for d in self.digits)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "digits": [d.to_json() for d in self.digits],
            "rejected": [r.to_json() for r in self.rejected],
            "marks": [m.to_json() for m in self.marks],
        }


EMPTY = Result(())


# Below this top probability a digit is flagged "not sure". Measured with the bundled
# model: of the MNIST test digits 0.4% fall below 0.7 and only 46% of those are right
# (99.7% above it); of the 7,494 pen digits, 1.9% and 49% (97.3% above it). Under 0.7
# a reading is a coin toss; a higher bar flags many more digits that are right.
LOW_CONFIDENCE = 0.7
