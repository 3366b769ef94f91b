"""Tests for digitpad.core.io.mnist: reading, verifying, locating and downloading MNIST."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.io import mnist
from digitpad.core.io.mnist import DownloadCancelled, MnistError


def _real_dir() -> Path:
    env = os.environ.get("DIGITPAD_MNIST_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


REAL_DIR = _real_dir()
HAVE_REAL = all(
    (REAL_DIR / f"{name}.gz").is_file() or (REAL_DIR / name).is_file() for name in mnist.SHA256
)
needs_real = pytest.mark.skipif(not HAVE_REAL, reason=f"MNIST files not found in {REAL_DIR}")

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Never touch the user's cache, never go through a proxy to reach 127.0.0.1."""
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


# --------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FakeMnist:
    """Small random IDX payloads under the real basenames, with matching hashes."""

    def __init__(self, n_train: int = 300, n_test: int = 5, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.arrays: dict[str, np.ndarray] = {}
        for split, n in (("train", n_train), ("test", n_test)):
            images_name, labels_name = mnist.FILES[split]
            self.arrays[images_name] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            self.arrays[labels_name] = rng.integers(0, 10, (n,), dtype=np.uint8)
        self.payloads = {name: idx_bytes(a) for name, a in self.arrays.items()}
        self.gz = {name: gzip.compress(p, mtime=0) for name, p in self.payloads.items()}
        self.hashes = {name: sha(p) for name, p in self.payloads.items()}

    def write(self, directory: Path, *, raw: bool = False, names=None) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name in names or self.payloads:
            if raw:
                (directory / name).write_bytes(self.payloads[name])
            else:
                (directory / f"{name}.gz").write_bytes(self.gz[name])
        return directory


@pytest.fixture
def fake(monkeypatch) -> FakeMnist:
    data = FakeMnist()
    monkeypatch.setattr(mnist, "SHA256", dict(data.hashes))
    return data


def assert_one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "\r" not in text
    return text


def listing(directory: Path) -> list[str]:
    """Every entry, hidden ones included; [] when the directory does not exist."""
    return sorted(os.listdir(directory)) if directory.exists() else []


# --------------------------------------------------------------------------- HTTP servers


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        srv = self.server
        name = self.path.rsplit("/", 1)[-1]
        srv.requests.append(name)
        body = srv.files.get(name)
        if body is None or srv.mode == "404":
            self.send_error(404)
            return
        if srv.mode == "hang":
            srv.release.wait(10)
            return
        if srv.mode in ("trickle", "endless"):
            self.send_response(200)
            if srv.mode == "trickle":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for k in range(100_000):
                    if srv.release.is_set():
                        return
                    if srv.mode == "trickle":  # a byte every 50 ms
                        self.wfile.write(body[k : k + 1])
                        self.wfile.flush()
                        time.sleep(0.05)
                    else:  # no length, and no end
                        self.wfile.write(b"\0" * 65536)
            except OSError:
                return
            return
        if srv.mode == "wrong":
            body = gzip.compress(b"\0\0\x08\x01\0\0\0\x03abc", mtime=0)
        if srv.mode == "garbage":
            body = b"<html>not here</html>"
        self.send_response(200)
        if srv.mode == "cut":  # no Content-Length, connection closed mid-body
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.mode == "short":  # Content-Length larger than what is sent
            self.wfile.write(body[: len(body) // 2])
            return
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes], mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = files
        self.mode = mode
        self.requests: list[str] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/mnist/"


@pytest.fixture
def serve():
    """serve(files, mode) -> a running server; files maps '<basename>.gz' to bytes."""
    servers: list[_Server] = []

    def start(files: dict[str, bytes], mode: str = "good") -> _Server:
        srv = _Server(files, mode)
        threading.Thread(target=srv.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.release.set()
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def down_url() -> str:
    """A URL on a port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def gz_files(data: FakeMnist) -> dict[str, bytes]:
    return {f"{name}.gz": body for name, body in data.gz.items()}


# --------------------------------------------------------------------------- constants


def test_constants_are_consistent():
    assert mnist.SPLITS == ("train", "test")
    assert set(mnist.FILES) == set(mnist.SPLITS)
    names = [n for split in mnist.SPLITS for n in mnist.FILES[split]]
    assert sorted(names) == sorted(mnist.SHA256)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in mnist.SHA256.values())
    assert len(mnist.MIRRORS) >= 2
    assert all(m.startswith("https://") and m.endswith("/") for m in mnist.MIRRORS)
    assert mnist.data_sha256() == mnist.SHA256
    assert mnist.data_sha256() is not mnist.SHA256


def test_core_does_not_import_qt_or_tensorflow():
    code = (
        "import sys, digitpad.core.io.mnist; "
        "print([m for m in sys.modules if m.split('.')[0] in ('PySide6', 'tensorflow', 'keras')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_train():
    if not HAVE_REAL:
        pytest.skip(f"MNIST files not found in {REAL_DIR}")
    return mnist.load("train", REAL_DIR, download=False)


@needs_real
def test_hashes_match_the_shared_checksum_file():
    sums = REAL_DIR / "SHA256SUMS.decompressed"
    if not sums.is_file():
        pytest.skip("no SHA256SUMS.decompressed")
    listed = dict(reversed(line.split()) for line in sums.read_text().splitlines() if line)
    assert listed == mnist.SHA256


@needs_real
def test_real_test_split():
    images, labels = mnist.load("test", REAL_DIR, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS


@needs_real
def test_real_train_split(real_train):
    images, labels = real_train
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    # ink = 255 on background = 0
    assert images.min() == 0 and images.max() == 255
    assert np.median(images) == 0
    scaled = images.astype(np.float64) / 255.0
    assert scaled.mean() == pytest.approx(0.1307, abs=1e-4)
    assert scaled.std() == pytest.approx(0.3081, abs=1e-4)


@needs_real
def test_real_arrays_are_writable(real_train):
    images, labels = real_train
    assert images.flags.writeable and labels.flags.writeable


@needs_real
def test_real_raw_and_gz_labels_agree(tmp_path):
    name = "t10k-labels-idx1-ubyte"
    gz_path = mnist.find_file(REAL_DIR, name)
    assert gz_path is not None
    raw = tmp_path / name
    with gzip.open(gz_path, "rb") as f:
        raw.write_bytes(f.read())
    np.testing.assert_array_equal(mnist.read_idx(gz_path), mnist.read_idx(raw))


@needs_real
def test_locate_uses_env_dir(monkeypatch):
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(REAL_DIR))
    assert mnist.locate(download=False, mirrors=()) == REAL_DIR


@needs_real
def test_download_real_test_split_from_local_server(tmp_path, serve):
    files = {}
    for name in mnist.FILES["test"]:
        path = mnist.find_file(REAL_DIR, name)
        if path is None or path.suffix != ".gz":
            pytest.skip("real files are not gzip-compressed")
        files[path.name] = path.read_bytes()
    srv = serve(files)
    cache = tmp_path / "cache"
    mnist.download(cache, mirrors=(srv.url,), splits=("test",))
    assert listing(cache) == sorted(files)
    images, labels = mnist.load("test", cache, download=False)
    assert images.shape == (10000, 28, 28)
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS


# --------------------------------------------------------------------------- read_idx


def test_read_gz_and_raw_are_equivalent(tmp_path, fake):
    gz_dir = fake.write(tmp_path / "gz")
    raw_dir = fake.write(tmp_path / "raw", raw=True)
    for name, array in fake.arrays.items():
        from_gz = mnist.read_idx(gz_dir / f"{name}.gz")
        from_raw = mnist.read_idx(raw_dir / name)
        assert from_gz.dtype == np.uint8 and from_gz.shape == array.shape
        np.testing.assert_array_equal(from_gz, array)
        np.testing.assert_array_equal(from_raw, array)


def test_read_accepts_str_path(tmp_path, fake):
    fake.write(tmp_path)
    name = mnist.FILES["test"][1]
    np.testing.assert_array_equal(mnist.read_idx(str(tmp_path / f"{name}.gz")), fake.arrays[name])


def test_truncated_gz(tmp_path, fake):
    name = mnist.FILES["train"][0]
    path = tmp_path / f"{name}.gz"
    path.write_bytes(fake.gz[name][: len(fake.gz[name]) // 2])
    with pytest.raises(MnistError) as info:
        mnist.read_idx(path)
    text = assert_one_line(info.value)
    assert str(path) in text and "truncated" in text


def test_gz_name_but_not_gzip(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"hello")
    with pytest.raises(MnistError, match="not a gzip file") as info:
        mnist.read_idx(path)
    assert str(path) in assert_one_line(info.value)


def test_corrupt_gzip_stream(tmp_path, fake):
    name = mnist.FILES["test"][1]
    body = bytearray(fake.gz[name])
    body[-8] ^= 0xFF  # CRC of the gzip trailer
    path = tmp_path / f"{name}.gz"
    path.write_bytes(bytes(body))
    with pytest.raises(MnistError) as info:
        mnist.read_idx(path)
    assert str(path) in assert_one_line(info.value)


@pytest.mark.parametrize("raw", [False, True])
def test_corrupted_payload_names_expected_hash(tmp_path, raw):
    # The real hashes: a fake payload under a real name is "not the original file".
    name = mnist.FILES["test"][1]
    payload = idx_bytes(np.arange(10, dtype=np.uint8))
    path = tmp_path / (name if raw else f"{name}.gz")
    path.write_bytes(payload if raw else gzip.compress(payload))
    with pytest.raises(MnistError) as info:
        mnist.read_idx(path)
    text = assert_one_line(info.value)
    assert str(path) in text
    assert f"expected SHA-256 {mnist.SHA256[name]}" in text
    assert sha(payload) in text


def test_flipped_pixel_is_caught(tmp_path, fake):
    name = mnist.FILES["test"][0]
    payload = bytearray(fake.payloads[name])
    payload[-1] ^= 0x01
    path = tmp_path / f"{name}.gz"
    path.write_bytes(gzip.compress(bytes(payload)))
    with pytest.raises(MnistError, match=fake.hashes[name]):
        mnist.read_idx(path)


def test_unknown_basename_is_not_hashed(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "something-else.gz"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(mnist.read_idx(path), array)


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", "bad magic"),
        (b"\x01\x02\x08\x01\0\0\0\x01x", "bad magic"),
        (b"\0\0\x0c\x01\0\0\0\x01abcd", "unsupported IDX data type 0x0c"),
        (b"\0\0\x08\x00", "no dimensions"),
        (b"\0\0\x08\x03\0\0", "truncated IDX header"),
        (b"\0\0\x08\x01\0\0\0\x05abc", "wrong size"),
        (b"\0\0\x08\x01\0\0\0\x02abc", "wrong size"),
    ],
)
def test_bad_idx(tmp_path, payload, message):
    path = tmp_path / "odd-file"
    path.write_bytes(payload)
    with pytest.raises(MnistError, match=message) as info:
        mnist.read_idx(path)
    assert str(path) in assert_one_line(info.value)


def test_missing_file(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(MnistError, match="not found") as info:
        mnist.read_idx(path)
    assert str(path) in assert_one_line(info.value)


def test_error_message_is_one_line():
    assert str(MnistError("a\nb\r\n  c")) == "a b c"
    assert issubclass(DownloadCancelled, MnistError)


# --------------------------------------------------------------------------- finding


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(tmp_path / "c"))
    assert mnist.default_cache_dir() == tmp_path / "c" / "mnist"
    monkeypatch.delenv("DIGITPAD_CACHE_DIR")
    import platformdirs

    assert mnist.default_cache_dir() == Path(platformdirs.user_cache_dir("digitpad")) / "mnist"


def test_find_in_dir_accepts_gz_or_raw(tmp_path, fake):
    assert not mnist.find_in_dir(tmp_path / "nowhere")
    assert not mnist.find_in_dir(tmp_path)
    test_images, test_labels = mnist.FILES["test"]
    fake.write(tmp_path, names=[test_images])
    fake.write(tmp_path, raw=True, names=[test_labels])
    assert mnist.find_in_dir(tmp_path, ("test",))
    assert not mnist.find_in_dir(tmp_path)
    assert mnist.missing_files(tmp_path) == list(mnist.FILES["train"])
    assert mnist.find_file(tmp_path, test_images) == tmp_path / f"{test_images}.gz"
    assert mnist.find_file(tmp_path, test_labels) == tmp_path / test_labels
    fake.write(tmp_path, names=[test_labels])
    assert mnist.find_file(tmp_path, test_labels) == tmp_path / f"{test_labels}.gz"


def test_unknown_split():
    with pytest.raises(ValueError):
        mnist.load("validation")
    with pytest.raises(ValueError):
        mnist.locate(splits=("validation",))


def test_locate_explicit_dir_must_hold_the_files(tmp_path, fake):
    fake.write(mnist.default_cache_dir())  # the cache has them, but no fall-through
    partial = fake.write(tmp_path / "partial", names=[mnist.FILES["train"][0]])
    with pytest.raises(MnistError) as info:
        mnist.locate(partial, mirrors=())
    text = assert_one_line(info.value)
    assert str(partial) in text and "train-labels-idx1-ubyte" in text
    with pytest.raises(MnistError, match="not a directory"):
        mnist.locate(tmp_path / "absent", mirrors=())


def test_locate_env_dir_must_hold_the_files(tmp_path, monkeypatch, fake):
    fake.write(mnist.default_cache_dir())
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MnistError, match="DIGITPAD_MNIST_DIR") as info:
        mnist.locate(mirrors=())
    assert_one_line(info.value)
    good = fake.write(tmp_path / "good", raw=True)
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(good))
    assert mnist.locate(mirrors=()) == good
    # an explicit directory wins over the environment
    other = fake.write(tmp_path / "other")
    assert mnist.locate(other, mirrors=()) == other


def test_locate_uses_cache_without_downloading(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    cache = fake.write(mnist.default_cache_dir())
    assert mnist.locate(mirrors=(srv.url,)) == cache
    explicit = fake.write(tmp_path / "explicit-cache")
    assert mnist.locate(cache_dir=explicit, mirrors=(srv.url,)) == explicit
    assert srv.requests == []


def test_locate_falls_back_to_the_bundled_test_files(tmp_path, monkeypatch, fake, serve):
    """An installer may carry the test split: the evaluation view then works offline,
    but training still needs (and downloads into the cache) the training split."""
    srv = serve(gz_files(fake))
    resources = tmp_path / "resources"
    bundled = fake.write(resources / "mnist", names=list(mnist.FILES["test"]))
    monkeypatch.setattr(mnist.paths, "resources_dir", lambda: resources)
    assert mnist.locate(splits=("test",), mirrors=(srv.url,)) == bundled
    assert srv.requests == []
    assert mnist.locate(splits=("train",), mirrors=(srv.url,)) == mnist.default_cache_dir()
    assert srv.requests
    # the cache comes first once it holds the files
    fake.write(mnist.default_cache_dir())
    assert mnist.locate(splits=("test",), mirrors=()) == mnist.default_cache_dir()


def test_locate_without_download(tmp_path):
    with pytest.raises(MnistError, match="DIGITPAD_MNIST_DIR") as info:
        mnist.locate(download=False)
    assert str(mnist.default_cache_dir()) in assert_one_line(info.value)
    assert not mnist.default_cache_dir().exists()


# --------------------------------------------------------------------------- load


def test_load_fake(tmp_path, fake):
    d = fake.write(tmp_path)
    for split in mnist.SPLITS:
        images, labels = mnist.load(split, d)
        images_name, labels_name = mnist.FILES[split]
        np.testing.assert_array_equal(images, fake.arrays[images_name])
        np.testing.assert_array_equal(labels, fake.arrays[labels_name])
        assert images.dtype == labels.dtype == np.uint8


def test_load_only_needs_its_own_split(tmp_path, fake):
    d = fake.write(tmp_path, names=mnist.FILES["test"])
    images, labels = mnist.load("test", d)
    assert len(images) == len(labels) == 5


def _write_test_split(directory: Path, monkeypatch, images: np.ndarray, labels: np.ndarray) -> None:
    """The test split's two files holding these arrays, with their hashes accepted."""
    names = mnist.FILES["test"]
    payloads = (idx_bytes(images), idx_bytes(labels))
    monkeypatch.setattr(mnist, "SHA256", {n: sha(p) for n, p in zip(names, payloads)})
    for name, payload in zip(names, payloads):
        (directory / name).write_bytes(payload)


def test_load_count_mismatch(tmp_path, monkeypatch):
    _write_test_split(tmp_path, monkeypatch, np.zeros((4, 28, 28), np.uint8), np.zeros(3, np.uint8))
    with pytest.raises(MnistError, match="4 images but .* 3 labels") as info:
        mnist.load("test", tmp_path)
    assert_one_line(info.value)


def test_load_wrong_image_shape(tmp_path, monkeypatch):
    _write_test_split(tmp_path, monkeypatch, np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8))
    with pytest.raises(MnistError, match=r"\(N, 28, 28\)"):
        mnist.load("test", tmp_path)


# --------------------------------------------------------------------------- download


def test_download_good_server(fake, serve):
    srv = serve(gz_files(fake))
    cache = mnist.locate(mirrors=(srv.url,))
    assert cache == mnist.default_cache_dir()
    assert listing(cache) == sorted(gz_files(fake))
    assert sorted(srv.requests) == sorted(gz_files(fake))
    for name, body in fake.gz.items():
        assert (cache / f"{name}.gz").read_bytes() == body
    _, labels = mnist.load("train", mirrors=(srv.url,))
    np.testing.assert_array_equal(labels, fake.arrays[mnist.FILES["train"][1]])
    assert len(srv.requests) == 4  # the second load found everything in the cache


def test_download_only_fetches_missing_files(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    present = mnist.FILES["train"][0]
    cache = fake.write(tmp_path / "cache", names=[present])
    mnist.download(cache, mirrors=(srv.url,))
    assert f"{present}.gz" not in srv.requests
    assert len(srv.requests) == 3
    assert mnist.find_in_dir(cache)


def test_download_splits(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    mnist.load("test", mirrors=(srv.url,))
    assert sorted(srv.requests) == sorted(f"{n}.gz" for n in mnist.FILES["test"])


def test_progress_reports_increasing_byte_counts(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    calls: list[tuple[str, int, int | None]] = []
    mnist.download(tmp_path / "c", mirrors=(srv.url,), progress=lambda *a: calls.append(a))
    by_name: dict[str, list[tuple[int, int | None]]] = {}
    for name, done, total in calls:
        by_name.setdefault(name, []).append((done, total))
    assert set(by_name) == set(fake.gz)
    for name, seen in by_name.items():
        counts = [done for done, _ in seen]
        assert counts == sorted(counts)
        assert counts[-1] == len(fake.gz[name])
        assert {total for _, total in seen} == {len(fake.gz[name])}
    big = by_name[mnist.FILES["train"][0]]  # 300 random images: several chunks
    assert len({done for done, _ in big}) >= 3


@pytest.mark.parametrize("mode", ["short", "cut", "wrong", "garbage", "404", "down"])
def test_bad_first_mirror_falls_back_to_second(tmp_path, fake, serve, down_url, mode, caplog):
    files = gz_files(fake)
    bad_url = down_url if mode == "down" else serve(files, mode).url
    good = serve(files)
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger="digitpad.core.io.mnist"):
        mnist.download(cache, mirrors=(bad_url, good.url))
    assert listing(cache) == sorted(files)
    assert sorted(good.requests) == sorted(files)
    for name, array in fake.arrays.items():
        np.testing.assert_array_equal(mnist.read_idx(cache / f"{name}.gz"), array)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all(bad_url in r.getMessage() for r in warnings)


def test_timeout_falls_back(tmp_path, fake, serve):
    files = gz_files(fake)
    hang = serve(files, "hang")
    good = serve(files)
    cache = tmp_path / "cache"
    mnist.download(cache, mirrors=(hang.url, good.url), timeout=0.3, splits=("test",))
    assert listing(cache) == sorted(f"{n}.gz" for n in mnist.FILES["test"])


@pytest.mark.parametrize("mode", ["short", "cut", "wrong", "garbage", "404", "down"])
def test_single_bad_mirror_fails_cleanly(tmp_path, fake, serve, down_url, mode):
    url = down_url if mode == "down" else serve(gz_files(fake), mode).url
    cache = tmp_path / "cache"
    with pytest.raises(MnistError) as info:
        mnist.download(cache, mirrors=(url,))
    assert not isinstance(info.value, DownloadCancelled)
    text = assert_one_line(info.value)
    first = mnist.FILES["train"][0]
    assert f"{first}.gz" in text
    assert f"expected SHA-256 {fake.hashes[first]}" in text
    assert "last error:" in text
    assert listing(cache) == []


def test_all_mirrors_bad(tmp_path, fake, serve, down_url):
    files = gz_files(fake)
    mirrors = (down_url, serve(files, "wrong").url, serve(files, "short").url)
    cache = mnist.default_cache_dir()
    with pytest.raises(MnistError) as info:
        mnist.locate(mirrors=mirrors)
    text = assert_one_line(info.value)
    assert "3 mirror(s)" in text and "truncated" in text  # the last reason
    assert listing(cache) == []


def test_wrong_bytes_reason_mentions_hash(tmp_path, fake, serve):
    srv = serve(gz_files(fake), "wrong")
    with pytest.raises(MnistError, match="decompressed data has SHA-256"):
        mnist.download(tmp_path / "c", mirrors=(srv.url,))


def test_no_mirrors(tmp_path, fake):
    with pytest.raises(MnistError, match="no mirrors configured"):
        mnist.download(tmp_path / "c", mirrors=())
    assert listing(tmp_path / "c") == []


def test_cancel_during_download_leaves_nothing(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    seen: list[int] = []

    def progress(name, done, total):
        seen.append(done)

    def should_stop():
        return len(seen) >= 2  # after the first chunk has been written

    cache = tmp_path / "cache"
    with pytest.raises(DownloadCancelled) as info:
        mnist.download(cache, mirrors=(srv.url,), progress=progress, should_stop=should_stop)
    assert isinstance(info.value, MnistError)
    assert_one_line(info.value)
    assert seen and seen[-1] > 0
    assert listing(cache) == []
    assert len(srv.requests) == 1  # no other mirror or file was tried


@pytest.mark.parametrize(
    "mode, setting, value, reason",
    [
        ("trickle", "GRACE_S", 0.5, "too slow"),  # a byte every 50 ms
        ("endless", "MAX_GZ_BYTES", 200_000, "more than MNIST"),  # no length and no end
    ],
)
def test_a_server_that_never_finishes_is_given_up(
    tmp_path, fake, serve, monkeypatch, mode, setting, value, reason
):
    if setting == "MAX_GZ_BYTES":
        value = {name: value for name in mnist.SHA256}
    monkeypatch.setattr(mnist, setting, value)
    srv = serve(gz_files(fake), mode=mode)
    cache = tmp_path / "cache"
    with pytest.raises(MnistError, match=reason) as info:
        mnist.download(cache, mirrors=(srv.url,), splits=("test",))
    assert_one_line(info.value)
    assert listing(cache) == []


def test_cancel_is_honoured_while_the_server_is_silent(tmp_path, fake, serve):
    srv = serve(gz_files(fake), mode="hang")
    asked = []

    def should_stop():
        asked.append(time.monotonic())
        return len(asked) > 3  # polled about twice a second while nothing arrives

    started = time.monotonic()
    with pytest.raises(DownloadCancelled):
        mnist.download(tmp_path / "cache", mirrors=(srv.url,), should_stop=should_stop, timeout=30)
    assert time.monotonic() - started < 20  # a hang would wait out the 30 s silence
    assert listing(tmp_path / "cache") == []


def test_stale_temporary_files_of_a_killed_download_are_removed(tmp_path, fake, serve):
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".t10k-images-idx3-ubyte.gz.k1ll3d.gz"
    stale.write_bytes(b"")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    fresh = cache / ".t10k-labels-idx1-ubyte.gz.running.gz"  # another download, still going
    fresh.write_bytes(b"")
    srv = serve(gz_files(fake))
    mnist.download(cache, mirrors=(srv.url,), splits=("test",))
    assert not stale.exists() and fresh.exists()


def test_cancel_before_start(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    with pytest.raises(DownloadCancelled):
        mnist.locate(mirrors=(srv.url,), should_stop=lambda: True)
    assert srv.requests == []
    assert listing(mnist.default_cache_dir()) == []


def test_cancel_keeps_files_already_completed(tmp_path, fake, serve):
    srv = serve(gz_files(fake))
    first, second = mnist.FILES["train"]
    done: set[str] = set()

    def progress(name, count, total):
        if count == total:
            done.add(name)

    cache = tmp_path / "cache"
    with pytest.raises(DownloadCancelled):
        mnist.download(
            cache, mirrors=(srv.url,), progress=progress, should_stop=lambda: second in done
        )
    assert listing(cache) == [f"{first}.gz"]
    np.testing.assert_array_equal(mnist.read_idx(cache / f"{first}.gz"), fake.arrays[first])
