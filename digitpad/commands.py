"""The predict, evaluate and train sub-commands (Qt-free)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from digitpad.core import api
from digitpad.core.io import mnist
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


def expand_inputs(raw_paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(path, error or None) per input; folders become their supported files, sorted."""
    for raw in raw_paths:
        path = Path(raw)
        if path.is_dir():
            found = api.input_files(path)
            if not found:
                yield raw, "folder holds no supported files"
            for p in found:
                yield p, None
        elif not path.exists():
            yield raw, api.NO_FILE
        else:
            yield raw, None


def predict(args) -> int:
    recognizer = _load_model(args.model)
    if recognizer is None:
        return 1
    items = list(expand_inputs(args.paths))
    jobs = min(getattr(args, "jobs", None) or os.cpu_count() or 1, len(items))
    settings = (args.max_digits, args.json)
    if jobs <= 1:
        answers: Iterable[tuple[str, bool]] = (
            _answer(recognizer, path, problem, *settings) for path, problem in items
        )
        return _print_answers(answers, args.json)
    # Each worker loads the model once; imap hands inputs out one by one and yields the
    # answers in input order as soon as each is ready, so the first line never waits
    # for the whole batch.
    context = multiprocessing.get_context()
    with context.Pool(
        jobs, initializer=_start_worker, initargs=(str(recognizer.path), *settings)
    ) as pool:
        return _print_answers(pool.imap(_work, items), args.json)


def _print_answers(answers: Iterable[tuple[str, bool]], as_json: bool) -> int:
    failed = False
    for line, problem in answers:
        failed |= problem
        if problem and not as_json:
            _error(line)
        else:
            print(line, flush=True)
    return 1 if failed else 0


_worker: tuple | None = None  # in a worker process: (recognizer, max_digits, as_json)


def _start_worker(model: str, max_digits: int | None, as_json: bool) -> None:
    global _worker
    _worker = (Recognizer.load(model), max_digits, as_json)


def _work(item: tuple[str, str | None]) -> tuple[str, bool]:
    assert _worker is not None
    recognizer, max_digits, as_json = _worker
    return _answer(recognizer, *item, max_digits, as_json)


def _answer(
    recognizer: Recognizer, path: str, problem: str | None, max_digits: int | None, as_json: bool
) -> tuple[str, bool]:
    """The output line for one input, and whether it failed (the line is then the error:
    a JSON object with "error", or "path: message" for stderr)."""
    answer = problem if problem is not None else api.read_or_error(recognizer, path, max_digits)
    failed = isinstance(answer, str)
    if as_json:
        return json.dumps(api.json_object(path, answer), allow_nan=False), failed
    return f"{path}: {answer if failed else plain_answer(answer)}", failed


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
