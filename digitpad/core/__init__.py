"""Headless recognition engine: files in (io), ink found (page), parts split (segment),
networks run (models), composed by reading into a Result; see docs/architecture.md.

Nothing in this package imports Qt or TensorFlow; it needs numpy, Pillow and h5py.
"""
