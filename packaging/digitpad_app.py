"""Entry point of the frozen app. One executable serves the desktop app (no arguments),
the sub-commands (predict, evaluate, train, bench) and the retraining process that the
app starts (`<this executable> train ...`)."""

import os
import sys


def _windows_streams() -> None:
    """Windows: a windowed .exe may start with sys.stdout/stderr None. A sub-command needs
    them: use the pipes it was given (the app's retraining process reads its progress
    there), else the terminal it was started from, else nothing rather than a crash."""
    if sys.platform != "win32" or len(sys.argv) < 2:
        return
    import ctypes
    import msvcrt

    kernel32 = ctypes.windll.kernel32
    attached = False
    for name, std_handle in (("stdout", -11), ("stderr", -12)):  # STD_OUTPUT/ERROR_HANDLE
        if getattr(sys, name) is not None:
            continue
        stream = None
        handle = kernel32.GetStdHandle(std_handle)
        if handle not in (0, -1, None):
            try:
                fd = msvcrt.open_osfhandle(handle, os.O_WRONLY)
                stream = open(fd, "w", encoding="utf-8", errors="replace", buffering=1)
            except OSError:
                stream = None
        if stream is None:
            attached = attached or bool(kernel32.AttachConsole(-1))  # ATTACH_PARENT_PROCESS
            target = "CONOUT$" if attached else os.devnull
            stream = open(target, "w", encoding="utf-8", errors="replace", buffering=1)
        setattr(sys, name, stream)


if __name__ == "__main__":
    import multiprocessing

    # `predict --jobs N` starts worker processes; frozen, each is this executable again.
    multiprocessing.freeze_support()
    _windows_streams()
    from digitpad.__main__ import main

    if len(sys.argv) < 2:
        sys.exit(main())  # the desktop app: a crash shows PyInstaller's error dialog
    try:
        sys.exit(main())
    except Exception:
        # A sub-command runs headless (a script, a pipe, the retrain dialog): in the
        # windowed build an unhandled error would otherwise wait on an error dialog
        # that nobody sees. The traceback goes to stderr instead, and exit 1.
        import traceback

        traceback.print_exc()
        sys.exit(1)
