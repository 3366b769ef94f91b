"""Splitting a drawing or an image into its digits, left to right.

Drawings: strokes arrive in the order they were drawn, and people write a number
digit by digit, so the strokes of one digit follow each other. Between two
consecutive strokes the question is "does the next stroke continue the digit or
start a new one"; a small logistic model answers it from the geometry: how much the
stroke overlaps the digit so far horizontally (relative to the narrower of the two),
how close it comes to the digit's ink, how wide the digit would become, all in units
of the typical digit height. The best partition of the stroke sequence is found by
dynamic programming over those probabilities and, when it is not clear and the
caller passes a judge (the recogniser), over how confidently each candidate group
reads as one digit. A low stroke added to an earlier digit later (a 5's bar written
after the next digit) joins that digit afterwards.

Images (ink bright, background 0): connected components of the ink mask, labelled
on runs; specks (much smaller than the typical digit) are dropped unless they lie in
a digit's box. Pieces above one another and close (a 5 whose bar is detached, a
broken 8) are merged, and low pieces join the nearest ink. A piece too wide for one
digit may be touching digits: it is cut along the path of least ink near the column
where the judge reads both sides best, and a logistic model over the widths and the
judge's margins decides whether the cut stands. Crops keep the grey levels of their
own ink: a neighbour's ink or faint edge that reaches into a digit's box is removed.

``max_digits`` caps the count: the closest neighbours are merged until it holds;
1 means the whole input is one digit.

Pure NumPy: a few milliseconds for a number on a small scan, tens on a 1600 x 1600 page.

strokes.py splits drawings, pixels.py images; common.py holds what they share.
"""

from digitpad.core.segment.common import Judge
from digitpad.core.segment.pixels import ImagePart, split_image
from digitpad.core.segment.strokes import DrawingPart, split_drawing

__all__ = ["DrawingPart", "ImagePart", "Judge", "split_drawing", "split_image"]
