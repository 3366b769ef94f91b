"""How a batch ends when it is stopped: a worker killed, the parent killed, Ctrl-C,
SIGTERM, a reader that goes away. Never a hang, a traceback or a process left over."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitpad import commands
from digitpad.__main__ import main
from digitpad.core import api

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(") ")[-1].startswith("Z"))


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "digitpad", "predict", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: Ctrl-C is sent to the group, as a terminal does
        # As in a terminal, Ctrl-C is not ignored (a shell's background job, such as a
        # test run started with `&`, passes SIGINT on ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="needs fork to hand the test's reader to the workers",
)
def test_a_killed_worker_costs_only_the_input_it_held(tmp_path, mnist_pngs, monkeypatch):
    """A worker dies (SIGKILL, as the out-of-memory killer does) while reading one file:
    that file gets one error line, every other file its answer, in order."""
    paths = mnist_pngs(tmp_path / "in", 30)
    doomed = str(paths[11])
    real = api.recognize_path

    def dies_on_one(recognizer, path, max_digits=None, page=None):
        if path == doomed:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(recognizer, path, max_digits, page)

    out = io.StringIO()
    monkeypatch.setattr(api, "recognize_path", dies_on_one)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["predict", "--json", "--jobs", "2", str(tmp_path / "in")]) == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == len(paths)
    for path, line in zip(paths, lines):
        assert f'"path": "{path}"' in line
        assert ('"error"' in line) == (str(path) == doomed), line
    assert commands.LOST in lines[11]


@posix_only
def test_killing_the_parent_leaves_no_worker(tmp_path, mnist_pngs):
    mnist_pngs(tmp_path / "in", 400)
    process = _start("--jobs", "2", str(tmp_path / "in"))
    assert process.stdout.readline()  # reading has begun
    workers = _children(process.pid)
    assert workers
    process.kill()
    process.wait(30)
    assert _gone_within(workers, 20), "a worker outlived its parent"


@posix_only
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    "stop, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_stopped_batch_ends_quietly(tmp_path, mnist_pngs, jobs, stop, code):
    mnist_pngs(tmp_path / "in", 400)
    process = _start("--json", "--jobs", jobs, str(tmp_path / "in"))
    assert process.stdout.readline()
    workers = _children(process.pid)
    if stop == signal.SIGINT:
        os.killpg(process.pid, stop)  # a terminal sends Ctrl-C to the whole group
    else:
        process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert err.decode().count("\n") <= 1 and b"Traceback" not in err
    assert _gone_within(workers, 10)


@posix_only
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_ends_the_batch_quietly(tmp_path, mnist_pngs, jobs):
    """`digitpad predict FOLDER | head -1`."""
    mnist_pngs(tmp_path / "in", 400)
    process = _start("--jobs", jobs, str(tmp_path / "in"))
    assert process.stdout.readline()
    workers = _children(process.pid)
    process.stdout.close()
    err = process.stderr.read()
    process.wait(60)
    assert process.returncode == commands.PIPE_CLOSED
    assert err == b""
    assert _gone_within(workers, 10)
