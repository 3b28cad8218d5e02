"""Binary ops on two tensors of different kinds (integer or bool with float) take the float's
dtype, as Keras's (JAX's promotion), never NumPy's float64 for int32 with float32."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

from ember import ops

OPS = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power"]
PAIRS = [("int32", "float32"), ("float32", "int32"), ("int64", "float32"), ("bool", "float32"),
         ("uint8", "float32"), ("int32", "float16"), ("float32", "bool")]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a_dtype, b_dtype", PAIRS)
def test_mixed_int_float_tensors(keras, op, a_dtype, b_dtype):
    a = np.array([1, 2, 3], dtype=a_dtype)
    b = np.array([2, 1, 1], dtype=b_dtype)
    got = getattr(ops, op)(ops.convert_to_tensor(a), ops.convert_to_tensor(b))
    want = getattr(keras.ops, op)(keras.ops.convert_to_tensor(a), keras.ops.convert_to_tensor(b))
    assert str(got.dtype) == str(to_numpy(want).dtype)
    assert_close(got, want, what=f"{op}({a_dtype}, {b_dtype})")


def test_operators_and_gradient_keep_float32():
    import ember

    w = ember.Variable([1.0, 2.0])
    n = ember.ops.convert_to_tensor(np.array([3, 4], dtype="int32"))
    with ember.GradientTape() as tape:
        y = ember.ops.sum(w * n + n / w)
    assert y.dtype == np.float32
    g = tape.gradient(y, w)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), [3 - 3 / 1.0, 4 - 4 / 4.0])


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_dense_on_integer_inputs_computes_in_float32(keras, dtype):
    import ember

    x = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    e, k = ember.layers.Dense(2), keras.layers.Dense(2)
    e.build((None, 3))
    k.build((None, 3))
    k.set_weights(e.get_weights())
    got, want = e(x), k(x)
    assert str(got.dtype) == str(to_numpy(want).dtype) == "float32"
    assert_close(got, want)
