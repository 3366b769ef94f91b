"""Screenshots for the docs: start DigitPad under Xvfb, draw with xdotool, capture.

    python packaging/screenshots.py [--out docs] [--keep-display] [--mnist-dir DIR]

Saves main_window.png, number_corrected.png (a number drawn, boxed, one digit
corrected), evaluation_view.png (Tools > Evaluate Model, measured on the
MNIST test set when its files are found) and retrain_dialog.png plus
retrain_result.png (Tools > Retrain Model: a real 3-epoch run of the card recipe,
mid-run and at the comparison; it needs TensorFlow and the MNIST files, and takes a
minute or two).

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
EVALUATION = (1060, 740)
RETRAIN = (820, 700)
RETRAIN_EPOCHS = 3
# Where the canvas is inside the window at that size: left of the splitter, below the
# menu bar and toolbar. Strokes are drawn well inside it.
CANVAS_CENTRE = (350, 380)


def two(size: float = 300, dx: float = 0.0) -> list[list[tuple[float, float]]]:
    """A handwritten "2": a hook, a diagonal, a base line (one stroke)."""
    points = []
    for i in range(0, 181, 4):  # the hook: from the left, over the top, down the right
        a = math.radians(200 - i * 1.15)
        points.append((0.5 + 0.32 * math.cos(a), 0.30 - 0.22 * math.sin(a)))
    points += [
        (0.70, 0.45),
        (0.56, 0.60),
        (0.40, 0.75),
        (0.26, 0.88),
        (0.45, 0.87),
        (0.62, 0.86),
        (0.80, 0.86),
    ]
    cx, cy = CANVAS_CENTRE
    return [[(cx + dx + (x - 0.5) * size, cy + (y - 0.55) * size) for x, y in points]]


def shoot_number(window_id: str, out: Path, env: dict) -> None:
    """A number drawn on the canvas, its digits boxed, the second selected (Right) and
    corrected (Ctrl+2: saved as a sample of 2)."""
    cx, cy = CANVAS_CENTRE
    press(window_id, "Escape")
    draw(window_id, [[(cx - 150, cy - 120), (cx - 146, cy + 110)], *two(250, dx=70)])
    press(window_id, "Right", "ctrl+2")
    xdotool("mousemove", "--window", window_id, str(WINDOW[0] - 60), "10")
    time.sleep(1.0)
    target = out / "number_corrected.png"
    capture(window_id, target, env)
    print(target)


def xdotool(*args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


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


def find_window(name: str, timeout_s: float = 30.0) -> str:
    """The id of the visible window whose title matches `name` (a regular expression)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", name], capture_output=True, text=True
        ).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.2)
    raise RuntimeError(f"no window called {name!r} appeared")


def press(window_id: str, *keys: str) -> None:
    """Keys to a window; without a window manager, focus has to be given by hand."""
    xdotool("windowfocus", "--sync", window_id)
    for key in keys:
        xdotool("key", key)
        time.sleep(0.15)


def capture(window_id: str, target: Path, env: dict) -> None:
    subprocess.run(["import", "-window", window_id, str(target)], check=True, env=env)


def default_mnist_dir() -> str | None:
    for candidate in (
        os.environ.get("DIGITPAD_MNIST_DIR"),
        str(ROOT.parent / "shared" / "data" / "mnist"),
    ):
        if candidate and Path(candidate, "t10k-images-idx3-ubyte.gz").is_file():
            return candidate
    return None


def shoot_evaluation(main_id: str, out: Path, env: dict) -> None:
    press(main_id, "ctrl+e")
    view = find_window("^Evaluation")
    xdotool("windowsize", view, str(EVALUATION[0]), str(EVALUATION[1]))
    xdotool("windowmove", view, "0", "0")
    # Measuring the 10,000 test images takes a few seconds (longer on a busy machine).
    time.sleep(25 if env.get("DIGITPAD_MNIST_DIR") else 3)
    xdotool("mousemove", "--window", view, str(EVALUATION[0] - 40), "20")
    time.sleep(0.5)
    target = out / "evaluation_view.png"
    capture(view, target, env)
    print(target)
    press(view, "Escape")
    time.sleep(0.5)


def shoot_retraining(main_id: str, out: Path, env: dict, scratch: Path) -> None:
    """A real run; frames every few seconds; the one ~60% into the run (most of the
    start-up is TensorFlow loading, so the progress bar is further on) is kept."""
    press(main_id, "ctrl+r")
    dialog = find_window("^Retrain Model")
    xdotool("windowsize", dialog, str(RETRAIN[0]), str(RETRAIN[1]))
    xdotool("windowmove", dialog, "0", "0")
    time.sleep(0.8)
    press(dialog, "Return")  # Start Training is the default button
    started = time.monotonic()
    frames: list[tuple[float, Path]] = []
    models = Path(env["DIGITPAD_DATA_DIR"]) / "models"
    deadline = started + 900
    while not list(models.glob("*/model.json")):
        if time.monotonic() > deadline:
            raise RuntimeError("the training did not finish within 15 minutes")
        time.sleep(4)
        frame = scratch / f"frame-{len(frames):03d}.png"
        capture(dialog, frame, env)
        frames.append((time.monotonic() - started, frame))
    total = time.monotonic() - started
    time.sleep(2.0)  # the comparison page
    target = out / "retrain_result.png"
    capture(dialog, target, env)
    print(target)
    running = [f for f in frames if f[0] > 20]  # past start-up and loading
    if running:
        _, best = min(running, key=lambda f: abs(f[0] - 0.6 * total))
        shutil.copyfile(best, out / "retrain_dialog.png")
        print(out / "retrain_dialog.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument(
        "--keep-display",
        action="store_true",
        help="use $DISPLAY instead of starting a private Xvfb",
    )
    parser.add_argument(
        "--mnist-dir",
        default=default_mnist_dir(),
        help="folder with the MNIST files (for the evaluation and retraining shots)",
    )
    parser.add_argument(
        "--skip-training",
        action="store_true",
        help="no retraining shots (they need TensorFlow and a minute or two)",
    )
    args = parser.parse_args()
    for tool in ("xdotool", "import") + (() if args.keep_display else ("Xvfb",)):
        if shutil.which(tool) is None:
            print(f"screenshots: {tool} is not installed", file=sys.stderr)
            return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="digitpad-shots-"))
    xvfb = None
    env = dict(
        os.environ, XDG_CONFIG_HOME=str(scratch / "config"), DIGITPAD_DATA_DIR=str(scratch / "data")
    )
    env.pop("QT_QPA_PLATFORM", None)
    if args.mnist_dir:
        env["DIGITPAD_MNIST_DIR"] = args.mnist_dir
    # The retrain dialog opens with a short card run chosen (its settings, as a user's).
    settings = scratch / "config" / "DigitPad" / "DigitPad.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text(f"[training]\nrecipe=card\nepochs={RETRAIN_EPOCHS}\nbatch_size=128\n")
    if not args.keep_display:
        xvfb = subprocess.Popen(
            ["Xvfb", DISPLAY, "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
        capture(window_id, target, env)
        print(target)
        shoot_number(window_id, out, env)
        shoot_evaluation(window_id, out, env)
        if not args.skip_training:
            if not args.mnist_dir:
                print("screenshots: no MNIST files, so no retraining shots", file=sys.stderr)
            else:
                shoot_retraining(window_id, out, env, scratch)
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
