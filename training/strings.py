"""Train the sequence recogniser for digit strings (digitpad/core/models/sequence.py) with CTC.

Run: python -m training.strings [--strings N] [--epochs E] [--seed S] [--output PATH]

Training strings come from digitpad.core.made.synth ``digit_strings``: 1 to 9 MNIST
*training* digits and pen digits of the training writers (rendered by the canvas'
own function), touching, overlapping or apart, with separators and leftover clutter.
Nothing from the MNIST test set, the development pen writers or any evaluation-only
set goes in. The network is the one sequence.LAYERS declares, with batch
normalisation after each convolution that the export folds into its kernel. The
result is a plain-array ``.npz`` (no pickles), written atomically, and checked by
reading held-out strings back through the NumPy reader.
The shipped model: ``--strings 120000 --epochs 6 --seed 0``.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from multiprocessing import Pool
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digitpad.core.io import atomic, mnist, paths
from digitpad.core.made import digit_strings
from digitpad.core.models import sequence
from training import pen_data

CHUNK = 500  # strings per generation task
PEN_COPIES = 5  # varied renditions of each training writer's digit: pen styles weigh more


def build_model() -> keras.Model:
    """sequence.LAYERS as Keras layers, with batch normalisation after the convolutions."""
    inputs = keras.Input(shape=(sequence.LINE_HEIGHT, None, 1))
    x = inputs
    for k, pool in enumerate(sequence.POOLS):
        x = layers.Conv2D(sequence.CONV_FILTERS[k], 3, padding="same", name=f"conv{k + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{k + 1}")(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D(pool)(x)
    x = layers.Permute((2, 1, 3))(x)  # (steps, rows, channels)
    x = layers.Reshape((-1, sequence.FEATURE_ROWS * sequence.CONV_FILTERS[-1]))(x)
    x = layers.Dense(sequence.DENSE_UNITS, activation="relu", name="dense")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv1D(
        sequence.DENSE_UNITS,
        sequence.CONTEXT_KERNEL,
        padding="same",
        activation="relu",
        name="context",
    )(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(sequence.CLASSES, name="out")(x)  # logits
    return keras.Model(inputs, outputs, name="digitpad_strings")


def _sources(seed: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist.load("train")
    found = pen_data.locate()
    if found is None or not found.is_file():
        raise SystemExit("pen strokes not found: set DIGITPAD_PENDIGITS")
    pen = pen_data.load(found, PEN_COPIES, seed)
    return np.concatenate([images, pen.train_x]), np.concatenate([labels, pen.train_y])


_SHARED: dict = {}


def _init(images: np.ndarray, labels: np.ndarray) -> None:
    _SHARED["images"], _SHARED["labels"] = images, labels


def _chunk(seed: int) -> list[tuple[np.ndarray, str]]:
    out = []
    for s in digit_strings.digit_strings(_SHARED["images"], _SHARED["labels"], CHUNK, seed):
        line = sequence.line_input(s.ink, s.box)
        if line is not None:
            out.append((line.astype(np.float16), s.text))
    return out


def make_lines(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> list[tuple[np.ndarray, str]]:
    seeds = [seed * 100_000 + k for k in range(-(-count // CHUNK))]
    with Pool(os.cpu_count() or 1, _init, (images, labels)) as pool:
        return [item for chunk in pool.map(_chunk, seeds) for item in chunk]


def _batches(lines: list, size: int, rng: np.random.Generator):
    """Batches of similar widths (little padding), in random order."""
    order = sorted(range(len(lines)), key=lambda k: (lines[k][0].shape[1], rng.random()))
    groups = [order[k : k + size] for k in range(0, len(order), size)]
    for g in rng.permutation(len(groups)):
        members = [lines[k] for k in groups[g]]
        width = max(m[0].shape[1] for m in members)
        x = np.zeros((len(members), sequence.LINE_HEIGHT, width, 1), np.float32)
        longest = max(1, max(len(m[1]) for m in members))
        y = np.zeros((len(members), longest), np.int32)
        y_len = np.zeros(len(members), np.int32)
        x_len = np.zeros(len(members), np.int32)
        for k, (line, text) in enumerate(members):
            x[k, :, : line.shape[1], 0] = line
            y[k, : len(text)] = [int(c) for c in text]
            y_len[k], x_len[k] = len(text), line.shape[1] // sequence.TIME_STEP
        yield x, y, y_len, x_len


def export(model: keras.Model) -> dict[str, np.ndarray]:
    """The Keras weights as sequence.LAYERS' arrays, batch normalisation folded in."""
    out = {}
    for k in range(len(sequence.POOLS)):
        kernel, bias = model.get_layer(f"conv{k + 1}").get_weights()
        bn = model.get_layer(f"bn{k + 1}")
        gamma, beta, mean, var = bn.get_weights()
        factor = gamma / np.sqrt(var + bn.epsilon)
        out[f"conv{k + 1}.kernel"] = (kernel * factor).astype(np.float32)
        out[f"conv{k + 1}.bias"] = ((bias - mean) * factor + beta).astype(np.float32)
    for name in ("dense", "context", "out"):
        kernel, bias = model.get_layer(name).get_weights()
        out[f"{name}.kernel"], out[f"{name}.bias"] = kernel, bias
    return out


def save(arrays: dict[str, np.ndarray], path: Path) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic.write_bytes(path, buffer.getvalue())


def exact(reader: sequence.SequenceModel, lines: list) -> float:
    return float(np.mean([reader.read(line.astype(np.float32)).text == t for line, t in lines]))


def train(
    count: int, epochs: int, seed: int, output: Path, batch: int = 32, held_out: int = 1000
) -> float:
    keras.utils.set_random_seed(seed)
    images, labels = _sources(seed)
    start = time.time()
    lines = make_lines(images, labels, count, seed)
    checks = make_lines(images, labels, held_out, seed + 7919)
    print(f"{len(lines):,} training strings in {time.time() - start:.0f} s", flush=True)
    model = build_model()
    steps = epochs * -(-len(lines) // batch)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps, warmup_target=2e-3, warmup_steps=min(500, steps // 10)
    )
    optimizer = keras.optimizers.Adam(schedule, clipnorm=5.0)

    @tf.function(reduce_retracing=True)
    def step(x, y, y_len, x_len):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(
                tf.nn.ctc_loss(
                    y, logits, y_len, x_len, logits_time_major=False, blank_index=sequence.BLANK
                )
            )
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        losses = []
        for x, y, y_len, x_len in _batches(lines, batch, rng):
            losses.append(float(step(x, y, y_len, x_len)))
        reader = sequence.SequenceModel({n: (a, b) for n, a, b in _pairs(export(model))})
        print(
            f"epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}, held-out exact "
            f"{exact(reader, checks):.4f} ({time.time() - start:.0f} s)",
            flush=True,
        )
    arrays = export(model)
    save(arrays, output)
    figure = exact(sequence.SequenceModel.load(output), checks)
    print(f"wrote {output}; held-out strings read exactly: {figure:.4f}")
    return figure


def _pairs(arrays: dict[str, np.ndarray]):
    for name, _ in sequence.LAYERS:
        yield name, arrays[f"{name}.kernel"], arrays[f"{name}.bias"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=120_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(paths.resources_dir() / sequence.FILE_NAME))
    args = parser.parse_args()
    train(args.strings, args.epochs, args.seed, Path(args.output))


if __name__ == "__main__":
    main()
