"""The open line recogniser: the bundled file, its checks, and its place in recognition."""

import numpy as np
import pytest

from digitpad.core.made import synth
from digitpad.core.models import graph, open_reader, sequence
from digitpad.core.reading import recognize_image


@pytest.fixture(scope="module")
def reader():
    return open_reader.OpenReader.load()


def _line(images, labels, text, gap=12.0, seed=0):
    patches = [
        synth.digit_patch(images[np.flatnonzero(labels == int(c))[k + 3]], 3.0, 0.0)
        for k, c in enumerate(text)
    ]
    gaps = [gap] * (len(text) - 1)
    return synth.line_of_digits(patches, gaps, [0.0] * len(text), np.random.default_rng(seed), 60.0)


def test_the_bundled_reader_reads_lines_of_test_digits(reader, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(3)
    right = []
    for k in range(20):
        text = "".join(str(d) for d in rng.integers(0, 10, 5))
        ink, boxes = _line(images, labels, text, seed=k)
        prepared = open_reader.line_input(1.0 - ink, sequence.line_box(boxes))
        assert prepared is not None
        right.append(reader.read(prepared[0]).text == text)
    # Measured 0.9 on such lines (it drops some plain MNIST 1s); real writing is its strength.
    assert np.mean(right) >= 0.75


def test_line_input_keeps_the_height_and_pads_short_lines(mnist_test):
    grey = np.ones((40, 90), np.float32)
    grey[10:30, 10:80] = 0.0
    x, covered = open_reader.line_input(grey, (10, 10, 80, 30))
    assert x.shape[:3] == (1, 1, open_reader.HEIGHT) and x.shape[3] == open_reader.MIN_WIDTH
    assert covered[0] < 10 and covered[2] > 80  # a margin of paper around the ink
    assert open_reader.line_input(grey, (5, 5, 5, 20)) is None  # an empty box
    long = np.ones((10, 5000), np.float32)
    assert open_reader.line_input(long, (0, 0, 5000, 10)) is None  # too long to read


def test_a_damaged_file_is_refused_in_one_line(tmp_path):
    path = tmp_path / open_reader.FILE_NAME
    path.write_bytes(b"not an archive")
    with pytest.raises(open_reader.OpenReaderError) as info:
        open_reader.OpenReader.load(path)
    assert "\n" not in str(info.value)


def test_a_graph_that_is_not_a_digit_reader_is_refused(tmp_path):
    import io
    import json

    spec = {
        "nodes": [{"op": "Relu", "inputs": ["x"], "outputs": ["y"]}],
        "inputs": ["x"],
        "outputs": ["y"],
        "meta": {"classes": open_reader.CLASSES},
    }
    buffer = io.BytesIO()
    np.savez(buffer, **{graph.GRAPH_KEY: np.array(json.dumps(spec))})
    path = tmp_path / "relu.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(open_reader.OpenReaderError, match="instead of steps x classes"):
        open_reader.OpenReader.load(path)


def test_lines_use_it_and_single_digits_never_do(recognizer, mnist_test, monkeypatch):
    images, labels = mnist_test
    ink, boxes = _line(images, labels, "7294")
    calls = []
    real = open_reader.OpenReader.read
    monkeypatch.setattr(
        open_reader.OpenReader, "read", lambda self, x: calls.append(x.shape) or real(self, x)
    )
    result = recognize_image(recognizer, ink, grey=1.0 - ink)
    assert result.text == "7294" and calls
    for digit, (x0, _, x1, _) in zip(result.digits, boxes):
        assert x0 <= (digit.box[0] + digit.box[2]) / 2 <= x1  # each over its own ink
    calls.clear()
    single, _ = _line(images, labels, "7")
    assert recognize_image(recognizer, single, grey=1.0 - single).text == "7"
    assert recognize_image(recognizer, ink, max_digits=1, grey=1.0 - ink).text and not calls
    recognize_image(recognizer, ink)  # an ink array alone: our own networks
    assert not calls


def test_without_the_open_reader_lines_are_read_by_our_own_networks(recognizer, mnist_test):
    images, labels = mnist_test
    ink, _ = _line(images, labels, "4213")
    lines, recognizer.lines = recognizer.lines, None
    try:
        assert recognize_image(recognizer, ink, grey=1.0 - ink).text == "4213"
    finally:
        recognizer.lines = lines
