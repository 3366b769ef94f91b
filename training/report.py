"""Human-readable results of a training run: MODEL_CARD.md, a confusion-matrix PNG, a summary.

Everything here works from the metadata sidecar (model.json) alone, so it imports
neither TensorFlow nor Keras.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpad.core.io.atomic import atomic_path, write_text
from digitpad.core.records.metrics import NUM_CLASSES, precision_recall
from digitpad.core.records.training_events import format_duration

# The numbers reported by the seed model card this project started from.
SEED_CARD_ACCURACY = 0.9910
SEED_CARD_LOSS = 0.0271

CARD_NAME = "MODEL_CARD.md"
CONFUSION_NAME = "confusion.png"

_INK = (33, 37, 41)
_GRID = (222, 226, 230)
_CORRECT = (8, 69, 148)  # blue: the diagonal
_ERROR = (200, 40, 30)  # red: the off-diagonal mistakes


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no scalable default font
        return ImageFont.load_default()


def _centre(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font, fill) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((xy[0] - (left + right) / 2, xy[1] - (top + bottom) / 2), text, font=font, fill=fill)


def _cell_colour(share: float, diagonal: bool) -> tuple[int, int, int]:
    """White for 0, deepening with the row share on a log scale so that 1 error in 1000 shows.

    Errors reach full colour at 5% of the row, the diagonal at 100%.
    """
    if share <= 0:
        return (255, 255, 255)
    full = 1.0 if diagonal else 0.05
    t = 0.12 + 0.88 * min(1.0, np.log1p(1000 * share) / np.log1p(1000 * full))
    target = _CORRECT if diagonal else _ERROR
    return tuple(round(255 + t * (c - 255)) for c in target)


def confusion_png(
    confusion, path: str | os.PathLike, title: str = "Confusion matrix (MNIST test set)"
) -> None:
    """Draw the confusion matrix (rows true, columns predicted) as a 640 x 640 PNG."""
    cm = np.asarray(confusion, dtype=np.int64)
    n = cm.shape[0]
    shares = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    cell, left, top = 52, 84, 88
    width, height = left + n * cell + 36, top + n * cell + 32
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    label_font, tick_font, cell_font = _font(17), _font(15), _font(14)

    _centre(draw, (width / 2, 22), title, _font(20), _INK)
    _centre(draw, (left + n * cell / 2, 52), "Predicted", label_font, _INK)
    for i in range(n):
        _centre(draw, (left + i * cell + cell / 2, top - 14), str(i), tick_font, _INK)
        _centre(draw, (left - 16, top + i * cell + cell / 2), str(i), tick_font, _INK)
    strip = Image.new("RGB", (n * cell, 24), "white")
    _centre(ImageDraw.Draw(strip), (n * cell / 2, 12), "True", label_font, _INK)
    image.paste(strip.rotate(90, expand=True), (left - 58, top))

    for r in range(n):
        for c in range(n):
            x, y = left + c * cell, top + r * cell
            fill = _cell_colour(shares[r, c], diagonal=r == c)
            draw.rectangle((x, y, x + cell, y + cell), fill=fill, outline=_GRID)
            luminance = 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2]
            text = "white" if luminance < 150 else (_INK if cm[r, c] else (190, 190, 190))
            _centre(draw, (x + cell / 2, y + cell / 2), str(cm[r, c]), cell_font, text)

    note = "Colour: share of each true digit (log scale). Blue: correct; red: errors."
    _centre(draw, (left + n * cell / 2, height - 14), note, _font(12), (110, 110, 110))
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")


def _shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _architecture(layers: list[dict]) -> str:
    types = [layer["type"] for layer in layers]
    convs = sum(t.startswith("Conv") for t in types)
    extras = [
        name
        for kind, name in (("MaxPooling", "max pooling"), ("Dropout", "dropout"))
        if any(t.startswith(kind) for t in types)
    ]
    text = f"The model is a convolutional neural network with {convs} convolutional layers"
    return text + (", " + " and ".join(extras) if extras else "") + "."


def _epochs(meta: dict) -> str:
    done, planned = meta["epochs_completed"], meta["epochs"]
    return str(done) if done == planned else f"{done} of {planned} (stopped early)"


def _run_text(meta: dict) -> str:
    """How this run departed from its recipe: fine-tuned from a model on the user's
    samples, other epochs or no augmentation; "" when it followed the recipe."""
    lines = []
    init = meta.get("init_model")
    if init:
        samples = meta.get("samples") or {}
        rate = meta.get("learning_rate")
        mixed = (
            f" with {samples['count']:,} of the user's own samples mixed into the training "
            f"data ({samples.get('held_out', 0):,} of them held out to measure it)"
            if samples.get("count")
            else ""
        )
        lines.append(
            f"* Fine-tuned: this run started from the networks of `{Path(init).name}`, not "
            f"from scratch,{mixed}"
            + (f"; peak learning rate {rate:g}, a tenth of the recipe's" if rate else "")
            + "."
        )
        before, after = samples.get("accuracy_before"), samples.get("accuracy_after")
        if isinstance(before, float) and isinstance(after, float):
            lines.append(
                f"* The held-out samples were read right {before:.0%} of the time before "
                f"and {after:.0%} after."
            )
    elif (meta.get("samples") or {}).get("count"):
        lines.append(f"* Trained with {meta['samples']['count']:,} of the user's own samples.")
    planned = meta.get("recipe_epochs")
    if planned and planned != meta["epochs"]:
        done = meta["epochs"]
        lines.append(
            f"* This run: {done} epoch{'s' if done != 1 else ''} instead of the recipe's {planned}."
        )
    if meta.get("augmentation") is False:
        lines.append("* This run: without augmentation.")
    return "".join("\n" + line for line in lines)


def _data_text(meta: dict) -> str:
    sources = meta.get("data_sources")
    if not sources:
        return (
            "Both evaluation and training data are the MNIST greyscale images of the 10 "
            "digits, created\nby Yann LeCun, Corinna Cortes and Christopher Burges. The "
            "model is trained on MNIST alone:\nno other data set and no drawings or scans "
            "from DigitPad users."
        )
    rows = []
    for source in sources:
        size = source.get("size") or (f"{source['bytes']:,} bytes" if "bytes" in source else "")
        digest = source.get("sha256")
        digest = (
            f"`{digest}`"
            if isinstance(digest, str)
            else "per file, below"
            if digest
            else "generated in code from the seed"
        )
        rows.append(
            f"| {source['name']} | {source['licence']} | {size or '-'} | {digest} | "
            f"{source['use']} |"
        )
    shares = meta.get("epoch_shares") or {}
    credit = next((s["credit"] for s in sources if s.get("credit")), "")
    share_text = ""
    if shares:
        parts = [f"{shares.get('mnist', 1):.0%} from MNIST"]
        if shares.get("pen"):
            parts.append(f"{shares['pen']:.0%} from the pen strokes")
        if shares.get("non_digits"):
            parts.append(f"{shares['non_digits']:.0%} from drawn non-digits")
        share_text = f"\nEach epoch is drawn {' and '.join(parts)}.\n"
    return (
        "| Source | Licence | Size | SHA-256 | Use |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(rows)
        + "\n"
        + share_text
        + (f"\nThe pen strokes are by courtesy of {credit}.\n" if credit else "")
    )


def _members_text(meta: dict) -> str:
    members = meta.get("members") or []
    if len(members) < 2:
        return ""
    files = ", ".join(f"`{m['file']}` (seed {m['seed']})" for m in members)
    return (
        f" per network. The model is an ensemble of {len(members)} such networks, "
        f"trained alike from their own seeds, whose probabilities are averaged: {files}"
    )


def _calibration_text(meta: dict) -> str:
    calibration = meta.get("calibration")
    if not calibration:
        return ""
    fitted = ", ".join(calibration.get("fitted_on", []))
    temperatures = calibration.get("member_temperatures") or [calibration["temperature"]]
    text = (
        "## Calibration\n\nThe probabilities are calibrated by temperature scaling "
        f"(T = {', '.join(f'{t:.3f}' for t in temperatures)}), fitted on data the "
        f"networks never trained on: {fitted}. Each temperature is folded into its "
        "network's last layer, so every file is still the architecture above and every "
        "reader gets calibrated output."
    )
    if "ensemble_temperature" in calibration:
        text += (
            f" Their average is calibrated once more on the same data "
            f"(T = {calibration['ensemble_temperature']:.3f}, applied by DigitPad's "
            "reader)."
        )
    check = meta.get("digit_check")
    if check:
        text += (
            "\n\nWhat is not a digit at all (a letter, a shape, a scribble) is told "
            "by a separate check: a logistic regression on the 1,600 features each "
            "network's last layer reads, fitted against the drawn non-digits above and "
            "averaged over the networks; its threshold "
            f"({check['threshold']:.3f}) was set on the calibration digits"
            + (
                f", turning away {check['calibration_share']:.1%} of them"
                if "calibration_share" in check
                else ""
            )
            + ". The networks themselves keep their ten outputs."
        )
    return text + "\n\n"


def _caveat_text(meta: dict) -> str:
    if meta.get("calibration"):
        return (
            "The output probabilities are calibrated on held-out writers, but a high "
            "score still\ndoes not guarantee a correct reading."
        )
    return (
        "The output probabilities are not calibrated: a high score does\nnot guarantee a "
        "correct reading."
    )


def model_card_markdown(meta: dict, confusion_image: str = CONFUSION_NAME) -> str:
    """The model card, in the seed card's sections, from the sidecar's measured numbers."""
    test = meta["test"]
    cm = np.asarray(test["confusion"], dtype=np.int64)
    precision, recall = precision_recall(cm)
    support = cm.sum(axis=1)
    count, accuracy, loss = test["count"], test["accuracy"], test["loss"]
    errors = int(cm.sum() - np.trace(cm))
    versions = meta.get("versions", {})
    history = meta.get("history") or {}
    limit = meta.get("limit")

    layer_rows = [
        f"| {la['name']} ({la['type']}) | {_shape(la['output_shape'])} | {la['params']:,} |"
        for la in meta["layers"]
    ]
    off = cm.copy()
    np.fill_diagonal(off, 0)
    top = [divmod(int(i), NUM_CLASSES) for i in np.argsort(off, axis=None)[::-1][:3]]
    confusions = "; ".join(f"{t} read as {p} ({off[t, p]})" for t, p in top if off[t, p])
    worst = int(np.argmin(recall))
    class_rows = [
        f"| {d} | {support[d]:,} | {precision[d]:.4f} | {recall[d]:.4f} |"
        for d in range(NUM_CLASSES)
    ]
    validation = ""
    if history.get("val_accuracy"):
        validation = (
            f"* Final validation accuracy: {history['val_accuracy'][-1]:.4f}, "
            f"validation loss: {history['val_loss'][-1]:.4f}\n"
        )
    subset = (
        f" This run was limited to {limit:,} training images, so its numbers are not "
        "comparable with a full run."
        if limit
        else ""
    )
    hashes = "\n".join(
        f"* `{name}`: `{digest}`" for name, digest in sorted(meta.get("data_sha256", {}).items())
    )
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    total = meta["train_count"] + meta["validation_count"]
    delta, loss_delta = accuracy - SEED_CARD_ACCURACY, loss - SEED_CARD_LOSS
    comparison = (
        f"Seed model card: test accuracy {SEED_CARD_ACCURACY:.4f}, test loss "
        f"{SEED_CARD_LOSS:.4f}; this model's accuracy is {abs(delta) * 100:.2f} percentage "
        f"points {'higher' if delta >= 0 else 'lower'} and its test loss "
        f"{abs(loss_delta):.4f} {'lower' if loss_delta <= 0 else 'higher'}."
    )

    return f"""# Model Card

## Model Details

The model takes 28 x 28 greyscale images as input, with pixels normalised to [0, 1].

{_architecture(meta["layers"])}

| Layer (type) | Output Shape | Param # |
| --- | --- | --- |
{chr(10).join(layer_rows)}

* Total params: {meta["parameters"]:,}{_members_text(meta)}
* Loss function: categorical cross-entropy
* Recipe: `{meta["recipe"]}`. {meta.get("recipe_description", "").strip()}{_run_text(meta)}
* Epochs: {_epochs(meta)}
* Batch size: {meta["batch_size"]}
* Seed: {meta["seed"]}
* Trained: {meta.get("created", "unknown")}, in {format_duration(meta.get("training_seconds", 0))}
* Model file: `{meta.get("model_file", "model.keras")}` (SHA-256 `{meta.get("model_sha256", "n/a")}`)

## Intended Use

The model's intended use is recognising greyscale handwritten digits: in DigitPad,
digits drawn on the canvas or scanned from paper, read one at a time to form whole numbers.

Intended use cases are handwritten digit tasks whose images resemble MNIST: one digit,
roughly centred, light strokes on a dark background after preprocessing.

Use cases out of scope include: letters and other characters, colour (RGB) images that
have not been converted to greyscale, printed or typed text, and unchecked automatic
decisions where a misread digit is costly.

## Factors

Image and handwriting quality affect the performance of the model, as do stroke width,
the size and centring of the digit, and writing styles unlike those of the MNIST writers
(American census employees and high-school students).

## Metrics

This is a classification model that uses categorical cross-entropy as the loss function
and accuracy as the evaluation metric. Per-class precision and recall and the confusion
matrix on the test set show where the errors fall.

## Evaluation & Training Data

{_data_text(meta)}
Of the {total:,} MNIST training images, {meta["validation_count"]:,} ({meta["validation_count"] / total:.0%}) are held out as a validation set
and {meta["train_count"]:,} are used for training;
the {count:,} test images are used only for the evaluation below.{subset}

Data files (SHA-256):

{hashes}

{_calibration_text(meta)}## Quantitative Analyses

* Test accuracy: {accuracy:.4f} ({errors:,} errors in {count:,} images)
* Test loss: {loss:.4f}
{validation}* {comparison}

The following figure shows the confusion matrix for the model on the test data
(rows: true digit, columns: predicted digit).

![Confusion matrix]({confusion_image} "Confusion matrix")

The most frequent confusions are: {confusions or "none"}. The lowest recall is for
digit {worst} ({recall[worst]:.4f}).

| Digit | Test images | Precision | Recall |
| --- | --- | --- | --- |
{chr(10).join(class_rows)}

## Ethical Considerations

The model is simple and only recognises handwritten digits; it holds no information about
the people who wrote them. Its errors ({errors:,} in {count:,} test images) can still matter
where a misread number has consequences, so such numbers should be checked by a person.

## Caveats and Recommendations

The test accuracy is measured on MNIST, whose digits are size-normalised and centred;
accuracy on real drawings and scans is likely lower, especially for thick, thin, off-centre
or unusually written digits. {_caveat_text(meta)} Retrain with the command below to check
the numbers.

## Reproduce

```
{meta["command"]}
```

* Seed: {meta["seed"]}
* Versions: {version_text or "unknown"}

Run it with the same data files (see the hashes above) and versions. Results may still
differ slightly on other hardware, as some GPU operations are not deterministic.
"""


def write_report(meta: dict, out_dir: str | os.PathLike) -> list[Path]:
    """Write MODEL_CARD.md and confusion.png into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    image, card = out / CONFUSION_NAME, out / CARD_NAME
    confusion_png(meta["test"]["confusion"], image)
    write_text(card, model_card_markdown(meta, CONFUSION_NAME))
    return [card, image]


def summarise(meta: dict) -> str:
    """A few plain lines for the command line."""
    test = meta["test"]
    return "\n".join(
        [
            f"Recipe: {meta['recipe']} (seed {meta['seed']})",
            f"Test accuracy: {test['accuracy']:.4f}, loss: {test['loss']:.4f} ({test['count']:,} images)",
            f"Epochs: {_epochs(meta)}",
            f"Training time: {format_duration(meta.get('training_seconds', 0))}",
        ]
    )
