"""What the frozen app leaves out, and why. Used by digitpad.spec.

Every exclusion here is checked by packaging/check_frozen.py: the desktop app's smoke
test, predict on a drawing and an image, and training runs (fresh and fine-tuning
with the user's samples) all in the frozen build.
"""

from __future__ import annotations

import functools
import re
from pathlib import PurePath

#: Python modules not collected at all.
EXCLUDED_MODULES: list[str] = [
    # Never imported by the app or by training: GUI toolkits, test tools, notebooks.
    "tkinter",
    "_tkinter",
    "pytest",
    "hypothesis",
    "IPython",
    "matplotlib",
    # TensorBoard and gRPC: only TensorFlow modules we never import use them
    # (summaries, profiler servers, distributed runtimes).
    "tensorboard",
    "tensorboard_data_server",
    "grpc",
    # Keras back-ends other than TensorFlow's.
    "keras.src.backend.jax",
    "keras.src.backend.torch",
    "keras.src.backend.openvino",
    "jax",
    "torch",
    "openvino",
    # Qt bindings the app does not use (it imports QtCore, QtGui and QtWidgets only).
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtOpenGL",
    # Pillow's AVIF codec (4.7 MB): not a format scans come in.
    "PIL._avif",
    "PIL.AvifImagePlugin",
    # Dask (the README's at-scale example, a dev dependency): the app never imports it,
    # but its dependencies in the build environment would come in through optional
    # imports (psutil: Keras' saving; yaml: NumPy's show_config; tblib: TensorFlow's
    # multi-process test runner). Left out, the bundle is the one built without them.
    "dask",
    "distributed",
    "psutil",
    "yaml",
    "tblib",
]

#: Collected files (binaries and data) to drop, by their path in the bundle.
UNWANTED: list[str] = [
    # TensorFlow extension libraries that importing TensorFlow and training the model
    # never load (measured: not mapped in the training process): the TF Lite converter
    # and interpreter, StableHLO export, XLA's op wrappers (Keras never JIT-compiles on
    # a CPU-only machine), the native proto caster.
    r"tensorflow/lite/python/libpywrap_tflite_common\.",
    r"tensorflow/compiler/mlir/stablehlo/stablehlo_extension\.",
    r"tensorflow/compiler/tf2xla/ops/_xla_ops\.",
    r"tensorflow/python/framework/lib_native_proto_caster\.",
    # Qt translations: the app is in English and installs no Qt translator.
    r"PySide6/(Qt/)?translations/",
    # Qt platform plugins for embedded, VNC and Vulkan-display targets; the app needs
    # xcb/wayland (Linux), windows, cocoa, plus offscreen/minimal for tests.
    r"plugins/platforms/(lib)?q(eglfs|linuxfb|minimalegl|vkkhrdisplay|vnc)\b",
    r"plugins/(egldeviceintegrations|generic|networkinformation|tls|sqldrivers)/",
    r"plugins/(qmltooling|qmllint|designer|wayland-graphics-integration-server)/",
    r"plugins/platforminputcontexts/(lib)?qtvirtualkeyboard",
    # The GTK3 theme drags the build machine's GTK, Cairo and Pango into the bundle,
    # where they can clash with the user's; Qt's own dialogs (or the desktop portal's)
    # are used instead.
    r"plugins/platformthemes/(lib)?qgtk3",
    # Image formats never met here (Qt reads only pasted images; Pillow reads files).
    r"plugins/imageformats/(lib)?q(icns|tga|wbmp|pdf)\b",
    # Headers and static/import libraries.
    r"(^|/)include/",
    r"\.(a|lib|pyi)$",
]
_UNWANTED = re.compile("|".join(UNWANTED))


def unwanted(dest: str) -> bool:
    return _UNWANTED.search(dest.replace("\\", "/")) is not None


def keep(binaries: list[tuple[str, str, str]], datas: list[tuple[str, str, str]]):
    """The TOC entries (dest, source, typecode) minus the unwanted ones, minus the shared
    libraries that only the unwanted ones needed, and minus links to either."""
    dropped = {_key(dest) for dest, _, _ in binaries + datas if unwanted(dest)}
    while True:
        kept = [e for e in binaries if _key(e[0]) not in dropped]
        orphans = _orphans(kept, binaries, dropped)
        if not orphans:
            break
        dropped |= orphans
    return kept, [e for e in datas if _key(e[0]) not in dropped and not _is_link_to(e, dropped)]


def _key(dest: str) -> str:
    return dest.replace("\\", "/").lower()


def _is_link_to(entry, dropped: set[str]) -> bool:
    dest, source, typecode = entry
    return typecode == "SYMLINK" and _key(source) in dropped


def _orphans(kept, entries, dropped) -> set[str]:
    """Libraries that a dropped binary linked against and no kept binary does."""

    def links(items):
        names: set[str] = set()
        for _dest, source, typecode in items:
            if typecode in ("BINARY", "EXTENSION"):
                names |= _imports(source)
        return names

    wanted_by_dropped = links(e for e in entries if _key(e[0]) in dropped)
    wanted_by_kept = links(kept)
    return {
        _key(dest)
        for dest, _, typecode in kept
        if typecode == "BINARY"
        and _base(dest) in wanted_by_dropped
        and _base(dest) not in wanted_by_kept
    }


def _base(path: str) -> str:
    return PurePath(path.replace("\\", "/")).name.lower()


@functools.cache
def _imports(source: str) -> frozenset[str]:
    from PyInstaller.depend.bindepend import get_imports

    try:
        return frozenset(_base(name) for name, _ in get_imports(source))
    except Exception:  # not a binary PyInstaller can read: it links nothing we track
        return frozenset()
