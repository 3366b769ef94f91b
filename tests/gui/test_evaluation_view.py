"""The evaluation view: stored figures at once, measured ones with images, download, export."""

from __future__ import annotations

import csv
import gzip
import hashlib
import http.server
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QPushButton

from digitpad.core.io import mnist
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.records import evaluation as evaluation_data
from digitpad.gui.evaluation_view import EvaluationView

COUNT = 40
# Test images (by index) the fake model reads wrongly, and what it reads them as.
MISREAD = {3: 5, 13: 5, 7: 1, 24: 9}


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def tiny_test_set() -> tuple[np.ndarray, np.ndarray]:
    """COUNT images labelled 0..9 in turn; pixel (0, 0) holds 10 x the digit the fake
    model will read, the rest is noise."""
    rng = np.random.default_rng(0)
    labels = (np.arange(COUNT) % 10).astype(np.uint8)
    images = rng.integers(0, 255, (COUNT, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = labels * 10
    for index, read in MISREAD.items():
        images[index, 0, 0] = read * 10
    return images, labels


class FakeRecognizer:
    """Reads the digit written into pixel (0, 0), 90% sure (a little less for index 13)."""

    def __init__(self, meta: dict | None = None) -> None:
        self.path = Path("/models/fake/model.keras")
        self.meta = meta if meta is not None else {}

    def predict(self, fields: np.ndarray) -> np.ndarray:
        read = np.rint(fields[:, 0, 0] * 255 / 10).astype(int)
        out = np.full((len(fields), 10), 0.1 / 9, np.float32)
        out[np.arange(len(fields)), read] = 0.9
        return out


def expected_confusion() -> np.ndarray:
    matrix = np.zeros((10, 10), np.int64)
    for i in range(COUNT):
        matrix[i % 10, MISREAD.get(i, i % 10)] += 1
    return matrix


@pytest.fixture
def tiny_files(tmp_path, monkeypatch) -> dict[str, bytes]:
    """The tiny test set as the two gzipped IDX files MNIST names, registered as genuine."""
    images, labels = tiny_test_set()
    files = {}
    for name, array in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        payload = idx_bytes(array)
        monkeypatch.setitem(mnist.SHA256, name, hashlib.sha256(payload).hexdigest())
        files[name + ".gz"] = gzip.compress(payload)
    return files


@pytest.fixture
def tiny_mnist(tmp_path, tiny_files, monkeypatch) -> Path:
    folder = tmp_path / "tiny-mnist"
    folder.mkdir()
    for name, data in tiny_files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(folder))
    return folder


def bundled_meta() -> dict:
    return Recognizer.load().meta


@pytest.fixture
def view(qtbot):
    def make(recognizer, measure: bool = True) -> EvaluationView:
        widget = EvaluationView(recognizer, measure=measure)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    yield make


# --- the figures ---------------------------------------------------------------------------


def test_stored_figures_come_from_the_sidecar():
    meta = bundled_meta()
    stored = evaluation_data.from_meta(meta)
    assert stored.confusion.tolist() == meta["test"]["confusion"]
    assert stored.accuracy == meta["test"]["accuracy"] and not stored.measured
    assert np.allclose(stored.recall, meta["test"]["recall"], atol=1e-6)
    assert np.allclose(stored.precision, meta["test"]["precision"], atol=1e-6)
    assert not stored.has_images and stored.cell(4, 9).size == 0
    assert evaluation_data.from_meta({}) is None
    assert evaluation_data.from_meta({"test": {"confusion": [[1, 2]]}}) is None


def test_measuring_gives_the_matrix_and_each_cells_images(tiny_mnist):
    done = []
    result = evaluation_data.measure(
        FakeRecognizer().predict, tiny_mnist, progress=lambda d, t: done.append((d, t))
    )
    assert result.measured and result.count == COUNT
    assert (result.confusion == expected_confusion()).all()
    assert result.accuracy == pytest.approx(1 - len(MISREAD) / COUNT)
    assert result.cell(3, 5).tolist() == [3, 13]
    assert result.cell(7, 1).tolist() == [7]
    assert sorted(result.cell(0, 0).tolist()) == [0, 10, 20, 30]
    assert result.most_confused() == (3, 5)
    assert done[-1] == (COUNT, COUNT)


def test_measuring_stops_when_asked(tiny_mnist):
    with pytest.raises(evaluation_data.EvaluationCancelled):
        evaluation_data.measure(FakeRecognizer().predict, tiny_mnist, should_stop=lambda: True)


# --- the view ------------------------------------------------------------------------------


def test_opens_at_once_with_the_stored_figures_and_explains_the_download(view):
    meta = bundled_meta()
    widget = view(FakeRecognizer(meta))
    assert widget.state() == "no-data"
    assert widget.heatmap.matrix() == meta["test"]["confusion"]
    assert widget._accuracy.value() == f"{meta['test']['accuracy']:.2%}"
    assert "stored with the model" in widget.source_text()
    assert "DIGITPAD_MNIST_DIR" in widget.banner_text()
    assert widget.download_button.isVisible()
    # The most common mistake is selected; its images need the test set.
    true, predicted = widget.heatmap.selected_cell()
    assert true != predicted
    assert widget.cell_images.indices() == []
    assert "not on this computer" in widget.cell_images.note()


def test_a_wrong_mnist_dir_is_named_and_no_download_offered(view, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(tmp_path / "nowhere"))
    widget = view(FakeRecognizer(bundled_meta()))
    assert widget.state() == "no-data"
    assert "nowhere" in widget.banner_text()
    assert widget.download_button.isHidden()


def test_measures_in_the_background_and_a_click_shows_that_cells_images(view, qtbot, tiny_mnist):
    widget = view(FakeRecognizer(bundled_meta()))
    qtbot.waitUntil(lambda: widget.state() == "measured", timeout=10_000)
    assert widget.heatmap.matrix() == expected_confusion().tolist()
    assert widget.banner_text() == ""
    assert "Measured just now" in widget.source_text()
    assert widget.heatmap.selected_cell() == (3, 5)
    assert widget.cell_images.indices() == [3, 13]

    centre = widget.heatmap.cell_rect(7, 1).center().toPoint()
    qtbot.mouseClick(widget.heatmap, Qt.MouseButton.LeftButton, pos=centre)
    assert widget.heatmap.selected_cell() == (7, 1)
    assert widget.cell_images.indices() == [7]
    assert widget.cell_images.list.item(0).text() == "1: 90.0%\n7: 1.1%"

    qtbot.keyClick(widget.heatmap, Qt.Key.Key_Down)  # to (8, 1): no image
    assert widget.heatmap.selected_cell() == (8, 1)
    assert widget.cell_images.indices() == []
    assert widget.cell_images.note() == "No test image falls in this cell."

    qtbot.mouseClick(
        widget.heatmap,
        Qt.MouseButton.LeftButton,
        pos=widget.heatmap.cell_rect(0, 0).center().toPoint(),
    )
    assert sorted(widget.cell_images.indices()) == [0, 10, 20, 30]
    row = [widget.per_class.item(3, c).text() for c in range(4)]
    assert row == ["3", "4", "100.00%", "50.00%"]


def test_export_png_and_csv(view, qtbot, tiny_mnist, tmp_path):
    widget = view(FakeRecognizer(bundled_meta()))
    qtbot.waitUntil(lambda: widget.state() == "measured", timeout=10_000)
    out = tmp_path / "exports"
    out.mkdir()
    assert widget.export_png(out / "matrix.png")
    image = QImage(str(out / "matrix.png"))
    assert not image.isNull() and image.width() >= 800
    assert widget.export_csv(out / "matrix.csv")
    rows = list(csv.reader((out / "matrix.csv").open()))
    assert rows[0][:3] == ["true_digit", "predicted_0", "predicted_1"]
    assert [[int(v) for v in row[1:11]] for row in rows[1:]] == expected_confusion().tolist()
    assert rows[4][11:] == ["4", "1.000000", "0.500000"]  # digit 3: total, precision, recall
    assert sorted(p.name for p in out.iterdir()) == ["matrix.csv", "matrix.png"]  # no temp


def test_export_into_a_missing_folder_fails_with_a_message(view, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    widget = view(FakeRecognizer(bundled_meta()), measure=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not widget.export_csv(blocker / "matrix.csv")
    assert shown and "matrix.csv" in shown[0]


@pytest.mark.slow
def test_real_model_on_the_real_test_set(view, qtbot, mnist_dir, monkeypatch):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    recognizer = Recognizer.load()
    widget = view(recognizer)
    qtbot.waitUntil(lambda: widget.state() == "measured", timeout=120_000)
    measured = widget.evaluation()
    assert measured.count == 10_000 and measured.accuracy > 0.99
    true, predicted = widget.heatmap.selected_cell()
    images, labels = mnist.load("test", mnist_dir)
    shown = widget.cell_images.indices()
    assert shown and all(labels[i] == true for i in shown)
    read = recognizer.predict(images[shown].astype(np.float32) / 255).argmax(axis=1)
    assert (read == predicted).all()
    # A double-click opens the image larger, with its probabilities.
    large = widget.cell_images.open_large(widget.cell_images.list.item(0))
    assert large is not None and large.isVisible()
    assert f"#{shown[0]:,}" in large.windowTitle() and f"A {true}, read as {predicted}" in (
        " ".join(w.text() for w in large.findChildren(QLabel))
    )
    large.close()


# --- downloading ---------------------------------------------------------------------------


class _Mirror(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    delay = 0.0

    def do_GET(self):
        data = self.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for start in range(0, len(data), 256):
                self.wfile.write(data[start : start + 256])
                self.wfile.flush()
                time.sleep(self.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tiny_files, monkeypatch):
    """A local HTTP mirror of the tiny test set; `delay` seconds per 256 bytes."""
    handler = type("Mirror", (_Mirror,), {"files": tiny_files, "delay": 0.0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    real_download = mnist.download

    def download_from_here(*args, **kwargs):
        kwargs["mirrors"] = [url]
        return real_download(*args, **kwargs)

    monkeypatch.setattr(mnist, "_download", download_from_here)
    yield handler
    server.shutdown()


def test_download_shows_progress_then_measures(view, qtbot, mirror, tmp_path):
    mirror.delay = 0.002
    widget = view(FakeRecognizer(bundled_meta()))
    assert widget.state() == "no-data"
    labels = []
    widget.download_button.click()
    dialog = widget.progress_dialog()
    assert dialog is not None and dialog.isVisible()
    dialog.canceled.connect(lambda: labels.append("cancel"))  # must not happen
    qtbot.waitUntil(lambda: widget.state() == "measured", timeout=20_000)
    assert widget.progress_dialog() is None and not labels
    cache = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert widget.heatmap.matrix() == expected_confusion().tolist()


def test_cancelling_the_download_leaves_nothing(view, qtbot, mirror, tmp_path):
    mirror.delay = 0.05  # ~40 s for the images: plenty of time to cancel
    widget = view(FakeRecognizer(bundled_meta()))
    widget.download_button.click()
    dialog = widget.progress_dialog()
    qtbot.waitUntil(lambda: "Downloading" in dialog.labelText(), timeout=10_000)
    assert dialog.value() >= 0
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)  # Cancel
    qtbot.waitUntil(lambda: widget.state() == "no-data", timeout=10_000)
    assert widget.progress_dialog() is None
    assert widget.banner_text().startswith("Download cancelled.")
    assert widget.download_button.isEnabled()
    cache = tmp_path / "cache" / "mnist"
    assert not cache.exists() or not list(cache.iterdir())  # not even a temporary file


def test_a_failed_download_says_why(view, qtbot, mirror):
    mirror.files = {}  # every file: 404
    widget = view(FakeRecognizer(bundled_meta()))
    widget.download_button.click()
    qtbot.waitUntil(
        lambda: widget.state() == "no-data" and widget.progress_dialog() is None, timeout=10_000
    )
    assert widget.banner_text().startswith("The download failed:")
    assert "404" in widget.banner_text()


def test_the_window_opens_the_view_with_ctrl_e(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    view = window.tools.evaluation_view
    assert view is not None and view.isVisible()
    assert view.heatmap.matrix() == window.recognition.recognizer.meta["test"]["confusion"]
    assert view.state() == "no-data"
    view.close()
