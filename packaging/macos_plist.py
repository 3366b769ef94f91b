"""The macOS bundle's Info.plist, as PyInstaller writes it from digitpad.spec, and what it
must say. Used by tests/packaging/test_macos_plist.py, so that a wrong key in the spec
fails on any machine rather than in a build on a Mac.

The spec runs the way PyInstaller runs it, with the names PyInstaller gives it and
`sys.platform` seen as "darwin" where the spec branches on it. Analysis, PYZ and EXE are
stand-ins (the real ones analyse the app for minutes and need the macOS bootloader);
COLLECT and BUNDLE are PyInstaller's own, so the Info.plist read back is the file that
BUNDLE.assemble writes, defaults and merging included. Two things are switched for the
run: BUNDLE's `is_darwin` (it does nothing elsewhere) and the bundle signing at the end
(codesign exists only on macOS, and signing does not touch Info.plist).

    python packaging/macos_plist.py              # render from the spec and check
    python packaging/macos_plist.py DigitPad.app # check a bundle built on a Mac
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.metadata
import os
import plistlib
import re
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PACKAGING = Path(__file__).resolve().parent
SPEC = PACKAGING / "digitpad.spec"

NAME = "DigitPad"
BUNDLE_IDENTIFIER = "org.digitpad.DigitPad"
ICON_FILE = "digitpad.icns"
# The oldest macOS each Qt runs on (Qt for macOS, "Supported Configurations"), newest
# first: the bundle must not promise less, or Finder starts an app whose Qt then fails.
QT_MACOS_MINIMUM = (((6, 12), "14.4"), ((6, 10), "13.0"), ((6, 8), "12.0"), ((6, 0), "11.0"))


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:3])


def macos_minimum(qt_version: str | None = None) -> str:
    """LSMinimumSystemVersion for the Qt that goes into the bundle (this environment's
    PySide6 unless given)."""
    qt = _numbers(qt_version or importlib.metadata.version("PySide6-Essentials"))
    return next(macos for since, macos in QT_MACOS_MINIMUM if qt[:2] >= since)


def problems(app: Path, version: str) -> list[str]:
    """What is wrong with the bundle at `app` (a .app folder); empty when nothing is."""
    plist_path = app / "Contents" / "Info.plist"
    if not plist_path.is_file():
        return [f"{plist_path} is missing"]
    with plist_path.open("rb") as f:
        plist: dict[str, Any] = plistlib.load(f)

    found: list[str] = []

    def expect(key: str, wanted: object) -> None:
        # `type(...) is` as well: True == 1, and macOS reads <integer> and <true/> differently.
        got = plist.get(key)
        if got != wanted or type(got) is not type(wanted):
            found.append(f"{key} is {got!r}, not {wanted!r}")

    expect("CFBundleIdentifier", BUNDLE_IDENTIFIER)
    expect("CFBundleName", NAME)
    expect("CFBundleDisplayName", NAME)
    expect("CFBundleExecutable", NAME)
    expect("CFBundlePackageType", "APPL")
    expect("CFBundleShortVersionString", version)
    expect("CFBundleVersion", version)
    expect("NSHighResolutionCapable", True)
    expect("CFBundleIconFile", ICON_FILE)
    # PyInstaller sets this for a console EXE: the app would start with no Dock icon and
    # no menu bar.
    if plist.get("LSBackgroundOnly"):
        found.append("LSBackgroundOnly is set (the EXE is console=True)")
    minimum = plist.get("LSMinimumSystemVersion")
    if not (isinstance(minimum, str) and re.fullmatch(r"\d+\.\d+(\.\d+)?", minimum)):
        found.append(f"LSMinimumSystemVersion is {minimum!r}, not a version such as '13.0'")
    elif _numbers(minimum) < _numbers(macos_minimum()):
        found.append(
            f"LSMinimumSystemVersion is {minimum!r}, but the bundled Qt needs macOS "
            f"{macos_minimum()}"
        )
    # The names must point at files that the bundle has.
    for key, folder in (("CFBundleExecutable", "MacOS"), ("CFBundleIconFile", "Resources")):
        name = plist.get(key)
        if isinstance(name, str) and not (app / "Contents" / folder / name).is_file():
            found.append(f"{key} names {name!r}, which is not in Contents/{folder}")
    return found


def render(workdir: Path, spec: Path = SPEC, source: str | None = None) -> Path:
    """Run `spec` (or `source`, text standing in for it) as PyInstaller would on macOS,
    with its output under `workdir`; return the .app folder BUNDLE wrote.

    The bundle holds Info.plist, the icon and an empty placeholder executable. The spec
    reads os.environ as it does in a build.
    """
    from PyInstaller import HOMEPATH
    from PyInstaller.building import osx
    from PyInstaller.building.api import COLLECT, EXE
    from PyInstaller.building.datastruct import Target
    from PyInstaller.config import CONF

    class Analysis:
        """No modules, binaries or data: none of them reaches Info.plist."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            self.scripts: list = []
            self.pure: list = []
            self.binaries: list = []
            self.datas: list = []
            self.zipfiles: list = []
            self.zipped_data: list = []

    class PYZ:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

    class StandInEXE(EXE):
        """The settings COLLECT and BUNDLE take from an EXE, read from the arguments as
        EXE.__init__ reads them, and an empty file for the executable. A subclass, since
        both check isinstance(arg, EXE)."""

        def __init__(self, *args: object, **kwargs: Any) -> None:
            Target.__init__(self)
            self.exclude_binaries = kwargs.get("exclude_binaries", False)
            self.console = kwargs.get("console", True)
            self.strip = kwargs.get("strip", False)
            self.upx = False
            self.upx_exclude = kwargs.get("upx_exclude", [])
            self.target_arch = kwargs.get("target_arch")
            self.codesign_identity = kwargs.get("codesign_identity")
            self.entitlements_file = kwargs.get("entitlements_file")
            self.contents_directory = kwargs.get("contents_directory", "_internal")
            self.append_pkg = kwargs.get("append_pkg", True)
            self.toc: list = []
            # Onedir builds the executable in WORKPATH, onefile in DISTPATH.
            folder = CONF["workpath"] if self.exclude_binaries else CONF["distpath"]
            self.name = os.path.join(folder, os.path.basename(kwargs["name"]))
            self.pkgname = os.path.join(CONF["workpath"], os.path.basename(self.name) + ".pkg")
            Path(self.name).write_bytes(b"")

    spec = spec.resolve()
    dist = workdir / "dist"
    work = workdir / "build" / spec.stem
    conf = {
        "spec": str(spec),
        "specpath": str(spec.parent),
        "specnm": spec.stem,
        "distpath": str(dist),
        "workpath": str(work),
        "warnfile": str(work / f"warn-{spec.stem}.txt"),
        "noconfirm": True,
        "upx_available": False,
        "code_cache": {},
    }
    for folder in (dist, work):
        folder.mkdir(parents=True, exist_ok=True)
    namespace: dict[str, Any] = {
        # What build_main.build() gives the spec, with the stand-ins; a name missing
        # here fails the run with a NameError rather than passing silently.
        "DISTPATH": conf["distpath"],
        "HOMEPATH": HOMEPATH,
        "SPEC": conf["spec"],
        "specnm": conf["specnm"],
        "SPECPATH": conf["specpath"],
        "WARNFILE": conf["warnfile"],
        "workpath": conf["workpath"],
        "Analysis": Analysis,
        "PYZ": PYZ,
        "EXE": StandInEXE,
        "COLLECT": COLLECT,
        "BUNDLE": osx.BUNDLE,
        "os": os,
        "__builtins__": _builtins_seeing_platform("darwin"),
    }
    code = compile(source if source is not None else spec.read_text("utf-8"), str(spec), "exec")
    with (
        _patched(CONF, conf),
        _patched(vars(osx), {"is_darwin": True, "osxutils": _NoSigning}),
        _restored(sys.path),
    ):
        exec(code, namespace)
    bundles = [value for value in namespace.values() if isinstance(value, osx.BUNDLE)]
    if len(bundles) != 1:
        raise RuntimeError(f"{spec.name} made {len(bundles)} BUNDLEs for macOS, not one")
    return Path(bundles[0].name)


class _NoSigning:
    """Stands for PyInstaller.utils.osx, which imports only on macOS."""

    @staticmethod
    def sign_binary(*args: object, **kwargs: object) -> None:
        pass


class _SysSeeing(types.ModuleType):
    """`sys`, but for sys.platform; everything else (sys.path above all) is the real one."""

    def __init__(self, platform: str) -> None:
        super().__init__("sys")
        self.platform = platform

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def _builtins_seeing_platform(platform: str) -> dict[str, Any]:
    """Builtins whose `import sys` gives the spec a `sys` on `platform`.

    Only the spec's own code sees it: setting sys.platform itself would also mislead
    every module first imported while the spec runs, for as long as the process lives.
    """
    fake_sys = _SysSeeing(platform)
    real_import = builtins.__import__

    def spec_import(name: str, *args: Any, **kwargs: Any) -> Any:
        module = real_import(name, *args, **kwargs)
        return fake_sys if module is sys else module

    return {**vars(builtins), "__import__": spec_import}


@contextlib.contextmanager
def _patched(mapping: dict[str, Any], values: dict[str, Any]) -> Iterator[None]:
    missing = object()
    saved = {key: mapping.get(key, missing) for key in values}
    mapping.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is missing:
                del mapping[key]
            else:
                mapping[key] = value


@contextlib.contextmanager
def _restored(items: list[str]) -> Iterator[None]:
    # The spec puts its folder on sys.path, as it does in a build.
    saved = list(items)
    try:
        yield
    finally:
        items[:] = saved


def main(argv: list[str]) -> int:
    version = importlib.metadata.version("digitpad")
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(argv[0]) if argv else render(Path(tmp))
        found = problems(app, version)
        plist_path = app / "Contents" / "Info.plist"
        if plist_path.is_file():
            with plist_path.open("rb") as f:
                for key, value in sorted(plistlib.load(f).items()):
                    print(f"{key} = {value!r}")
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
