"""MNIST in its original IDX files: find, download, verify and read.

The four files are looked for as ``<basename>.gz`` or as the decompressed
``<basename>``. Every file is checked against the SHA-256 of its *decompressed*
payload, because the same payload can be gzip-compressed to different bytes.

Images are uint8 (N, 28, 28) with ink = 255 on background = 0; labels are
uint8 (N,) with values 0..9.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from digitpad.core.io import files, paths
from digitpad.core.io.atomic import atomic_path

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "test")

#: split -> (images basename, labels basename), without ".gz".
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: basename -> SHA-256 of the decompressed IDX payload.
SHA256: dict[str, str] = {
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
}

#: Base URLs tried in order; each holds ``<basename>.gz``.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: A directory holding the four files; when set, it must hold them.
MNIST_DIR_ENV = "DIGITPAD_MNIST_DIR"
#: Replaces the per-user cache directory; MNIST goes to ``<that>/mnist``.
CACHE_DIR_ENV = "DIGITPAD_CACHE_DIR"

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10

_IDX_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 64 * 1024
#: The .gz files are 9.9 MB at most; a server sending more is not sending MNIST.
MAX_GZ_BYTES: dict[str, int] = {
    "train-images-idx3-ubyte": 12_000_000,
    "train-labels-idx1-ubyte": 60_000,
    "t10k-images-idx3-ubyte": 2_500_000,
    "t10k-labels-idx1-ubyte": 10_000,
}
#: A download must finish within this time, and after the first GRACE_S seconds keep
#: an average of at least MIN_BYTES_PER_S (a server sending a byte a second is down).
DEADLINE_S = 600.0
GRACE_S = 20.0
MIN_BYTES_PER_S = 8 * 1024
#: How often a waiting read looks at should_stop(): cancel is honoured within this.
_POLL_S = 0.5
#: Temporary files of a download killed mid-way are removed after this long.
_STALE_S = 3600.0
_USER_AGENT = "digitpad-mnist/1 (+urllib)"

#: progress(basename, done_bytes, total_bytes_or_None)
ProgressCallback = Callable[[str, int, int | None], None]
StopCallback = Callable[[], bool]


class MnistError(Exception):
    """A problem with the MNIST files, told in one plain line."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


class DownloadCancelled(MnistError):
    """The caller asked the download to stop; nothing half-written was left behind."""


def _one_line(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _reason(exc: BaseException) -> str:
    """A short one-line description of an exception, for messages and logs."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return _one_line(f"connection failed: {exc.reason}")
    if isinstance(exc, MnistError):
        return str(exc)
    text = _one_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------- reading


def _basename(path: Path) -> str:
    return path.name.removesuffix(".gz")


# The largest MNIST file, the training images, is 47,040,016 bytes unpacked.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


def _read_payload(path: Path) -> bytes:
    """The decompressed bytes of a ``.gz`` file, or the bytes of a raw one."""
    try:
        with files.open_regular(path, MAX_PAYLOAD_BYTES) as f:
            head = f.read(2)
            f.seek(0)
            if head == _GZIP_MAGIC:
                with gzip.GzipFile(fileobj=f, mode="rb") as gz:
                    payload = gz.read(MAX_PAYLOAD_BYTES + 1)
            elif path.name.endswith(".gz"):
                raise MnistError(f"{path}: not a gzip file")
            else:
                payload = f.read(MAX_PAYLOAD_BYTES + 1)
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise MnistError(f"{path}: larger than any MNIST file")
        return payload
    except MnistError:
        raise
    except files.FileRefused as exc:
        raise MnistError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise MnistError(f"{path}: file not found") from None
    except EOFError:
        raise MnistError(f"{path}: truncated gzip file (compressed data ends early)") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise MnistError(f"{path}: corrupt gzip file ({_one_line(exc)})") from None
    except OSError as exc:
        raise MnistError(f"{path}: cannot read ({_reason(exc)})") from None


def _parse_idx(data: bytes, name: str | os.PathLike) -> np.ndarray:
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistError(f"{name}: not an IDX file (bad magic number {data[:4].hex() or 'none'})")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != _IDX_UBYTE:
        raise MnistError(
            f"{name}: unsupported IDX data type 0x{dtype_code:02x} (only 0x08, unsigned byte)"
        )
    if ndim == 0:
        raise MnistError(f"{name}: IDX header has no dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError(f"{name}: truncated IDX header ({len(data)} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise MnistError(
            f"{name}: wrong size: header {tuple(dims)} needs {expected} bytes, file has {len(data)}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, gzip-compressed or raw, and return its array.

    The decompressed payload's SHA-256 is checked against :data:`SHA256` when
    the file's basename (without ``.gz``) is one of the MNIST files.

    Returns uint8: images (N, 28, 28), ink = 255 on background = 0; labels (N,).
    Raises :class:`MnistError` (one line, naming the file) for a missing,
    truncated or corrupt file, a bad header, a wrong size or a wrong hash.
    """
    path = Path(path)
    data = _read_payload(path)
    array = _parse_idx(data, path)
    expected = SHA256.get(_basename(path))
    if expected is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise MnistError(
                f"{path}: decompressed data has SHA-256 {actual}, expected SHA-256 "
                f"{expected}; the file is corrupt or not the original MNIST file"
            )
    log.debug("read %s: shape %s", path, array.shape)
    return array


# --------------------------------------------------------------------------- finding


def default_cache_dir() -> Path:
    """Where downloaded MNIST files are kept.

    ``$DIGITPAD_CACHE_DIR/mnist`` when that variable is set, otherwise
    ``<platformdirs user cache dir for "digitpad">/mnist``.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    base = (
        Path(override).expanduser() if override else Path(platformdirs.user_cache_dir("digitpad"))
    )
    return base / "mnist"


def bundled_dir() -> Path:
    """The MNIST files an installer may carry (the test split, for the evaluation view)."""
    return paths.resources_dir() / "mnist"


def _basenames(splits: Iterable[str]) -> list[str]:
    names: list[str] = []
    for split in splits:
        if split not in FILES:
            raise ValueError(f"unknown MNIST split {split!r}; expected one of {SPLITS}")
        names.extend(n for n in FILES[split] if n not in names)
    return names


def find_file(directory: str | os.PathLike, basename: str) -> Path | None:
    """``<basename>.gz`` in ``directory`` if it exists, else ``<basename>``, else None."""
    directory = Path(directory)
    for candidate in (directory / f"{basename}.gz", directory / basename):
        if candidate.is_file():
            return candidate
    return None


def missing_files(directory: str | os.PathLike, splits: Iterable[str] = SPLITS) -> list[str]:
    """Basenames of the files of ``splits`` that ``directory`` lacks (in either form)."""
    return [name for name in _basenames(splits) if find_file(directory, name) is None]


def find_in_dir(directory: str | os.PathLike, splits: Iterable[str] = SPLITS) -> bool:
    """True when ``directory`` holds every file of ``splits``, as ``.gz`` or raw.

    Only presence is checked here; contents are verified when read.
    """
    return Path(directory).is_dir() and not missing_files(directory, splits)


def _require_dir(directory: Path, source: str, splits: Sequence[str]) -> Path:
    if not directory.is_dir():
        raise MnistError(f"MNIST directory {directory}{source} is not a directory")
    missing = missing_files(directory, splits)
    if missing:
        raise MnistError(
            f"MNIST directory {directory}{source} lacks "
            + ", ".join(f"{name}.gz" for name in missing)
            + " (either .gz or decompressed)"
        )
    return directory


def locate(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    mirrors: Sequence[str] = MIRRORS,
    cache_dir: str | os.PathLike | None = None,
    splits: Iterable[str] = SPLITS,
) -> Path:
    """Return a directory holding the MNIST files of ``splits``.

    Looked for, in order: ``data_dir`` (when given it must hold the files; no
    fallback), ``$DIGITPAD_MNIST_DIR`` (likewise), the cache directory
    (``cache_dir`` or :func:`default_cache_dir`), the files bundled with the
    installed app (:func:`bundled_dir`), and finally, when ``download``
    is true, the cache directory after downloading the missing files into it.
    """
    splits = tuple(splits)
    _basenames(splits)  # rejects unknown splits early
    if data_dir is not None:
        return _require_dir(Path(data_dir).expanduser(), "", splits)
    env_dir = os.environ.get(MNIST_DIR_ENV)
    if env_dir:
        return _require_dir(Path(env_dir).expanduser(), f" (from {MNIST_DIR_ENV})", splits)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if find_in_dir(cache, splits):
        log.debug("MNIST found in cache %s", cache)
        return cache
    bundled = bundled_dir()
    if find_in_dir(bundled, splits):
        log.debug("MNIST found in the app's bundle %s", bundled)
        return bundled
    if not download:
        raise MnistError(
            f"MNIST not found in {cache}; set {MNIST_DIR_ENV} to a directory holding the "
            "files or allow the download"
        )
    _download(cache, mirrors=mirrors, progress=progress, should_stop=should_stop, splits=splits)
    return cache


# --------------------------------------------------------------------------- downloading


def _fetch(
    url: str,
    dest: Path,
    basename: str,
    timeout: float,
    progress: ProgressCallback | None,
    should_stop: StopCallback | None,
) -> None:
    """Stream ``url`` into ``dest``; raise on a short, long or slow body, a silence of
    ``timeout`` seconds, or when asked to stop (within half a second)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    cap = MAX_GZ_BYTES.get(basename, 16_000_000)
    started = time.monotonic()
    with _open(request, timeout, basename, should_stop) as response, open(dest, "wb") as out:
        _poll_reads(response)
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > cap:
            raise MnistError(f"the server offers {total:,} bytes, more than MNIST's {cap:,}")
        done, quiet_since = 0, time.monotonic()
        if progress is not None:
            progress(basename, done, total)
        while True:
            if should_stop is not None and should_stop():
                raise DownloadCancelled(f"{basename}.gz: download cancelled")
            now = time.monotonic()
            if now - started > DEADLINE_S:
                raise MnistError(f"download took longer than {DEADLINE_S:.0f} s")
            if now - started > GRACE_S and done / (now - started) < MIN_BYTES_PER_S:
                raise MnistError(f"download too slow ({done / (now - started):,.0f} bytes/s)")
            try:
                chunk = response.read1(_CHUNK)
            except TimeoutError:
                if time.monotonic() - quiet_since > timeout:
                    raise MnistError(f"the server sent nothing for {timeout:.0f} s") from None
                continue
            if not chunk:
                break
            quiet_since = time.monotonic()
            done += len(chunk)
            if done > cap:
                raise MnistError(f"the server sent more than MNIST's {cap:,} bytes")
            out.write(chunk)
            if progress is not None:
                progress(basename, done, total)
        if total is not None and done != total:
            raise MnistError(f"truncated download: got {done} of {total} bytes")
        out.flush()
        os.fsync(out.fileno())


def _open(
    request: urllib.request.Request, timeout: float, basename: str, should_stop: StopCallback | None
) -> Any:
    """urlopen, while should_stop() is asked every _POLL_S: connecting and waiting for
    the headers can take the whole timeout, and a cancel must not wait for it."""
    box: dict = {}
    abandoned = threading.Event()

    def run() -> None:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
            return
        if abandoned.is_set():
            response.close()
        else:
            box["response"] = response

    worker = threading.Thread(target=run, name="mnist-connect", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(_POLL_S)
        if worker.is_alive() and should_stop is not None and should_stop():
            abandoned.set()  # the thread ends within the timeout and closes what it got
            raise DownloadCancelled(f"{basename}.gz: download cancelled")
    if "error" in box:
        raise box["error"]
    return box["response"]


def _poll_reads(response: Any) -> None:
    """Once connected, reads wait at most _POLL_S, so a cancel or a stalled server is
    noticed at once (the connection itself had the whole timeout)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(_POLL_S)


def _remove_stale(dest: Path) -> None:
    """Temporary files that a killed download left in the cache."""
    for stale in dest.glob(".*.gz.*"):
        try:
            if stale.is_file() and time.time() - stale.stat().st_mtime > _STALE_S:
                stale.unlink()
        except OSError:
            pass


def _verify_gz(path: Path, basename: str, should_stop: StopCallback | None) -> None:
    """Decompress ``path`` and compare the payload's SHA-256 with :data:`SHA256`."""
    expected = SHA256[basename]
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(1024 * 1024):
                if should_stop is not None and should_stop():
                    raise DownloadCancelled(f"{basename}.gz: download cancelled")
                digest.update(chunk)
    except EOFError:
        raise MnistError("truncated gzip data") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise MnistError(f"not valid gzip data ({_one_line(exc)})") from None
    actual = digest.hexdigest()
    if actual != expected:
        raise MnistError(f"decompressed data has SHA-256 {actual}")


def download(
    dest_dir: str | os.PathLike,
    *,
    mirrors: Sequence[str] = MIRRORS,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    timeout: float = 30,
    splits: Iterable[str] = SPLITS,
) -> None:
    """Download the files of ``splits`` that ``dest_dir`` lacks, as ``<basename>.gz``.

    Each file is tried on each mirror in order. The body is streamed into a
    temporary file beside the target, decompressed and checked against
    :data:`SHA256`, and only then moved into place; a failure on one mirror
    (connection, HTTP status, short body, bad gzip, wrong hash) is logged and
    the next mirror is tried. Files completed before a failure stay; nothing
    half-written does.

    ``progress(basename, done_bytes, total_bytes_or_None)`` is called as bytes
    arrive (total is the Content-Length, when the server sends one).
    ``should_stop()`` is polled between chunks; when it returns True,
    :class:`DownloadCancelled` is raised.

    Raises :class:`MnistError` naming the file, its expected SHA-256 and the
    last reason when every mirror fails.
    """
    dest = Path(dest_dir).expanduser()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MnistError(f"cannot create directory {dest} ({_reason(exc)})") from None
    _remove_stale(dest)
    mirrors = tuple(mirrors)
    for basename in missing_files(dest, splits):
        if should_stop is not None and should_stop():
            raise DownloadCancelled(f"{basename}.gz: download cancelled")
        target = dest / f"{basename}.gz"
        expected = SHA256[basename]
        last_reason = "no mirrors configured"
        for mirror in mirrors:
            url = (mirror if mirror.endswith("/") else mirror + "/") + target.name
            log.info("downloading %s", url)
            try:
                with atomic_path(target) as tmp:
                    _fetch(url, tmp, basename, timeout, progress, should_stop)
                    _verify_gz(tmp, basename, should_stop)
            except DownloadCancelled:
                log.info("download of %s cancelled", target.name)
                raise
            except (MnistError, OSError, ValueError, http.client.HTTPException) as exc:
                last_reason = _reason(exc)
                log.warning("%s failed: %s", url, last_reason)
                continue
            log.info("saved %s", target)
            break
        else:
            raise MnistError(
                f"{target.name}: download failed from {len(mirrors)} mirror(s), expected "
                f"SHA-256 {expected} (decompressed); last error: {last_reason}"
            )


_download = download  # locate() has a parameter of the same name


# --------------------------------------------------------------------------- loading


def load(
    split: str, data_dir: str | os.PathLike | None = None, **locate_kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split: (images uint8 (N, 28, 28), ink = 255; labels uint8 (N,), 0..9).

    ``data_dir`` and ``locate_kwargs`` go to :func:`locate`, which may download.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown MNIST split {split!r}; expected one of {SPLITS}")
    directory = locate(data_dir, splits=(split,), **locate_kwargs)
    images_name, labels_name = FILES[split]
    arrays = []
    for name in (images_name, labels_name):
        path = find_file(directory, name)
        if path is None:
            raise MnistError(f"{directory / name}.gz: file not found")
        arrays.append(read_idx(path))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise MnistError(f"{images_name}: images have shape {images.shape}, expected (N, 28, 28)")
    if labels.ndim != 1:
        raise MnistError(f"{labels_name}: labels have shape {labels.shape}, expected (N,)")
    if len(images) != len(labels):
        raise MnistError(
            f"{images_name} has {len(images)} images but {labels_name} has {len(labels)} labels"
        )
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise MnistError(f"{labels_name}: label {int(labels.max())} is not a digit 0..9")
    return images, labels


def data_sha256() -> dict[str, str]:
    """The SHA-256 of each decompressed MNIST file, basename -> hex (for model metadata)."""
    return dict(SHA256)
