"""A model on the 10,000 MNIST test images: the one place this is measured and stored.

`digitpad evaluate`, the evaluation view, training (the sidecar's "test") and
`digitpad bench` all use it. Two sources: the metrics stored in the model's sidecar
when it was trained (instant, but without the images), and a measurement on the test
images (a few seconds, with every image's probabilities so that a cell can show them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.io import atomic, mnist
from digitpad.core.records import metrics

TEST_SPLIT = ("test",)
CHUNK = 500  # images per forward pass: progress every ~5% without slowing the pass

Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]


class EvaluationCancelled(Exception):
    """should_stop() asked to stop."""


@dataclass(frozen=True)
class Evaluation:
    confusion: np.ndarray  # int64 (10, 10): rows true digit, columns predicted
    accuracy: float  # in [0, 1]
    loss: float | None  # mean cross-entropy; None when not known
    precision: np.ndarray  # float64 (10,) per predicted class
    recall: np.ndarray  # float64 (10,) per true class
    measured: bool  # True: measured now; False: stored with the model
    images: np.ndarray | None = None  # uint8 (N, 28, 28), ink = 255
    labels: np.ndarray | None = None  # int64 (N,) true digits
    probabilities: np.ndarray | None = None  # float32 (N, 10)

    def to_json(self) -> dict:
        """What a sidecar's "test" and `digitpad evaluate --json` hold (from_meta reads it)."""
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "count": self.count,
            "confusion": self.confusion.tolist(),
            "precision": [round(float(v), 6) for v in self.precision],
            "recall": [round(float(v), 6) for v in self.recall],
        }

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def errors(self) -> int:
        return self.count - int(np.trace(self.confusion))

    @property
    def has_images(self) -> bool:
        return self.images is not None and self.probabilities is not None

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of the test images of digit `true` read as `predicted`, the most
        telling first: for a mistake the surest mistakes, for a hit the least sure hits.
        Empty when the images are not loaded."""
        if self.probabilities is None or self.labels is None:
            return np.zeros(0, np.int64)
        chosen = self.probabilities.argmax(axis=1)
        found = np.flatnonzero((self.labels == true) & (chosen == predicted))
        sure = self.probabilities[found, predicted]
        order = np.argsort(-sure if true != predicted else sure, kind="stable")
        return found[order]

    def most_confused(self) -> tuple[int, int] | None:
        """The (true, predicted) cell with the most mistakes; None without mistakes."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        if off.max() <= 0:
            return None
        true, predicted = np.unravel_index(int(off.argmax()), off.shape)
        return int(true), int(predicted)


def from_meta(meta: dict | None) -> Evaluation | None:
    """The metrics stored in a sidecar ("test": confusion, accuracy, loss); None if absent."""
    test = meta.get("test") if isinstance(meta, dict) else None
    if not isinstance(test, dict):
        return None
    try:
        confusion = np.asarray(test["confusion"], dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        return None
    if confusion.shape != (10, 10) or (confusion < 0).any() or confusion.sum() == 0:
        return None
    precision, recall = metrics.precision_recall(confusion)
    accuracy = test.get("accuracy")
    if not isinstance(accuracy, (int, float)):
        accuracy = float(np.trace(confusion) / confusion.sum())
    loss = test.get("loss")
    return Evaluation(
        confusion,
        float(accuracy),
        float(loss) if isinstance(loss, (int, float)) else None,
        precision,
        recall,
        measured=False,
    )


def find_test_set() -> Path:
    """The folder with the MNIST test files, without downloading; MnistError if none."""
    return mnist.locate(download=False, splits=TEST_SPLIT)


def fetch_test_set(
    progress: Callable[[str, int, int | None], None] | None = None,
    should_stop: ShouldStop | None = None,
) -> Path:
    """Download the test files into the cache (checked against their SHA-256).

    Raises mnist.DownloadCancelled when should_stop() says so, MnistError on failure.
    """
    return mnist.locate(
        download=True, progress=progress, should_stop=should_stop, splits=TEST_SPLIT
    )


def measure(
    predict: Callable[[np.ndarray], np.ndarray],
    directory: Path,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> Evaluation:
    """Read the test set in `directory` and run `predict` (float32 (N, 28, 28) in [0, 1]
    -> (N, 10)) over it in chunks, reporting progress(done, total) after each."""
    images, labels = mnist.load("test", directory)
    labels = labels.astype(np.int64)
    total = len(labels)
    probabilities = np.empty((total, 10), np.float32)
    for start in range(0, total, CHUNK):
        if should_stop is not None and should_stop():
            raise EvaluationCancelled()
        chunk = images[start : start + CHUNK].astype(np.float32) / 255.0
        probabilities[start : start + CHUNK] = predict(chunk)
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    return score(probabilities, labels, images)


def score(
    probabilities: np.ndarray, labels: np.ndarray, images: np.ndarray | None = None
) -> Evaluation:
    """The figures of float32 (N, 10) probabilities against int (N,) true digits."""
    labels = np.asarray(labels).astype(np.int64)
    predicted = probabilities.argmax(axis=1)
    confusion = metrics.confusion_matrix(labels, predicted)
    precision, recall = metrics.precision_recall(confusion)
    return Evaluation(
        confusion,
        float((predicted == labels).mean()),
        metrics.cross_entropy(probabilities, labels),
        precision,
        recall,
        measured=True,
        images=images,
        labels=labels,
        probabilities=probabilities,
    )


def evaluate(
    predict: Callable[[np.ndarray], np.ndarray],
    data_dir: str | Path | None = None,
    download_progress: Callable[[str, int, int | None], None] | None = None,
) -> Evaluation:
    """`measure` on the test set in ``data_dir`` (default: found or downloaded, see
    mnist.locate); raises mnist.MnistError when there is none."""
    directory = mnist.locate(data_dir, progress=download_progress, splits=TEST_SPLIT)
    return measure(predict, directory)


def to_csv(evaluation: Evaluation) -> str:
    """One row per true digit: its counts per predicted digit, total, precision, recall."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["true_digit", *(f"predicted_{k}" for k in range(10)), "total", "precision", "recall"]
    )
    for k, row in enumerate(evaluation.confusion):
        writer.writerow(
            [
                k,
                *(int(v) for v in row),
                int(row.sum()),
                f"{evaluation.precision[k]:.6f}",
                f"{evaluation.recall[k]:.6f}",
            ]
        )
    return out.getvalue()


def write_csv(path: str | Path, evaluation: Evaluation) -> None:
    atomic.write_text(path, to_csv(evaluation))
