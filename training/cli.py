"""`digitpad train`: argument handling, progress printing and signal-driven cancel."""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
from pathlib import Path

from digitpad.core.io import mnist
from digitpad.core.records import training_events as events
from training.train import TrainConfig, TrainingCancelled, TrainingError, train


def _print_json(event: events.Event) -> None:
    print(json.dumps(events.to_json(event)), flush=True)


def _print_text(event: events.Event) -> None:
    if isinstance(event, events.Batch):
        if not sys.stderr.isatty():  # a live line; a log file gets epochs only
            return
        print(
            f"\repoch {event.epoch}/{event.epochs}  batch {event.batch}/"
            f"{event.batches}  loss {event.loss:.4f}  acc {event.accuracy:.4f}  "
            f"ETA {event.eta_s:.0f}s   ",
            end="",
            file=sys.stderr,
            flush=True,
        )
    elif isinstance(event, events.Epoch):
        val = ""
        if not math.isnan(event.val_accuracy):
            val = f"  val_loss {event.val_loss:.4f}  val_acc {event.val_accuracy:.4f}"
        print(
            f"\repoch {event.epoch}/{event.epochs}  loss {event.loss:.4f}  "
            f"acc {event.accuracy:.4f}{val}" + " " * 20,
            file=sys.stderr,
            flush=True,
        )
    elif isinstance(event, events.Phase) and event.total:
        if not sys.stderr.isatty():  # a live count; a log file gets the step's name once
            return
        print(
            f"\r{event.message}  {event.done:,}/{event.total:,}   ",
            end="\n" if event.done >= event.total else "",
            file=sys.stderr,
            flush=True,
        )
    elif isinstance(event, (events.Phase, events.Error, events.Cancelled)):
        print(event.message, file=sys.stderr, flush=True)


def run(args) -> int:
    """Run a training from parsed CLI arguments; returns the process exit code."""
    stop = threading.Event()

    def request_stop(signum, frame):
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    emit = _print_json if args.progress == "json" else _print_text
    config = TrainConfig(
        output=Path(args.output),
        recipe=args.recipe,
        epochs=args.epochs,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        seed=args.seed,
        limit=args.limit,
        augment=not getattr(args, "no_augment", False),
        samples_dir=getattr(args, "samples", None),
        init_model=getattr(args, "init_model", None),
        pendigits=getattr(args, "pendigits", None),
    )
    try:
        result = train(config, on_progress=emit, should_stop=stop.is_set)
    except TrainingCancelled:
        emit(events.Cancelled())
        return events.EXIT_CANCELLED
    except (mnist.MnistError, TrainingError) as exc:
        emit(events.Error(str(exc)))
        return events.EXIT_FAILED
    if args.progress != "json":
        from training.report import summarise

        print(summarise(result.meta))
        print(f"Written to {result.output}")
    return events.EXIT_OK
