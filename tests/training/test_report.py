import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from training.report import confusion_png, model_card_markdown, summarise, write_report

SECTIONS = [
    "Model Details",
    "Intended Use",
    "Factors",
    "Metrics",
    "Evaluation & Training Data",
    "Quantitative Analyses",
    "Ethical Considerations",
    "Caveats and Recommendations",
    "Reproduce",
]

# MNIST test-set class sizes, and 59 plausible mistakes (true, predicted): count.
SUPPORT = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
ERRORS = {
    (4, 9): 7,
    (9, 4): 5,
    (7, 2): 6,
    (2, 7): 5,
    (5, 3): 4,
    (3, 5): 4,
    (8, 9): 3,
    (6, 0): 4,
    (1, 7): 3,
    (9, 7): 4,
    (8, 3): 3,
    (0, 6): 3,
    (2, 8): 4,
    (7, 9): 4,
}


def fake_confusion() -> np.ndarray:
    cm = np.diag(SUPPORT)
    for (true, pred), n in ERRORS.items():
        cm[true, pred] += n
        cm[true, true] -= n
    return cm


@pytest.fixture
def meta():
    cm = fake_confusion()
    layers = [
        ("conv2d", "Conv2D", [None, 26, 26, 32], 320),
        ("max_pooling2d", "MaxPooling2D", [None, 13, 13, 32], 0),
        ("conv2d_1", "Conv2D", [None, 11, 11, 64], 18496),
        ("max_pooling2d_1", "MaxPooling2D", [None, 5, 5, 64], 0),
        ("flatten", "Flatten", [None, 1600], 0),
        ("dropout", "Dropout", [None, 1600], 0),
        ("dense", "Dense", [None, 10], 16010),
    ]
    epochs = 40
    return {
        "format": "digitpad-model",
        "version": 1,
        "recipe": "default",
        "recipe_description": "Small random shifts and rotations; Adam with cosine decay.",
        "seed": 0,
        "epochs": epochs,
        "epochs_completed": epochs,
        "batch_size": 128,
        "limit": None,
        "command": "digitpad train --recipe default --seed 0",
        "train_count": 54000,
        "validation_count": 6000,
        "data_sha256": {"train-images-idx3-ubyte": "ab" * 32, "t10k-labels-idx1-ubyte": "cd" * 32},
        "versions": {
            "python": "3.11.7",
            "tensorflow": "2.20.0",
            "keras": "3.15.1",
            "numpy": "2.4.6",
        },
        "created": "2026-11-24T12:00:00Z",
        "training_seconds": 1234.5,
        "parameters": 34826,
        "layers": [{"name": n, "type": t, "output_shape": s, "params": p} for n, t, s, p in layers],
        "history": {
            "loss": [0.3] * epochs,
            "accuracy": [0.95] * epochs,
            "val_loss": [0.025] * epochs,
            "val_accuracy": [0.9935] * epochs,
        },
        "test": {
            "accuracy": float(np.trace(cm) / cm.sum()),
            "loss": 0.0201,
            "count": int(cm.sum()),
            "confusion": cm.tolist(),
            "precision": [0.99] * 10,
            "recall": [0.99] * 10,
        },
        "model_file": "model.keras",
        "model_sha256": "ef" * 32,
    }


def test_confusion_png_is_a_readable_image(tmp_path):
    path = tmp_path / "confusion.png"
    confusion_png(fake_confusion(), path)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert 400 <= image.width <= 1000 and 400 <= image.height <= 1000
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 20  # cells, text and shading, not blank
    assert [p.name for p in tmp_path.iterdir()] == ["confusion.png"]


def test_card_has_the_seed_sections_in_order(meta):
    card = model_card_markdown(meta)
    headings = [line[3:] for line in card.splitlines() if line.startswith("## ")]
    assert headings == SECTIONS
    assert card.startswith("# Model Card\n")


def test_card_reports_measured_numbers_and_how_to_reproduce(meta):
    card = model_card_markdown(meta)
    assert "Test accuracy: 0.9941 (59 errors in 10,000 images)" in card
    assert "Test loss: 0.0201" in card
    assert "0.9910" in card and "0.0271" in card  # compared with the seed card
    assert "| conv2d (Conv2D) | (None, 26, 26, 32) | 320 |" in card
    assert "Total params: 34,826" in card
    assert "MNIST alone" in card
    assert "4 read as 9 (7)" in card
    reproduce = card.split("## Reproduce", 1)[1]
    assert "digitpad train --recipe default --seed 0" in reproduce
    assert "Seed: 0" in reproduce


def test_card_references_the_confusion_image(meta):
    assert "](confusion.png " in model_card_markdown(meta)
    assert "](media/cm.png " in model_card_markdown(meta, confusion_image="media/cm.png")


def test_card_notes_early_stop_and_limit(meta):
    meta.update(epochs_completed=12, limit=5000)
    card = model_card_markdown(meta)
    assert "12 of 40 (stopped early)" in card
    assert "limited to 5,000 training images" in card


def test_write_report_leaves_only_the_two_files(meta, tmp_path):
    out = tmp_path / "run"
    paths = write_report(meta, out)
    assert sorted(p.name for p in paths) == ["MODEL_CARD.md", "confusion.png"]
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "confusion.png"]
    assert "![Confusion matrix](confusion.png" in (out / "MODEL_CARD.md").read_text("utf-8")


def test_summarise(meta):
    text = summarise(meta)
    assert "Recipe: default (seed 0)" in text
    assert "Test accuracy: 0.9941, loss: 0.0201" in text
    assert "Epochs: 40" in text
    assert "Training time: 20 min 34 s" in text


def test_imports_without_tensorflow():
    code = (
        "import sys, training.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_card_of_a_fine_tuned_run_says_what_the_run_did(meta):
    meta.update(
        recipe="card",
        recipe_description="Exactly the seed model card: 15 epochs.",
        epochs=1,
        epochs_completed=1,
        recipe_epochs=15,
        learning_rate=1e-4,
        init_model="/home/me/models/v3/model.keras",
        samples={"count": 25, "held_out": 5, "accuracy_before": 0.4, "accuracy_after": 1.0},
    )
    card = model_card_markdown(meta)
    assert "Fine-tuned: this run started from the networks of `model.keras`" in card
    assert "25 of the user's own samples" in card and "5 of them held out" in card
    assert "peak learning rate 0.0001" in card
    assert "1 epoch instead of the recipe's 15" in card
    assert "40% of the time before and 100% after" in card


def test_card_of_a_run_that_follows_its_recipe_says_nothing_more(meta):
    meta["recipe_epochs"] = meta["epochs"]
    card = model_card_markdown(meta)
    assert "Fine-tuned" not in card and "instead of the recipe's" not in card
