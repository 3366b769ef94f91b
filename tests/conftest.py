"""Shared test fixtures: where the data beside the checkout lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mnist_dir() -> Path | None:
    env = os.environ.get("DIGITPAD_MNIST_DIR")
    for candidate in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data" / "mnist"]:
        if (candidate / "t10k-images-idx3-ubyte.gz").exists() or (
            candidate / "t10k-images-idx3-ubyte"
        ).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found = _mnist_dir()
    if found is None:
        pytest.skip("MNIST files not available (set DIGITPAD_MNIST_DIR)")
    return found


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """(images uint8 (10000, 28, 28), labels uint8 (10000,))."""
    from digitpad.core import mnist

    return mnist.load("test", mnist_dir)
