"""Random image transforms for the default recipe, vectorised over a batch (TensorFlow ops)."""

from __future__ import annotations

import math

import tensorflow as tf

from digitpad.core.records.recipes import Recipe

_CENTRE = 13.5  # centre of a 28-pixel field in pixel coordinates


def _thickness(images: tf.Tensor, seed: tf.Tensor, probability: float) -> tf.Tensor:
    """Blend each image towards its grey dilation (thicker pen) or erosion (thinner pen)."""
    n = tf.shape(images)[0]
    dilated = tf.nn.max_pool2d(images, ksize=3, strides=1, padding="SAME")
    eroded = -tf.nn.max_pool2d(-images, ksize=3, strides=1, padding="SAME")
    pick = tf.random.stateless_uniform([n, 1, 1, 1], seed=seed)
    amount = tf.random.stateless_uniform([n, 1, 1, 1], seed=seed + 1)
    half = probability / 2
    # A full 3x3 dilation adds two pixels of width: too much for a 2-3 px MNIST stroke,
    # so blend at most 80% of the way; erosion can erase thin strokes, so at most 60%.
    thicker = images + 0.8 * amount * (dilated - images)
    thinner = images + 0.6 * amount * (eroded - images)
    # Erosion also dims what it leaves; a thin pen still writes at full intensity.
    thinner = thinner / tf.maximum(tf.reduce_max(thinner, axis=[1, 2, 3], keepdims=True), 1e-3)
    return tf.where(pick < half, thicker, tf.where(pick < probability, thinner, images))


def _affine(images: tf.Tensor, seed: tf.Tensor, r: Recipe) -> tf.Tensor:
    n = tf.shape(images)[0]

    def uniform(k: int, low: float, high: float) -> tf.Tensor:
        return tf.random.stateless_uniform([n], seed=seed + k, minval=low, maxval=high)

    angle = uniform(2, -1.0, 1.0) * (r.rotate_degrees * math.pi / 180)
    zoom = uniform(3, 1 - r.scale_range, 1 + r.scale_range)
    zoom_x = zoom * uniform(4, 1 - r.aspect_range, 1 + r.aspect_range)
    shear = uniform(5, -r.shear, r.shear)
    tx = uniform(6, -r.shift_pixels, r.shift_pixels)
    ty = uniform(7, -r.shift_pixels, r.shift_pixels)
    # The transform maps each output pixel to the input pixel it samples:
    # input = B (output - centre) + centre - shift, with B = rotation @ shear @ 1/zoom.
    cos, sin = tf.cos(angle), tf.sin(angle)
    b00 = cos / zoom_x
    b01 = (cos * shear - sin) / zoom
    b10 = sin / zoom_x
    b11 = (sin * shear + cos) / zoom
    a2 = _CENTRE - (b00 + b01) * _CENTRE - tx
    b2 = _CENTRE - (b10 + b11) * _CENTRE - ty
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([b00, b01, a2, b10, b11, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.constant([28, 28]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def augment(images: tf.Tensor, seed: tf.Tensor, recipe: Recipe) -> tf.Tensor:
    """float32 (N, 28, 28, 1) in [0, 1] -> the same, randomly transformed.

    ``seed`` is an int64 pair for TensorFlow's stateless random ops, so a run is
    reproducible from the recipe's seed.
    """
    seed = tf.cast(seed, tf.int64)
    if recipe.thickness_probability:
        images = _thickness(images, seed, recipe.thickness_probability)
    images = _affine(images, seed, recipe)
    return tf.clip_by_value(images, 0.0, 1.0)
