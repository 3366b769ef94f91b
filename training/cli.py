"""`digitpad train`: argument handling, progress printing and signal-driven cancel."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from digitpad.core import mnist
from training.train import TrainConfig, TrainingCancelled, TrainingError, train


def _print_json(event: dict) -> None:
    print(json.dumps(event), flush=True)


def _print_text(event: dict) -> None:
    kind = event.get("event")
    if kind == "batch" and sys.stderr.isatty():  # a live line; a log file gets epochs only
        print(
            f"\repoch {event['epoch']}/{event['epochs']}  batch {event['batch']}/"
            f"{event['batches']}  loss {event['loss']:.4f}  acc {event['accuracy']:.4f}  "
            f"ETA {event['eta_s']:.0f}s   ",
            end="",
            file=sys.stderr,
            flush=True,
        )
    elif kind == "epoch":
        val = ""
        if "val_accuracy" in event:
            val = f"  val_loss {event['val_loss']:.4f}  val_acc {event['val_accuracy']:.4f}"
        print(
            f"\repoch {event['epoch']}/{event['epochs']}  loss {event['loss']:.4f}  "
            f"acc {event['accuracy']:.4f}{val}" + " " * 20,
            file=sys.stderr,
            flush=True,
        )
    elif "message" in event:
        print(event["message"], file=sys.stderr, flush=True)


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
        emit({"event": "cancelled", "message": "Training cancelled; nothing was written."})
        return 130
    except (mnist.MnistError, TrainingError) as exc:
        emit({"event": "error", "message": str(exc)})
        return 1
    if args.progress != "json":
        from training.report import summarise

        print(summarise(result.meta))
        print(f"Written to {result.output}")
    return 0
