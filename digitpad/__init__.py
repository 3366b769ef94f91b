"""DigitPad: recognise handwritten digits and whole numbers, drawn or scanned."""

__version__ = "0.1.0"
