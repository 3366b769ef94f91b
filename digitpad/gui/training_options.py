"""The retrain dialog's first page: recipe, epochs, batch size, augmentation, samples;
and how those become `digitpad train` arguments."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.records.recipes import (  # plain data: imports neither TensorFlow nor Qt
    DEFAULT,
    MAX_BATCH_SIZE,
    RECIPES,
)
from digitpad.gui import settings as keys
from digitpad.gui import theme
from digitpad.gui.labels import muted_label, title_label

NOTE_WIDTH = 500


@dataclass(frozen=True)
class TrainingOptions:
    recipe: str = DEFAULT.name
    epochs: int = DEFAULT.epochs
    batch_size: int = DEFAULT.batch_size
    augment: bool = True
    include_samples: bool = False


def build_arguments(
    options: TrainingOptions,
    output: Path,
    samples_dir: Path | None = None,
    init_model: Path | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The `digitpad train` arguments for these options (without the program)."""
    arguments = [
        "--recipe",
        options.recipe,
        "--epochs",
        str(options.epochs),
        "--batch-size",
        str(options.batch_size),
        "--output",
        str(output),
        "--progress",
        "json",
    ]
    if not options.augment and RECIPES[options.recipe].augments:
        arguments.append("--no-augment")
    if options.include_samples and samples_dir is not None:
        arguments += ["--samples", str(samples_dir)]
        if init_model is not None:
            arguments += ["--init-model", str(init_model)]
    return arguments + list(extra)


class TrainingOptionsForm(QWidget):
    def __init__(self, sample_count: int, parent: QWidget | None = None) -> None:
        """`sample_count`: how many samples the user has (0: the option is off)."""
        super().__init__(parent)
        self._sample_count = sample_count
        self._settings = keys.open_settings()
        self.recipe = QComboBox()
        for name, choice in RECIPES.items():
            self.recipe.addItem(choice.title, name)  # the name is for the command line
        self.recipe.setAccessibleName("Recipe")
        self.recipe.currentIndexChanged.connect(self._on_recipe_changed)
        self._recipe_note = muted_label()
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 200)
        self.epochs.setAccessibleName("Epochs")
        self.epochs.setToolTip("Passes over the 54,000 training images")
        self.epochs.valueChanged.connect(self._show_expected)
        self._expected = muted_label()
        self._expected.setAccessibleName("Expected accuracy")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(8, MAX_BATCH_SIZE)
        self.batch_size.setSingleStep(32)
        self.batch_size.setAccessibleName("Batch size")
        self.batch_size.setToolTip("Images per training step")
        self.augment = QCheckBox("Augment the training images")
        self.augment.setToolTip(
            "Random rotation, zoom, stretch, shear, shift and stroke "
            "thickness: slower, but reads real handwriting better"
        )
        count = sample_count
        self.include_samples = QCheckBox(
            f"Include my samples ({count})" if count else "Include my samples (none yet)"
        )
        self.include_samples.setEnabled(count > 0)
        self.include_samples.toggled.connect(self._show_expected)
        samples_note = muted_label(
            "Fine-tunes the model in use with your corrected drawings mixed into MNIST; a "
            "few are held out to measure it on your handwriting before and after."
            if count
            else "Correct a wrong answer (the digit buttons under the result, or "
            "Ctrl+0…9) and the drawing becomes a sample."
        )

        # A wrapped label in a form row is given the height it needs at its narrowest;
        # a set width keeps that height and the text's width in step.
        for note in (self._recipe_note, self._expected, samples_note):
            note.setFixedWidth(NOTE_WIDTH)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(10)
        form.addRow("&Recipe:", self.recipe)
        form.addRow("", self._recipe_note)
        form.addRow("&Epochs:", self.epochs)
        form.addRow("", self._expected)
        form.addRow("&Batch size:", self.batch_size)
        form.addRow("", self.augment)
        form.addRow("", self.include_samples)
        form.addRow("", samples_note)

        self.status_note = QLabel()
        self.status_note.setWordWrap(True)
        self.status_note.setObjectName("note")
        self.status_note.setStyleSheet(
            "#note { background: palette(alternate-base); border: "
            "1px solid palette(mid); border-radius: 6px; "
            "padding: 8px 10px; }"
        )
        self.status_note.setAccessibleName("Training status")
        self.status_note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title_label("Train a new model"))
        layout.addWidget(
            muted_label(
                "The training runs in the background as a separate process and saves the new "
                "model as a version of its own. The model in use stays until you choose the new "
                "one."
            )
        )
        layout.addSpacing(10)
        layout.addLayout(form)
        if not getattr(sys, "frozen", False) and importlib.util.find_spec("tensorflow") is None:
            warning = QLabel(
                "TensorFlow is not installed in this Python, so the training "
                "will fail: install it (pip install tensorflow) first."
            )
            warning.setWordWrap(True)
            theme.set_tone(warning, "error")
            layout.addWidget(warning)
        layout.addSpacing(8)
        layout.addWidget(self.status_note)
        layout.addStretch(1)
        self._restore()
        self._show_expected()

    def options(self) -> TrainingOptions:
        recipe = self.recipe.currentData()
        return TrainingOptions(
            recipe=recipe,
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            augment=self.augment.isChecked() and RECIPES[recipe].augments,
            include_samples=self.include_samples.isChecked() and self._sample_count > 0,
        )

    def expected_text(self) -> str:
        return self._expected.text()

    def set_starting_accuracy(self, accuracy: float | None) -> None:
        """The MNIST test accuracy of the model in use, which a run with the user's
        samples fine-tunes (None: unknown)."""
        self._starting_accuracy = accuracy
        self._show_expected()

    def _show_expected(self) -> None:
        """What the chosen epochs are likely to give, from measured runs of the recipe,
        with a warning when the run is much shorter than the recipe's. A fine-tune
        starts where the model in use is: expect that, not a run from scratch."""
        recipe = RECIPES[self.recipe.currentData()]
        epochs = self.epochs.value()
        start = getattr(self, "_starting_accuracy", None)
        if self.include_samples.isChecked() and self.include_samples.isEnabled():
            text = (
                "A fine-tune starts from the model in use"
                + (f" (MNIST test accuracy {start:.2%})" if start is not None else "")
                + " at a tenth of the recipe's learning rate: expect about the same MNIST "
                "accuracy; what changes is how your samples are read. " + self.duration_text()
            )
            self._expected.setText(text.strip())
            return
        expected = recipe.expected_accuracy(epochs)
        runs = ", ".join(
            f"{e} epoch{'s' if e != 1 else ''}: {a:.1%}" for e, a in sorted(recipe.measured)
        )
        text = (
            f"Expected MNIST test accuracy: about {expected:.1%} (measured runs of this "
            f"recipe: {runs})."
            if expected is not None
            else ""
        )
        if recipe.epochs_note and epochs < recipe.epochs:
            text += " " + recipe.epochs_note
        if epochs < recipe.epochs / 3:
            text += (
                f" Much shorter than the recipe's {recipe.epochs} epochs: fine for a trial, "
                "but expect a weaker model than the one in use."
            )
        self._expected.setText((text + " " + self.duration_text()).strip())

    def record_run(self, options: TrainingOptions, seconds: float) -> None:
        """A whole run ended in ``seconds``: the next estimates start from it."""
        remember_run(self._settings, options.recipe, options.epochs, seconds)
        self._show_expected()

    def duration_text(self) -> str:
        """How long the run will take: scaled from this recipe's last run on this
        machine, or the measuring machine's time; "" when neither is known."""
        recipe = RECIPES[self.recipe.currentData()]
        epochs = self.epochs.value()
        last = last_run(self._settings, recipe.name)
        if last is not None:
            minutes, ran = last
            then = recipe.expected_minutes(ran)
            now = recipe.expected_minutes(epochs)
            guess = minutes * now / then if now and then else minutes * epochs / ran
            return f"Takes about {_minutes(guess)} on this machine (from its last run)."
        guess = recipe.expected_minutes(epochs)
        if guess is None:
            return ""
        return f"Takes about {_minutes(guess)} on a 2-core PC (measured); yours may differ."

    def sample_count(self) -> int:
        return self._sample_count

    def show_status(self, text: str) -> None:
        self.status_note.setText(text)
        self.status_note.setVisible(bool(text))

    def status_text(self) -> str:
        return self.status_note.text() if not self.status_note.isHidden() else ""

    def remember(self) -> None:
        """Keep the options for the next time the dialog opens."""
        s = self._settings
        options = self.options()
        s.setValue(keys.TRAIN_RECIPE, options.recipe)
        s.setValue(keys.TRAIN_EPOCHS, options.epochs)
        s.setValue(keys.TRAIN_BATCH_SIZE, options.batch_size)
        s.setValue(keys.TRAIN_AUGMENT, self.augment.isChecked())
        s.setValue(keys.TRAIN_SAMPLES, self.include_samples.isChecked())

    def _on_recipe_changed(self) -> None:
        choice = RECIPES[self.recipe.currentData()]
        self._recipe_note.setText(choice.description)
        self.epochs.setValue(choice.epochs)
        self.batch_size.setValue(choice.batch_size)
        self.augment.setEnabled(choice.augments)
        self.augment.setChecked(choice.augments)
        self.augment.setToolTip(
            "" if choice.augments else "The model card's recipe trains without augmentation"
        )
        self._show_expected()

    def _restore(self) -> None:
        s = self._settings
        recipe = str(s.value(keys.TRAIN_RECIPE, "default"))
        self.recipe.setCurrentIndex(
            self.recipe.findData(recipe if recipe in RECIPES else "default")
        )
        self._on_recipe_changed()
        choice = RECIPES[self.recipe.currentData()]
        self.epochs.setValue(keys.read_int(s, keys.TRAIN_EPOCHS, choice.epochs, 1, 200))
        self.batch_size.setValue(
            keys.read_int(s, keys.TRAIN_BATCH_SIZE, choice.batch_size, 8, 4096)
        )
        if choice.augments:
            self.augment.setChecked(keys.read_bool(s, keys.TRAIN_AUGMENT, True))
        self.include_samples.setChecked(
            self._sample_count > 0 and keys.read_bool(s, keys.TRAIN_SAMPLES, True)
        )


def remember_run(settings, recipe: str, epochs: int, seconds: float) -> None:
    """Keep a whole run's time, for the next estimate of this recipe's runs."""
    if epochs >= 1 and seconds > 0:
        settings.setValue(keys.TRAIN_LAST_RUN + recipe, f"{seconds / 60:.3f} {epochs}")


def last_run(settings, recipe: str) -> tuple[float, int] | None:
    """(minutes, epochs) of this recipe's last run here; None when none (or unreadable)."""
    try:
        minutes, epochs = str(settings.value(keys.TRAIN_LAST_RUN + recipe, "")).split()
        found = float(minutes), int(epochs)
    except ValueError:
        return None
    return found if found[0] > 0 and math.isfinite(found[0]) and found[1] >= 1 else None


def _minutes(minutes: float) -> str:
    return "1 min" if minutes < 1.5 else f"{round(minutes)} min"
