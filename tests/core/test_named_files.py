"""Every file DigitPad opens by name is checked on its open descriptor: a pipe, a device
or a link to one is refused at once (never a hang, never endless reading), and a file
is never read beyond its budget."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from digitpad.core.io import files, images, paths, pendigits
from digitpad.core.io.drawing import Drawing, DrawingError
from digitpad.core.models import graph, open_reader, sequence
from digitpad.core.models.ensemble import Recognizer
from digitpad.core.models.keras_file import ModelError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


@pytest.fixture(params=["fifo", "dev-zero"])
def not_regular(request, tmp_path):
    """A name that leads to a pipe with no writer, or to /dev/zero."""

    def make(name: str):
        path = tmp_path / name
        if request.param == "fifo":
            os.mkfifo(path)
        else:
            os.symlink("/dev/zero", path)
        return path

    return make


def test_open_regular_refuses_at_once_and_reads_within_the_budget(tmp_path, not_regular, within):
    refused = within(10, lambda: files.read_regular(not_regular("x.bin"), 1024))
    assert isinstance(refused, files.FileRefused) and "not a regular file" in str(refused)
    small = tmp_path / "small.bin"
    small.write_bytes(b"12345")
    assert files.read_regular(small, 5) == b"12345"
    with pytest.raises(files.FileRefused, match="too large"):
        files.read_regular(small, 4)
    with pytest.raises(IsADirectoryError):
        files.read_regular(tmp_path, 4)


@pytest.mark.parametrize(
    "load, error",
    [
        (Recognizer.load, ModelError),
        (graph.Graph.load, graph.GraphError),
        (open_reader.OpenReader.load, open_reader.OpenReaderError),
        (sequence.SequenceModel.load, sequence.SequenceModelError),
        (pendigits.read, pendigits.PenDigitsError),
        (Drawing.load, DrawingError),
        (images.decode_grey, images.ImageError),
    ],
    ids=["model", "graph", "open-reader", "strings", "pen-strokes", "drawing", "image"],
)
def test_every_loader_refuses_a_pipe_or_device(not_regular, load, error, within):
    outcome = within(10, lambda: load(not_regular("file")))
    assert isinstance(outcome, error), outcome
    assert "not a regular file" in str(outcome) and "\n" not in str(outcome)


def _ensemble_folder(tmp_path):
    """A model folder whose sidecar names a second network, member-2.keras."""
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(paths.bundled_model_path(), folder / "model.keras")
    meta = {"members": [{"file": "model.keras"}, {"file": "member-2.keras"}]}
    (folder / "model.json").write_text(json.dumps(meta))
    return folder


def test_an_ensemble_member_that_is_a_pipe_or_device_is_refused(tmp_path, not_regular, within):
    folder = _ensemble_folder(tmp_path)
    (folder / "member-2.keras").unlink(missing_ok=True)
    member = not_regular("member-2.keras")
    shutil.move(member, folder / "member-2.keras")
    outcome = within(10, lambda: Recognizer.load(folder / "model.keras"))
    assert isinstance(outcome, ModelError) and "not a regular file" in str(outcome)


def test_a_sidecar_that_is_a_pipe_or_device_is_ignored_with_a_warning(
    tmp_path, not_regular, within
):
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(paths.bundled_model_path(), folder / "model.keras")
    shutil.move(not_regular("model.json"), folder / "model.json")
    outcome = within(10, lambda: Recognizer.load(folder / "model.keras"))
    assert isinstance(outcome, Recognizer) and outcome.meta == {}


def test_a_text_file_is_not_a_pen_strokes_file(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\nmilk\n")
    with pytest.raises(pendigits.PenDigitsError, match="holds no pen digits"):
        pendigits.read(text)
    broken = tmp_path / "broken.txt"
    broken.write_text('.SEGMENT DIGIT "seven"\n')
    with pytest.raises(pendigits.PenDigitsError, match="not a pen-strokes file"):
        pendigits.read(broken)
    binary = tmp_path / "binary"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(pendigits.PenDigitsError, match="not ASCII"):
        pendigits.read(binary)


def test_mnist_files_that_are_pipes_or_devices_are_refused(tmp_path, not_regular, within):
    from digitpad.core.io import mnist

    path = not_regular("t10k-labels-idx1-ubyte")
    outcome = within(10, lambda: mnist.read_idx(path))
    assert isinstance(outcome, mnist.MnistError) and "not a regular file" in str(outcome)
