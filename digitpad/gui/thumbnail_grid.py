"""A list of same-size thumbnails in rows that reflow with the width (samples, test images)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractItemView, QListWidget


def thumbnail_grid(
    icon: int, cell: QSize, selection: QAbstractItemView.SelectionMode, name: str
) -> QListWidget:
    """`icon`: the thumbnails' side in pixels; `cell`: the room each takes with its caption."""
    grid = QListWidget()
    grid.setViewMode(QListWidget.ViewMode.IconMode)
    grid.setIconSize(QSize(icon, icon))
    grid.setGridSize(cell)
    grid.setResizeMode(QListWidget.ResizeMode.Adjust)
    grid.setMovement(QListWidget.Movement.Static)
    grid.setUniformItemSizes(True)
    grid.setSelectionMode(selection)
    grid.setAccessibleName(name)
    return grid
