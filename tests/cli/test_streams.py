"""Output that cannot be encoded must not end a command: Windows gives pipes and files
its ANSI code page, in which most file names have no characters."""

from __future__ import annotations

import io
import sys

import pytest

from digitpad import __main__ as entry


def pipe(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding)


def test_windows_pipes_get_utf8(monkeypatch):
    out, err = pipe("cp1252"), pipe("cp1252")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(UnicodeEncodeError):
        print("数.png: 71", file=out, flush=True)  # what broke `predict 数.png | more`
    entry.unicode_streams()
    print("数.png: 71", file=out, flush=True)
    assert out.encoding == err.encoding == "utf-8"
    assert out.buffer.getvalue().endswith("数.png: 71\n".encode())


def test_other_systems_keep_their_streams(monkeypatch):
    out = pipe("latin-1")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "stdout", out)
    entry.unicode_streams()
    assert out.encoding == "latin-1"
