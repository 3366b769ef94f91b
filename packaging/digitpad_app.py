"""Entry point of the frozen app. One executable serves the desktop app (no arguments),
the sub-commands (predict, evaluate, train, bench) and the retraining process that the
app starts (`<this executable> train ...`)."""

import os
import sys


def _use_parent_console() -> None:
    """Windows: the windowed .exe has no stdout. Run from a terminal with a sub-command,
    it writes to that terminal; pipes (the app's own retraining process) already work."""
    if sys.platform != "win32" or sys.stdout is not None or len(sys.argv) < 2:
        return
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)
        sys.stderr = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)
    else:  # no terminal: say nothing rather than fail on None
        sys.stdout = sys.stderr = open(os.devnull, "w")


if __name__ == "__main__":
    _use_parent_console()
    from digitpad.__main__ import main

    sys.exit(main())
