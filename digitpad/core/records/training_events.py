"""What a training run reports and how it ends: the one schema between training and the app.

`digitpad train --progress json` writes one event per line on stdout (`to_json`); the
app, which runs training as a separate process, reads them back (`from_json`). Each
event is a frozen dataclass; its JSON object is its fields plus ``"event"``, the
event's name. Reading is lenient: a field of the wrong type takes its default, so
a line from a newer or broken trainer never stops the app.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

# The training process's exit codes.
EXIT_OK = 0
EXIT_FAILED = 1  # an Error event says why
EXIT_CANCELLED = 130  # stopped by SIGINT/SIGTERM: nothing was written (128 + SIGINT)


@dataclass(frozen=True)
class Phase:
    """A step without batches: loading the data, preparing images, evaluating."""

    name: ClassVar[str] = "phase"
    step: str = "preparing"  # "loading", "preparing" or "evaluating"
    message: str = ""
    done: int = 0  # items of the step done so far, of `total` (0: not counted)
    total: int = 0
    eta_s: float = math.nan  # seconds left for the step


@dataclass(frozen=True)
class Start:
    """Training of the first network begins; epochs count on across an ensemble's networks."""

    name: ClassVar[str] = "start"
    recipe: str = ""
    epochs: int = 0
    batches: int = 0  # per epoch
    train_count: int = 0
    validation_count: int = 0
    members: int = 1


@dataclass(frozen=True)
class Batch:
    """Keras' running means since the epoch began."""

    name: ClassVar[str] = "batch"
    epoch: int = 0  # from 1
    epochs: int = 0
    batch: int = 0  # from 1
    batches: int = 0
    loss: float = math.nan
    accuracy: float = math.nan
    eta_s: float = math.nan  # seconds left for the whole run


@dataclass(frozen=True)
class Epoch:
    name: ClassVar[str] = "epoch"
    epoch: int = 0
    epochs: int = 0
    loss: float = math.nan
    accuracy: float = math.nan
    val_loss: float = math.nan  # NaN: no validation set
    val_accuracy: float = math.nan
    eta_s: float = math.nan


@dataclass(frozen=True)
class Done:
    name: ClassVar[str] = "done"
    output: str = ""
    test_accuracy: float = math.nan
    test_loss: float = math.nan


@dataclass(frozen=True)
class Error:
    name: ClassVar[str] = "error"
    message: str = ""


@dataclass(frozen=True)
class Cancelled:
    name: ClassVar[str] = "cancelled"
    message: str = "Training cancelled; nothing was written."


Event = Phase | Start | Batch | Epoch | Done | Error | Cancelled
EVENTS: dict[str, type[Event]] = {
    cls.name: cls for cls in (Phase, Start, Batch, Epoch, Done, Error, Cancelled)
}


def to_json(event: Event) -> dict[str, Any]:
    """The event as a JSON object: ``{"event": name, **fields}``; NaN becomes null."""
    fields = {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in dataclasses.asdict(event).items()
    }
    return {"event": event.name, **fields}


def from_json(data: object) -> Event | None:
    """The event in a decoded JSON line; None when it is not one (unknown name, not an
    object). Missing or mistyped fields take their defaults."""
    if not isinstance(data, dict):
        return None
    cls = EVENTS.get(str(data.get("event")))
    if cls is None:
        return None
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        value = data.get(field.name)
        default = field.default
        if value is None:
            continue
        if isinstance(default, float) and _is_number(value):
            values[field.name] = float(value)
        elif isinstance(default, int) and _is_number(value) and float(value).is_integer():
            values[field.name] = int(value)
        elif isinstance(default, str) and isinstance(value, str):
            values[field.name] = value
    return cls(**values)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_duration(seconds: float) -> str:
    """ "42 s", "3 min 20 s", "1 h 05 min": for progress lines, dialogs and model cards."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole // 60 % 60:02d} min"
