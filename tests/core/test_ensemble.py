"""Models of several networks, the non-digit check in the sidecar, and refusing bad ones."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from digitpad.core.io import paths
from digitpad.core.models.ensemble import OWN_FORMAT, DigitCheck, Recognizer
from digitpad.core.models.keras_file import ModelError


def _folder(tmp_path, meta: dict, members=("model.keras",)):
    for name in members:
        shutil.copy(paths.bundled_model_path(), tmp_path / name)
    (tmp_path / "model.json").write_text(json.dumps(meta))
    return tmp_path / "model.keras"


def _fields(n=20, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28), dtype=np.float32)


def test_an_ensemble_averages_its_networks(tmp_path):
    path = _folder(
        tmp_path,
        {"members": [{"file": "model.keras"}, {"file": "member-2.keras"}]},
        ("model.keras", "member-2.keras"),
    )
    ensemble = Recognizer.load(path)
    single = Recognizer.load(paths.bundled_model_path())
    assert len(ensemble.members) == 2 and len(single.members) >= 1
    # Two copies of the same network average to that network.
    one = Recognizer(single.members[0], path)
    np.testing.assert_allclose(ensemble.predict(_fields()), one.predict(_fields()), atol=1e-6)


def test_an_ensemble_temperature_softens_the_average(tmp_path):
    meta = {
        "members": [{"file": "model.keras"}, {"file": "member-2.keras"}],
        "calibration": {"ensemble_temperature": 2.0},
    }
    warm = Recognizer.load(_folder(tmp_path, meta, ("model.keras", "member-2.keras")))
    plain = Recognizer(Recognizer.load(paths.bundled_model_path()).members[0], tmp_path)
    x = _fields()
    assert (warm.predict(x).max(axis=1) <= plain.predict(x).max(axis=1) + 1e-6).all()
    np.testing.assert_array_equal(warm.predict(x).argmax(axis=1), plain.predict(x).argmax(axis=1))


@pytest.mark.parametrize(
    "members",
    [
        [{"file": "../model.keras"}],
        [{"file": "/etc/passwd"}],
        [{"file": "model.keras"}, {"file": "model.keras"}],
        [{"file": "member-2.keras"}],  # the model file must come first
        [{"file": "model.keras"}] + [{"file": f"m{k}.keras"} for k in range(6)],
        "model.keras",
        [],
        [None],
        [{"file": 3}],
    ],
)
def test_a_sidecar_listing_unusable_networks_is_refused_in_one_line(tmp_path, members):
    path = _folder(tmp_path, {"members": members})
    with pytest.raises(ModelError) as info:
        Recognizer.load(path)
    assert "\n" not in str(info.value)


def test_a_listed_network_that_is_missing_is_refused(tmp_path):
    path = _folder(tmp_path, {"members": [{"file": "model.keras"}, {"file": "member-2.keras"}]})
    with pytest.raises(ModelError, match="no such model file"):
        Recognizer.load(path)


def test_the_digit_check_rejects_by_its_threshold(tmp_path):
    weights = np.zeros((1, 1600), np.float32)
    check = DigitCheck(weights, np.array([1.0], np.float32), threshold=0.5)
    path = _folder(tmp_path, {"digit_check": check.to_json()})
    recognizer = Recognizer.load(path)
    assert recognizer.check is not None
    _, digit_like = recognizer.read(_fields(3))
    assert digit_like.all()  # score 1.0 >= 0.5
    strict = DigitCheck(weights, np.array([0.0], np.float32), threshold=0.5).to_json()
    (tmp_path / "model.json").write_text(json.dumps({"digit_check": strict}))
    _, digit_like = Recognizer.load(path).read(_fields(3))
    assert not digit_like.any()


@pytest.mark.parametrize(
    "check",
    [
        [],
        {"members": []},
        {"members": [{"weights": [0.0] * 10, "bias": 0}], "threshold": 0},
        {"members": [{"weights": [0.0] * 1600, "bias": "x"}], "threshold": 0},
        {"members": [{"weights": [0.0] * 1600, "bias": 0}], "threshold": None},
        {"members": [{"weights": [1e39] * 1600, "bias": 0}], "threshold": 0},
    ],
)
def test_an_unusable_digit_check_is_ignored_with_a_warning(tmp_path, check, caplog):
    path = _folder(tmp_path, {"digit_check": check})
    with caplog.at_level(logging.WARNING):
        recognizer = Recognizer.load(path)
    assert recognizer.check is None
    assert "digit check" in caplog.text


def test_a_hostile_sidecar_never_stops_the_model_loading(tmp_path, caplog):
    path = _folder(tmp_path, {})
    (tmp_path / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    with caplog.at_level(logging.WARNING):
        recognizer = Recognizer.load(path)
    assert recognizer.meta == {} and "ignoring unreadable model metadata" in caplog.text
    (tmp_path / "model.json").write_text("[1, 2]")
    assert Recognizer.load(path).meta == {}


def test_an_update_killed_between_two_moves_is_completed_on_the_next_load(tmp_path):
    """The sidecar of the new model still in staging, the new model.keras already moved:
    loading finishes the moves, so model and sidecar belong together again."""
    from digitpad.core.io import atomic

    folder = tmp_path / "version"
    folder.mkdir()
    shutil.copy(paths.bundled_model_path(), folder / "model.keras")
    (folder / "model.json").write_text(json.dumps({"format": OWN_FORMAT, "recipe": "old"}))
    staging = folder / ".staging-abc"
    staging.mkdir()
    shutil.copy(paths.bundled_model_path(), staging / "model.keras")
    (staging / "model.json").write_text(json.dumps({"format": OWN_FORMAT, "recipe": "new"}))
    names = ["model.keras", "model.json"]
    # What move_staged does, killed after the first move:
    atomic.write_text(staging / atomic.COMMIT, "\n".join(names))
    (staging / "model.keras").replace(folder / "model.keras")
    assert json.loads((folder / "model.json").read_text())["recipe"] == "old"  # a mix
    before = sorted(p.name for p in folder.iterdir())
    assert Recognizer.load(folder / "model.keras").meta["recipe"] == "old"  # a read: as it is
    assert sorted(p.name for p in folder.iterdir()) == before
    recognizer = Recognizer.load(folder / "model.keras", repair=True)  # the app's loading
    assert recognizer.meta["recipe"] == "new"
    assert sorted(p.name for p in folder.iterdir()) == names[::-1]


def test_a_folder_that_is_not_a_digitpad_model_folder_is_never_changed(tmp_path):
    """A model in ~/Downloads beside someone's own .staging-* folders: nothing is moved
    or deleted, even by the app's loading."""
    import os
    import time

    from digitpad.core.io import atomic

    shutil.copy(paths.bundled_model_path(), tmp_path / "model.keras")
    theirs = tmp_path / ".staging-photos"
    theirs.mkdir()
    (theirs / "holiday.jpg").write_bytes(b"...")
    long_ago = time.time() - 2 * atomic.STALE_S
    os.utime(theirs, (long_ago, long_ago))
    committed = tmp_path / ".staging-notes"
    committed.mkdir()
    (committed / "notes.txt").write_text("mine")
    (committed / atomic.COMMIT).write_text("notes.txt")
    for repair in (False, True):
        Recognizer.load(tmp_path / "model.keras", repair=repair)
    assert (theirs / "holiday.jpg").exists() and (committed / "notes.txt").exists()
    assert not (tmp_path / "notes.txt").exists()


def test_uncommitted_staging_is_left_alone_until_it_is_old(tmp_path):
    import os
    import time

    from digitpad.core.io import atomic

    running = tmp_path / ".staging-running"
    running.mkdir()
    (running / "model.keras").write_bytes(b"half")
    old = tmp_path / ".staging-killed"
    old.mkdir()
    long_ago = time.time() - 2 * atomic.STALE_S
    os.utime(old, (long_ago, long_ago))
    atomic.finish_interrupted(tmp_path)
    assert running.exists() and not old.exists()
