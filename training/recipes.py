"""Training recipes: "card" reproduces the seed model card; "default" trains the bundled model.

Both keep the card's architecture (training.model.build_model); they differ only in
how the 54,000 training images are fed and how the learning rate moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from digitpad.core.pen_augment import PenVariation


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    epochs: int
    batch_size: int = 128
    validation_split: float = 0.1
    learning_rate: float = 1e-3       # Adam's default: the card used it
    cosine_schedule: bool = False     # cosine decay to ~0 with a short linear warm-up
    warmup_epochs: float = 0.0
    weight_ema: bool = False          # evaluate with an exponential moving average of the weights
    # Random affine transform of each training image (0 = off).
    rotate_degrees: float = 0.0
    scale_range: float = 0.0          # uniform zoom in [1 - r, 1 + r]
    aspect_range: float = 0.0         # extra x-only zoom, for narrow and wide writers
    shear: float = 0.0                # shear factor, +-
    shift_pixels: float = 0.0
    # Stroke-thickness variation: blend each image towards its 3x3 grey dilation
    # (thicker pen) or erosion (thinner pen) by a random amount.
    thickness_probability: float = 0.0
    # Real pen strokes (training writers only) and drawn non-digits, as shares of every
    # epoch; the rest is MNIST. Non-digits are taught with a uniform target: "none of
    # the ten" (outlier exposure, Hendrycks et al. 2019), so the network's ten outputs
    # stay the card's.
    pen_share: float = 0.0
    pen_copies: int = 0               # varied renditions of each recorded pen digit
    pen_variation: PenVariation = field(default_factory=PenVariation)
    non_digit_share: float = 0.0
    non_digit_count: int = 0          # distinct drawn non-digits in the pool
    digit_check: bool = False         # fit the separate "is it a digit?" check (digit_check.py)
    calibrate: bool = False           # fit a temperature on the held-out calibration writers
    members: int = 1                  # networks trained from seeds seed, seed + 1, ...;
                                      # their probabilities are averaged

    def without_augmentation(self) -> Recipe:
        return replace(self, rotate_degrees=0.0, scale_range=0.0, aspect_range=0.0, shear=0.0,
                       shift_pixels=0.0, thickness_probability=0.0, pen_copies=min(
                           self.pen_copies, 1))

    @property
    def augments(self) -> bool:
        return any((self.rotate_degrees, self.scale_range, self.aspect_range, self.shear,
                    self.shift_pixels, self.thickness_probability))


CARD = Recipe(
    name="card",
    description=(
        "Exactly the seed model card: Adam (learning rate 0.001), categorical "
        "cross-entropy, batch 128, 15 epochs, 10% of the training set held out for "
        "validation, no augmentation."
    ),
    epochs=15,
)

DEFAULT = Recipe(
    name="default",
    description=(
        "The card's architecture and loss, trained longer on augmented images: every "
        "training image gets a random affine transform (rotation up to 12 degrees, zoom "
        "0.88-1.12, horizontal stretch up to 10%, shear up to 0.2, shift up to 2 px) and, "
        "for two thirds of them, a random stroke-thickness change (towards a grey "
        "dilation or erosion). Adam with a linear warm-up to 0.003 and cosine decay, and "
        "an exponential moving average of the weights for the final model. 10% of the "
        "training set is held out for validation, as in the card."
    ),
    epochs=45,
    learning_rate=3e-3,
    cosine_schedule=True,
    warmup_epochs=1.0,
    weight_ema=True,
    rotate_degrees=12.0,
    scale_range=0.12,
    aspect_range=0.10,
    shear=0.2,
    shift_pixels=2.0,
    thickness_probability=2 / 3,
    pen_share=0.25,
    pen_copies=16,
    non_digit_share=0.08,
    non_digit_count=24_000,
    digit_check=True,
    calibrate=True,
)

RECIPES = {r.name: r for r in (CARD, DEFAULT)}
