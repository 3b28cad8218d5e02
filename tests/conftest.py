"""Shared test fixtures: the location of ../shared data, skipping or failing when absent."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def require_shared(relative):
    """The path of ``../shared/<relative>``; skip when absent, fail under EMBER_REQUIRE_DATA=1."""
    path = SHARED / relative
    if not path.exists():
        reason = f"shared data {path} is absent (tests read it from ../shared next to the repo)"
        if os.environ.get("EMBER_REQUIRE_DATA") == "1":
            pytest.fail(reason + " and EMBER_REQUIRE_DATA=1 requires it")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def mnist_npz():
    return require_shared("datasets/mnist/mnist.npz")


@pytest.fixture(scope="session")
def mnist_arrays(mnist_npz):
    """(x_train, y_train), (x_test, y_test) as uint8 arrays, straight from the shared npz."""
    from ember.backend import np

    with np.load(mnist_npz) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


@pytest.fixture(autouse=True)
def _seed():
    from ember.utils.random import set_random_seed

    set_random_seed(1234)
