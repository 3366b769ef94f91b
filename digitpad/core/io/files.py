"""Opening a file that someone named: only a regular file, only up to a size.

A name can point at a pipe (opening it for reading blocks until a writer comes, and
ignores signals meanwhile), at a device such as /dev/zero (reading never ends) or at
a file that is swapped for one of those between a check and the open. So the file is
opened without blocking, the *open descriptor* is checked (fstat: a regular file, not
too large) and only then read, and never more than the budget is read even if the file
grows meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

# O_NONBLOCK: opening a pipe returns at once instead of waiting for a writer (it has no
# effect on the reads of a regular file). O_NOCTTY: a terminal never becomes ours.
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
NOT_REGULAR = "not a regular file (a device, a pipe or a link to one)"
NO_FILE = "no such file"  # the same words whether it never was there or went meanwhile


class FileRefused(OSError):
    """A name that does not lead to a regular file within its budget; the message is
    one line (``strerror`` too, so callers that show ``exc.strerror`` read it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = self.strerror = message

    def __str__(self) -> str:
        return self.message


def _too_large(size: int, max_bytes: int) -> FileRefused:
    return FileRefused(f"file too large ({size:,} bytes; at most {max_bytes:,})")


@contextlib.contextmanager
def open_regular(path: str | os.PathLike, max_bytes: int) -> Iterator[BinaryIO]:
    """The file at ``path`` opened for binary reading, once it is known to be a regular
    file of at most ``max_bytes``; FileRefused otherwise, other OSErrors as they come
    (FileNotFoundError, PermissionError, IsADirectoryError)."""
    fd = os.open(os.fspath(path), _FLAGS)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "a folder, not a file", os.fspath(path))
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(NOT_REGULAR)
        if info.st_size > max_bytes:
            raise _too_large(info.st_size, max_bytes)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with file:
        yield file


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them (a file
    that grows past that while it is read is refused, not cut)."""
    with open_regular(path, max_bytes) as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def reason(exc: OSError) -> str:
    """Why a named file could not be read, in one line for the user."""
    if isinstance(exc, FileNotFoundError):
        return NO_FILE
    if isinstance(exc, FileRefused):
        return str(exc)
    return f"cannot read: {exc.strerror or exc}"
