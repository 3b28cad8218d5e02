"""``keras.ops.conv``/``conv_transpose``/``max_pool``/``average_pool`` on 5-D inputs (3D),
which ember serves with ``ember.ops.volumetric``: values against Keras."""

import numpy as np
import pytest
from parity_harness import assert_close

from ember import ops

rng = np.random.default_rng(0)
X = rng.normal(size=(2, 5, 6, 7, 3)).astype("float32")


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv_3d(keras, padding, strides):
    k = rng.normal(size=(2, 3, 2, 3, 4)).astype("float32")
    assert_close(ops.conv(X, k, strides=strides, padding=padding),
                 keras.ops.conv(X, k, strides=strides, padding=padding), rtol=1e-4, atol=1e-4)


def test_conv_transpose_3d(keras):
    k = rng.normal(size=(2, 2, 2, 4, 3)).astype("float32")
    assert_close(ops.conv_transpose(X, k, strides=2, padding="same"),
                 keras.ops.conv_transpose(X, k, strides=2, padding="same"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pools_3d(keras, padding):
    # (Keras 3.15 on JAX mishandles an int pool_size for 3D: give tuples)
    p = (2, 2, 2)
    assert_close(ops.max_pool(X, p, p, padding=padding),
                 keras.ops.max_pool(X, p, p, padding=padding))
    assert_close(ops.average_pool(X, p, p, padding=padding),
                 keras.ops.average_pool(X, p, p, padding=padding), rtol=1e-5, atol=1e-6)
