"""The training-event schema: what training writes is what the app reads back."""

from __future__ import annotations

import json
import math

import pytest

from digitpad.core.records import training_events as events

EXAMPLES = [
    events.Phase("loading", "Loading MNIST"),
    events.Start(recipe="default", epochs=45, batches=422, train_count=54_000, members=3),
    events.Batch(epoch=2, epochs=45, batch=7, batches=422, loss=0.31, accuracy=0.9, eta_s=812.5),
    events.Epoch(epoch=2, epochs=45, loss=0.2, accuracy=0.95),  # no validation: NaN
    events.Done("/tmp/model", 0.9932, 0.0246),
    events.Error("MNIST not found"),
    events.Cancelled(),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.name)
def test_every_event_survives_a_json_line(event):
    line = json.dumps(events.to_json(event), allow_nan=False)  # NaN is written as null
    back = events.from_json(json.loads(line))
    assert type(back) is type(event)
    for name, value in vars(event).items():
        got = getattr(back, name)
        assert got == value or (math.isnan(value) and math.isnan(got)), name


@pytest.mark.parametrize(
    "data", [None, [], "batch", {}, {"event": "unknown"}, {"event": 3}, {"event": "name"}]
)
def test_what_is_not_an_event_reads_as_none(data):
    assert events.from_json(data) is None


def test_mistyped_fields_take_their_defaults():
    event = events.from_json(
        {"event": "batch", "epoch": "2", "batch": 1.5, "loss": True, "eta_s": 3, "x": 1}
    )
    assert isinstance(event, events.Batch)
    assert event.epoch == 0 and event.batch == 0 and math.isnan(event.loss)
    assert event.eta_s == 3.0 and isinstance(event.eta_s, float)


def test_durations_read_as_people_say_them():
    assert events.format_duration(42.4) == "42 s"
    assert events.format_duration(200) == "3 min 20 s"
    assert events.format_duration(3900) == "1 h 05 min"
    assert events.format_duration(-3) == "0 s"
