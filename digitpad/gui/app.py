"""Starting the desktop app: the QApplication, the palette, the window.

Only Qt and the engine's light modules are imported before the window shows; the
model is read on the recognition thread afterwards, and TensorFlow is never
imported in this process.
"""

from __future__ import annotations

import json
import os
import sys
import time

from digitpad import __version__
from digitpad.gui.launch_clock import LaunchClock


def binding_problem() -> str | None:
    """One line when the installed PySide6 is known to crash this interpreter, else None.

    PySide6 6.12.0's wheels treat None and True as immortal, which they are only from
    Python 3.12 on: on 3.10 and 3.11 every call of a Qt method returning nothing drops
    a reference to None, until the interpreter aborts ("deallocating None") a few
    thousand calls later. A handful of calls shows it; better a clear message now.
    """
    if sys.version_info >= (3, 12):
        return None
    import PySide6
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")
    if before - sys.getrefcount(None) < 16:
        return None
    return (
        f"PySide6 {PySide6.__version__} does not work with Python "
        f"{sys.version_info.major}.{sys.version_info.minor} (it loses references to None "
        "and crashes); install PySide6-Essentials 6.11, or use Python 3.12."
    )


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def wait_until_exposed(app, window, timeout_s: float = 5.0) -> float | None:
    """Process events until the window is on screen and painted; perf_counter() then.

    None when it did not show within the timeout.
    """
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed():
            app.processEvents()  # the first paint
            return time.perf_counter()
        app.processEvents()
        time.sleep(0.002)
    return None


def run(smoke_test: bool = False) -> int:
    clock = LaunchClock()
    if _no_display():
        if not smoke_test:
            print(
                "digitpad: no display found (DISPLAY is not set); the sub-commands "
                "(digitpad --help) work without one.",
                file=sys.stderr,
            )
            return 1
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    problem = binding_problem()
    if problem:
        if smoke_test:
            print(json.dumps({"error": problem}), flush=True)
        print(f"digitpad: {problem}", file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from digitpad.core.io import paths
    from digitpad.gui import settings, theme
    from digitpad.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(settings.ORGANIZATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("digitpad")
    icon = paths.resources_dir() / "icons" / "digitpad.png"
    if icon.is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    theme.follow_system(app, str(settings.open_settings().value(settings.THEME, "system")))
    window = MainWindow(remember=not smoke_test, load_model=False)
    window.show()
    # The model (and NumPy, Pillow, h5py with it) loads once the window is on screen.
    visible_at = wait_until_exposed(app, window)
    window.load_model()
    if smoke_test:
        from digitpad.gui.smoke import run_smoke_test

        return run_smoke_test(app, window, clock, visible_at)
    return app.exec()
