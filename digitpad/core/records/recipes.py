"""Training recipes: "card" reproduces the seed model card; "default" trains the bundled model.

Both keep the card's architecture (training.model.build_model); they differ in the data
each epoch is made of, how it is varied and how the learning rate moves. Plain data,
Qt- and TensorFlow-free: training runs them, the app's retrain dialog describes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from digitpad.core.made.pen_augment import PenVariation

# The largest batch a training step may take: at 4,096 a short run of the default
# recipe peaks at about 2.2 GB (1.4 GB at 2,048); 65,536 took 13 GB.
MAX_BATCH_SIZE = 4096


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    description: str
    epochs: int
    batch_size: int = 128
    validation_split: float = 0.1
    learning_rate: float = 1e-3  # Adam's default: the card used it
    cosine_schedule: bool = False  # cosine decay to ~0 with a short linear warm-up
    warmup_epochs: float = 0.0
    weight_ema: bool = False  # evaluate with an exponential moving average of the weights
    # Random affine transform of each training image (0 = off).
    rotate_degrees: float = 0.0
    scale_range: float = 0.0  # uniform zoom in [1 - r, 1 + r]
    aspect_range: float = 0.0  # extra x-only zoom, for narrow and wide writers
    shear: float = 0.0  # shear factor, +-
    shift_pixels: float = 0.0
    # Stroke-thickness variation: blend each image towards its 3x3 grey dilation
    # (thicker pen) or erosion (thinner pen) by a random amount.
    thickness_probability: float = 0.0
    # Real pen strokes (training writers only) and drawn non-digits, as shares of every
    # epoch; the rest is MNIST. Non-digits are taught with a uniform target: "none of
    # the ten" (outlier exposure, Hendrycks et al. 2019), so the network's ten outputs
    # stay the card's.
    pen_share: float = 0.0
    pen_copies: int = 0  # varied renditions of each recorded pen digit
    pen_variation: PenVariation = field(default_factory=PenVariation)
    non_digit_share: float = 0.0
    non_digit_count: int = 0  # distinct drawn non-digits in the pool
    digit_check: bool = False  # fit the separate "is it a digit?" check (digit_check.py)
    calibrate: bool = False  # fit a temperature on the held-out calibration writers
    members: int = 1  # networks trained from seeds seed, seed + 1, ...;
    # their probabilities are averaged
    # (epochs, MNIST test accuracy) of whole runs of this recipe on all the data, seed 0:
    # what the retrain dialog tells the user to expect (docs/experiments.md).
    measured: tuple[tuple[int, float], ...] = ()
    # Said with the expectation where the measured runs alone would mislead.
    epochs_note: str = ""
    # Minutes a whole run takes on the 2-core machine the runs were measured on: what
    # every run costs (loading, calibration, the checks), and each epoch; None where
    # not measured (docs/experiments.md).
    minutes: tuple[float, float] | None = None

    def without_augmentation(self) -> Recipe:
        return replace(
            self,
            rotate_degrees=0.0,
            scale_range=0.0,
            aspect_range=0.0,
            shear=0.0,
            shift_pixels=0.0,
            thickness_probability=0.0,
            pen_copies=min(self.pen_copies, 1),
        )

    def expected_accuracy(self, epochs: int) -> float | None:
        """The MNIST test accuracy to expect of ``epochs`` epochs: between two measured
        runs, interpolated in log(epochs); outside them, the nearest one's; None when
        the recipe has no measured runs."""
        runs = sorted(self.measured)
        if not runs:
            return None
        if epochs <= runs[0][0]:
            return runs[0][1]
        for (e0, a0), (e1, a1) in zip(runs, runs[1:]):
            if epochs <= e1:
                t = math.log(epochs / e0) / math.log(e1 / e0)
                return a0 + t * (a1 - a0)
        return runs[-1][1]

    def expected_minutes(self, epochs: int) -> float | None:
        """How long ``epochs`` epochs took on the measuring machine, or None."""
        if self.minutes is None:
            return None
        start, per_epoch = self.minutes
        return start + per_epoch * epochs

    @property
    def augments(self) -> bool:
        return any(
            (
                self.rotate_degrees,
                self.scale_range,
                self.aspect_range,
                self.shear,
                self.shift_pixels,
                self.thickness_probability,
            )
        )


CARD = Recipe(
    name="card",
    title="Model card",
    description=(
        "Exactly the seed model card: Adam (learning rate 0.001), categorical "
        "cross-entropy, batch 128, 15 epochs, 10% of the training set held out for "
        "validation, no augmentation."
    ),
    epochs=15,
    measured=((15, 0.9926),),
)

DEFAULT = Recipe(
    name="default",
    title="DigitPad default",
    description=(
        "Three of the card's networks, each trained from its own seed, their probabilities "
        "averaged. Every epoch is 85% MNIST and 15% real pen strokes (writers 1-22 of the "
        "pen-digits set, 16 renditions of each digit, drawn through the canvas' own "
        "renderer after random changes to the points: rotation up to 15 degrees, shear up "
        "to 0.4, width +-20%, a smooth warp, jitter, re-sampling as a mouse or a slow pen, "
        "stroke width 11-21%, pressure; crossed 7s and 2s as Europeans write them). "
        "MNIST images get a random affine transform (rotation up to 12 degrees, zoom "
        "0.88-1.12, horizontal stretch up to 10%, shear up to 0.3, shift up to 2 px) and, "
        "for two thirds of them, a stroke-thickness change. Adam with a linear warm-up to "
        "0.003 and cosine decay, and a moving average of the weights. The probabilities "
        "are calibrated by temperature scaling on the MNIST validation images (10%, held "
        "out) and the pen writers 23-25 (held out); a separate linear check on the "
        'networks\' features, fitted against 24,000 drawn non-digits, says "not a digit".'
    ),
    epochs=45,
    learning_rate=3e-3,
    cosine_schedule=True,
    warmup_epochs=1.0,
    weight_ema=True,
    rotate_degrees=12.0,
    scale_range=0.12,
    aspect_range=0.10,
    shear=0.3,
    shift_pixels=2.0,
    thickness_probability=2 / 3,
    # 15% of an epoch: enough for new writers' pen digits to reach 0.99 (25% gave no more)
    # while costing MNIST least; the pen writers' flagged 1s and open 4s are MNIST's 7s
    # and 9s, so every share of pen strokes costs MNIST a little (docs/experiments.md).
    pen_share=0.15,
    pen_copies=16,
    pen_variation=PenVariation(
        rotate_degrees=15.0, shear=0.4, crossed_sevens=0.4, crossed_twos=0.15
    ),
    # Outlier exposure (a uniform target for non-digits) cost 1.3 points of MNIST: the
    # separate check does the rejecting instead.
    non_digit_share=0.0,
    non_digit_count=24_000,
    digit_check=True,
    calibrate=True,
    members=3,
    measured=((1, 0.9452), (3, 0.9878), (10, 0.9937), (45, 0.9932)),
    # 45 epochs: 26.2 min alone on the machine; 1 epoch: 2.45 min.
    minutes=(1.91, 0.54),
    epochs_note=(
        "10 and 45 epochs read MNIST alike (the difference is a seed's noise), but not "
        "real handwriting: new pen writers 98.3% after 10 epochs, 99.4% after 45. The "
        "recipe's 45 epochs are for that."
    ),
)

RECIPES = {r.name: r for r in (CARD, DEFAULT)}
