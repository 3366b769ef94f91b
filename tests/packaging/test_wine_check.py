"""The Windows check under Wine: the parts that need no Wine (the proxy's export table,
the comparison with the Linux answer, path names), and the shims compiled when the
mingw-w64 compiler is here. The check itself runs in .ci/run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WINE_DIR = Path(__file__).resolve().parents[2] / "packaging" / "windows" / "wine"
sys.path.insert(0, str(WINE_DIR))

import check as wine_check  # noqa: E402

MINGW = shutil.which("x86_64-w64-mingw32-gcc")


def exports_with(*others: str) -> list[str]:
    """A ucrtbase export list: what the proxy implements, and `others`."""
    return sorted(wine_check.implemented(WINE_DIR / "ucrtbase.c")) + list(others)


def test_the_proxy_implements_the_complex_functions_and_forwards_the_rest():
    own = wine_check.implemented(WINE_DIR / "ucrtbase.c")
    # The ones NumPy and HDF5 were seen to call, in their three forms where C99 has them.
    for name in ("cexp", "cpow", "creal", "cimag", "csqrt", "clog", "cabs"):
        assert {name, name + "f", name + "l"} <= own
    assert {"feholdexcept", "_Cbuild", "_FCmulcc", "_LCmulcr"} <= own
    exports = exports_with("malloc", "sin")
    definition = wine_check.ucrtbase_def(WINE_DIR / "ucrtbase.c", exports).splitlines()
    assert definition[:2] == ["LIBRARY ucrtbase.dll", "EXPORTS"]
    entries = dict(line.strip().split("=") for line in definition[2:])
    assert list(entries) == exports  # every export, in order, none added
    for name in own:
        assert entries[name] == f"dp_{name}"
    assert entries["malloc"] == "ucrtwine.malloc"
    assert entries["sin"] == "ucrtwine.sin"


def test_a_function_that_ucrtbase_does_not_export_is_refused(tmp_path):
    source = tmp_path / "ucrtbase.c"
    source.write_text((WINE_DIR / "ucrtbase.c").read_text() + "\nint dp_notacrtfunction(void);\n")
    with pytest.raises(wine_check.CheckFailed, match="notacrtfunction"):
        wine_check.ucrtbase_def(source, exports_with("malloc"))


@pytest.mark.parametrize("name", ["ucrtbase.c", "icuuc.c"])
def test_each_shim_says_it_is_for_testing_under_wine_only(name):
    head = (WINE_DIR / name).read_text()[:400]
    assert "TEST-ONLY" in head and "Wine" in head and "never shipped" in head


def test_answers_compare_with_a_tolerance_for_numbers_only():
    linux = {"text": "71", "digits": [{"digit": 7, "confidence": 0.998712}], "sure": True}
    close = {"text": "71", "digits": [{"digit": 7, "confidence": 0.998713}], "sure": True}
    assert wine_check.same(close, linux)
    assert not wine_check.same({**close, "text": "77"}, linux)
    assert not wine_check.same({**close, "sure": False}, linux)
    assert not wine_check.same({**close, "digits": [{"digit": 7, "confidence": 0.9}]}, linux)
    assert not wine_check.same({**close, "extra": 1}, linux)
    assert not wine_check.same({"text": "71", "digits": [], "sure": True}, linux)


def test_windows_names_of_paths():
    assert wine_check.win(Path("/work/main/dist")) == "Z:\\work\\main\\dist"
    program = wine_check.unix(r"C:\Program Files\DigitPad\DigitPad.exe")
    assert program == wine_check.PREFIX / "drive_c" / "Program Files" / "DigitPad" / "DigitPad.exe"


@pytest.mark.skipif(MINGW is None, reason="the mingw-w64 compiler is not installed")
@pytest.mark.parametrize("name", ["ucrtbase.c", "icuuc.c"])
def test_the_shims_compile_without_warnings(tmp_path, name):
    sources = [WINE_DIR / name]
    if name == "ucrtbase.c":
        definition = tmp_path / "ucrtbase.def"
        definition.write_text(wine_check.ucrtbase_def(WINE_DIR / name, exports_with("malloc")))
        sources.append(definition)
    out = tmp_path / name.replace(".c", ".dll")
    done = subprocess.run(
        [MINGW, "-O2", "-shared", "-static-libgcc", "-Wall", "-Wextra", "-o", out, *sources],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    assert out.read_bytes()[:2] == b"MZ"
