"""The parity harness: build the same thing in ember and in Keras 3 (on JAX), compare.

Keras is the oracle. These tests skip with a reason when Keras is not installed, and fail
instead under ``EMBER_REQUIRE_KERAS=1`` (set by ``.ci/run``), so that CI always runs them.
The helpers live in ``parity_harness.py``.
"""

import pytest
from parity_harness import import_keras


@pytest.fixture(scope="session")
def keras():
    """Keras 3 itself (JAX backend)."""
    return import_keras()
