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
import math
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

from digitpad.core.io import atomic, mnist, paths, pendigits
from digitpad.core.made import nondigits
from digitpad.core.models.ensemble import OWN_FORMAT, is_own_model_folder
from digitpad.core.records import evaluation, metrics
from digitpad.core.records import training_events as events
from digitpad.core.records.recipes import RECIPES, Recipe
from training import pen_data, report
from training.augment import augment
from training.model import CONV_FILTERS, KERNEL_SIZES, build_model, describe_layers

log = logging.getLogger(__name__)
# Predicting with several networks in turn makes tf.function warn about retracing: harmless.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

ProgressFn = Callable[[events.Event], None]
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
    epochs: int | None = None  # None: the recipe's
    batch_size: int | None = None  # None: the recipe's
    data_dir: str | None = None
    seed: int = 0
    limit: int | None = None  # train on the first N training images only
    augment: bool = True  # False: the recipe without its augmentation
    samples_dir: str | None = None  # labelled drawings to mix into MNIST (training.samples)
    init_model: str | None = None  # fine-tune from this .keras model instead of from scratch
    pendigits: str | None = None  # the pen-strokes file (default: pen_data.locate())
    members: int | None = None  # networks in the model (None: the recipe's)
    command: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class TrainResult:
    output: Path
    meta: dict


class _Progress(keras.callbacks.Callback):
    """Forwards Keras' per-batch and per-epoch logs as plain dicts; checks for cancel."""

    def __init__(
        self,
        on_progress: ProgressFn,
        should_stop: StopFn,
        epochs: int,
        steps: int,
        start: float,
        member: int = 0,
        members: int = 1,
    ):
        super().__init__()
        self.on_progress, self.should_stop = on_progress, should_stop
        self.steps, self.start = steps, start
        # Epochs count on across the networks of an ensemble: one progress from 0 to 100%.
        self.offset, self.epochs = member * epochs, members * epochs
        self.epoch = self.offset
        self.last_emit = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = self.offset + epoch

    def _eta(self, done_steps: int) -> float:
        elapsed = time.monotonic() - self.start  # since the first network began
        return elapsed / max(done_steps, 1) * (self.epochs * self.steps - done_steps)

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
        self.on_progress(
            events.Batch(
                epoch=self.epoch + 1,
                epochs=self.epochs,
                batch=batch + 1,
                batches=self.steps,
                loss=float(logs.get("loss", float("nan"))),
                accuracy=float(logs.get("accuracy", float("nan"))),
                eta_s=round(self._eta(done), 1),
            )
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        logs = logs or {}
        self.on_progress(
            events.Epoch(
                epoch=self.offset + epoch + 1,
                epochs=self.epochs,
                **{
                    k: float(logs[k])
                    for k in ("loss", "accuracy", "val_loss", "val_accuracy")
                    if k in logs
                },
                eta_s=round(self._eta((self.offset + epoch + 1) * self.steps), 1),
            )
        )


class DigitAccuracy(keras.metrics.Metric):
    """Accuracy over the digits of a batch; drawn non-digits (uniform targets) do not count."""

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        is_digit = keras.ops.cast(keras.ops.max(y_true, axis=1) > 0.5, "float32")
        same = keras.ops.argmax(y_true, axis=1) == keras.ops.argmax(y_pred, axis=1)
        self.hits.assign_add(keras.ops.sum(keras.ops.cast(same, "float32") * is_digit))
        self.count.assign_add(keras.ops.sum(is_digit))

    def result(self):
        return self.hits / keras.ops.maximum(self.count, 1.0)

    def reset_state(self):
        self.hits.assign(0.0)
        self.count.assign(0.0)


@dataclass
class _Streams:
    """What one epoch is made of: MNIST (augmented as images), pen strokes and drawn
    non-digits (varied as strokes before rendering), each with its share."""

    mnist_x: np.ndarray  # float32 (N, 28, 28, 1)
    mnist_y: np.ndarray  # float32 (N, 10) one-hot
    pen: tuple[np.ndarray, np.ndarray] | None = None  # uint8 images, int labels
    non_digits: np.ndarray | None = None  # uint8 images


def _datasets(
    recipe: Recipe,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int,
    extra: tuple | None = None,
    streams: _Streams | None = None,
):
    """Training and validation tf.data pipelines; the last 10% of MNIST is held out, as
    Keras' validation_split does, so the card recipe matches fit(validation_split=0.1).

    ``extra`` (images, one-hot labels) joins the MNIST part only: the user's own
    samples. ``streams`` adds pen strokes and non-digits, mixed in by their shares.
    Returns (train, validation, MNIST training count, validation count, steps per epoch).
    """
    n_val = int(round(len(x) * recipe.validation_split))
    n_train = len(x) - n_val
    x_train, y_train = x[:n_train], y[:n_train]
    x_val, y_val = x[n_train:], y[n_train:]
    if extra is not None and len(extra[0]):
        x_train = np.concatenate([x_train, extra[0]])
        y_train = np.concatenate([y_train, extra[1]])
        n_train = len(x_train)

    # Every stream holds uint8 images (ink = 255): one element type for the mixer, and a
    # quarter of the memory.
    x_train = np.round(np.clip(x_train, 0, 1) * 255).astype(np.uint8)
    parts, shares = [_stream(x_train, y_train, True, seed)], []
    pen = streams.pen if streams else None
    nd = streams.non_digits if streams else None
    if pen is not None and len(pen[0]) and recipe.pen_share:
        images = pen[0][..., None]
        labels = keras.utils.to_categorical(pen[1], 10).astype(y_train.dtype)
        parts.append(_stream(images, labels, False, seed + 1))
        shares.append(recipe.pen_share)
    if nd is not None and len(nd) and recipe.non_digit_share:
        uniform = np.full((len(nd), 10), 0.1, y_train.dtype)
        parts.append(_stream(nd[..., None], uniform, False, seed + 2))
        shares.append(recipe.non_digit_share)
    mnist_share = 1.0 - sum(shares)
    per_epoch = int(round(n_train / mnist_share))
    if len(parts) == 1:
        train = parts[0]
    else:
        train = tf.data.Dataset.sample_from_datasets(
            parts, weights=[mnist_share, *shares], seed=seed, rerandomize_each_iteration=True
        )
    train = train.batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    # Plain TensorFlow ops, nothing for AutoGraph to convert; telling it so also keeps it
    # from looking for this function's source, which the frozen app does not ship.
    @tf.autograph.experimental.do_not_convert
    def prepare(batch, s):
        images, labels, is_mnist = batch
        images = tf.cast(images, tf.float32) / 255.0
        if recipe.augments:
            varied = augment(images, s, recipe)
            images = tf.where(is_mnist[:, None, None, None], varied, images)
        return images, labels

    train = tf.data.Dataset.zip((train, seeds)).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(512) if n_val else None
    steps = -(-per_epoch // batch_size)
    return train, val, n_train, n_val, steps


def _stream(images: np.ndarray, labels: np.ndarray, is_mnist: bool, seed: int):
    """An endless, reshuffled stream of (image, label, is_mnist) for one source."""
    flags = np.full(len(images), is_mnist)
    ds = tf.data.Dataset.from_tensor_slices((images, labels, flags))
    return ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()


def _peak_rate(recipe: Recipe, fine_tune: bool) -> float:
    # Fine-tuning starts from good weights: a tenth of the rate, no warm-up.
    return recipe.learning_rate / 10 if fine_tune else recipe.learning_rate


def _optimizer(
    recipe: Recipe, steps_per_epoch: int, epochs: int, fine_tune: bool = False
) -> keras.optimizers.Optimizer:
    peak = _peak_rate(recipe, fine_tune)
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
        learning_rate=lr,
        use_ema=recipe.weight_ema,
        ema_momentum=0.999,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    config: TrainConfig,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> TrainResult:
    """Train, evaluate on the MNIST test set, and write the model into config.output.

    The recipe says how many networks (``members``) make the model: each is trained
    in turn from its own seed, and their probabilities are averaged.
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
    count = config.members or recipe.members
    keras.utils.set_random_seed(config.seed)

    _check_output(Path(config.output))  # fail fast: before the work, not after it
    initial = _load_initial(config.init_model) if config.init_model else None
    on_progress(events.Phase("loading", "Loading MNIST"))
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
        extra = (
            np.repeat(samples.train_x, k, axis=0)[..., None],
            keras.utils.to_categorical(np.repeat(samples.train_y, k), 10),
        )
        if initial is not None and len(samples.held_y):
            samples_before = _accuracy(initial, samples.held_x, samples.held_y)

    streams, sources = _Streams(x_all, y_onehot), [_mnist_source()]
    pen = None
    if recipe.pen_share or recipe.calibrate:
        pen = _pen_data(config, recipe, on_progress)
        if pen is not None:
            streams.pen = (pen.train_x, pen.train_y)
            sources.append(_pen_source(pen))
    if recipe.non_digit_share or recipe.digit_check:
        on_progress(events.Phase("preparing", "Drawing non-digits"))
        limit = (
            recipe.non_digit_count
            if not config.limit
            else min(recipe.non_digit_count, config.limit)
        )
        streams.non_digits = pen_data.non_digit_images(limit, seed=10_000 + config.seed)
        sources.append(_non_digit_source(len(streams.non_digits), recipe))
    if should_stop():
        raise TrainingCancelled()

    networks: list[keras.Model] = []
    histories, temperatures = [], []
    started = time.monotonic()
    for member in range(count):
        seed = config.seed + member
        keras.utils.set_random_seed(seed)
        train_ds, val_ds, n_train, n_val, steps = _datasets(
            recipe, x_all, y_onehot, batch_size, seed, extra, streams
        )
        model = build_model()
        if initial is not None:
            model.set_weights(initial[member % len(initial)].get_weights())
        model.compile(
            loss="categorical_crossentropy",
            optimizer=_optimizer(recipe, steps, epochs, fine_tune=initial is not None),
            metrics=[DigitAccuracy()],
        )
        if member == 0:
            on_progress(
                events.Start(
                    recipe=recipe.name,
                    epochs=count * epochs,
                    batches=steps,
                    train_count=n_train,
                    validation_count=n_val,
                    members=count,
                )
            )
        if count > 1:
            on_progress(events.Phase("preparing", f"Training network {member + 1} of {count}"))
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            steps_per_epoch=steps,
            verbose=0,
            shuffle=False,  # the dataset shuffles itself (Keras ignores this for datasets)
            callbacks=[_Progress(on_progress, should_stop, epochs, steps, started, member, count)],
        )
        if should_stop():
            raise TrainingCancelled()
        if recipe.calibrate and n_val:
            temperature = _calibrate(
                lambda x, m=model: m.predict(x, batch_size=1000, verbose=0),
                x_all[len(x_all) - n_val :],
                y_all[len(y_all) - n_val :],
                pen,
            )
            model = _with_temperature(model, temperature)
            temperatures.append(temperature)
        networks.append(model)
        histories.append(history.history)
    seconds = time.monotonic() - started

    def predict(x: np.ndarray, ensemble_t: float = 1.0) -> np.ndarray:
        p = _average(networks, x)
        return p if ensemble_t == 1.0 else metrics.with_temperature(p, ensemble_t)

    calibration, ensemble_t = None, 1.0
    if recipe.calibrate and n_val:
        on_progress(events.Phase("preparing", "Calibrating the confidence"))
        if count > 1:  # averaging calibrated networks is a little too modest: calibrate it too
            ensemble_t = _calibrate(
                predict, x_all[len(x_all) - n_val :], y_all[len(y_all) - n_val :], pen
            )
        calibration = _calibration_meta(temperatures, ensemble_t, n_val, pen)
    check = None
    if recipe.digit_check and streams.non_digits is not None and n_val:
        on_progress(events.Phase("preparing", "Fitting the non-digit check"))
        check = _digit_check(networks, streams, x_all[len(x_all) - n_val :], pen, config.seed)
    on_progress(events.Phase("evaluating", "Evaluating on the MNIST test set"))
    test = evaluation.score(predict(x_test, ensemble_t), y_test)
    meta = {
        "format": OWN_FORMAT,
        "version": 1,
        "recipe": recipe.name,
        "recipe_description": recipe.description,
        "seed": config.seed,
        "epochs": epochs,
        "epochs_completed": len(histories[0].get("loss", [])),
        "batch_size": batch_size,
        "limit": config.limit,
        "command": config.command or _command(config, epochs, batch_size),
        "train_count": n_train,
        "validation_count": n_val,
        "data_sha256": mnist.data_sha256(),
        "data_sources": sources,
        "epoch_shares": _shares(recipe, streams),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_seconds": round(seconds, 1),
        "parameters": int(networks[0].count_params()),
        "layers": describe_layers(networks[0]),
        "history": _history(histories[0]),
        "test": test.to_json(),
        "model_file": "model.keras",
        **config.extra,
    }
    if count > 1:
        meta["members"] = [
            {"file": member_file(k), "seed": config.seed + k, "history": _history(histories[k])}
            for k in range(count)
        ]
    if calibration is not None:
        meta["calibration"] = calibration
    if check is not None:
        from training.digit_check import FALSE_REJECT_SHARE

        meta["digit_check"] = {**check.to_json(), "calibration_share": FALSE_REJECT_SHARE}
    meta["recipe_epochs"] = recipe.epochs
    meta["learning_rate"] = _peak_rate(recipe, initial is not None)
    if config.init_model:
        meta["init_model"] = str(config.init_model)
    if not config.augment:
        meta["augmentation"] = False
    if samples is not None:
        meta["samples"] = {
            "count": samples.count,
            "held_out": int(len(samples.held_y)),
            "accuracy_before": samples_before,
            "accuracy_after": (
                _accuracy(networks, samples.held_x, samples.held_y) if len(samples.held_y) else None
            ),
        }
    if should_stop():
        raise TrainingCancelled()
    try:
        _write_outputs(networks, meta, Path(config.output))
    except OSError as exc:  # the disk filled up, or the folder went, after the check
        reason = exc.strerror or " ".join(str(exc).split())[:160]
        raise TrainingError(f"cannot write the model to {config.output}: {reason}") from None
    on_progress(events.Done(str(config.output), test.accuracy, test.loss or math.nan))
    return TrainResult(Path(config.output), meta)


def member_file(index: int) -> str:
    """The file of network ``index`` (0-based) of a model: model.keras, member-2.keras, ..."""
    return "model.keras" if index == 0 else f"member-{index + 1}.keras"


def _history(history: dict) -> dict:
    return {k: [float(v) for v in vals] for k, vals in history.items() if k != "learning_rate"}


def _pen_data(config: TrainConfig, recipe: Recipe, on_progress: ProgressFn):
    path = pen_data.locate(config.pendigits)
    if path is None or not path.is_file():
        on_progress(
            events.Phase(
                "preparing",
                "Pen strokes not found (set --pendigits or DIGITPAD_PENDIGITS); "
                "training on MNIST alone",
            )
        )
        return None
    on_progress(events.Phase("preparing", "Rendering pen strokes"))
    try:
        return pen_data.load(
            path,
            max(recipe.pen_copies, 1),
            seed=config.seed,
            limit=config.limit,
            variation=recipe.pen_variation,
            on_progress=_counted("Rendering pen strokes", on_progress),
        )
    except pendigits.PenDigitsError as exc:
        raise TrainingError(f"cannot use the pen strokes: {exc}") from None


def _counted(message: str, on_progress: ProgressFn) -> Callable[[int, int], None]:
    """A step's (done, total) as Phase events with a count and an ETA, at most about
    one a second (and the first at once)."""
    start = time.monotonic()
    last = -math.inf

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < 1.0 and done < total:
            return
        last = now
        elapsed = now - start
        eta = elapsed * (total - done) / done if done else math.nan
        on_progress(events.Phase("preparing", message, done, total, eta))

    return report


def _mnist_source() -> dict:
    return {
        "name": "MNIST (Y. LeCun, C. Cortes, C. J. C. Burges)",
        "licence": "CC BY-SA 3.0",
        "size": "70,000 images of 28x28 (60,000 training, 10,000 test)",
        "use": "training (54,000) and validation (6,000); test (10,000) for the figures",
        "sha256": mnist.data_sha256(),
    }


def _pen_source(pen) -> dict:
    return {
        "name": "Pen-Based Recognition of Handwritten Digits (pen trajectories)",
        "licence": pendigits.LICENCE,
        "credit": pendigits.CREDIT,
        "file": pen.path.name,
        "bytes": pen.size,
        "sha256": pen.sha256,
        "use": (
            f"training: writers {min(pendigits.TRAIN_WRITERS)}-"
            f"{max(pendigits.TRAIN_WRITERS)} ({pen.train_digits:,} digits, "
            f"{len(pen.train_y):,} renditions); calibration: writers "
            f"{min(pendigits.CALIBRATION_WRITERS)}-{max(pendigits.CALIBRATION_WRITERS)}"
            f" ({len(pen.calibration_y):,} digits); writers "
            f"{min(pendigits.DEV_WRITERS)}-{max(pendigits.DEV_WRITERS)} never used"
        ),
    }


def _non_digit_source(count: int, recipe: Recipe) -> dict:
    uses = (["the network, with a uniform target"] if recipe.non_digit_share else []) + (
        ["the non-digit check"] if recipe.digit_check else []
    )
    return {
        "name": "Drawn non-digits (digitpad.core.made.nondigits)",
        "licence": "MIT (this project)",
        "size": f"{count:,} drawings of {len(nondigits.TRAINING_FAMILIES)} families of "
        "letters, shapes and marks",
        "use": "training " + " and ".join(uses),
    }


def _shares(recipe: Recipe, streams: _Streams) -> dict:
    pen = recipe.pen_share if streams.pen is not None and len(streams.pen[0]) else 0.0
    nd = (
        recipe.non_digit_share
        if streams.non_digits is not None and len(streams.non_digits)
        else 0.0
    )
    return {"mnist": round(1 - pen - nd, 4), "pen": pen, "non_digits": nd}


def _calibrate(
    predict: Callable[[np.ndarray], np.ndarray], x_val: np.ndarray, y_val: np.ndarray, pen
) -> float:
    """Temperature scaling on data the networks never trained on: the MNIST validation
    images and the calibration writers' pen digits, each set weighing half."""
    sets = [(x_val, y_val)]
    if pen is not None and len(pen.calibration_y):
        sets.append((pen.calibration_x[..., None], pen.calibration_y))
    probs = [predict(x) for x, _ in sets]
    weights = np.concatenate([np.full(len(y), 1.0 / len(y)) for _, y in sets])
    return metrics.fit_temperature(
        np.concatenate(probs), np.concatenate([y for _, y in sets]), weights
    )


def _calibration_meta(temperatures: list[float], ensemble_t: float, n_val: int, pen) -> dict:
    out = {
        "method": "temperature scaling",
        "temperature": round(temperatures[0], 4),
        "fitted_on": [f"MNIST validation ({n_val:,})"],
    }
    if len(temperatures) > 1:
        out["member_temperatures"] = [round(t, 4) for t in temperatures]
        out["ensemble_temperature"] = round(ensemble_t, 4)
    if pen is not None and len(pen.calibration_y):
        out["fitted_on"].append(
            f"pen writers {min(pendigits.CALIBRATION_WRITERS)}-"
            f"{max(pendigits.CALIBRATION_WRITERS)} "
            f"({len(pen.calibration_y):,})"
        )
    return out


def _digit_check(networks: list[keras.Model], streams: _Streams, x_val: np.ndarray, pen, seed: int):
    """The separate non-digit check, fitted on training digits against drawn non-digits;
    its threshold set on the calibration digits (MNIST validation, calibration writers)."""
    from training import digit_check

    rng = np.random.default_rng(seed)
    # Every MNIST training image and up to 40,000 pen renditions: with 20,000 of each,
    # 0.5% more of the MNIST test digits fell under the threshold.
    digits = [streams.mnist_x[: len(streams.mnist_x) - len(x_val)]]
    calibration = [x_val]
    if streams.pen is not None and len(streams.pen[0]):
        pick = rng.choice(len(streams.pen[0]), size=min(40_000, len(streams.pen[0])), replace=False)
        digits.append(streams.pen[0][pick] / 255.0)
    if pen is not None and len(pen.calibration_y):
        calibration.append(pen.calibration_x)
    return digit_check.build(networks, digits, streams.non_digits / 255.0, calibration, seed)


def _with_temperature(model: keras.Model, temperature: float) -> keras.Model:
    """The same network with its last layer divided by the temperature: softmax(z / T)
    is softmax of a Dense layer with weights and bias / T, so the calibrated model is
    still exactly the card's architecture, and Keras and NumPy both read it calibrated."""
    calibrated = build_model()
    weights = model.get_weights()
    weights[-2] = weights[-2] / temperature
    weights[-1] = weights[-1] / temperature
    calibrated.set_weights(weights)
    return calibrated


def _load_initial(path: str) -> list[keras.Model]:
    """The networks to fine-tune from. They are read by the app's own reader, which runs
    nothing from the file and refuses anything but the card's layers, and copied into
    freshly built networks of the card's widths: Keras never parses the file."""
    from digitpad.core.models.ensemble import Recognizer
    from digitpad.core.models.keras_file import ModelError

    try:
        recognizer = Recognizer.load(path)
    except ModelError as exc:
        raise TrainingError(f"cannot fine-tune from {exc}") from None
    first = recognizer.weights
    if (first.filters, first.kernels) != (CONV_FILTERS, KERNEL_SIZES):
        raise TrainingError(
            f"cannot fine-tune from {Path(path).name}: its network has filters "
            f"{first.filters} and kernels {first.kernels}, not the card's "
            f"{CONV_FILTERS} and {KERNEL_SIZES}"
        )
    networks = []
    for w in recognizer.members:
        model = build_model()
        model.set_weights(w.keras_weights())
        networks.append(model)
    return networks


def _average(networks: list[keras.Model], x: np.ndarray) -> np.ndarray:
    """The networks' probabilities for images (N, 28, 28[, 1]), averaged: (N, 10)."""
    x = np.asarray(x, np.float32).reshape(-1, 28, 28, 1)
    return np.mean([m.predict(x, batch_size=1000, verbose=0) for m in networks], axis=0)


def _accuracy(networks: list[keras.Model], x: np.ndarray, y: np.ndarray) -> float:
    return float((_average(networks, x).argmax(axis=1) == y).mean())


def _command(config: TrainConfig, epochs: int, batch_size: int) -> str:
    parts = [
        "digitpad train",
        f"--recipe {config.recipe}",
        f"--seed {config.seed}",
        f"--epochs {epochs}",
        f"--batch-size {batch_size}",
    ]
    if config.limit:
        parts.append(f"--limit {config.limit}")
    if not config.augment:
        parts.append("--no-augment")
    if config.samples_dir:
        parts.append(f"--samples {config.samples_dir}")
    if config.init_model:
        parts.append(f"--init-model {config.init_model}")
    return " ".join(parts)


# Room the outputs need at the least (three networks of 450 KB, the card, the picture).
MIN_FREE_BYTES = 20 * 1024 * 1024


def _check_output(output: Path) -> None:
    """TrainingError (one line) unless ``output`` is, or can become, a writable folder
    with room for a model."""
    existing = output
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise TrainingError(f"cannot write the model to {output}: {existing} is a file")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        free = shutil.disk_usage(existing).free
    except OSError as exc:
        raise TrainingError(f"cannot write the model to {output}: {exc.strerror or exc}") from None
    if free < MIN_FREE_BYTES:
        raise TrainingError(f"cannot write the model to {output}: only {free / 2**20:.1f} MB free")


def _write_outputs(networks: list[keras.Model], meta: dict, output: Path) -> None:
    """Stage every file in a temporary folder, then move it all into place.

    A new output folder appears whole, in one rename: a run killed at any moment
    leaves either nothing or the complete model. Into an existing folder the files move
    after a commit record (atomic.move_staged): killed between two moves, the next load
    or run completes them, so the folder holds the old model or the new, never a mix.
    A run that fails while staging leaves the output folder as it was.
    """
    fresh = not output.exists()
    parent = output.parent if fresh else output
    parent.mkdir(parents=True, exist_ok=True)
    if is_own_model_folder(parent) or parent == paths.user_models_dir():
        atomic.finish_interrupted(parent)  # never in a folder of the user's own
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
    try:
        names = [member_file(k) for k in range(len(networks))]
        for name, model in zip(names, networks):
            model.save(staging / name)
        meta["model_sha256"] = _sha256(staging / names[0])
        for entry in meta.get("members", []):
            entry["sha256"] = _sha256(staging / entry["file"])
        report.write_report(meta, staging)
        (staging / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        if fresh:
            os.rename(staging, output)
            return
        atomic.move_staged(
            staging, output, [*names, "MODEL_CARD.md", "confusion.png", "model.json"]
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
