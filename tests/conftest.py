"""Shared test fixtures: where the data beside the checkout lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mnist_dir() -> Path | None:
    env = os.environ.get("DIGITPAD_MNIST_DIR")
    for candidate in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data" / "mnist"]:
        if (candidate / "t10k-images-idx3-ubyte.gz").exists() or (
            candidate / "t10k-images-idx3-ubyte"
        ).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found = _mnist_dir()
    if found is None:
        pytest.skip("MNIST files not available (set DIGITPAD_MNIST_DIR)")
    return found


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """(images uint8 (10000, 28, 28), labels uint8 (10000,))."""
    from digitpad.core.io import mnist

    return mnist.load("test", mnist_dir)


@pytest.fixture
def mnist_pngs(mnist_test):
    """Write ``count`` MNIST test digits as scans (dark on white PNGs) into a new
    ``folder``; their paths, in order."""
    from PIL import Image

    def write(folder: Path, count: int) -> list[Path]:
        images, _ = mnist_test
        folder.mkdir()
        paths = []
        for k in range(count):
            path = folder / f"{k:03d}.png"
            Image.fromarray(255 - images[k % len(images)]).save(path)
            paths.append(path)
        return paths

    return write


@pytest.fixture
def within():
    """wait(seconds, call): call()'s result, or the exception it raised (see _within)."""
    return _within


def _within(seconds: float, call):
    """call()'s result, or the exception it raised; fails the test if it has not
    returned in time. It runs in a daemon thread, so a hang fails the test instead of
    stopping the suite."""
    import threading

    outcome: list = []

    def run():
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    return outcome[0]


# --- Qt: offscreen unless --headed; settings and user data kept inside tmp_path ------


def pytest_addoption(parser):
    parser.addoption(
        "--headed",
        action="store_true",
        help="show Qt windows on the display (default: the offscreen platform)",
    )


def pytest_configure(config):
    if not config.getoption("--headed"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_user_state(request, tmp_path, monkeypatch):
    """No test reads or writes the real user's data folder or Qt settings.

    Qt is touched only for the GUI tests (tests/gui), so the engine's tests never
    load or call it.
    """
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "user-data"))
    if "gui" in request.node.path.parts:
        from PySide6.QtCore import QSettings

        ini = QSettings.Format.IniFormat
        QSettings.setDefaultFormat(ini)
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(ini, scope, str(tmp_path / "settings"))
    yield


@pytest.fixture(scope="module")
def recognizer():
    """The bundled model, loaded once per test module."""
    from digitpad.core.models.ensemble import Recognizer

    return Recognizer.load()


@pytest.fixture(scope="module")
def pen():
    """The pen-digits set (list of PenDigit); skipped when the file is absent."""
    from digitpad.core.io import pendigits

    path = pendigits.default_path()
    if path is None or not path.is_file():
        pytest.skip("pen-digits file not available (set DIGITPAD_PENDIGITS)")
    return pendigits.read(path)
