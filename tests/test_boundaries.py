"""The layer rules: core is Qt- and TensorFlow-free; only training/ imports TensorFlow."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def loaded_modules(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {name.split(".")[0] for name in out.stdout.split()}


def test_core_and_cli_import_neither_qt_nor_tensorflow():
    core_dir = ROOT / "digitpad" / "core"
    core = sorted(
        ".".join(p.relative_to(core_dir).with_suffix("").parts).removesuffix(".__init__")
        for p in core_dir.rglob("*.py")
        if p != core_dir / "__init__.py"
    )
    assert "segment.pixels" in core  # sub-packages included
    statement = "; ".join(f"import digitpad.core.{m}" for m in core)
    statement += "; import digitpad.__main__, digitpad.commands, digitpad.bench"
    loaded = loaded_modules(statement)
    assert not loaded & {"PySide6", "shiboken6", "tensorflow", "keras"}


def test_only_training_imports_tensorflow_and_only_gui_imports_qt():
    tf = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.M)
    qt = re.compile(r"^\s*(import|from)\s+(PySide6|shiboken6)\b", re.M)
    for path in (ROOT / "digitpad").rglob("*.py"):
        text = path.read_text()
        assert not tf.search(text), path
        if "gui" not in path.relative_to(ROOT).parts:
            assert not qt.search(text), path
    for path in (ROOT / "training").rglob("*.py"):
        assert not qt.search(path.read_text()), path


def test_nothing_shipped_imports_dask():
    """Dask is a dev dependency, for the README's at-scale example and its test only."""
    dask = re.compile(r"^\s*(import|from)\s+(dask|distributed)\b", re.M)
    for folder in ("digitpad", "training", "packaging"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not dask.search(path.read_text()), path
