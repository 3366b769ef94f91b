"""A loaded model: one network or an ensemble of up to five, with the digit check
("is this a digit at all?") and the calibration its sidecar holds.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from digitpad.core.io import atomic, files, paths
from digitpad.core.models.bundled import bundled_open_reader, bundled_strings
from digitpad.core.models.keras_file import ModelError, Weights, read_keras
from digitpad.core.models.network import (
    CHUNK,
    as_fields,
    features_chunk,
    logits_from_features,
    softmax,
)

if TYPE_CHECKING:
    from digitpad.core.models.open_reader import OpenReader
    from digitpad.core.models.sequence import SequenceModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigitCheck:
    """Is a field a digit at all? A logistic regression on the features each network's
    last layer reads (fitted by training.digit_check), averaged over the networks; a
    score under ``threshold`` means "not a digit"."""

    weights: np.ndarray  # float32 (M, F): one row per network, F its features
    bias: np.ndarray  # float32 (M,)
    threshold: float

    def scores(self, features: list[np.ndarray]) -> np.ndarray:
        """One float32 (N, F) per network -> float32 (N,): log-odds of being a digit."""
        return np.mean([f @ w + b for f, w, b in zip(features, self.weights, self.bias)], axis=0)

    def to_json(self) -> dict:
        count = self.weights.shape[1]
        return {
            "method": f"logistic regression on the {count:,} features the last layer reads",
            "members": [
                {"weights": [round(float(v), 7) for v in w], "bias": float(b)}
                for w, b in zip(self.weights, self.bias)
            ],
            "threshold": float(self.threshold),
        }

    @classmethod
    def from_json(cls, data: object, members: int, features: int) -> DigitCheck:
        """Raises ModelError (one line) unless it holds, per network, finite weights for
        its ``features`` and a bias, and a finite threshold."""
        if not isinstance(data, dict) or not isinstance(data.get("members"), list):
            raise ModelError("digit check: expected an object with members")
        rows, biases = [], []
        for item in data["members"]:
            weights = item.get("weights") if isinstance(item, dict) else None
            bias = item.get("bias") if isinstance(item, dict) else None
            if (
                not isinstance(weights, list)
                or len(weights) != features
                or not all(_is_number(v) for v in weights)
                or not _is_number(bias)
            ):
                raise ModelError(
                    f"digit check: expected {features:,} weights and a bias per network"
                )
            rows.append(weights)
            biases.append(bias)
        threshold = data.get("threshold")
        if len(rows) != members or not _is_number(threshold):
            raise ModelError(f"digit check: expected {members} networks and a threshold")
        with np.errstate(over="ignore"):  # too large for float32 -> inf, refused below
            weights, bias = np.asarray(rows, np.float32), np.asarray(biases, np.float32)
        if not (
            np.isfinite(weights).all() and np.isfinite(bias).all() and math.isfinite(threshold)
        ):
            raise ModelError("digit check: values must be finite")
        return cls(weights, bias, float(threshold))


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


MEMBER_NAME = re.compile(r"[A-Za-z0-9_.-]+\.keras")  # a plain file name beside the sidecar
MAX_MEMBERS = 5
# The line models' stand-in until a line is first read: loading the open recogniser
# takes about 0.2 s, which a single digit, a drawing or a process that reads one small
# image never needs to pay.
BUNDLED: Any = object()


class Recognizer:
    """Loads a model once; predicts (N, 10) probabilities from (N, 28, 28) fields.

    A model is one network, or an ensemble of up to five networks of the same
    shape (kernel sizes and filters) whose probabilities are averaged: the sidecar
    then lists the networks' files (``members``), the first being the model file itself.
    """

    def __init__(
        self,
        weights: Weights,
        path: Path,
        meta: dict | None = None,
        members: list[Weights] | None = None,
        strings: SequenceModel | None = None,
        lines: OpenReader | None = None,
    ) -> None:
        self.members = list(members) if members else [weights]
        if strings is not BUNDLED:
            self.strings = strings  # reads lines of touching digits; None: segmentation only
        if lines is not BUNDLED:
            self.lines = lines  # the open line recogniser, best on real paper; None: not used
        self.weights = self.members[0]
        if any(w.shape() != self.weights.shape() for w in self.members):
            raise ModelError(
                f"{path.name}: its networks differ in kernel sizes or filters "
                "(an ensemble's networks must be of one shape)"
            )
        self.features = self.weights.features  # what the last layer and the check read
        self.path = path
        self.meta = meta or {}
        self.check = _digit_check(self.meta, path, len(self.members), self.features)
        self.temperature = _ensemble_temperature(self.meta) if len(self.members) > 1 else 1.0

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, repair: bool = False) -> Recognizer:
        """The model at ``path`` (default: the bundled one), with its sidecar if present.

        ``repair``: first complete an update of the model's folder that a killed training
        left half done (the app's own model loading asks for it). Only a folder DigitPad
        wrote (its sidecar says so) is ever changed; a read alone changes nothing.
        """
        path = Path(path) if path is not None else paths.bundled_model_path()
        if repair and is_own_model_folder(path.parent):
            atomic.finish_interrupted(path.parent)
        weights, _ = read_keras(path)
        meta = None
        sidecar = (
            path.with_name("model.json")
            if path.name == "model.keras"
            else path.with_suffix(".json")
        )
        if sidecar.exists():
            try:
                meta = _read_sidecar(sidecar)
            except (OSError, ValueError, RecursionError) as exc:
                log.warning(
                    "ignoring unreadable model metadata %s: %s",
                    sidecar.name,
                    " ".join(str(exc).split())[:200],
                )
        members = [weights]
        for name in _member_files(meta, path)[1:]:
            member, _ = read_keras(path.with_name(name))
            members.append(member)
        return cls(weights, path, meta, members, BUNDLED, BUNDLED)

    # Loaded on first use (see BUNDLED); a model given to __init__ takes their place.
    @functools.cached_property
    def strings(self) -> SequenceModel | None:
        """The sequence recogniser; None: lines are split by segmentation alone."""
        return bundled_strings()

    @functools.cached_property
    def lines(self) -> OpenReader | None:
        """The open line recogniser; None: lines are read by our own networks alone."""
        return bundled_open_reader()

    def predict(self, fields: np.ndarray) -> np.ndarray:
        """float32 (N, 28, 28) in [0, 1], ink = 1 -> float32 (N, 10) probabilities."""
        return self.read(fields, check=False)[0]

    def read(self, fields: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities float32 (N, 10) and bool (N,): whether each field is a digit at all.

        A model without a digit check (one trained before it existed) calls everything
        with ink a digit.
        """
        p, likeness = self.read_scores(fields, check)
        return p, likeness >= 0

    def read_scores(self, fields: np.ndarray, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities float32 (N, 10) and float32 (N,): the digit check's log-odds over
        its threshold (negative: not a digit; all zeros without a check)."""
        fields = as_fields(fields)
        digit_check = self.check if check else None
        p = np.zeros((len(fields), 10), np.float32)
        scores = np.zeros(len(fields), np.float32)
        # Chunk by chunk, straight to the last layer and the check: the features of each
        # network are never kept for the whole batch.
        for start in range(0, len(fields), CHUNK):
            chunk = features_chunk(self.members, fields[start : start + CHUNK])
            for w, f in zip(self.members, chunk):
                p[start : start + CHUNK] += softmax(logits_from_features(w, f))
            if digit_check is not None:
                scores[start : start + CHUNK] = digit_check.scores(chunk)
        p /= len(self.members)
        if self.temperature != 1.0:
            p = softmax(np.log(np.maximum(p, 1e-30)) / np.float32(self.temperature))
        if digit_check is None:
            return p, np.zeros(len(p), np.float32)
        return p, scores - np.float32(digit_check.threshold)


MAX_SIDECAR_BYTES = 4 * 1024 * 1024
OWN_FORMAT = "digitpad-model"  # the sidecar's "format" in every folder training writes


def is_own_model_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a model that DigitPad's training wrote (by its sidecar)."""
    try:
        return _read_sidecar(folder / "model.json").get("format") == OWN_FORMAT
    except (OSError, ValueError, RecursionError):
        return False


def _read_sidecar(path: Path) -> dict:
    meta = json.loads(files.read_regular(path, MAX_SIDECAR_BYTES).decode("utf-8"))
    if not isinstance(meta, dict):
        raise ValueError("not a JSON object")
    return meta


def _member_files(meta: dict | None, path: Path) -> list[str]:
    """The ensemble's file names from the sidecar, checked; [] for a single network."""
    members = meta.get("members") if isinstance(meta, dict) else None
    if members is None:
        return []
    listed = members if isinstance(members, list) else []
    names: list[str] = [
        m["file"] for m in listed if isinstance(m, dict) and isinstance(m.get("file"), str)
    ]
    if (
        not names
        or len(names) != len(listed)
        or len(names) > MAX_MEMBERS
        or not all(isinstance(n, str) and MEMBER_NAME.fullmatch(n) for n in names)
        or len(set(names)) != len(names)
        or names[0] != path.name
    ):
        raise ModelError(
            f"{path.name}: its sidecar lists networks that cannot be used "
            f"(at most {MAX_MEMBERS} plain .keras file names, this file first)"
        )
    return names


def _ensemble_temperature(meta: dict) -> float:
    calibration = meta.get("calibration") if isinstance(meta, dict) else None
    value = calibration.get("ensemble_temperature") if isinstance(calibration, dict) else None
    return float(value) if _is_number(value) and 0.05 <= value <= 20 else 1.0


def _digit_check(meta: dict, path: Path, members: int, features: int) -> DigitCheck | None:
    data = meta.get("digit_check") if isinstance(meta, dict) else None
    if data is None:
        return None
    try:
        return DigitCheck.from_json(data, members, features)
    except ModelError as exc:
        log.warning("%s: ignoring the model's %s", path.name, exc)
        return None
