"""The predict, evaluate and train sub-commands (Qt-free)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from digitpad import workers
from digitpad.core import api
from digitpad.core.io import images, mnist
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.keras_file import ModelError
from digitpad.core.records import evaluation


def _error(message: str) -> None:
    print(f"digitpad: {message}", file=sys.stderr)


def _load_model(path: str | None) -> Recognizer | None:
    try:
        return Recognizer.load(path)
    except ModelError as exc:
        _error(str(exc))
        return None


Item = tuple[str, int | None, str | None]  # (path, page or None, error or None)


def expand_inputs(raw_paths: list[str]) -> Iterator[Item]:
    """(path, page, error or None) per input; folders become their supported files,
    sorted; a multi-page TIFF becomes its pages (1, 2, ...), any other file has page None."""
    for raw in raw_paths:
        path = Path(raw)
        if path.is_dir():
            found = api.input_files(path)
            if not found:
                yield raw, None, "folder holds no supported files"
            for p in found:
                yield from _pages(p)
        elif not path.exists():
            yield raw, None, api.NO_FILE
        else:
            yield from _pages(raw)


def _pages(path: str) -> Iterator[Item]:
    """A file's inputs: a PDF's pages (always named by number), a TIFF's when it holds
    more than one; any other file is one input."""
    suffix = Path(path).suffix.lower()
    if suffix not in images.PAGED_SUFFIXES:
        yield path, None, None  # one page: read (and any fault found) by the worker
        return
    try:
        count = api.page_count(path)
    except images.ImageError as exc:
        yield path, None, str(exc)
        return
    if count == 1 and suffix != ".pdf":
        yield path, None, None
    else:
        yield from ((path, page, None) for page in range(1, count + 1))


def predict(args) -> int:
    recognizer = _load_model(args.model)
    if recognizer is None:
        return 1
    items = list(expand_inputs(args.paths))
    jobs = min(getattr(args, "jobs", None) or os.cpu_count() or 1, len(items))
    settings = (args.max_digits, args.json)
    if jobs <= 1:
        answers: Iterable[tuple[str, bool]] = (
            _answer(recognizer, *item, *settings) for item in items
        )
        return _print_answers(answers, args.json)
    # Each worker loads the model once and holds one input at a time; the answers come
    # out in input order as soon as each is ready, so the first line never waits for
    # the whole batch, and a worker that dies costs only the input it held.
    return _print_answers(
        workers.answers_in_order(
            items,
            jobs,
            _start_worker,
            (str(recognizer.path), *settings),
            _work,
            functools.partial(_lost_line, as_json=args.json),
        ),
        args.json,
    )


LOST = "the process reading it stopped (killed, or out of memory)"


def _lost_line(item: Item, as_json: bool) -> tuple[str, bool]:
    path, page, _ = item
    if as_json:
        return json.dumps(api.json_object(path, LOST, page)), True
    return f"{_named(path, page)}: {LOST}", True


def _named(path: str, page: int | None) -> str:
    """How a plain line names its input: "scan.tif" or, for a page, "scan.tif[3]"."""
    return path if page is None else f"{path}[{page}]"


def _print_answers(answers: Iterable[tuple[str, bool]], as_json: bool) -> int:
    """Print each answer as it comes; 1 if any input failed. A reader that goes away
    (`predict ... | head -1`) ends the batch quietly, as Unix tools do (exit 141)."""
    failed = False
    with _exit_on_terminate():
        try:
            for line, problem in answers:
                failed |= problem
                if problem and not as_json:
                    _error(line)
                else:
                    print(line, flush=True)
        except BrokenPipeError:
            # Nothing more can be shown; later flushes (at exit too) must not complain.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return PIPE_CLOSED
        finally:
            close = getattr(answers, "close", None)
            if close is not None:
                close()  # stops the workers now, whatever ended the loop
    return 1 if failed else 0


PIPE_CLOSED = 128 + 13  # as a process ended by SIGPIPE


@contextlib.contextmanager
def _exit_on_terminate() -> Iterator[None]:
    """SIGTERM ends the batch as a plain exit (code 143) for the time of a batch (main
    thread only): the workers are stopped on the way out and no traceback is printed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    before = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


_worker: tuple | None = None  # in a worker process: (recognizer, max_digits, as_json)


def _start_worker(model: str, max_digits: int | None, as_json: bool) -> None:
    global _worker
    _worker = (Recognizer.load(model), max_digits, as_json)


def _work(item: Item) -> tuple[str, bool]:
    assert _worker is not None
    recognizer, max_digits, as_json = _worker
    return _answer(recognizer, *item, max_digits, as_json)


def _answer(
    recognizer: Recognizer,
    path: str,
    page: int | None,
    problem: str | None,
    max_digits: int | None,
    as_json: bool,
) -> tuple[str, bool]:
    """The output line for one input, and whether it failed (the line is then the error:
    a JSON object with "error", or "path: message" for stderr)."""
    answer = (
        problem if problem is not None else api.read_or_error(recognizer, path, max_digits, page)
    )
    failed = isinstance(answer, str)
    if as_json:
        try:
            return json.dumps(api.json_object(path, answer, page), allow_nan=False), failed
        except ValueError:  # NaN or infinity from a damaged model: this input fails alone
            nan = api.json_object(path, "the model gave NaN or infinity", page)
            return json.dumps(nan), True
    return f"{_named(path, page)}: {answer if failed else plain_answer(answer)}", failed


def plain_answer(result) -> str:
    """One line for people: "71  (98.2%)", "4  (55.0%, not sure)", "not a digit"."""
    rejected = len(result.rejected)
    if not result.digits:
        return "not a digit" if rejected else "no digit"
    confidence = min(d.confidence for d in result.digits)
    doubt = "" if all(d.sure for d in result.digits) else ", not sure"
    extra = f"; {rejected} part{'s' if rejected > 1 else ''} not a digit" if rejected else ""
    return f"{result.text}  ({confidence:.1%}{doubt}{extra})"


def evaluate_model(recognizer: Recognizer, data_dir: str | None) -> dict:
    """The model's file and its figures on the 10,000 MNIST test images."""
    measured = evaluation.evaluate(recognizer.predict, data_dir, _download_progress)
    return {"model": str(recognizer.path), **measured.to_json()}


def _download_progress(name: str, done: int, total: int | None) -> None:
    if total:
        print(f"\rdownloading {name}: {done / total:.0%}", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)


def evaluate(args) -> int:
    recognizer = _load_model(args.model)
    if recognizer is None:
        return 1
    try:
        report = evaluate_model(recognizer, args.data_dir)
    except mnist.MnistError as exc:
        _error(str(exc))
        return 1
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"model     {report['model']}")
    print(f"accuracy  {report['accuracy']:.4f}  ({report['count']:,} MNIST test images)")
    print(f"loss      {report['loss']:.4f}")
    print("confusion (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{k:>6}" for k in range(10)))
    for k, row in enumerate(report["confusion"]):
        print(f"{k:>6}" + "".join(f"{v:>6}" for v in row))
    print("precision " + " ".join(f"{v:.3f}" for v in report["precision"]))
    print("recall    " + " ".join(f"{v:.3f}" for v in report["recall"]))
    return 0


def train(args) -> int:
    if args.output is None:
        from digitpad.core.records.model_versions import new_version_dir

        args.output = str(new_version_dir(args.recipe))
    try:
        from training.cli import run
    except ImportError as exc:
        _error(f"training needs TensorFlow, which is not installed ({exc})")
        return 1
    return run(args)
