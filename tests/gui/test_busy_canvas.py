"""Strokes keep every point while the app is busy: real X11 input (Xvfb + xdotool).

The offscreen platform hands events over one by one, so the merging of queued mouse
moves that lost points (a zigzag drawn during a stall became one straight line) only
happens with a real window system. Skipped where Xvfb or xdotool is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)

# The app's own canvas in a window of its own; the event loop stalls for 4 s while the
# pointer draws, then the canvas reports the points of its strokes.
CHILD = r"""
import json, sys, time
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from digitpad.gui.canvas import Canvas

app = QApplication([])
canvas = Canvas()
canvas.setWindowFlag(Qt.WindowType.FramelessWindowHint)
canvas.setGeometry(0, 0, 400, 400)
canvas.show()

def stall():
    print("stalling", flush=True)
    time.sleep(4.0)
    QTimer.singleShot(1000, report)

def report():
    print(json.dumps([len(s) for s in canvas.drawing().strokes]), flush=True)
    app.quit()

QTimer.singleShot(800, stall)
app.exec()
"""


@pytest.fixture
def display():
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.slow
def test_a_zigzag_drawn_while_the_app_stalls_keeps_its_corners(display):
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "stalling"
        zigzag = [(40 + 10 * k, 100 if k % 2 else 300) for k in range(31)]
        moves = [arg for x, y in zigzag[1:] for arg in ("mousemove", str(x), str(y))]
        start = time.monotonic()
        subprocess.run(
            [
                "xdotool",
                "mousemove",
                *map(str, zigzag[0]),
                "mousedown",
                "1",
                *moves,
                "mouseup",
                "1",
            ],
            env=env,
            check=True,
            timeout=10,
        )
        assert time.monotonic() - start < 3.0, "xdotool was too slow to draw during the stall"
        strokes = json.loads(child.stdout.readline())
    finally:
        child.kill()
        child.wait(10)
    assert len(strokes) == 1
    assert strokes[0] >= 31  # every corner (merged, 3 points were left)
