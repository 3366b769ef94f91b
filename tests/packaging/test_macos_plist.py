"""The macOS bundle's Info.plist, read back from what PyInstaller's BUNDLE writes when it
runs packaging/digitpad.spec, so that a wrong key fails here and not only on a Mac."""

from __future__ import annotations

import importlib.metadata
import plistlib
import sys
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))

import macos_plist  # noqa: E402

SPEC_TEXT = macos_plist.SPEC.read_text("utf-8")


@pytest.fixture(autouse=True)
def build_environment(monkeypatch):
    """The spec's inputs as in a plain `pyinstaller packaging/digitpad.spec`."""
    for name in ("DIGITPAD_BUILD_VERSION", "DIGITPAD_CODESIGN_IDENTITY"):
        monkeypatch.delenv(name, raising=False)


def package_version() -> str:
    """pyproject.toml's version, which the spec reads from the installed metadata."""
    version = importlib.metadata.version("digitpad")
    if sys.version_info >= (3, 11):
        import tomllib

        pyproject = tomllib.loads((PACKAGING.parent / "pyproject.toml").read_text("utf-8"))
        assert pyproject["project"]["version"] == version, "stale install: run `uv sync`"
    return version


def read_plist(app: Path) -> dict:
    with (app / "Contents" / "Info.plist").open("rb") as f:
        return plistlib.load(f)


def test_info_plist_from_the_spec(tmp_path):
    app = macos_plist.render(tmp_path)
    version = package_version()

    assert app.name == "DigitPad.app"
    assert macos_plist.problems(app, version) == []
    plist = read_plist(app)
    assert plist["CFBundleIdentifier"] == "org.digitpad.DigitPad"
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == version
    assert plist["NSHighResolutionCapable"] is True
    assert plist["LSMinimumSystemVersion"] == macos_plist.macos_minimum()
    assert plist["CFBundleExecutable"] == "DigitPad"
    assert plist["CFBundleName"] == plist["CFBundleDisplayName"] == "DigitPad"
    assert plist["CFBundleIconFile"] == "digitpad.icns"
    assert (app / "Contents" / "Resources" / "digitpad.icns").is_file()


def test_the_build_version_reaches_both_version_keys(tmp_path, monkeypatch):
    # packaging/build.py passes the version this way.
    monkeypatch.setenv("DIGITPAD_BUILD_VERSION", "2.3.4")
    app = macos_plist.render(tmp_path)

    assert macos_plist.problems(app, "2.3.4") == []
    assert macos_plist.problems(app, package_version()) != []


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        pytest.param(
            'bundle_identifier="org.digitpad.DigitPad"',
            'bundle_identifier="org.digitpad.Digitpad"',
            "CFBundleIdentifier",
            id="identifier",
        ),
        pytest.param(
            '"CFBundleVersion": VERSION', '"CFBundleVersion": "1"', "CFBundleVersion", id="version"
        ),
        pytest.param(
            '"NSHighResolutionCapable": True',
            '"NSHighResolutionCapable": False',
            "NSHighResolutionCapable",
            id="high-dpi-off",
        ),
        pytest.param(
            '"NSHighResolutionCapable": True',
            '"NSHighResolutionCapable": "YES"',
            "NSHighResolutionCapable",
            id="high-dpi-a-string",
        ),
        pytest.param(
            '"LSMinimumSystemVersion": macos_minimum()',
            '"LSMinimumSystemVersion": 13.0',
            "LSMinimumSystemVersion",
            id="minimum-system-a-number",
        ),
        pytest.param(
            '"LSMinimumSystemVersion": macos_minimum(),',
            "",
            "LSMinimumSystemVersion",
            id="no-minimum-system",
        ),
        pytest.param(
            '"LSMinimumSystemVersion": macos_minimum()',
            '"LSMinimumSystemVersion": "11.0"',
            "LSMinimumSystemVersion",
            id="minimum-system-older-than-qt-supports",
        ),
        pytest.param(
            '"CFBundleDisplayName": NAME',
            '"CFBundleDisplayName": "Digitpad"',
            "CFBundleDisplayName",
            id="display-name",
        ),
        pytest.param(
            "name=NAME,\n    console",
            'name="digitpad",\n    console',
            "CFBundleExecutable",
            id="executable",
        ),
        # A console EXE makes PyInstaller mark the app LSBackgroundOnly.
        pytest.param("console=False", "console=True", "LSBackgroundOnly", id="console"),
        # BUNDLE converts a non-.icns icon to one of its own name.
        pytest.param(
            '"icons" / "digitpad.icns"),',
            '"icons" / "digitpad.png"),',
            "CFBundleIconFile",
            id="icon",
        ),
    ],
)
def test_a_mistyped_spec_is_caught(tmp_path, old, new, key):
    assert SPEC_TEXT.count(old) == 1, "the spec changed: update this case"
    app = macos_plist.render(tmp_path, source=SPEC_TEXT.replace(old, new))

    found = macos_plist.problems(app, package_version())
    assert found, f"{new!r} in the spec went unnoticed"
    assert any(key in problem for problem in found), found


def test_a_spec_without_the_macos_bundle_is_caught(tmp_path):
    source = SPEC_TEXT.replace('if sys.platform == "darwin":', 'if sys.platform == "macos":')
    assert source != SPEC_TEXT

    with pytest.raises(RuntimeError, match="0 BUNDLEs"):
        macos_plist.render(tmp_path, source=source)


def test_the_spec_run_leaves_this_process_as_it_was(tmp_path):
    from PyInstaller.building import osx
    from PyInstaller.config import CONF

    path, conf = list(sys.path), dict(CONF)
    macos_plist.render(tmp_path)

    assert osx.is_darwin == (sys.platform == "darwin")
    assert sys.path == path
    assert CONF == conf


@pytest.mark.parametrize(
    ("qt", "macos"),
    [("6.6.3", "11.0"), ("6.8.0", "12.0"), ("6.11.3", "13.0"), ("6.12.1", "14.4")],
)
def test_the_minimum_macos_follows_qt(qt, macos):
    assert macos_plist.macos_minimum(qt) == macos
