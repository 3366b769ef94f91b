"""`digitpad --smoke-test` starts the whole app, reads a drawing and reports timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_test_exits_0_with_json_timings(tmp_path):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        DIGITPAD_DATA_DIR=str(tmp_path / "data"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "--smoke-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["text"] == report["expected"] == "7"
    for key in ("window_visible_s", "model_ready_s", "first_prediction_s"):
        assert 0 < report[key] < 30, key
    assert report["window_visible_s"] <= report["first_prediction_s"]
    assert "tensorflow" not in done.stderr.lower()


def test_the_app_never_imports_tensorflow():
    code = (
        "import sys, os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        "import digitpad.gui.main_window, digitpad.gui.app, digitpad.gui.smoke, "
        "digitpad.gui.jobs, digitpad.gui.dialogs; "
        "print(' '.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert not {m.split(".")[0] for m in out} & {"tensorflow", "keras"}
