"""`digitpad`: the desktop app by default; predict / evaluate / train / bench sub-commands.

Heavy imports happen inside each command, so `digitpad predict` never pays for Qt or
TensorFlow, and the retraining process never pays for Qt.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

# One BLAS thread per process, unless the user asks for more: the networks' matrices
# are small, and a folder is spread over processes (`predict --jobs`, one per CPU by
# default) instead; two processes of two BLAS threads each on 2 cores read a 158x158
# scan in 27 ms instead of 8 (measured). Set before NumPy loads OpenBLAS, which reads
# it once.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from digitpad import __version__

INTERRUPTED = 128 + 2  # the shell's code for a process ended by Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad", description="Recognise handwritten digits, drawn or scanned."
    )
    parser.add_argument("--version", action="version", version=f"DigitPad {__version__}")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start the app, recognise a built-in drawing, print the timings "
        "as JSON and exit (0: success)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("predict", help="recognise digits in images, drawings or folders")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="image (PNG, JPEG, BMP, TIFF, GIF, WebP), drawing (.json) or folder",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per input per line")
    p.add_argument(
        "--max-digits",
        type=_positive_int,
        default=None,
        metavar="N",
        help="at most N digits per input (1: the input is one digit)",
    )
    p.add_argument("--model", metavar="PATH", help="a .keras model (default: the bundled one)")
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="read with N processes, answers still in input order (default: one per CPU)",
    )

    e = sub.add_parser("evaluate", help="accuracy, loss and confusion matrix on MNIST test")
    e.add_argument("--model", metavar="PATH")
    e.add_argument("--data-dir", metavar="DIR", help="folder with the MNIST files")
    e.add_argument("--json", action="store_true")

    t = sub.add_parser("train", help="train a model (needs TensorFlow)")
    from digitpad.core.records.recipes import DEFAULT, MAX_BATCH_SIZE, RECIPES  # plain data

    t.add_argument("--recipe", choices=tuple(RECIPES), default=DEFAULT.name)
    t.add_argument("--epochs", type=_bounded(1, 1000), metavar="N")
    t.add_argument("--batch-size", type=_bounded(1, MAX_BATCH_SIZE), metavar="N")
    t.add_argument("--data-dir", metavar="DIR")
    t.add_argument(
        "--output",
        metavar="DIR",
        type=_named_folder,
        help="where to write the model (default: a new version in the user data dir)",
    )
    t.add_argument(
        "--seed",
        type=_bounded(0, 2**32 - 1 - 4),
        default=0,
        help="0 to 4,294,967,291 (an ensemble uses N, N+1, ...)",
    )
    t.add_argument(
        "--limit", type=_positive_int, metavar="N", help="train on the first N training images only"
    )
    t.add_argument("--progress", choices=("text", "json"), default="text")
    t.add_argument("--no-augment", action="store_true", help="train without augmentation")
    t.add_argument(
        "--samples",
        metavar="DIR",
        type=_folder,
        help="labelled drawings (*.json) to mix into the training set",
    )
    t.add_argument("--init-model", metavar="PATH", help="fine-tune from this .keras model")
    t.add_argument(
        "--pendigits",
        metavar="FILE",
        help="pen-strokes file for the default recipe (default: "
        "$DIGITPAD_PENDIGITS, else the copy bundled with DigitPad)",
    )

    b = sub.add_parser("bench", help="measure accuracy and speed against the targets")
    b.add_argument("--json", action="store_true")
    b.add_argument("--model", metavar="PATH")
    b.add_argument("--data-dir", metavar="DIR")
    b.add_argument("--pendigits", metavar="FILE", help="pen-digits trajectories file")
    b.add_argument(
        "--cheques", metavar="DIR", help="cheque amounts folder with labels.tsv (evaluation only)"
    )
    b.add_argument(
        "--photos",
        metavar="DIR",
        help="photos-dev folder: photos/, numbers/, drawn/, scans/ (evaluation only)",
    )
    b.add_argument(
        "--ardis", metavar="DIR", help="ARDIS digits folder with labels.tsv (evaluation only)"
    )
    b.add_argument("--quick", action="store_true", help="fewer timing repetitions")
    return parser


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        value = _whole(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}: {text}")
        return value

    return parse


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _named_folder(text: str) -> str:
    if not text.strip():  # "" would be the current folder, by accident
        raise argparse.ArgumentTypeError("an empty name is not a folder")
    return text


def _folder(text: str) -> str:
    from pathlib import Path

    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {text}")
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def unicode_streams() -> None:
    """Windows gives a pipe or a file the ANSI code page (cp1252, ...), in which most
    file names cannot be printed: `predict 数.png | more` would end in a
    UnicodeEncodeError. Pipes and files get UTF-8 there, as in Python's UTF-8 mode; a
    console already takes any character, and elsewhere the locale is UTF-8."""
    if sys.platform != "win32":
        return
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure") and not stream.isatty():
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unicode_streams()
    logging.basicConfig(level=logging.WARNING, format="digitpad: %(message)s")
    if args.command in ("predict", "evaluate"):
        from digitpad import commands

        try:
            return commands.predict(args) if args.command == "predict" else commands.evaluate(args)
        except KeyboardInterrupt:  # Ctrl-C: the workers are stopped, no traceback
            return INTERRUPTED
    if args.command == "train":
        from digitpad.commands import train

        return train(args)
    if args.command == "bench":
        from digitpad.bench.run import run

        return run(args)
    from digitpad.gui.app import run as run_app  # Qt is imported only for the desktop app

    return run_app(smoke_test=args.smoke_test)


if __name__ == "__main__":
    sys.exit(main())
