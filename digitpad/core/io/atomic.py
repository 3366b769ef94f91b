"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success.

    The temporary file lives in the same directory so that ``os.replace`` is a
    rename on one file system. ``suffix`` defaults to the target's own suffix,
    because some writers (Keras, Pillow) choose the format from it.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.",
        suffix=suffix if suffix is not None else target.suffix,
        dir=target.parent,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a finished file is an ordinary one
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


# --- Several files at once -------------------------------------------------------------

COMMIT = "COMMIT"  # inside a staging folder: the names to move, written before any move
STALE_S = 3600  # a staging folder without a commit record older than this is debris


def move_staged(staging: Path, target: Path, names: list[str]) -> None:
    """Move the staged files ``names`` into ``target``, all or none of them in effect.

    A commit record naming them is written (atomically) before the first move; a process
    killed between two moves leaves it behind, and finish_interrupted() completes the
    moves the next time the folder is used. Put the file that names the others last.
    """
    write_text(staging / COMMIT, "\n".join(names))
    _apply(staging, target, names)


def finish_interrupted(folder: str | os.PathLike) -> None:
    """Complete the moves of a committed staging folder in ``folder``; remove old ones
    that never committed. Never raises: a read-only folder is left as it is."""
    for staging in Path(folder).glob(".staging-*"):
        try:
            record = staging / COMMIT
            if record.is_file():
                names = record.read_text(encoding="utf-8").split()
                if all(n == Path(n).name and not n.startswith(".") for n in names):
                    _apply(staging, Path(folder), names)
            elif staging.is_dir() and time.time() - staging.stat().st_mtime > STALE_S:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError:
            continue


def _apply(staging: Path, target: Path, names: list[str]) -> None:
    for name in names:
        if (staging / name).exists():
            os.replace(staging / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)
