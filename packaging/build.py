"""Build DigitPad for this OS: the frozen app, its installer, its sizes, its checks.

    uv run python packaging/build.py

1. PyInstaller (packaging/digitpad.spec): dist/DigitPad/ (dist/DigitPad.app on macOS),
   with the MNIST test files inside when they are at hand (DIGITPAD_MNIST_DIR or the
   cache), so the evaluation view works offline.
2. The installer: Linux dist/DigitPad-<version>-linux-<arch>.tar.gz; macOS
   dist/DigitPad-<version>-macos-<arch>.dmg (signed ad hoc, or with
   DIGITPAD_CODESIGN_IDENTITY, then notarized when the notary variables are set; see
   the README); Windows dist/DigitPad-Setup-<version>.exe (Inno Setup 6's ISCC).
3. packaging/check_frozen.py on the result.
Sizes and times go to dist/build-report.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitpad.core.io.atomic import atomic_path, write_text  # noqa: E402

PACKAGING = ROOT / "packaging"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
NAME = "DigitPad"


class BuildError(Exception):
    pass


def version() -> str:
    """The installed package's version (pyproject.toml's): the one place it is kept."""
    import digitpad

    if digitpad.__version__ == "0+unknown":
        raise BuildError("digitpad is not installed here: run the build with `uv run`")
    return digitpad.__version__


def arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def tensorflow_build() -> str:
    """Which TensorFlow goes into the app; a warning when it is not the CPU-only build
    where one exists (Linux x86-64, Windows): the CUDA build adds ~600 MB."""
    from importlib import metadata

    for dist in ("tensorflow-cpu", "tensorflow", "tensorflow-intel", "tensorflow-macos"):
        try:
            found = f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
        cpu_build_exists = sys.platform == "win32" or (
            sys.platform.startswith("linux") and arch() == "x86_64"
        )
        if dist != "tensorflow-cpu" and cpu_build_exists:
            print(
                f"warning: building with {found}; tensorflow-cpu makes the app ~600 MB "
                "smaller (uv sync installs it)",
                file=sys.stderr,
            )
        return found
    raise BuildError("TensorFlow is not installed: the app's retraining needs it (uv sync)")


def mnist_test_files() -> list[Path]:
    """The two MNIST test files, if this machine has them; never downloads."""
    from digitpad.core.io import mnist

    try:
        folder = mnist.locate(download=False, splits=("test",))
    except mnist.MnistError:
        return []
    files = [mnist.find_file(folder, name).resolve() for name in mnist.FILES["test"]]
    for path in files:
        mnist.read_idx(path)  # checks the SHA-256: a corrupt file is not shipped
    return files


PEN_NOTICE = """Pen-Based Recognition of Handwritten Digits: pen trajectories of writers 1-25
E. Alpaydin and F. Alimoglu, Bogazici University, Istanbul.
UCI Machine Learning Repository. https://doi.org/10.24432/C5MG6K
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
DigitPad ships the digits of writers 1-25 unchanged, so that retraining from the app
uses the same data as the bundled model. Writers 26-30 are left out: they measure it.
"""


def pen_strokes_files() -> list[Path]:
    """The training writers' pen strokes and their licence notice, if this machine has
    the pen-strokes file; the development writers are never shipped."""
    from digitpad.core.io import atomic, pendigits

    source = pendigits.default_path()
    if source is None or not source.is_file():
        return []
    folder = ROOT / "build" / "pendigits"
    folder.mkdir(parents=True, exist_ok=True)
    writers = pendigits.TRAIN_WRITERS | pendigits.CALIBRATION_WRITERS
    target = folder / "pendigits-train"
    pendigits.write_writers(source, target, writers)
    notice = folder / "PENDIGITS-LICENCE.txt"
    atomic.write_text(notice, PEN_NOTICE)
    return [target, notice]


def run(command: list, **kwargs) -> None:
    print("$ " + " ".join(map(str, command)), flush=True)
    done = subprocess.run([str(c) for c in command], **kwargs)
    if done.returncode != 0:
        raise BuildError(f"{Path(str(command[0])).name} failed with exit {done.returncode}")


def pyinstaller(ver: str, mnist_files: list[Path], pen_files: list[Path]) -> Path:
    env = dict(
        os.environ,
        DIGITPAD_BUILD_VERSION=ver,
        DIGITPAD_BUILD_MNIST_FILES=os.pathsep.join(map(str, mnist_files)),
        DIGITPAD_BUILD_PEN_FILES=os.pathsep.join(map(str, pen_files)),
    )
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            DIST,
            "--workpath",
            WORK,
            PACKAGING / "digitpad.spec",
        ],
        env=env,
    )
    app = DIST / (f"{NAME}.app" if sys.platform == "darwin" else NAME)
    if not app.is_dir():
        raise BuildError(f"PyInstaller finished but {app} is missing")
    return app


def folder_size(folder: Path) -> int:
    """Bytes of the regular files (links counted once, as what they point to)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def package_linux(app: Path, ver: str) -> Path:
    script = PACKAGING / "linux" / "install-desktop-entry.sh"
    shutil.copy2(script, app / script.name)  # the optional menu entry
    out = DIST / f"{NAME}-{ver}-linux-{arch()}.tar.gz"
    out.unlink(missing_ok=True)  # a failed build leaves no stale archive behind
    with atomic_path(out) as tmp, tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(app, arcname=NAME)
    return out


def package_macos(app: Path, ver: str) -> Path:
    identity = os.environ.get("DIGITPAD_CODESIGN_IDENTITY", "-")  # "-": ad hoc
    sign = [
        "codesign",
        "--force",
        "--timestamp",
        "--options",
        "runtime",
        "--entitlements",
        PACKAGING / "macos" / "entitlements.plist",
        "--sign",
        identity,
    ]
    if identity == "-":
        sign = ["codesign", "--force", "--sign", "-"]
    run([*sign, "--deep", app])
    run(["codesign", "--verify", "--deep", "--strict", app])
    out = DIST / f"{NAME}-{ver}-macos-{arch()}.dmg"
    with tempfile.TemporaryDirectory() as staging:
        shutil.copytree(app, Path(staging) / app.name, symlinks=True)
        os.symlink("/Applications", Path(staging) / "Applications")
        out.unlink(missing_ok=True)
        with atomic_path(out) as tmp:
            run(
                [
                    "hdiutil",
                    "create",
                    "-volname",
                    f"{NAME} {ver}",
                    "-srcfolder",
                    staging,
                    "-fs",
                    "HFS+",
                    "-format",
                    "UDZO",
                    "-ov",
                    tmp,
                ]
            )
    if identity != "-":
        run(["codesign", "--force", "--timestamp", "--sign", identity, out])
        notarize(out)
    return out


def notarize(dmg: Path) -> None:
    """Apple's notary service, when its credentials are in the environment."""
    apple_id, team, password = (
        os.environ.get(k)
        for k in ("DIGITPAD_NOTARY_APPLE_ID", "DIGITPAD_NOTARY_TEAM_ID", "DIGITPAD_NOTARY_PASSWORD")
    )
    if not (apple_id and team and password):
        print("Not notarized: DIGITPAD_NOTARY_APPLE_ID, _TEAM_ID and _PASSWORD are not all set.")
        return
    run(
        [
            "xcrun",
            "notarytool",
            "submit",
            dmg,
            "--apple-id",
            apple_id,
            "--team-id",
            team,
            "--password",
            password,
            "--wait",
        ]
    )
    run(["xcrun", "stapler", "staple", dmg])


def inno_compiler() -> Path:
    """$DIGITPAD_ISCC, else ISCC on the PATH, else Inno Setup 6's usual folders."""
    given = os.environ.get("DIGITPAD_ISCC")
    if given:
        if not Path(given).is_file():
            raise BuildError(f"DIGITPAD_ISCC is {given}, which is not a file")
        return Path(given)
    found = shutil.which("iscc")
    if found:
        return Path(found)
    for base in (
        os.environ.get("ProgramFiles(x86)"),
        os.environ.get("ProgramFiles"),
        os.environ.get("LOCALAPPDATA", "") + r"\Programs",
    ):
        candidate = Path(base or "") / "Inno Setup 6" / "ISCC.exe"
        if base and candidate.is_file():
            return candidate
    raise BuildError(
        "Inno Setup 6 is needed for the Windows installer (winget install "
        "JRSoftware.InnoSetup), or build with --skip-installer"
    )


def package_windows(app: Path, ver: str, compression: str | None) -> Path:
    out = DIST / f"{NAME}-Setup-{ver}.exe"
    out.unlink(missing_ok=True)  # ISCC writes it whole or not at all
    options = [f"/DCompression={compression}"] if compression else []
    run(
        [
            inno_compiler(),
            "/Q",  # errors and warnings only: the file list runs to thousands of lines
            f"/DAppVersion={ver}",
            f"/DSourceDir={app}",
            f"/DOutputDir={DIST}",
            *options,
            PACKAGING / "windows" / "digitpad.iss",
        ]
    )
    if not out.is_file():
        raise BuildError(f"ISCC finished but {out.name} is missing")
    return out


def package(app: Path, ver: str, compression: str | None) -> Path:
    if sys.platform == "darwin":
        return package_macos(app, ver)
    if sys.platform == "win32":
        return package_windows(app, ver, compression)
    return package_linux(app, ver)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skip-installer",
        action="store_true",
        help="stop after the app folder (no archive, dmg or setup)",
    )
    parser.add_argument(
        "--skip-check",
        action="store_true",
        help="do not run packaging/check_frozen.py on the result",
    )
    parser.add_argument(
        "--no-mnist",
        action="store_true",
        help="do not bundle the MNIST test files even when at hand",
    )
    parser.add_argument(
        "--without-tensorflow",
        action="store_true",
        help="build without TensorFlow, so without retraining: a quicker build for "
        "checking the packaging only (never shipped); the frozen checks skip training",
    )
    parser.add_argument(
        "--installer-compression",
        metavar="INNO",
        help="Windows: Inno Setup's Compression setting instead of lzma2/max "
        '(e.g. "lzma2/fast" for a quicker check build)',
    )
    args = parser.parse_args(argv)

    report: dict = {"platform": f"{sys.platform}-{arch()}"}
    try:
        report["version"] = ver = version()
        report["tensorflow"] = None if args.without_tensorflow else tensorflow_build()
        mnist_files = [] if args.no_mnist else mnist_test_files()
        report["mnist_test_files_bundled"] = bool(mnist_files)
        pen_files = pen_strokes_files()
        report["pen_strokes_bundled"] = bool(pen_files)

        started = time.perf_counter()
        app = pyinstaller(ver, mnist_files, pen_files)
        report["pyinstaller_s"] = round(time.perf_counter() - started, 1)
        report["folder"] = str(app.relative_to(ROOT))
        report["folder_bytes"] = folder_size(app)

        if not args.skip_installer:
            started = time.perf_counter()
            installer = package(app, ver, args.installer_compression)
            report["installer_s"] = round(time.perf_counter() - started, 1)
            report["installer"] = str(installer.relative_to(ROOT))
            report["installer_bytes"] = installer.stat().st_size

        if not args.skip_check:
            started = time.perf_counter()
            sys.path.insert(0, str(PACKAGING))
            import check_frozen

            try:
                report["check"] = check_frozen.check(app, training=not args.without_tensorflow)
            except check_frozen.CheckFailed as exc:
                raise BuildError(f"frozen check failed: {exc}") from None
            report["check_s"] = round(time.perf_counter() - started, 1)
    except BuildError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 1

    out = DIST / "build-report.json"
    write_text(out, json.dumps(report, indent=2) + "\n")
    print(f"\n{report['folder']}: {report['folder_bytes'] / 1e6:,.0f} MB")
    if "installer" in report:
        print(f"{report['installer']}: {report['installer_bytes'] / 1e6:,.0f} MB")
    if "check" in report:
        print(
            f"frozen window visible after {report['check']['smoke_test']['window_visible_s']} s"
            " (offscreen); frozen checks passed"
        )
    print(f"report: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
