"""Seconds since the app was launched, for the start-up timings the smoke test reports."""

from __future__ import annotations

import os
import time
from pathlib import Path


def process_age() -> float | None:
    """Seconds since this process was started, where the OS says (Linux), else None."""
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return age if 0 <= age < 600 else None


class LaunchClock:
    """Seconds since launch: since the process started where known, else since `run()`."""

    def __init__(self) -> None:
        self._origin = time.perf_counter()
        age = process_age()
        self.since_process_start = age is not None
        self._offset = age or 0.0

    def __call__(self, at: float | None = None) -> float:
        return self._offset + ((at if at is not None else time.perf_counter()) - self._origin)
