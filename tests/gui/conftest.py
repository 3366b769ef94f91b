"""GUI fixtures: a main window with the bundled model loaded, and helpers to draw on it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from digitpad.gui.app import binding_problem

BROKEN_BINDING = binding_problem()


def pytest_collection_modifyitems(config, items):
    # A broken binding aborts the whole interpreter mid-run; skip the GUI tests instead
    # and let test_qt_binding_is_usable fail with the reason.
    if not BROKEN_BINDING:
        return
    skip = pytest.mark.skip(reason=BROKEN_BINDING)
    for item in items:
        if "gui" in item.path.parts and item.name != "test_qt_binding_is_usable":
            item.add_marker(skip)


@pytest.fixture
def window(qtbot):
    from digitpad.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.recognition.recognizer is not None, timeout=15_000)
    yield win
    win.close()


@pytest.fixture
def draw_stroke(qtbot):
    """Draw one stroke with the left mouse button through (x, y) widget pixels."""

    def draw(widget, points: list[tuple[int, int]]) -> None:
        qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
        for x, y in points[1:]:
            qtbot.mouseMove(widget, QPoint(x, y))
        qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))

    return draw


def vertical_line(widget, steps: int = 30) -> list[tuple[int, int]]:
    """A "1": a straight stroke down the middle of the widget."""
    x = widget.width() // 2
    top, bottom = widget.height() // 5, widget.height() * 4 // 5
    return [(x, top + (bottom - top) * i // steps) for i in range(steps + 1)]


@pytest.fixture
def one(draw_stroke):
    """Draw a "1" on a widget."""
    return lambda widget: draw_stroke(widget, vertical_line(widget))


@pytest.fixture
def idle(qtbot):
    """Wait until the window has answered every request."""

    def wait(win, timeout: int = 5000) -> None:
        qtbot.waitUntil(lambda: not win.recognition.busy(), timeout=timeout)

    return wait


@pytest.fixture(autouse=True)
def no_mnist_unless_asked(tmp_path, monkeypatch):
    """The MNIST files are found only where a test puts them: the user's cache is a
    fresh folder and DIGITPAD_MNIST_DIR is unset."""
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)


FAKE_TRAINER = r'''
"""A stand-in for `digitpad train --progress json`: the same arguments, events and files.

FAKE_TRAINER_MODE: "ok" (default), "slow" (batches until SIGTERM), "crash" (a traceback
on stderr, exit 1), "error" (an error event, exit 1).
"""
import argparse, json, os, shutil, signal, sys, time
from pathlib import Path

from digitpad.core.records import training_events as events

parser = argparse.ArgumentParser()
parser.add_argument("--recipe", default="default")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--output", required=True)
parser.add_argument("--progress", default="text")
parser.add_argument("--no-augment", action="store_true")
parser.add_argument("--samples")
parser.add_argument("--init-model")
parser.add_argument("--limit", type=int)
parser.add_argument("--data-dir")
args = parser.parse_args()
here = Path(__file__).parent
(here / "args.json").write_text(json.dumps(sys.argv[1:]))
mode = os.environ.get("FAKE_TRAINER_MODE", "ok")
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))


def emit(event):
    print(json.dumps(events.to_json(event)), flush=True)


emit(events.Phase("loading", "Loading MNIST"))
batches = 4
emit(events.Start(recipe=args.recipe, epochs=args.epochs, batches=batches,
                  train_count=540, validation_count=60))
if mode == "error":
    emit(events.Error("MNIST not found in /nowhere"))
    sys.exit(events.EXIT_FAILED)
step = 0
for epoch in range(1, args.epochs + 1):
    for batch in range(1, batches + 1):
        if stop:
            (here / "terminated").write_text("yes")
            emit(events.Cancelled())
            sys.exit(events.EXIT_CANCELLED)
        step += 1
        loss = 2.3 / (1 + step)
        emit(events.Batch(epoch=epoch, epochs=args.epochs, batch=batch, batches=batches,
                          loss=loss, accuracy=1 - loss / 2.5,
                          eta_s=0.5 * (args.epochs * batches - step)))
        if mode == "crash" and step == 2:
            print("Traceback (most recent call last):\n  File \"train.py\", line 1\n"
                  "RuntimeError: boom", file=sys.stderr, flush=True)
            sys.exit(1)
        time.sleep(0.2 if mode == "slow" else 0.01)
    emit(events.Epoch(epoch=epoch, epochs=args.epochs, loss=loss, accuracy=1 - loss / 2.5,
                      val_loss=loss * 1.1, val_accuracy=1 - loss / 2.2, eta_s=0))
    if mode == "slow" and epoch == args.epochs:
        while not stop:
            time.sleep(0.05)
        (here / "terminated").write_text("yes")
        emit(events.Cancelled())
        sys.exit(events.EXIT_CANCELLED)
emit(events.Phase("evaluating", "Evaluating on the MNIST test set"))
out = Path(args.output)
out.mkdir(parents=True, exist_ok=True)
shutil.copyfile(os.environ["FAKE_TRAINER_MODEL"], out / "model.keras")
confusion = [[0] * 10 for _ in range(10)]
for k in range(10):
    confusion[k][k] = 991
    confusion[k][(k + 1) % 10] = 9
confusion[4][9] = 2
confusion[4][4] = 989  # 92 mistakes in all: accuracy 0.9908
meta = {"format": "digitpad-model", "version": 1, "recipe": args.recipe,
        "epochs": args.epochs, "batch_size": args.batch_size,
        "test": {"accuracy": 0.9908, "loss": 0.0301, "count": 10000, "confusion": confusion,
                 "precision": [0.99] * 10, "recall": [0.99] * 10}}
if args.samples:
    count = len(list(Path(args.samples).glob("*.json")))
    meta["samples"] = {"count": count, "held_out": max(1, count // 5), "accuracy_before": 0.5,
                       "accuracy_after": 1.0}
(out / "model.json").write_text(json.dumps(meta))
(out / "MODEL_CARD.md").write_text("# Model card\n")
(out / "confusion.png").write_bytes(b"")
emit(events.Done(str(out), 0.9908, 0.0301))
'''


@pytest.fixture
def fake_trainer(tmp_path, monkeypatch):
    """The command that runs the fake trainer (see FAKE_TRAINER); it records its
    arguments in <its folder>/args.json and copies the bundled model as its output."""
    import sys

    from digitpad.core.io import paths

    folder = tmp_path / "trainer"
    folder.mkdir()
    script = folder / "fake_train.py"
    script.write_text(FAKE_TRAINER)
    monkeypatch.setenv("FAKE_TRAINER_MODEL", str(paths.bundled_model_path()))
    monkeypatch.setenv("FAKE_TRAINER_MODE", "ok")
    return [sys.executable, str(script)]


@pytest.fixture
def answer_box(qtbot):
    """answer_box("Discard") clicks that button of the next message box, when it shows;
    returns a list that receives the box's informative text."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def answer(label: str) -> list[str]:
        seen: list[str] = []

        def click() -> None:
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
            shown = [b for b in boxes if b.isVisible()]
            if not shown:
                QTimer.singleShot(50, click)
                return
            seen.append(shown[0].informativeText())
            next(b for b in shown[0].buttons() if b.text() == label).click()

        QTimer.singleShot(50, click)
        return seen

    return answer
