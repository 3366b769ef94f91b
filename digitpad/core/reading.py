"""The one place that composes the pipeline: a drawing or an ink image -> segment ->
the card network (and, for lines, the sequence model and the open recogniser) -> Result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from digitpad.core import segment
from digitpad.core.io.drawing import MAX_STROKES, Drawing, DrawingError
from digitpad.core.models import open_reader, sequence
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.open_reader import OpenReader
from digitpad.core.models.sequence import SequenceModel
from digitpad.core.page.field import drawing_to_field, image_to_field
from digitpad.core.result import EMPTY, Digit, Mark, Rejected, Result
from digitpad.core.segment.common import Judge
from digitpad.core.segment.pixels import SPLIT_LONE


def _result(recognizer: Recognizer, fields: list, boxes: list) -> Result:
    """A Digit or a Rejected part per field and box, left to right as given; parts whose
    field is None (nothing to read) drop out."""
    kept = [(f, _whole_box(box)) for f, box in zip(fields, boxes) if f is not None]
    if not kept:
        return EMPTY
    probs, digit_like = recognizer.read(np.stack([f for f, _ in kept]))
    digits, rejected = [], []
    for p, ok, (f, box) in zip(probs, digit_like, kept):
        if ok:
            digits.append(Digit(int(p.argmax()), float(p.max()), p, box, f))
        else:
            rejected.append(Rejected(box, f))
    return Result(tuple(digits), tuple(rejected))


def recognize_drawing(
    recognizer: Recognizer, drawing: Drawing, max_digits: int | None = None
) -> Result:
    """A Drawing -> Result with its digits left to right; EMPTY when it holds no digit.

    Boxes are the digits' points in canvas pixels. ``max_digits`` caps the count
    (1: the whole drawing is one digit).
    """
    if len(drawing.strokes) > MAX_STROKES:  # drawings made in code skip the file's checks
        raise DrawingError(f"too many strokes ({len(drawing.strokes):,}; at most {MAX_STROKES:,})")
    parts = segment.split_drawing(drawing, max_digits, _drawing_judge(recognizer))
    return _result(
        recognizer, [drawing_to_field(p.drawing) for p in parts], [_whole_box(p.box) for p in parts]
    )


def recognize_image(
    recognizer: Recognizer,
    ink: np.ndarray,
    max_digits: int | None = None,
    grey: np.ndarray | None = None,
) -> Result:
    """Grey float (H, W), ink bright -> Result with its digits left to right; EMPTY without ink.

    Boxes are in the array's pixels, end-exclusive. ``max_digits`` caps the count
    (1: all the ink is one digit). ``grey`` is the image the ink came from (paper
    light, the same shape), which the open line recogniser reads; without it, lines
    are read by our own networks alone (they know MNIST-like ink arrays better).
    """
    parts = segment.split_image(ink, max_digits, _image_judge(recognizer))
    digits = [p for p in parts if not p.mark]
    result = _result(recognizer, [image_to_field(p.crop) for p in digits], [p.box for p in digits])
    if grey is not None and len(digits) == 1 and (max_digits == 1 or not _is_line(digits)):
        result = _with_open_reading(recognizer, grey, result)
    if max_digits != 1 and _is_line(digits):
        result = _read_whole_line(recognizer, ink, grey, parts, digits, result)
    marks = tuple(Mark(p.mark, p.box) for p in parts if p.mark)
    return dataclasses.replace(result, marks=marks) if marks else result


# A digit alone on paper is read by the open recogniser too when the card networks are
# less sure than this (it costs a pass of about 45 ms): the two are combined, ours
# weighted by SINGLE_OURS_WEIGHT (single MNIST-like digits are what ours know best).
SINGLE_UNSURE = 0.9
SINGLE_OURS_WEIGHT = 2.0
# A lone part the digit check turned away is a digit after all when the open recogniser
# sees one digit at least this sure, the one the card networks think likeliest: two
# readers trained on different writing agree (the check was fitted on drawn
# non-digits, and turns away some real digits in photos).
SECOND_OPINION = 0.9


def _with_open_reading(recognizer: Recognizer, grey: np.ndarray, result: Result) -> Result:
    """A single part's reading with the open recogniser's where it is needed: a digit
    the card networks are unsure of, or a part the digit check turned away."""
    if result.digits:
        (digit,) = result.digits
        if digit.confidence >= SINGLE_UNSURE:
            return result
        box, field, card = digit.box, digit.field, digit.probabilities
    else:
        (part,) = result.rejected
        box, field, card = part.box, part.field, recognizer.predict(part.field[None])[0]
    opened = _read_alone(recognizer, grey, box)
    if opened is None:
        return result
    theirs, sure = opened
    if result.digits:
        # Two sure readers multiplied are surer than either: the mean of their logs
        # keeps the answer and leaves the confidence as honest as each one's.
        both = _combined(theirs, card, SINGLE_OURS_WEIGHT) ** (1 / (1 + SINGLE_OURS_WEIGHT))
        both = (both / both.sum()).astype(np.float32)
    elif sure >= SECOND_OPINION and int(theirs.argmax()) == int(card.argmax()):
        both = _combined(theirs, card, OURS_WEIGHT)
    else:
        return result
    return Result((Digit(int(both.argmax()), float(both.max()), both, box, field),))


def _read_alone(
    recognizer: Recognizer, grey: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, float] | None:
    """The open recogniser's probabilities for what lies in ``box`` on the paper when it
    reads exactly one digit there, and that digit's probability at its surest step."""
    reader = getattr(recognizer, "lines", None)
    prepared = (
        None if reader is None else open_reader.line_input(grey, box, open_reader.DIGIT_WIDTH)
    )
    if reader is None or prepared is None:
        return None
    steps = reader.step_probabilities(prepared[0])
    reading = sequence.decode(steps)
    if len(reading.text) != 1:
        return None
    start, end = reading.spans[0]
    return reading.probabilities[0], float(steps[start:end, int(reading.text)].max())


# The open recogniser's weight against our own line reading's where both count the
# same digits (geometric weighting): it reads real writing far better, ours knows
# MNIST-like digits better.
OURS_WEIGHT = 0.5


def _read_whole_line(
    recognizer: Recognizer,
    ink: np.ndarray,
    grey: np.ndarray | None,
    parts: list,
    digits: list,
    segmented: Result,
) -> Result:
    """A line's digits: the open recogniser's reading, combined with our own where they
    count the same digits; ours where the open one loses digits standing clearly apart
    (or is not there)."""
    ours = segmented
    strings = getattr(recognizer, "strings", None)
    if strings is not None:
        line = _read_line(recognizer, strings, ink.shape, digits)
        if line is not None and not _drops_digits_apart(line, segmented, digits):
            ours = line
    reader = getattr(recognizer, "lines", None)
    if reader is None or grey is None:  # no paper to read: an ink array alone
        return ours
    opened = _read_open(recognizer, reader, grey, ink, parts, digits)
    if opened is None or _drops_digits_apart(opened, segmented, digits):
        return ours
    if len(ours.digits) != len(opened.digits):
        return opened
    combined = []
    for theirs, mine in zip(opened.digits, ours.digits):
        both = _combined(theirs.probabilities, mine.probabilities, OURS_WEIGHT)
        combined.append(Digit(int(both.argmax()), float(both.max()), both, mine.box, mine.field))
    return Result(tuple(combined))


def _combined(theirs: np.ndarray, ours: np.ndarray, weight: float) -> np.ndarray:
    """The open recogniser's probabilities times ours to the power ``weight``, float32."""
    both = np.exp(np.log(np.maximum(theirs, 1e-9)) + weight * np.log(np.maximum(ours, 1e-9)))
    return (both / both.sum()).astype(np.float32)


def _is_line(parts: list) -> bool:
    """Two parts or more, or a piece alone as wide as segmentation would consider cutting
    (maybe touching digits): a single digit, however slanted or flourished, never is."""
    if len(parts) >= 2:
        return True
    if len(parts) == 1:
        x0, y0, x1, y1 = parts[0].box
        return x1 - x0 > SPLIT_LONE * (y1 - y0)
    return False


def _read_line(
    recognizer: Recognizer, strings: SequenceModel, shape: tuple[int, int], parts: list
) -> Result | None:
    """The digits of a line of image parts, as the sequence recogniser places them and
    both networks read them; None when the line cannot be read that way.

    The sequence recogniser says how many digits there are and where; each digit's
    columns are cut out of the line and read by the card network too, and the two
    readings are combined by their geometric mean: the card network knows single
    digits best, the sequence model knows where touching digits begin and end.
    """
    box = sequence.line_box([p.box for p in parts])
    scale = sequence.INK_HEIGHT / max(box[3] - box[1], 1)
    line = sequence.compose([(sequence.widened(p.crop, scale), p.origin) for p in parts], shape)
    x = sequence.line_input(line, box)
    if x is None:
        return None
    reading = strings.read(x)
    if not reading.text:
        return None
    owners = _owners(parts, sequence.digit_centres(reading, box))
    if owners is not None:  # one digit per part, as segmentation found them: its crops
        crops = [parts[k].crop for k in owners]
        boxes = [parts[k].box for k in owners]
    else:  # touching digits: each one's columns of the line
        cut = _cut_columns(line, box, sequence.digit_columns(reading, box))
        if cut is None:
            return None  # a digit with no ink under it: trust the segmentation instead
        crops, boxes = cut
    fields = [f for f in (image_to_field(c) for c in crops) if f is not None]
    if len(fields) != len(crops):
        return None
    card, _ = recognizer.read(np.stack(fields), check=False)
    both = np.sqrt(card * reading.probabilities)
    both /= np.maximum(both.sum(axis=1, keepdims=True), 1e-12)
    return Result(
        tuple(
            Digit(int(p.argmax()), float(p.max()), p.astype(np.float32), b, f)
            for p, b, f in zip(both, boxes, fields)
        )
    )


def _cut_columns(
    line: np.ndarray, box: tuple[int, int, int, int], columns: list
) -> tuple[list, list] | None:
    """Each digit's ink in its columns of a line, and its box; None when a digit has
    no ink under it."""
    crops, boxes = [], []
    for c0, c1 in columns:
        crop = line[box[1] : box[3], c0:c1]
        rows = np.flatnonzero(crop.max(axis=1) > 0) if crop.size else np.zeros(0, int)
        cols = np.flatnonzero(crop.max(axis=0) > 0) if crop.size else np.zeros(0, int)
        if rows.size == 0:
            return None
        r0, r1, k0, k1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        crops.append(crop[r0:r1, k0:k1])
        boxes.append((c0 + k0, box[1] + r0, c0 + k1, box[1] + r1))
    return crops, boxes


def _read_open(
    recognizer: Recognizer,
    reader: OpenReader,
    grey: np.ndarray,
    ink: np.ndarray,
    parts: list,
    digits: list,
) -> Result | None:
    """The open recogniser's reading of the line that ``parts`` (marks included: it
    knows them) make on the grey image; each digit's box and field are its columns of
    the line's ink. None when the line cannot be read that way."""
    prepared = open_reader.line_input(grey, sequence.line_box([p.box for p in parts]))
    if prepared is None:
        return None
    x, covered = prepared
    reading = reader.read(x)
    if not reading.text:
        return None
    box = sequence.line_box([p.box for p in digits])
    line = sequence.compose([(p.crop, p.origin) for p in digits], ink.shape)
    centres = [open_reader.step_column((a + b) / 2, covered) for a, b in reading.spans]
    cuts = [
        int(np.clip(round((a + b) / 2), box[0], box[2])) for a, b in zip(centres[:-1], centres[1:])
    ]
    edges = [box[0]] + cuts + [box[2]]
    cut = _cut_columns(line, box, list(zip(edges[:-1], edges[1:])))
    if cut is None:
        return None
    fields = [f for f in (image_to_field(c) for c in cut[0]) if f is not None]
    if len(fields) != len(cut[0]):
        return None
    return Result(
        tuple(
            Digit(int(p.argmax()), float(p.max()), p.astype(np.float32), b, f)
            for p, b, f in zip(reading.probabilities, cut[1], fields)
        )
    )


# Parts this far apart (x the line's height) are separate digits, never one.
APART = 0.15


def _drops_digits_apart(line: Result, segmented: Result, parts: list) -> bool:
    """Whether the line's reading has fewer digits than segmentation found, all of them
    digits standing clearly apart: then the sequence model has lost one (a faint or
    broken stroke unlike its training strings), not joined two halves of one digit."""
    if len(line.digits) >= len(parts) or segmented.rejected:
        return False
    if len(segmented.digits) != len(parts):
        return False
    boxes = sorted(p.box for p in parts)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    gaps = [b[0] - a[2] for a, b in zip(boxes[:-1], boxes[1:])]
    return min(gaps) >= APART * height


def _owners(parts: list, centres: list[float]) -> list[int] | None:
    """The part under each digit's centre when every part holds exactly one digit's
    centre; None otherwise."""
    owners = []
    for middle in centres:
        under = [k for k, p in enumerate(parts) if p.box[0] <= middle < p.box[2]]
        if len(under) != 1:
            return None
        owners.append(under[0])
    return owners if sorted(owners) == list(range(len(parts))) else None


def _whole_box(box: Sequence[float]) -> tuple[int, int, int, int]:
    """Canvas (or pixel) coordinates -> whole pixels that still contain the points."""
    x0, y0, x1, y1 = box
    return (int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1)))


def _probabilities(recognizer: Recognizer, fields: list) -> np.ndarray:
    """float32 (N, 10) per field (or None); a row of zeros where there is nothing to read."""
    out = np.zeros((len(fields), 10), np.float32)
    present = [k for k, f in enumerate(fields) if f is not None]
    if present:
        out[present] = recognizer.predict(np.stack([fields[k] for k in present]))
    return out


def _drawing_judge(recognizer: Recognizer) -> Judge:
    return lambda drawings: _probabilities(recognizer, [drawing_to_field(d) for d in drawings])


def _image_judge(recognizer: Recognizer) -> Judge:
    def judge(crops: list) -> tuple[np.ndarray, np.ndarray]:
        fields = [image_to_field(c) for c in crops]
        probs = np.zeros((len(fields), 10), np.float32)
        likeness = np.full(len(fields), -10.0, np.float32)  # nothing to read: no digit
        present = [(k, f) for k, f in enumerate(fields) if f is not None]
        if present:
            rows = [k for k, _ in present]
            probs[rows], likeness[rows] = recognizer.read_scores(np.stack([f for _, f in present]))
        return probs, likeness

    return judge
