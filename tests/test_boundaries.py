"""The layer rules, by package, for every import in the code (inside functions too).

- digitpad.core imports neither digitpad.gui nor training, nor Qt, nor TensorFlow/Keras;
- training never imports digitpad.gui (nor Qt); digitpad.gui never imports training;
- only training imports TensorFlow/Keras; only digitpad.gui imports Qt;
- only digitpad.__main__ imports digitpad.commands (the CLI's output formatting);
- inside core, data flows one way: io and page know nothing of models, models know
  nothing of pages or segmentation, segment knows no models; only core.reading (and
  core.api above it) compose them; raster and result stand on nothing of digitpad;
- no import circle anywhere in digitpad/, and no module over 600 lines.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6")
TENSORFLOW = ("tensorflow", "keras")
# core's rooms, in the order data flows through them (see docs/architecture.md)
PIPELINE = ("io", "page", "segment", "models", "reading", "result", "api", "made", "records")


def core_except(*allowed: str) -> tuple[str, ...]:
    """core's rooms other than `allowed`, as package names: what a stage must not import."""
    return tuple(f"digitpad.core.{p}" for p in PIPELINE if p not in allowed)


# (package of the importing module, packages it must never import)
RULES = (
    ("digitpad.core", ("digitpad.gui", "training", *QT, *TENSORFLOW)),
    # onnx converts the open recogniser in training/ only; the app runs its arrays.
    ("digitpad", (*TENSORFLOW, "onnx")),
    ("training", ("digitpad.gui", *QT)),
    ("digitpad.gui", ("training",)),
    # The reading pipeline's stages, each knowing only those before it.
    ("digitpad.core.raster", ("digitpad",)),
    ("digitpad.core.result", ("digitpad",)),
    ("digitpad.core.io", core_except("io")),
    ("digitpad.core.page", core_except("io", "page")),
    ("digitpad.core.segment", core_except("io", "page", "segment")),
    ("digitpad.core.models", core_except("io", "models")),
    ("digitpad.core.made", ("digitpad.core.reading", "digitpad.core.api", "digitpad.core.records")),
    ("digitpad.core.records", ("digitpad.core.reading", "digitpad.core.api")),
)
ONLY_FROM = {
    "digitpad.commands": ("digitpad.__main__",),
    # The bench times the open recogniser as its own project runs it, where onnxruntime
    # is installed; nothing else may use it (the app reads with its own NumPy runner).
    "onnxruntime": ("digitpad.bench.peer",),
}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, wherever it is: module level, in a
    function, under `if TYPE_CHECKING`, or `importlib.import_module("...")`."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the importing module's package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from digitpad import gui` imports digitpad.gui
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(root: Path) -> list[str]:
    """One line per import that breaks a rule, in the packages digitpad/ and training/."""
    out = []
    for path in sorted([*(root / "digitpad").rglob("*.py"), *(root / "training").rglob("*.py")]):
        importer = module_name(path, root)
        for line, target in imports(path, root):
            where = f"{path.relative_to(root)}:{line} imports {target}"
            for package, forbidden in RULES:
                if (
                    within(importer, package)
                    and any(within(target, f) for f in forbidden)
                    and not within(target, package)
                ):
                    out.append(f"{where} ({package} must not)")
            for module, allowed in ONLY_FROM.items():
                if within(target, module) and importer not in allowed and importer != module:
                    out.append(f"{where} (only {', '.join(allowed)} may)")
            if any(within(target, q) for q in QT) and not within(importer, "digitpad.gui"):
                out.append(f"{where} (only digitpad.gui imports Qt)")
    return sorted(set(out))


def test_every_import_keeps_the_layer_rules():
    assert violations(ROOT) == []


def test_an_import_planted_inside_a_function_is_caught(tmp_path):
    """The check itself: imports hidden in functions, relative ones and string ones."""
    for folder in ("digitpad/gui", "digitpad/core", "training"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "digitpad/__init__.py").write_text("")
    (tmp_path / "digitpad/gui/window.py").write_text(
        "def retrain():\n    from training import train\n    return train\n"
    )
    (tmp_path / "digitpad/core/reader.py").write_text(
        "import importlib\n\n\ndef show():\n    from ..gui import window\n"
        "    return importlib.import_module('PySide6.QtWidgets')\n"
    )
    (tmp_path / "training/fit.py").write_text(
        "def fit():\n    import keras\n    from digitpad import gui\n"
        "    from digitpad import commands\n"
    )
    found = violations(tmp_path)
    assert any(v.startswith("digitpad/gui/window.py:2 imports training") for v in found)
    assert any(v.startswith("digitpad/core/reader.py:5 imports digitpad.gui") for v in found)
    assert any(v.startswith("digitpad/core/reader.py:6 imports PySide6") for v in found)
    assert any(v.startswith("training/fit.py:3 imports digitpad.gui") for v in found)
    assert any(v.startswith("training/fit.py:4 imports digitpad.commands") for v in found)
    assert not any("keras" in v for v in found)  # training may import Keras


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


def test_core_and_cli_load_neither_qt_nor_tensorflow():
    """What the imports above do at run time, dependencies' own imports included."""
    core = sorted(module_name(p, ROOT) for p in (ROOT / "digitpad" / "core").rglob("*.py"))
    assert "digitpad.core.segment.pixels" in core  # sub-packages included
    statement = "; ".join(f"import {m}" for m in core)
    statement += "; import digitpad.__main__, digitpad.commands, digitpad.bench.run"
    loaded = loaded_modules(statement)
    assert not loaded & {*QT, *TENSORFLOW}


def test_nothing_shipped_imports_dask():
    """Dask is a dev dependency, for the README's at-scale example and its test only."""
    dask = re.compile(r"^\s*(import|from)\s+(dask|distributed)\b", re.M)
    for folder in ("digitpad", "training", "packaging"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not dask.search(path.read_text()), path


# --- the import graph: no circles, small modules ------------------------------------------


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the digitpad modules it imports (anywhere in the file, TYPE_CHECKING
    included: a circle for the type checker is a circle in the design)."""
    paths = {module_name(p, root): p for p in (root / "digitpad").rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in paths.items():
        graph.setdefault(name, set())
        for _, target in imports(path, root):
            while target and target not in paths:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two modules or more (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_import_circle_in_digitpad():
    assert circles(import_graph(ROOT)) == []


def test_a_planted_circle_and_planted_stage_imports_are_caught(tmp_path):
    """The checks themselves: a circle through a function-level import, and an import
    against the pipeline's direction in each stage."""
    for folder in (
        "digitpad/bench",
        "digitpad/core/io",
        "digitpad/core/page",
        "digitpad/core/models",
    ):
        (tmp_path / folder).mkdir(parents=True)
    for folder in ("digitpad", "digitpad/bench", "digitpad/core", "digitpad/core/io"):
        (tmp_path / folder / "__init__.py").write_text('"""a package"""\n')
    (tmp_path / "digitpad/bench/run.py").write_text("from digitpad.bench import paper\n")
    (tmp_path / "digitpad/bench/paper.py").write_text(
        "def figure():\n    from digitpad.bench.run import Figure\n"
    )
    (tmp_path / "digitpad/bench/figure.py").write_text("import json\n")
    (tmp_path / "digitpad/core/io/images.py").write_text("from digitpad.core.page import ink\n")
    (tmp_path / "digitpad/core/page/ink.py").write_text(
        "def f():\n    from digitpad.core.models import network\n"
    )
    (tmp_path / "digitpad/core/models/network.py").write_text(
        "from digitpad.core.io import paths\nfrom digitpad.core.segment import pixels\n"
    )
    assert circles(import_graph(tmp_path)) == [["digitpad.bench.paper", "digitpad.bench.run"]]
    found = violations(tmp_path)
    assert any(
        v.startswith("digitpad/core/io/images.py:1 imports digitpad.core.page") for v in found
    )
    assert any(
        v.startswith("digitpad/core/page/ink.py:2 imports digitpad.core.models") for v in found
    )
    assert any(
        v.startswith("digitpad/core/models/network.py:2 imports digitpad.core.segment")
        for v in found
    )
    assert not any("network.py:1" in v for v in found)  # models may read files (io)


MAX_LINES = 600


def test_no_module_over_600_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "digitpad").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
