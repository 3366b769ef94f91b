"""Retraining from the menu, with a fake trainer process: done, use, discard, cancel, crash."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from digitpad.core.io import paths
from digitpad.core.io.drawing import Drawing
from digitpad.core.records import model_versions, sample_store
from digitpad.gui import settings
from digitpad.gui.training_dialog import TrainingDialog
from digitpad.gui.training_options import TrainingOptions, build_arguments
from digitpad.gui.training_process import default_command

RUN_MS = 30_000


def recorded_arguments(command: list[str]) -> list[str]:
    return json.loads((Path(command[1]).parent / "args.json").read_text())


def open_dialog(window, command, epochs: int = 2, recipe: str = "card") -> TrainingDialog:
    window.tools.training_command = command
    window.tools.retrain()
    dialog = window.tools.training_dialog
    dialog.form.recipe.setCurrentIndex(dialog.form.recipe.findData(recipe))
    dialog.form.epochs.setValue(epochs)
    return dialog


def test_arguments_follow_the_options(tmp_path):
    out = tmp_path / "v1"
    card = build_arguments(TrainingOptions("card", 3, 64, augment=False), out)
    assert card == [
        "--recipe",
        "card",
        "--epochs",
        "3",
        "--batch-size",
        "64",
        "--output",
        str(out),
        "--progress",
        "json",
    ]
    plain = build_arguments(TrainingOptions("default", 45, 128, augment=False), out)
    assert "--no-augment" in plain
    assert "--no-augment" not in build_arguments(TrainingOptions("default", 45, 128), out)
    samples = build_arguments(
        TrainingOptions("default", 5, 128, include_samples=True),
        out,
        tmp_path / "samples",
        tmp_path / "model.keras",
        ["--limit", "9"],
    )
    assert samples[-6:] == [
        "--samples",
        str(tmp_path / "samples"),
        "--init-model",
        str(tmp_path / "model.keras"),
        "--limit",
        "9",
    ]
    assert "--samples" not in build_arguments(
        TrainingOptions(include_samples=False), out, tmp_path / "samples"
    )


def test_the_trainer_is_this_program_frozen_or_not(monkeypatch):
    assert default_command() == [sys.executable, "-m", "digitpad", "train"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert default_command() == [sys.executable, "train"]


def test_a_finished_run_compares_and_use_new_model_switches(window, qtbot, fake_trainer):
    dialog = open_dialog(window, fake_trainer, epochs=2)
    assert dialog.state() == "options" and dialog.isVisible()
    dialog.start()
    output = dialog.output_dir()
    assert output.parent == paths.user_models_dir()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)

    args = recorded_arguments(fake_trainer)
    assert args[:4] == ["--recipe", "card", "--epochs", "2"]
    assert args[args.index("--output") + 1] == str(output)
    train_points, validation_points = dialog.curves.point_counts()
    assert train_points == 8 and validation_points == 2
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()

    comparison = dialog.comparison
    current = window.recognition.recognizer.meta["test"]["accuracy"]  # the bundled model's
    assert comparison.text("accuracy", "current") == f"{current:.2%}"
    assert comparison.text("accuracy", "new") == "99.08%"
    assert comparison.text("accuracy", "change") == f"−{(current - 0.9908) * 100:.2f} points"
    assert comparison.text("mistakes", "new") == "92"
    assert comparison.text("samples", "new") == ""  # no samples in this run
    bundled = window.recognition.recognizer.meta["test"]["confusion"]
    assert comparison.difference()[4][9] == 2 - bundled[4][9]

    old = window.recognition.recognizer
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.recognition.recognizer is not old, timeout=10_000)
    assert Path(window.recognition.recognizer.path) == output / "model.keras"
    assert not dialog.isVisible()
    assert window.model_path() == str(output / "model.keras")
    assert settings.open_settings().value(settings.MODEL_PATH) == str(output / "model.keras")
    assert [v.folder for v in model_versions.list_versions()] == [output]
    assert window.actions_by_name["revert"].isEnabled()
    assert output.name in window.model_text()

    window.actions_by_name["revert"].trigger()
    qtbot.waitUntil(
        lambda: Path(window.recognition.recognizer.path) == paths.bundled_model_path(),
        timeout=10_000,
    )
    assert settings.open_settings().value(settings.MODEL_PATH) is None
    assert not window.actions_by_name["revert"].isEnabled()
    assert output.is_dir()  # reverting keeps the version


def test_the_chosen_model_is_loaded_at_the_next_start(qtbot, fake_trainer, window):
    dialog = open_dialog(window, fake_trainer, epochs=1)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)
    output = dialog.output_dir()
    dialog.use_new_model()
    window.close()

    from digitpad.gui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.recognition.recognizer is not None, timeout=15_000)
    assert Path(again.recognition.recognizer.path) == output / "model.keras"
    again.close()


def test_discard_asks_then_deletes_the_new_version(window, qtbot, fake_trainer, answer_box):
    dialog = open_dialog(window, fake_trainer, epochs=1)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)
    output = dialog.output_dir()
    assert (output / "model.keras").is_file()
    asked = answer_box("Keep It")
    dialog.discard_button.click()
    assert asked and "cannot be undone" in asked[0]
    assert dialog.state() == "done" and output.exists()
    answer_box("Discard")
    dialog.discard_button.click()
    assert dialog.state() == "options"
    assert not output.exists()
    assert "Discarded" in dialog.status_text()
    assert Path(window.recognition.recognizer.path) == paths.bundled_model_path()


def test_cancel_terminates_the_trainer_and_keeps_the_model(
    window, qtbot, fake_trainer, monkeypatch
):
    monkeypatch.setenv("FAKE_TRAINER_MODE", "slow")
    dialog = open_dialog(window, fake_trainer, epochs=50)
    dialog.start()
    output = dialog.output_dir()
    qtbot.waitUntil(lambda: dialog.curves.point_counts()[0] >= 2, timeout=RUN_MS)
    assert dialog.eta.text().startswith("about ")
    dialog.cancel_button.click()
    assert dialog.state() == "stopping"
    qtbot.waitUntil(lambda: dialog.state() == "options", timeout=RUN_MS)
    assert (Path(fake_trainer[1]).parent / "terminated").read_text() == "yes"  # SIGTERM
    assert "cancelled" in dialog.status_text()
    assert not output.exists()
    assert model_versions.list_versions() == []
    assert Path(window.recognition.recognizer.path) == paths.bundled_model_path()
    assert not dialog.process.is_running()


def test_closing_the_dialog_mid_run_stops_the_trainer(window, qtbot, fake_trainer, monkeypatch):
    monkeypatch.setenv("FAKE_TRAINER_MODE", "slow")
    dialog = open_dialog(window, fake_trainer, epochs=50)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.curves.point_counts()[0] >= 1, timeout=RUN_MS)
    dialog.close()
    assert dialog.isVisible() and dialog.state() == "stopping"
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=RUN_MS)
    assert not dialog.process.is_running()


def test_a_crash_shows_the_log_and_keeps_the_model(window, qtbot, fake_trainer, monkeypatch):
    monkeypatch.setenv("FAKE_TRAINER_MODE", "crash")
    dialog = open_dialog(window, fake_trainer)
    dialog.start()
    output = dialog.output_dir()
    qtbot.waitUntil(lambda: dialog.state() == "failed", timeout=RUN_MS)
    assert "RuntimeError: boom" in dialog.log_view.toPlainText()
    assert "exit status 1" in dialog.failure_text()
    assert "has not changed" in dialog.failure_text()
    assert not output.exists()
    assert Path(window.recognition.recognizer.path) == paths.bundled_model_path()
    dialog.back_button.click()
    assert dialog.state() == "options"


def test_an_error_event_is_the_message(window, qtbot, fake_trainer, monkeypatch):
    monkeypatch.setenv("FAKE_TRAINER_MODE", "error")
    dialog = open_dialog(window, fake_trainer)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "failed", timeout=RUN_MS)
    assert dialog.failure_text().startswith("MNIST not found in /nowhere.")


def test_a_trainer_that_cannot_start_is_a_failure(window, qtbot, tmp_path):
    dialog = open_dialog(window, [str(tmp_path / "no-such-program")])
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "failed", timeout=RUN_MS)
    assert "could not be started" in dialog.failure_text()


def test_including_samples_fine_tunes_and_reports_before_and_after(window, qtbot, fake_trainer):
    drawing = Drawing.from_points([[[10, 10], [10, 90]]], 100, 100)
    for label in (1, 1, 7):
        sample_store.save_sample(drawing, label)
    dialog = open_dialog(window, fake_trainer, epochs=1, recipe="default")
    assert dialog.form.include_samples.isEnabled() and dialog.form.include_samples.isChecked()
    assert "(3)" in dialog.form.include_samples.text()
    dialog.form.augment.setChecked(False)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)
    args = recorded_arguments(fake_trainer)
    assert args[args.index("--samples") + 1] == str(sample_store.samples_dir())
    assert args[args.index("--init-model") + 1] == str(window.recognition.recognizer.path)
    assert "--no-augment" in args
    assert dialog.comparison.text("samples", "current") == "50.00%"
    assert dialog.comparison.text("samples", "new") == "100.00%"
    assert dialog.comparison.text("samples", "change") == "+50.00 points"


def test_the_options_are_remembered(window, fake_trainer, qtbot, answer_box):
    dialog = open_dialog(window, fake_trainer, epochs=7, recipe="card")
    dialog.form.batch_size.setValue(64)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)
    answer_box("Discard")
    dialog.discard_new_model()
    dialog.close()
    window.tools.retrain()
    again = window.tools.training_dialog
    assert again is not dialog
    assert again.options() == TrainingOptions("card", 7, 64, augment=False, include_samples=False)


@pytest.mark.slow
def test_a_real_training_run_through_the_dialog(window, qtbot, mnist_dir, monkeypatch):
    """`digitpad train --recipe card --epochs 1 --limit 1000 --batch-size 64`, for real."""
    pytest.importorskip("tensorflow")
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(mnist_dir))
    window.tools.training_extra_arguments = ["--limit", "1000"]
    window.tools.retrain()
    dialog = window.tools.training_dialog
    dialog.form.recipe.setCurrentIndex(dialog.form.recipe.findData("card"))
    dialog.form.epochs.setValue(1)
    dialog.form.batch_size.setValue(64)
    dialog.start()
    output = dialog.output_dir()
    qtbot.waitUntil(lambda: dialog.state() in ("done", "failed"), timeout=180_000)
    assert dialog.state() == "done", dialog.log_view.toPlainText()[-3000:]
    meta = json.loads((output / "model.json").read_text())
    assert meta["recipe"] == "card" and meta["epochs"] == 1 and meta["limit"] == 1000
    assert 0.5 < meta["test"]["accuracy"] < 1.0
    assert dialog.curves.point_counts()[0] >= 1
    assert dialog.comparison.text("accuracy", "new") == f"{meta['test']['accuracy']:.2%}"
    dialog.use_new_model()
    qtbot.waitUntil(
        lambda: Path(window.recognition.recognizer.path) == output / "model.keras", timeout=15_000
    )


def test_training_figures_are_those_since_the_last_report(qtbot):
    from digitpad.gui.training_process import TrainingProcess

    process = TrainingProcess()
    seen = []
    process.batch_measured.connect(lambda *values: seen.append(values))

    def batch(epoch, number, loss, accuracy):
        process._handle_line(
            json.dumps(
                {
                    "event": "batch",
                    "epoch": epoch,
                    "epochs": 2,
                    "batch": number,
                    "batches": 40,
                    "loss": loss,
                    "accuracy": accuracy,
                    "eta_s": 9,
                }
            )
        )

    batch(1, 10, 0.5, 0.8)
    batch(1, 20, 0.4, 0.85)  # Keras' means since the epoch began: batches 11-20 alone
    batch(2, 5, 0.2, 0.95)  # a new epoch starts a new mean
    assert seen[0] == pytest.approx((0.25, 0.5, 0.8))
    assert seen[1] == pytest.approx((0.5, 0.3, 0.9))
    assert seen[2] == pytest.approx((1.125, 0.2, 0.95))


@pytest.mark.parametrize("answer", ["Keep Training", "Stop Training and Quit"])
def test_quitting_during_a_training_asks_first(
    window, qtbot, fake_trainer, monkeypatch, answer, answer_box
):
    monkeypatch.setenv("FAKE_TRAINER_MODE", "slow")
    dialog = open_dialog(window, fake_trainer, epochs=50)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.curves.point_counts()[0] >= 1, timeout=RUN_MS)
    output = dialog.output_dir()
    asked = answer_box(answer)
    window.close()
    assert asked and "discarded" in asked[0] and "samples" in asked[0]
    if answer == "Keep Training":
        assert window.isVisible() and dialog.process.is_running()
        dialog.shutdown()
    else:
        assert not window.isVisible() and not dialog.process.is_running()
        assert not output.exists()


def test_retrain_after_closing_on_a_result_opens_a_fresh_form(window, qtbot, fake_trainer):
    dialog = open_dialog(window, fake_trainer, epochs=1)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.state() == "done", timeout=RUN_MS)
    kept = dialog.output_dir()
    dialog.close()
    window.tools.retrain()  # Ctrl+R
    again = window.tools.training_dialog
    assert again is not dialog and again.state() == "options" and again.isVisible()
    assert kept.exists()  # the closed result stays as a version


def test_the_form_says_what_accuracy_the_chosen_epochs_give(window, fake_trainer):
    from digitpad.core.records.recipes import DEFAULT

    dialog = open_dialog(window, fake_trainer, epochs=DEFAULT.epochs, recipe="default")
    full = dialog.form.expected_text()
    assert f"about {DEFAULT.expected_accuracy(DEFAULT.epochs):.1%}" in full
    assert "shorter" not in full
    dialog.form.epochs.setValue(1)
    short = dialog.form.expected_text()
    assert f"about {DEFAULT.measured[0][1]:.1%}" in short and "weaker model" in short
    dialog.form.epochs.setValue(10)  # measured a hair better on MNIST than 45: say why not
    assert "real handwriting" in dialog.form.expected_text()
    dialog.form.epochs.setValue(45)
    assert dialog.form.expected_text() == full


def test_a_fine_tune_expects_the_starting_models_accuracy(qtbot, tmp_path):
    """A 1-epoch fine-tune of a 99.3% model is not "about 94.5%, a weaker model"."""
    from digitpad.core.records.recipes import DEFAULT
    from digitpad.gui.training_options import TrainingOptionsForm

    form = TrainingOptionsForm(sample_count=12)
    qtbot.addWidget(form)
    form.set_starting_accuracy(0.9932)
    form.include_samples.setChecked(False)
    form.epochs.setValue(1)
    assert f"about {DEFAULT.measured[0][1]:.1%}" in form.expected_text()  # from scratch
    form.include_samples.setChecked(True)
    text = form.expected_text()
    assert "99.32%" in text and "weaker" not in text and "94.5" not in text


def test_expected_accuracy_follows_the_measured_runs():
    from digitpad.core.records.recipes import Recipe

    recipe = Recipe("r", "R", "", epochs=40, measured=((1, 0.90), (10, 0.98), (40, 0.99)))
    assert recipe.expected_accuracy(1) == 0.90 and recipe.expected_accuracy(100) == 0.99
    assert abs(recipe.expected_accuracy(20) - (0.98 + 0.5 * 0.01)) < 1e-12  # log-midway
    assert 0.90 < recipe.expected_accuracy(3) < recipe.expected_accuracy(5) < 0.98
    assert Recipe("s", "S", "", epochs=5).expected_accuracy(5) is None


def test_a_counted_step_shows_its_count_and_eta(qtbot):
    """Rendering the pen strokes takes over a minute: it reports a count and an ETA,
    and the dialog shows them instead of an endless busy bar."""
    from digitpad.gui.training_dialog import TrainingDialog

    dialog = TrainingDialog(None)
    qtbot.addWidget(dialog)
    dialog.process._handle_line(
        json.dumps(
            {
                "event": "phase",
                "step": "preparing",
                "message": "Rendering pen strokes",
                "done": 1500,
                "total": 6000,
                "eta_s": 45,
            }
        )
    )
    assert dialog._phase.text() == "Rendering pen strokes · 1,500 of 6,000"
    assert dialog.progress_bar.maximum() == 1000 and dialog.progress_bar.value() == 250
    assert "left" in dialog.eta.text()


def test_training_reports_the_pen_strokes_step_with_counts():
    pytest.importorskip("keras")
    from training import train as train_module

    seen = []
    report = train_module._counted("Rendering pen strokes", seen.append)
    for done in range(0, 101):
        report(done, 100)
    counted = [e for e in seen if e.total]
    assert counted[0].done == 0 and counted[-1].done == 100  # the first at once, the last
    assert len(counted) <= 3  # at most about one a second


def test_the_run_and_the_recipes_are_named_plainly(qtbot):
    from digitpad.gui.training_dialog import TrainingDialog, describe_run

    assert describe_run("DigitPad default", 3, 1) == "DigitPad default, 3 networks of 1 epoch each"
    assert describe_run("Model card", 1, 15) == "Model card, 15 epochs"
    dialog = TrainingDialog(None)
    qtbot.addWidget(dialog)
    names = [dialog.form.recipe.itemText(k) for k in range(dialog.form.recipe.count())]
    assert "Model card" in names and not any("(" in n for n in names)


def test_the_form_says_how_long_a_run_takes_here(qtbot):
    """From the measuring machine's times until a run has been made here, then scaled
    from that run; a recipe never timed says nothing until it has been run."""
    from digitpad.gui.training_options import TrainingOptionsForm

    form = TrainingOptionsForm(0)
    qtbot.addWidget(form)
    form.recipe.setCurrentIndex(form.recipe.findData("default"))
    form.epochs.setValue(45)
    assert "about 26 min on a 2-core PC" in form.expected_text()
    form.record_run(TrainingOptions("default", 45, 128, True, False), 13 * 60)
    assert "about 13 min on this machine" in form.expected_text()
    form.epochs.setValue(10)  # 13 x (1.91 + 10 x 0.54) / (1.91 + 45 x 0.54)
    assert "about 4 min on this machine" in form.expected_text()

    form.recipe.setCurrentIndex(form.recipe.findData("card"))
    assert "Takes about" not in form.expected_text()
    form.record_run(TrainingOptions("card", 15, 128, False, False), 10 * 60)
    form.epochs.setValue(30)
    assert "about 20 min on this machine" in form.expected_text()
    again = TrainingOptionsForm(0)  # the next time the dialog opens
    qtbot.addWidget(again)
    again.recipe.setCurrentIndex(again.recipe.findData("card"))
    again.epochs.setValue(30)
    assert "about 20 min on this machine" in again.expected_text()
