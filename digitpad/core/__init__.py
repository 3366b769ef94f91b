"""Headless recognition engine: drawings, images, MNIST data, inference.

Nothing in this package imports Qt or TensorFlow; it needs numpy, Pillow and h5py.
"""
