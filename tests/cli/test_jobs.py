"""`digitpad predict --jobs N`: the same answers as one process, in input order, streamed."""

from __future__ import annotations

import io
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitpad.__main__ import main
from digitpad.core import api

REPO = Path(__file__).resolve().parents[2]


def _images(folder: Path, mnist_pngs, count: int) -> list[Path]:
    paths = mnist_pngs(folder, count)
    (folder / "broken.png").write_bytes(b"not an image")  # an error line keeps its place
    return paths


def _predict(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "text"])
def test_jobs_give_the_same_lines_in_input_order(tmp_path, mnist_pngs, mode):
    _images(tmp_path / "in", mnist_pngs, 40)
    one = _predict(*mode, "--jobs", "1", tmp_path / "in")
    three = _predict(*mode, "--jobs", "3", tmp_path / "in")
    assert one.returncode == three.returncode == 1  # the broken file
    assert one.stdout == three.stdout and one.stderr == three.stderr
    lines = one.stdout.splitlines()
    expected = sorted(str(p) for p in (tmp_path / "in").iterdir())
    named = lines if mode else lines + one.stderr.splitlines()
    assert len(named) == len(expected)
    if mode:  # JSON: every input, in sorted order, the broken one in its place
        assert [line.split('"path": "')[1].split('"')[0] for line in lines] == expected


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="needs fork to hand the test's reader to the workers",
)
def test_the_first_answer_is_printed_before_the_batch_ends(tmp_path, mnist_pngs, monkeypatch):
    """The last input waits until the first answer is out (or 60 s): if predict held
    its output back until the batch was done, it would come out marked as late."""
    paths = _images(tmp_path / "in", mnist_pngs, 3)
    flag = tmp_path / "first-line-seen"
    real = api.recognize_path

    def slow_last(recognizer, path, max_digits=None, page=None):
        if path == str(paths[-1]):
            deadline = time.monotonic() + 60
            while not flag.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not flag.exists():
                raise RuntimeError("late")
        return real(recognizer, path, max_digits)

    class Out(io.StringIO):
        def write(self, text):
            if text.strip():
                flag.touch()
            return super().write(text)

    out = Out()
    monkeypatch.setattr(api, "recognize_path", slow_last)
    monkeypatch.setattr(sys, "stdout", out)
    code = main(["predict", "--json", "--jobs", "2", *map(str, paths)])
    assert code == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "late" not in out.getvalue()
    assert [str(p) in line for p, line in zip(paths, lines)] == [True] * 3


def test_one_input_never_starts_workers(tmp_path, mnist_pngs, monkeypatch):
    paths = _images(tmp_path / "in", mnist_pngs, 1)
    monkeypatch.setattr(multiprocessing, "get_context", lambda *a: pytest.fail("pool started"))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["predict", "--jobs", "4", str(paths[0])]) == 0
    assert out.getvalue().startswith(str(paths[0]))
