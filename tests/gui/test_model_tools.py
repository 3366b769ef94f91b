"""Model versions, the Tools menu, the heatmap widget and the training curves."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from digitpad.core.io import paths
from digitpad.core.records import model_versions
from digitpad.gui import training_curves
from digitpad.gui.confusion_heatmap import ConfusionHeatmap
from digitpad.gui.training_curves import TrainingCurves


def make_version(name: str, accuracy: float = 0.99, complete: bool = True) -> Path:
    folder = paths.user_models_dir() / name
    folder.mkdir(parents=True)
    shutil.copyfile(paths.bundled_model_path(), folder / "model.keras")
    if complete:
        (folder / "model.json").write_text(
            json.dumps({"recipe": "card", "test": {"accuracy": accuracy}})
        )
    return folder


def test_versions_are_complete_folders_newest_first():
    make_version("20260101-100000-card", 0.98)
    make_version("20260102-100000-card", 0.99)
    make_version("20260103-100000-card", complete=False)
    found = model_versions.list_versions()
    assert [v.name for v in found] == ["20260102-100000-card", "20260101-100000-card"]
    assert found[0].test_accuracy == 0.99
    assert found[0].model_path == found[0].folder / "model.keras"


def test_new_version_folders_never_collide():
    first = model_versions.new_version_dir("card")
    first.mkdir(parents=True)
    second = model_versions.new_version_dir("card")
    assert second != first and second.parent == paths.user_models_dir()


def test_discard_only_deletes_inside_the_models_folder(tmp_path):
    folder = make_version("20260101-100000-card")
    model_versions.discard(folder)
    assert not folder.exists()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(ValueError):
        model_versions.discard(outside)
    with pytest.raises(ValueError):
        model_versions.discard(paths.user_models_dir())
    with pytest.raises(ValueError):
        model_versions.discard(paths.resources_dir())
    assert outside.exists() and paths.bundled_model_path().exists()


def test_the_versions_menu_switches_models(window, qtbot):
    folder = make_version("20260101-100000-card", 0.9876)
    menu = QMenu()
    window.tools.fill_versions_menu(menu)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Bundled model", "20260101-100000-card  ·  98.76%"]
    assert menu.actions()[0].isChecked()
    menu.actions()[-1].trigger()
    qtbot.waitUntil(
        lambda: Path(window.recognition.recognizer.path) == folder / "model.keras", timeout=10_000
    )
    window.tools.fill_versions_menu(menu)
    assert menu.actions()[-1].isChecked() and not menu.actions()[0].isChecked()


def test_a_version_that_fails_to_load_falls_back_with_a_warning(window, qtbot):
    folder = make_version("20260101-100000-card")
    (folder / "model.keras").write_bytes(b"not a model")
    window.use_model(str(folder / "model.keras"))
    qtbot.waitUntil(lambda: "bundled model" in window.message_text(), timeout=10_000)
    assert Path(window.recognition.recognizer.path) == paths.bundled_model_path()


def test_the_tools_menu_has_every_entry(window):
    menus = {m.title().replace("&", ""): m for m in window.menuBar().findChildren(QMenu)}
    tools = [a.text().replace("&", "") for a in menus["Tools"].actions() if a.text()]
    assert tools == [
        "Evaluate Model",
        "Retrain Model…",
        "Correct the Digit",
        "My Samples…",
        "Model Versions",
        "Revert to Bundled Model",
    ]
    a = window.actions_by_name
    assert a["evaluate"].shortcut().toString() == "Ctrl+E"
    assert a["retrain"].shortcut().toString() == "Ctrl+R"
    assert a["teach_0"].shortcut().toString() == "Ctrl+0"


def test_ctrl_r_opens_the_retrain_dialog(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = window.tools.training_dialog
    assert dialog is not None and dialog.isVisible() and dialog.state() == "options"
    assert dialog.options().recipe == "default" and dialog.options().epochs == 45
    assert not dialog.form.include_samples.isEnabled()  # no samples yet
    dialog.close()


def test_heatmap_cells_tooltips_and_keys(qtbot):
    heatmap = ConfusionHeatmap()
    qtbot.addWidget(heatmap)
    heatmap.resize(500, 500)
    heatmap.show()
    matrix = [[0] * 10 for _ in range(10)]
    for k in range(10):
        matrix[k][k] = 100
    matrix[4][9] = 7
    heatmap.set_matrix(matrix)
    chosen = []
    heatmap.cell_selected.connect(lambda t, p: chosen.append((t, p)))
    rect = heatmap.cell_rect(4, 9)
    assert heatmap.cell_at(rect.center()) == (4, 9)
    qtbot.mouseClick(heatmap, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert chosen == [(4, 9)]
    assert heatmap.describe_cell(4, 9) == "True 4, read as 9: 7 images (6.5% of the 4s)"
    qtbot.keyClick(heatmap, Qt.Key.Key_Left)
    assert chosen[-1] == (4, 8)
    heatmap.set_matrix(
        [[-1 if t == p else 0 for p in range(10)] for t in range(10)], mode="difference"
    )
    assert heatmap.describe_cell(2, 2) == "True 2, read as 2: -1 correct answers"
    assert not heatmap.render_image("Title").isNull()
    with pytest.raises(ValueError):
        heatmap.set_matrix([[1, 2]])


def test_curves_take_points_and_paint(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.resize(640, 240)
    curves.show()
    curves.reset(3)
    for step in range(1, 30):
        curves.add_batch(step / 10, 2.3 / step, 1 - 1 / (step + 1))
    curves.add_epoch(1, 0.2, 0.95)
    curves.add_epoch(2, math.nan, math.nan)  # ignored
    assert curves.point_counts() == (29, 1)
    assert not curves.grab().isNull()
    assert "Validation loss 0.2000" in curves.accessibleDescription()


def test_curve_scales_are_readable():
    low, high = training_curves._log_range([2.3, 0.5, 0.031])
    assert (low, high) == (0.02, 5)
    assert training_curves._log_ticks(0.01, 5) == [0.01, 0.05, 0.1, 0.5, 1, 5]  # thinned
    assert training_curves._log_ticks(0.01, 0.5) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    assert training_curves._accuracy_range([0.93, 0.99]) == pytest.approx((0.92, 1.0))
    assert training_curves._accuracy_range([0.1, 0.5]) == (0.0, 1.0)
    assert training_curves._epoch_ticks(45) == list(range(0, 46, 10))
