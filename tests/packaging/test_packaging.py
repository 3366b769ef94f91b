"""The build's helpers: what the frozen app leaves out, what the frozen check treats as
a failure, the Linux archive. (The build itself and the frozen checks run in .ci/run:
`uv run python packaging/build.py`.)"""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))

import build  # noqa: E402
import check_frozen  # noqa: E402
import trim  # noqa: E402


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",  # Linux, macOS
        "PySide6/translations/qt_fr.qm",  # Windows
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6\\plugins\\platforms\\qlinuxfb.dll",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-x11-integration.so",
        "PySide6/Qt/plugins/imageformats/libqtga.so",
        "tensorflow/lite/python/libpywrap_tflite_common.so",
        "tensorflow/compiler/tf2xla/ops/_xla_ops.so",
        "tensorflow/include/tensorflow/core/framework/tensor.h",
    ],
)
def test_unwanted(dest):
    assert trim.unwanted(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqminimal.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "tensorflow/libtensorflow_cc.so.2",
        "tensorflow/python/profiler/internal/_pywrap_profiler_plugin.so",
        "resources/model.keras",
        "resources/mnist/t10k-images-idx3-ubyte.gz",
    ],
)
def test_wanted(dest):
    assert not trim.unwanted(dest)


def test_keep_drops_the_libraries_only_unwanted_binaries_needed(monkeypatch):
    links = {
        "/src/libqgtk3.so": {"libgtk-3.so.0", "libglib-2.0.so.0"},
        "/src/libgtk-3.so.0": {"libcairo.so.2", "libglib-2.0.so.0"},
        "/src/libcairo.so.2": set(),
        "/src/libglib-2.0.so.0": set(),
        "/src/libqxcb.so": {"libQt6XcbQpa.so.6", "libglib-2.0.so.0"},
        "/src/libQt6XcbQpa.so.6": set(),
        "/src/QtCore.abi3.so": set(),
    }
    monkeypatch.setattr(trim, "_imports", lambda source: frozenset(links[source]))
    binaries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY"),
        ("libgtk-3.so.0", "/src/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libglib-2.0.so.0", "/src/libglib-2.0.so.0", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", "/src/libQt6XcbQpa.so.6", "BINARY"),
        ("PySide6/QtCore.abi3.so", "/src/QtCore.abi3.so", "EXTENSION"),
    ]
    datas = [
        ("libQt6XcbQpa.so.6", "PySide6/Qt/lib/libQt6XcbQpa.so.6", "SYMLINK"),
        ("libgtk-3.so.0.link", "libgtk-3.so.0", "SYMLINK"),
        ("PySide6/Qt/translations/qt_de.qm", "/src/qt_de.qm", "DATA"),
        ("resources/model.keras", "/src/model.keras", "DATA"),
    ]
    kept_binaries, kept_datas = trim.keep(binaries, datas)
    assert [d for d, _, _ in kept_binaries] == [
        "libglib-2.0.so.0",  # libqxcb still needs it
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/QtCore.abi3.so",
    ]
    assert [d for d, _, _ in kept_datas] == ["libQt6XcbQpa.so.6", "resources/model.keras"]


@pytest.mark.parametrize(
    "output, fatal",
    [
        (
            "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'x'",
            True,
        ),
        (
            'qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was '
            "found.",
            True,
        ),
        (
            "[PYI-12345:ERROR] Failed to execute script 'digitpad_app' due to unhandled exception",
            True,
        ),
        ('{"event": "done", "output": "/tmp/x"}', False),
        ("I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.", False),
    ],
)
def test_frozen_check_failure_patterns(output, fatal):
    assert bool(check_frozen.FATAL.search(output)) is fatal


def test_frozen_check_finds_the_executable(tmp_path):
    with pytest.raises(check_frozen.CheckFailed, match="no DigitPad executable"):
        check_frozen.executable(tmp_path)
    app = tmp_path / "DigitPad.app" / "Contents" / "MacOS"
    app.mkdir(parents=True)
    (app / "DigitPad").write_bytes(b"")
    assert check_frozen.executable(tmp_path / "DigitPad.app") == app / "DigitPad"


def test_linux_archive_keeps_links_and_is_written_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "DIST", tmp_path)
    app = tmp_path / "DigitPad"
    (app / "_internal" / "lib").mkdir(parents=True)
    (app / "DigitPad").write_bytes(b"\x7fELF" + bytes(1000))
    os.chmod(app / "DigitPad", 0o755)
    (app / "_internal" / "lib" / "libx.so.1").write_bytes(b"x" * 500)
    if sys.platform != "win32":
        os.symlink("lib/libx.so.1", app / "_internal" / "libx.so.1")
    assert build.folder_size(app) == 1004 + 500

    out = build.package_linux(app, "9.8.7")
    assert out.name.startswith("DigitPad-9.8.7-linux-") and out.name.endswith(".tar.gz")
    assert not list(tmp_path.glob(".*"))  # no temporary file left beside it
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["DigitPad/DigitPad"].mode & 0o111
    if sys.platform != "win32":
        assert members["DigitPad/_internal/libx.so.1"].issym()


def test_version_matches_the_package():
    from digitpad import __version__

    assert build.version() == __version__


@pytest.mark.skipif(sys.platform == "win32", reason="a Linux shell script")
def test_linux_menu_entry_script(tmp_path):
    import shutil
    import subprocess

    app = tmp_path / "unpacked here" / "DigitPad"
    (app / "_internal" / "resources" / "icons").mkdir(parents=True)
    (app / "_internal" / "resources" / "icons" / "digitpad.png").write_bytes(b"png")
    (app / "DigitPad").write_bytes(b"")
    os.chmod(app / "DigitPad", 0o755)
    script = app / "install-desktop-entry.sh"
    shutil.copy2(PACKAGING / "linux" / "install-desktop-entry.sh", script)
    env = {"HOME": str(tmp_path / "home"), "PATH": os.environ["PATH"]}

    subprocess.run(["sh", str(script)], env=env, check=True, capture_output=True)
    entry = tmp_path / "home" / ".local" / "share" / "applications" / "digitpad.desktop"
    lines = entry.read_text().splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert f'Exec="{app}/DigitPad"' in lines  # quoted: the folder has a space
    assert (
        tmp_path
        / "home"
        / ".local"
        / "share"
        / "icons"
        / "hicolor"
        / "512x512"
        / "apps"
        / "digitpad.png"
    ).read_bytes() == b"png"

    subprocess.run(["sh", str(script), "--remove"], env=env, check=True, capture_output=True)
    assert not entry.exists()

    (app / "DigitPad").unlink()
    failed = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "run it from the DigitPad folder" in failed.stderr
