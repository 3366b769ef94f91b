"""Random image transforms for the default recipe, vectorised over a batch (TensorFlow ops)."""

from __future__ import annotations

import math

import tensorflow as tf

from training.recipes import Recipe

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


def _elastic(images: tf.Tensor, seed: tf.Tensor, pixels: float) -> tf.Tensor:
    """Smooth random warp: random offsets on a 4x4 grid, upsampled to a displacement field
    (the cheap form of Simard et al.'s elastic distortion), sampled bilinearly."""
    n = tf.shape(images)[0]
    coarse = tf.random.stateless_normal([n, 4, 4, 2], seed=seed + 8, stddev=pixels)
    flow = tf.image.resize(coarse, [28, 28], method="bicubic")
    grid_y, grid_x = tf.meshgrid(tf.range(28.0), tf.range(28.0), indexing="ij")
    y = tf.clip_by_value(grid_y[None] + flow[..., 0], 0.0, 27.0)
    x = tf.clip_by_value(grid_x[None] + flow[..., 1], 0.0, 27.0)
    y0, x0 = tf.floor(y), tf.floor(x)
    wy, wx = (y - y0)[..., None], (x - x0)[..., None]
    y0, x0 = tf.cast(y0, tf.int32), tf.cast(x0, tf.int32)
    y1, x1 = tf.minimum(y0 + 1, 27), tf.minimum(x0 + 1, 27)
    batch = tf.broadcast_to(tf.range(n)[:, None, None], tf.shape(y0))

    def at(yy, xx):
        return tf.gather_nd(images, tf.stack([batch, yy, xx], axis=-1))

    top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
    return top * (1 - wy) + bottom * wy


def augment(images: tf.Tensor, seed: tf.Tensor, recipe: Recipe) -> tf.Tensor:
    """float32 (N, 28, 28, 1) in [0, 1] -> the same, randomly transformed.

    ``seed`` is an int64 pair for TensorFlow's stateless random ops, so a run is
    reproducible from the recipe's seed.
    """
    seed = tf.cast(seed, tf.int64)
    if recipe.thickness_probability:
        images = _thickness(images, seed, recipe.thickness_probability)
    if recipe.elastic_pixels:
        images = _elastic(images, seed, recipe.elastic_pixels)
    images = _affine(images, seed, recipe)
    return tf.clip_by_value(images, 0.0, 1.0)
