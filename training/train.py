"""Train the card's CNN on MNIST and write model.keras + model.json + MODEL_CARD.md.

train(config, on_progress, should_stop) is the one entry point: the CLI calls it
with a JSON-lines printer, the GUI runs that CLI as a separate process, tests call
it directly. Cancelling stops within one batch and writes nothing.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitpad.core import metrics, mnist
from training import report
from training.augment import augment
from training.model import build_model, describe_layers
from training.recipes import RECIPES, Recipe

log = logging.getLogger(__name__)

ProgressFn = Callable[[dict], None]
StopFn = Callable[[], bool]

# Files a finished run leaves in its output directory.
OUTPUT_FILES = ("model.keras", "model.json", "MODEL_CARD.md", "confusion.png")


class TrainingCancelled(Exception):
    """Raised when should_stop() asked to stop; nothing was written."""


class TrainingError(Exception):
    """A training that cannot start (for example an unusable model to fine-tune); one line."""


@dataclass
class TrainConfig:
    output: Path
    recipe: str = "default"
    epochs: int | None = None        # None: the recipe's
    batch_size: int | None = None    # None: the recipe's
    data_dir: str | None = None
    seed: int = 0
    limit: int | None = None         # train on the first N training images only
    augment: bool = True             # False: the recipe without its augmentation
    samples_dir: str | None = None   # labelled drawings to mix into MNIST (training.samples)
    init_model: str | None = None    # fine-tune from this .keras model instead of from scratch
    command: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class TrainResult:
    output: Path
    meta: dict


class _Progress(keras.callbacks.Callback):
    """Forwards Keras' per-batch and per-epoch logs as plain dicts; checks for cancel."""

    def __init__(self, on_progress: ProgressFn, should_stop: StopFn, epochs: int, steps: int):
        super().__init__()
        self.on_progress, self.should_stop = on_progress, should_stop
        self.epochs, self.steps = epochs, steps
        self.epoch = 0
        self.last_emit = 0.0

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def _eta(self, done_steps: int) -> float:
        elapsed = time.monotonic() - self.start
        total = self.epochs * self.steps
        return elapsed / max(done_steps, 1) * (total - done_steps)

    def on_train_batch_end(self, batch, logs=None):
        # Raising here leaves fit() at once: no end-of-epoch validation, no save.
        if self.should_stop():
            raise TrainingCancelled()
        now = time.monotonic()
        if now - self.last_emit < 0.5 and batch + 1 < self.steps:
            return
        self.last_emit = now
        logs = logs or {}
        done = self.epoch * self.steps + batch + 1
        self.on_progress({
            "event": "batch", "epoch": self.epoch + 1, "epochs": self.epochs,
            "batch": batch + 1, "batches": self.steps,
            "loss": float(logs.get("loss", float("nan"))),
            "accuracy": float(logs.get("accuracy", float("nan"))),
            "eta_s": round(self._eta(done), 1),
        })

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.on_progress({
            "event": "epoch", "epoch": epoch + 1, "epochs": self.epochs,
            **{k: float(v) for k, v in logs.items() if k != "learning_rate"},
            "eta_s": round(self._eta((epoch + 1) * self.steps), 1),
        })


def _datasets(recipe: Recipe, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int,
              extra: tuple | None = None):
    """Training and validation tf.data pipelines; the last 10% is held out, as Keras'
    validation_split does, so the card recipe matches fit(validation_split=0.1).

    ``extra`` (images, one-hot labels) joins the training part only: the user's own
    samples.
    """
    n_val = int(round(len(x) * recipe.validation_split))
    n_train = len(x) - n_val
    x_train, y_train = x[:n_train], y[:n_train]
    x_val, y_val = x[n_train:], y[n_train:]
    if extra is not None and len(extra[0]):
        x_train = np.concatenate([x_train, extra[0]])
        y_train = np.concatenate([y_train, extra[1]])
        n_train = len(x_train)
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.shuffle(n_train, seed=seed, reshuffle_each_iteration=True)
    train = train.batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    # Plain TensorFlow ops, nothing for AutoGraph to convert; telling it so also keeps it
    # from looking for this function's source, which the frozen app does not ship.
    @tf.autograph.experimental.do_not_convert
    def prepare(batch, s):
        images, labels = batch
        if recipe.augments:
            images = augment(images, s, recipe)
        return images, labels

    train = tf.data.Dataset.zip((train, seeds)).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(512) if n_val else None
    return train, val, len(x_train), n_val


def _optimizer(recipe: Recipe, steps_per_epoch: int, epochs: int,
               fine_tune: bool = False) -> keras.optimizers.Optimizer:
    # Fine-tuning starts from good weights: a tenth of the rate, no warm-up.
    peak = recipe.learning_rate / 10 if fine_tune else recipe.learning_rate
    lr: float | keras.optimizers.schedules.LearningRateSchedule = peak
    if recipe.cosine_schedule:
        warmup = 0 if fine_tune else int(recipe.warmup_epochs * steps_per_epoch)
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=peak / 10 if warmup else peak,
            decay_steps=max(steps_per_epoch * epochs - warmup, 1),
            alpha=0.01,
            warmup_target=peak if warmup else None,
            warmup_steps=warmup,
        )
    return keras.optimizers.Adam(
        learning_rate=lr, use_ema=recipe.weight_ema, ema_momentum=0.999,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    config: TrainConfig,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> TrainResult:
    """Train, evaluate on the MNIST test set, and write OUTPUT_FILES into config.output.

    Raises TrainingCancelled (nothing written) when should_stop() returns True,
    mnist.MnistError when the data cannot be found or verified, and TrainingError
    when the model to fine-tune from is unusable.
    """
    on_progress = on_progress or (lambda event: None)
    should_stop = should_stop or (lambda: False)
    recipe = RECIPES[config.recipe]
    if not config.augment:
        recipe = recipe.without_augmentation()
    epochs = config.epochs or recipe.epochs
    batch_size = config.batch_size or recipe.batch_size
    keras.utils.set_random_seed(config.seed)

    initial = _load_initial(config.init_model) if config.init_model else None  # fail fast
    on_progress({"event": "loading", "message": "Loading MNIST"})
    x_all, y_all = mnist.load("train", config.data_dir)
    x_test, y_test = mnist.load("test", config.data_dir)
    if config.limit:
        x_all, y_all = x_all[: config.limit], y_all[: config.limit]
    x_all = (x_all.astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    y_onehot = keras.utils.to_categorical(y_all, 10)

    samples, extra, samples_before = None, None, None
    if config.samples_dir:
        from training.samples import load_samples, repeats

        samples = load_samples(config.samples_dir)
        k = repeats(len(samples.train_y), len(x_all))
        extra = (np.repeat(samples.train_x, k, axis=0)[..., None],
                 keras.utils.to_categorical(np.repeat(samples.train_y, k), 10))
        if initial is not None and len(samples.held_y):
            samples_before = _accuracy(initial, samples.held_x, samples.held_y)

    train_ds, val_ds, n_train, n_val = _datasets(recipe, x_all, y_onehot, batch_size,
                                                 config.seed, extra)
    steps = -(-n_train // batch_size)
    model = build_model()
    if initial is not None:
        model.set_weights(initial.get_weights())
    model.compile(
        loss="categorical_crossentropy",
        optimizer=_optimizer(recipe, steps, epochs, fine_tune=initial is not None),
        metrics=["accuracy"],
    )
    on_progress({"event": "start", "recipe": recipe.name, "epochs": epochs, "batches": steps,
                 "train_count": n_train, "validation_count": n_val})
    started = time.monotonic()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
        shuffle=False,  # the dataset shuffles itself (Keras ignores this for datasets)
        callbacks=[_Progress(on_progress, should_stop, epochs, steps)],
    )
    seconds = time.monotonic() - started
    if should_stop():
        raise TrainingCancelled()

    on_progress({"event": "evaluating", "message": "Evaluating on the MNIST test set"})
    probs = model.predict(x_test, batch_size=1000, verbose=0)
    predicted = probs.argmax(axis=1)
    confusion = metrics.confusion_matrix(y_test, predicted)
    precision, recall = metrics.precision_recall(confusion)
    meta = {
        "format": "digitpad-model", "version": 1,
        "recipe": recipe.name, "recipe_description": recipe.description,
        "seed": config.seed, "epochs": epochs,
        "epochs_completed": len(history.history.get("loss", [])),
        "batch_size": batch_size, "limit": config.limit,
        "command": config.command or _command(config, epochs, batch_size),
        "train_count": n_train, "validation_count": n_val,
        "data_sha256": mnist.data_sha256(),
        "versions": {
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__,
        },
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_seconds": round(seconds, 1),
        "parameters": int(model.count_params()),
        "layers": describe_layers(model),
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()
                    if k != "learning_rate"},
        "test": {
            "accuracy": float((predicted == y_test).mean()),
            "loss": metrics.cross_entropy(probs, y_test),
            "count": int(len(y_test)),
            "confusion": confusion.tolist(),
            "precision": [round(float(v), 6) for v in precision],
            "recall": [round(float(v), 6) for v in recall],
        },
        "model_file": "model.keras",
        **config.extra,
    }
    if config.init_model:
        meta["init_model"] = str(config.init_model)
    if not config.augment:
        meta["augmentation"] = False
    if samples is not None:
        meta["samples"] = {
            "count": samples.count, "held_out": int(len(samples.held_y)),
            "accuracy_before": samples_before,
            "accuracy_after": (_accuracy(model, samples.held_x, samples.held_y)
                               if len(samples.held_y) else None),
        }
    if should_stop():
        raise TrainingCancelled()
    _write_outputs(model, meta, Path(config.output))
    on_progress({"event": "done", "output": str(config.output),
                 "test_accuracy": meta["test"]["accuracy"], "test_loss": meta["test"]["loss"]})
    return TrainResult(Path(config.output), meta)


def _load_initial(path: str) -> keras.Model:
    """A model to fine-tune from: loaded without running code from it, and checked to
    be the card's architecture (so its weights fit)."""
    from digitpad.core.recognizer import ModelError, read_keras

    try:
        read_keras(path)  # refuses anything but the card's network, with a one-line reason
    except ModelError as exc:
        raise TrainingError(f"cannot fine-tune from {exc}") from None
    return keras.saving.load_model(path, safe_mode=True, compile=False)


def _accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    probs = model.predict(x[..., None], batch_size=256, verbose=0)
    return float((probs.argmax(axis=1) == y).mean())


def _command(config: TrainConfig, epochs: int, batch_size: int) -> str:
    parts = ["digitpad train", f"--recipe {config.recipe}", f"--seed {config.seed}",
             f"--epochs {epochs}", f"--batch-size {batch_size}"]
    if config.limit:
        parts.append(f"--limit {config.limit}")
    if not config.augment:
        parts.append("--no-augment")
    if config.samples_dir:
        parts.append(f"--samples {config.samples_dir}")
    if config.init_model:
        parts.append(f"--init-model {config.init_model}")
    return " ".join(parts)


def _write_outputs(model: keras.Model, meta: dict, output: Path) -> None:
    """Stage every file in a temporary folder, then move each into place.

    A run that fails while staging leaves the output folder as it was; os.replace
    swaps each file atomically, the sidecar last so that it names a model present.
    """
    output.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=output))
    try:
        model.save(staging / "model.keras")
        meta["model_sha256"] = _sha256(staging / "model.keras")
        report.write_report(meta, staging)
        (staging / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        for name in ("model.keras", "MODEL_CARD.md", "confusion.png", "model.json"):
            os.replace(staging / name, output / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
