"""Screenshots for the docs: start DigitPad under Xvfb, draw with xdotool, capture.

    python packaging/screenshots.py [--out docs] [--keep-display]

Needs Xvfb, xdotool and ImageMagick's `import` (Debian/Ubuntu: apt-get install xvfb
xdotool imagemagick). Uses a private display, settings folder and data folder, so
the user's own settings are neither read nor changed.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISPLAY = ":97"
WINDOW = (1040, 720)
# Where the canvas is inside the window at that size: left of the splitter, below the
# menu bar and toolbar. Strokes are drawn well inside it.
CANVAS_CENTRE = (350, 380)


def two(size: float = 300) -> list[list[tuple[float, float]]]:
    """A handwritten "2": a hook, a diagonal, a base line (one stroke)."""
    points = []
    for i in range(0, 181, 4):  # the hook: from the left, over the top, down the right
        a = math.radians(200 - i * 1.15)
        points.append((0.5 + 0.32 * math.cos(a), 0.30 - 0.22 * math.sin(a)))
    points += [(0.70, 0.45), (0.56, 0.60), (0.40, 0.75), (0.26, 0.88), (0.45, 0.87),
               (0.62, 0.86), (0.80, 0.86)]
    cx, cy = CANVAS_CENTRE
    return [[(cx + (x - 0.5) * size, cy + (y - 0.55) * size) for x, y in points]]


def xdotool(*args: str) -> str:
    return subprocess.run(["xdotool", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def draw(window_id: str, strokes) -> None:
    for stroke in strokes:
        x0, y0 = stroke[0]
        xdotool("mousemove", "--window", window_id, str(round(x0)), str(round(y0)))
        xdotool("mousedown", "1")
        for (ax, ay), (bx, by) in zip(stroke, stroke[1:]):
            steps = max(1, int(math.hypot(bx - ax, by - ay) / 6))
            for k in range(1, steps + 1):
                x, y = ax + (bx - ax) * k / steps, ay + (by - ay) * k / steps
                xdotool("mousemove", "--window", window_id, str(round(x)), str(round(y)))
                time.sleep(0.008)
        xdotool("mouseup", "1")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--keep-display", action="store_true",
                        help="use $DISPLAY instead of starting a private Xvfb")
    args = parser.parse_args()
    for tool in ("xdotool", "import") + (() if args.keep_display else ("Xvfb",)):
        if shutil.which(tool) is None:
            print(f"screenshots: {tool} is not installed", file=sys.stderr)
            return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="digitpad-shots-"))
    xvfb = None
    env = dict(os.environ, XDG_CONFIG_HOME=str(scratch / "config"),
               DIGITPAD_DATA_DIR=str(scratch / "data"))
    env.pop("QT_QPA_PLATFORM", None)
    if not args.keep_display:
        xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1280x900x24", "-nolisten",
                                 "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env["DISPLAY"] = DISPLAY
        time.sleep(1.0)
    os.environ["DISPLAY"] = env["DISPLAY"]
    app = subprocess.Popen([sys.executable, "-m", "digitpad"], cwd=ROOT, env=env)
    try:
        window_id = xdotool("search", "--sync", "--onlyvisible", "--name", "^DigitPad$")
        window_id = window_id.split()[0]
        xdotool("windowsize", window_id, str(WINDOW[0]), str(WINDOW[1]))
        xdotool("windowmove", window_id, "0", "0")
        time.sleep(1.5)  # the model loads
        draw(window_id, two())
        xdotool("mousemove", "--window", window_id, str(WINDOW[0] - 60), "10")
        time.sleep(1.0)
        target = out / "main_window.png"
        subprocess.run(["import", "-window", window_id, str(target)], check=True, env=env)
        print(target)
    finally:
        app.terminate()
        app.wait(10)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
