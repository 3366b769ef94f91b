"""The About box and the model card viewer."""

from __future__ import annotations

import platform
from html import escape
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSize, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
from digitpad.core.io import files, paths
from digitpad.core.models.ensemble import Recognizer
from digitpad.gui import model_loading


def confirm(parent: QWidget, title: str, question: str, detail: str, do: str, keep: str) -> bool:
    """Ask before something that cannot be undone; True: go ahead. The safe answer
    (``keep``) is the default, and Esc."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(question)
    box.setInformativeText(detail)
    go = box.addButton(do, QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton(keep, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.setEscapeButton(stay)
    box.exec()
    return box.clickedButton() is go


def versions() -> list[tuple[str, str]]:
    import numpy
    import PIL

    return [
        ("DigitPad", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", pyside_version),
        ("NumPy", numpy.__version__),
        ("Pillow", PIL.__version__),
        ("Platform", f"{platform.system()} {platform.machine()}"),
    ]


def show_about(parent: QWidget, recognizer: Recognizer | None) -> None:
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>&nbsp;&nbsp;{escape(v)}</td></tr>" for k, v in versions()
    )
    model = "No model loaded."
    if recognizer is not None:
        meta = recognizer.meta if isinstance(recognizer.meta, dict) else {}
        model = escape(model_loading.summary(recognizer).removeprefix("Model: "))
        trained = meta.get("versions") or {}
        if trained:
            model += "<br>trained with " + escape(", ".join(f"{k} {v}" for k, v in trained.items()))
        if meta.get("created"):
            model += f" on {escape(str(meta['created'])[:10])}"
        model += f"<br><small>{escape(str(recognizer.path))}</small>"
    QMessageBox.about(
        parent,
        "About DigitPad",
        (
            f"<h3>DigitPad {escape(__version__)}</h3>"
            "<p>Draw digits, or open a scan or a photo, and DigitPad reads them "
            "with a small convolutional network trained on MNIST.</p>"
            f"<p><b>Model</b><br>{model}</p>"
            f"<table>{rows}</table>"
        ),
    )


def model_card_path(recognizer: Recognizer | None) -> Path:
    """The card beside the model in use, else the bundled model's card."""
    if recognizer is not None:
        beside = Path(recognizer.path).with_name("MODEL_CARD.md")
        if beside.is_file():
            return beside
    return paths.resources_dir() / "MODEL_CARD.md"


MAX_CARD_BYTES = 4 * 1024 * 1024  # a card is a few KB of Markdown


class ModelCardDialog(QDialog):
    def __init__(self, card: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model Card")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("Model card")
        self.browser.document().setDocumentMargin(14)
        self.browser.setSearchPaths([str(card.parent)])  # the card's images sit beside it
        try:
            text = files.read_regular(card, MAX_CARD_BYTES).decode("utf-8", errors="replace")
            self.browser.setMarkdown(text)
        except OSError as exc:
            self.browser.setPlainText(f"The model card could not be read: {exc.strerror or exc}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(QSize(760, 680))
