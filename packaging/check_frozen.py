"""Check a frozen DigitPad folder: does the one executable really do everything?

    uv run python packaging/check_frozen.py [dist/DigitPad | dist/DigitPad.app]

Runs, on the frozen executable, from an empty folder with its own data and cache
folders: --version; the desktop app's --smoke-test (offscreen); `predict --json` on a
drawing, an image and that image as a PDF, compared with this checkout's answer; a tiny
`train` run from scratch and one fine-tuning with the user's samples, as the retrain
dialog starts it; cancelling a training run as the dialog does (SIGTERM; on Windows,
killing it); `evaluate` on the bundled MNIST test files when the build has them; `bench
--quick` (--no-training skips the training steps, for a build without TensorFlow). The frozen
app gets no DIGITPAD_PENDIGITS: it must train with the pen strokes it bundles. Any
non-zero exit, any
ModuleNotFoundError / "No module named" / "could not load the Qt platform plugin" in
the output fails the check. Prints one line per step and a JSON summary last.
Training needs the MNIST training files (DIGITPAD_MNIST_DIR, the cache or a download).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FATAL = re.compile(
    r"ModuleNotFoundError|No module named|could not load the Qt platform plugin"
    r"|Failed to execute script|Traceback \(most recent call last\)",
    re.IGNORECASE,
)  # Qt says "Could not load the Qt platform plugin"
# A "7" and a "1" in a 280x280 box: bar, then stem; one stroke for the 1.
SEVEN = [[(70, 60), (140, 58), (200, 56), (190, 95), (172, 140), (156, 185), (142, 225)]]
ONE = [[(150, 50), (148, 120), (146, 180), (145, 230)]]
STEP_TIMEOUT_S = 600


class CheckFailed(Exception):
    pass


def executable(dist: Path) -> Path:
    """The executable inside a PyInstaller one-folder build or macOS .app."""
    for candidate in (
        dist / "Contents" / "MacOS" / "DigitPad",
        dist / "DigitPad.exe",
        dist / "DigitPad",
    ):
        if candidate.is_file():
            return candidate
    raise CheckFailed(f"no DigitPad executable in {dist}")


def bundled_resources(exe: Path) -> Path:
    for candidate in (
        exe.parent / "_internal" / "resources",
        exe.parent.parent / "Resources" / "resources",
        exe.parent.parent / "Frameworks" / "resources",
    ):
        if candidate.is_dir():
            return candidate
    raise CheckFailed(f"no bundled resources folder next to {exe}")


class Runner:
    def __init__(self, exe: Path, work: Path) -> None:
        self.exe = exe
        self.work = work
        self.steps: list[dict] = []
        # DIGITPAD_PENDIGITS goes too: the frozen app must train with the pen strokes it
        # bundles, as on a user's machine (bench is given the development file itself).
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DIGITPAD_PENDIGITS")
        }
        if env.get("DIGITPAD_MNIST_DIR"):  # the runs start in another folder
            env["DIGITPAD_MNIST_DIR"] = str(Path(env["DIGITPAD_MNIST_DIR"]).resolve())
        env.update(
            DIGITPAD_DATA_DIR=str(work / "data"),
            DIGITPAD_CACHE_DIR=str(work / "cache"),
            QT_QPA_PLATFORM="offscreen",
            TF_CPP_MIN_LOG_LEVEL="1",
        )
        self.env = env

    def run(self, name: str, args: list[str], env: dict | None = None) -> str:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [str(self.exe), *args],
                cwd=self.work,
                env=env or self.env,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{name}: no answer within {STEP_TIMEOUT_S} s") from None
        seconds = time.perf_counter() - started
        output = done.stdout + done.stderr
        self.steps.append({"step": name, "seconds": round(seconds, 2), "exit": done.returncode})
        print(f"  {name}: exit {done.returncode} in {seconds:.1f} s", flush=True)
        fatal = FATAL.search(output)
        if fatal or done.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-25:])
            why = f"'{fatal.group(0)}' in its output" if fatal else f"exit {done.returncode}"
            raise CheckFailed(f"{name}: {why}\n{tail}")
        return done.stdout


def make_inputs(work: Path) -> tuple[Path, Path, Path]:
    """A drawing of 71, a PNG of 71 (dark ink on paper), and a folder with 3 samples."""
    from PIL import Image, ImageDraw

    from digitpad.core.io.drawing import Drawing
    from digitpad.core.records.sample_store import save_sample

    drawing = work / "seventy-one.json"
    shifted_one = [[(x + 220, y) for x, y in ONE[0]]]
    Drawing.from_points(SEVEN + shifted_one, width=560, height=280).save(drawing)

    image = work / "seventy-one.png"
    canvas = Image.new("L", (560, 280), 235)
    pen = ImageDraw.Draw(canvas)
    for stroke in SEVEN + shifted_one:
        pen.line(stroke, fill=20, width=18, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pen.ellipse((x - 9, y - 9, x + 9, y + 9), fill=20)
    canvas.save(image)

    samples = work / "samples"
    samples.mkdir()
    for label, strokes in ((7, SEVEN), (1, ONE), (7, SEVEN)):
        save_sample(Drawing.from_points(strokes), label, directory=samples)
    return drawing, image, samples


def source_answer(paths: list[Path]) -> list[str]:
    """What this checkout reads in the same inputs, with the same bundled model."""
    from digitpad.core.api import recognize_path
    from digitpad.core.models.ensemble import Recognizer

    recognizer = Recognizer.load()
    return [recognize_path(recognizer, path, None).text for path in paths]


def check_predict(runner: Runner, inputs: list[Path], model: Path | None = None) -> list[str]:
    args = ["predict", "--json", *map(str, inputs)]
    if model is not None:
        args += ["--model", str(model)]
    lines = [
        json.loads(line)
        for line in runner.run(
            "predict "
            + " ".join(p.name for p in inputs)
            + (f" --model {model.parent.name}" if model else ""),
            args,
        ).splitlines()
        if line.strip()
    ]
    if len(lines) != len(inputs):
        raise CheckFailed(f"predict: {len(lines)} answers for {len(inputs)} inputs")
    return [line.get("text", "") for line in lines]


def check_training_output(folder: Path) -> None:
    for name in ("model.keras", "model.json", "MODEL_CARD.md", "confusion.png"):
        if not (folder / name).is_file():
            raise CheckFailed(f"train: {folder.name}/{name} was not written")


def check_cancel(runner: Runner, mnist_env: dict) -> None:
    """Cancel during training as the retrain dialog does: SIGTERM, then exit 130 with
    nothing written; on Windows, where a console process gets no SIGTERM, the dialog
    kills it, and still nothing may be written."""
    output = runner.work / "cancelled"
    process = subprocess.Popen(
        [
            str(runner.exe),
            "train",
            "--epochs",
            "3",
            "--batch-size",
            "32",
            "--limit",
            "20000",
            "--output",
            str(output),
            "--progress",
            "json",
        ],
        cwd=runner.work,
        env=mnist_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started = time.perf_counter()
    try:
        for line in process.stdout:
            if '"event": "batch"' in line:
                if sys.platform == "win32":
                    process.kill()
                else:
                    process.send_signal(signal.SIGTERM)
                break
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    seconds = time.perf_counter() - started
    runner.steps.append({"step": "train, cancelled", "seconds": round(seconds, 2), "exit": code})
    how = "killed" if sys.platform == "win32" else "cancelled with SIGTERM"
    print(f"  train, {how}: exit {code} in {seconds:.1f} s", flush=True)
    from digitpad.core.records.training_events import EXIT_CANCELLED

    if sys.platform != "win32" and code != EXIT_CANCELLED:
        raise CheckFailed(f"cancelled training exited {code}, expected {EXIT_CANCELLED}")
    if output.exists():
        raise CheckFailed("cancelled training left an output folder behind")


def check_bench(runner: Runner, env: dict) -> dict:
    """`bench --quick`: accuracy and speed figures, measured by the frozen app on itself
    (its predict and start-up timings start the frozen executable again)."""
    from digitpad.core.io import pendigits

    args = ["bench", "--quick", "--json"]
    pen = pendigits.default_path()
    if pen is not None and pen.is_file():
        args += ["--pendigits", str(pen.resolve())]
    result = json.loads(runner.run("bench --quick", args, env=env).strip().splitlines()[-1])
    figures = {f["name"]: f for f in result["figures"]}
    failed = [
        f"{name}: {f['note']}"
        for name, f in figures.items()
        if f["value"] is None and "failed" in (f.get("note") or "")
    ]
    if failed:
        raise CheckFailed("bench: " + "; ".join(failed))
    return {name: f["value"] for name, f in figures.items() if f["value"] is not None}


def check_training(runner: Runner, resources: Path, drawing: Path, samples: Path) -> list[str]:
    """A tiny run from scratch, a fine-tuning as the retrain dialog starts it, predict
    with the tuned model, and (not on Windows) cancelling a run; the tuned answer."""
    work, mnist_env = runner.work, runner.env
    fresh = work / "fresh"
    runner.run(
        "train (tiny, from scratch)",
        [
            "train",
            "--epochs",
            "2",
            "--batch-size",
            "64",
            "--limit",
            "1100",
            "--output",
            str(fresh),
            "--progress",
            "json",
        ],
        env=mnist_env,
    )
    check_training_output(fresh)
    if (resources / "pendigits-train").is_file():  # retraining's pen strokes, bundled
        sources = json.loads((fresh / "model.json").read_text())["data_sources"]
        bundled = hashlib.sha256((resources / "pendigits-train").read_bytes()).hexdigest()
        if not any(s.get("sha256") == bundled for s in sources):
            raise CheckFailed("train: the bundled pen strokes were not used")
    tuned = work / "tuned"
    runner.run(
        "train (fine-tune with samples, as the retrain dialog)",
        [
            "train",
            "--recipe",
            "default",
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--limit",
            "512",
            "--output",
            str(tuned),
            "--progress",
            "json",
            "--samples",
            str(samples),
            "--init-model",
            str(resources / "model.keras"),
        ],
        env=mnist_env,
    )
    check_training_output(tuned)
    tuned_answer = check_predict(runner, [drawing], tuned / "model.keras")
    check_cancel(runner, mnist_env)

    return tuned_answer


def check(dist: Path, training: bool = True) -> dict:
    """All the checks on one frozen folder; `training=False` for a build without
    TensorFlow (packaging checks only), which skips the training steps."""
    exe = executable(dist)
    resources = bundled_resources(exe)
    summary: dict = {"executable": str(exe)}
    # the digit model, the lines' model, the open line recogniser and its licence
    for name in ("model.keras", "strings.npz", "ppocr_rec.npz", "PPOCR_LICENCE.txt"):
        if not (resources / name).is_file():
            raise CheckFailed(f"{name} is not bundled in {resources}")
    with tempfile.TemporaryDirectory(prefix="digitpad-frozen-") as tmp:
        work = Path(tmp)
        runner = Runner(exe, work)
        drawing, image, samples = make_inputs(work)

        version = runner.run("--version", ["--version"]).strip()
        summary["version"] = version
        import digitpad

        if version != f"DigitPad {digitpad.__version__}":
            raise CheckFailed(
                f"the frozen app says {version!r}, the package is {digitpad.__version__}"
            )

        smoke = json.loads(
            runner.run("--smoke-test (offscreen)", ["--smoke-test"]).strip().splitlines()[-1]
        )
        summary["smoke_test"] = smoke
        if smoke.get("tensorflow_imported"):
            raise CheckFailed("the desktop app imported TensorFlow at start-up")

        # The PNG as a scanner's PDF too: PDFium must be bundled and work.
        from PIL import Image

        scan = image.with_suffix(".pdf")
        with Image.open(image) as picture:
            picture.save(scan, resolution=200.0)
        expected = source_answer([drawing, image, scan])
        frozen = check_predict(runner, [drawing, image, scan])
        summary["predict"] = {"frozen": frozen, "source": expected}
        if frozen != expected or frozen[0] != "71" or frozen[2] != "71":
            raise CheckFailed(f"predict read {frozen}, the checkout reads {expected}")

        # Training reads MNIST from DIGITPAD_MNIST_DIR, the cache, or downloads it.
        mnist_env = dict(runner.env)
        if training:
            summary["predict_tuned"] = check_training(runner, resources, drawing, samples)
        summary["bench"] = check_bench(runner, mnist_env)

        if (resources / "mnist").is_dir():
            offline = {k: v for k, v in runner.env.items() if k != "DIGITPAD_MNIST_DIR"}
            result = json.loads(
                runner.run(
                    "evaluate (bundled MNIST test files)", ["evaluate", "--json"], env=offline
                )
            )
            summary["evaluate_accuracy"] = result.get("accuracy")
        summary["steps"] = runner.steps
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = ROOT / "dist" / ("DigitPad.app" if sys.platform == "darwin" else "DigitPad")
    parser.add_argument("dist", nargs="?", type=Path, default=default)
    parser.add_argument(
        "--no-training",
        action="store_true",
        help="skip the training steps (a build made --without-tensorflow)",
    )
    parser.add_argument("--json-out", type=Path, help="also write the summary to this file")
    args = parser.parse_args(argv)
    print(f"Checking the frozen app in {args.dist}", flush=True)
    try:
        summary = check(args.dist, training=not args.no_training)
    except CheckFailed as exc:
        print(f"FROZEN CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    if args.json_out:
        from digitpad.core.io.atomic import write_text

        write_text(args.json_out, json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary), flush=True)
    print("Frozen checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
