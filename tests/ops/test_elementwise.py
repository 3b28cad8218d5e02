"""Elementwise ops: forward against NumPy, gradients against finite differences, dtypes,
broadcasting and error messages."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, pos, rand

BROADCAST_PAIRS = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3, 1), (3, 4)),
    ((1, 4), (2, 3, 1)),
]

# name -> (op, numpy reference, input maker for operand 1, for operand 2)
BINARY = {
    "add": (ops.add, np.add, rand, rand),
    "subtract": (ops.subtract, np.subtract, rand, rand),
    "multiply": (ops.multiply, np.multiply, rand, rand),
    "divide": (ops.divide, np.divide, rand, pos),
    "power": (ops.power, np.power, pos, rand),
    "maximum": (ops.maximum, np.maximum, rand, lambda s, seed: rand(s, seed + 7)),
    "minimum": (ops.minimum, np.minimum, rand, lambda s, seed: rand(s, seed + 7)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_forward_and_gradient(name, shapes):
    op, ref, make_a, make_b = BINARY[name]
    a, b = make_a(shapes[0], seed=1), make_b(shapes[1], seed=2)
    close(op(a, b).data, ref(a, b))
    assert_grads(op, a, b)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_float32(name):
    op, ref, make_a, make_b = BINARY[name]
    a, b = make_a((2, 3), seed=1), make_b((3,), seed=2)
    y, grads = float32_run(op, a, b)
    close(y.data, ref(a, b).astype("float32"), rtol=1e-5)
    assert all(g is not None for g in grads)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_shape_error_names_op_and_shapes(name):
    op = BINARY[name][0]
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        op(ember.Variable(np.ones((2, 3))), np.ones(4))


# name -> (op, reference, input maker)
UNARY = {
    "negative": (ops.negative, np.negative, rand),
    "square": (ops.square, np.square, rand),
    "sqrt": (ops.sqrt, np.sqrt, pos),
    "exp": (ops.exp, np.exp, rand),
    "log": (ops.log, np.log, pos),
    "log1p": (ops.log1p, np.log1p, pos),
    "abs": (ops.abs, np.abs, lambda s, seed: rand(s, seed, away=0.1)),
    "reciprocal": (ops.reciprocal, np.reciprocal, pos),
    "sin": (ops.sin, np.sin, rand),
    "cos": (ops.cos, np.cos, rand),
    "tan": (ops.tan, np.tan, rand),
    "arctan": (ops.arctan, np.arctan, rand),
    "sinh": (ops.sinh, np.sinh, rand),
    "cosh": (ops.cosh, np.cosh, rand),
    "expm1": (ops.expm1, np.expm1, rand),
    "log2": (ops.log2, np.log2, pos),
    "log10": (ops.log10, np.log10, pos),
    "rsqrt": (ops.rsqrt, lambda x: 1 / np.sqrt(x), pos),
    "erf": (ops.erf, np.vectorize(math.erf), rand),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
def test_unary_forward_and_gradient(name, shape):
    op, ref, make = UNARY[name]
    x = make(shape, seed=3)
    close(op(x).data, ref(x))
    assert_grads(op, x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32(name):
    op, ref, make = UNARY[name]
    x = make((2, 3), seed=3)
    y, (g,) = float32_run(op, x)
    close(y.data, ref(x), rtol=2e-5, atol=1e-6)
    assert g is not None


def test_clip_forward_gradient_and_bounds():
    x = rand((3, 4), seed=0, away=0.05)
    close(ops.clip(x, -0.5, 0.5).data, np.clip(x, -0.5, 0.5))
    assert_grads(lambda t: ops.clip(t, -0.5, 0.5), x)
    # a float64 NumPy bound does not upcast a float32 tensor
    v = ember.Variable(x.astype("float32"))
    assert ops.clip(v, np.float64(-0.5), np.float64(0.5)).dtype == np.float32
    with ember.GradientTape() as tape:
        y = ops.sum(ops.clip(v, None, 0.5))
    g = tape.gradient(y, v).numpy()
    np.testing.assert_array_equal(g, (x <= 0.5).astype("float32"))


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 1), (1, 3)), ((3,), (2, 3))], ids=str)
def test_where_forward_and_gradient(shapes):
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    cond = rand(np.broadcast_shapes(*shapes), 3) > 0
    close(ops.where(cond, a, b).data, np.where(cond, a, b))
    assert_grads(lambda x, y: ops.where(cond, x, y), a, b)


def test_where_with_scalars_and_nonzero():
    x = ember.Variable(np.array([1.0, -2.0, 3.0], dtype="float32"))
    y = ops.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [1, 0, 3])
    (idx,) = ops.where(x > 0)
    np.testing.assert_array_equal(idx.numpy(), [0, 2])


def test_cast_gradient_between_float_dtypes():
    x = ember.Variable(np.array([1.5, -2.0], dtype="float32"))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.cast(x, "float64") * 2.0)
    g = tape.gradient(y, x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [2, 2])
    assert ops.cast(x, "int32").dtype == np.int32
    assert ops.cast(x, "float32") is x


def test_float64_numpy_constants_do_not_upcast_float32():
    x = ember.Variable(np.ones(3, dtype="float32"))
    assert (x * np.float64(2.0)).dtype == np.float32
    assert (x + np.ones(3)).dtype == np.float32
    assert ops.maximum(x, np.float64(0.5)).dtype == np.float32
    assert ops.add(1.0, 2.0).dtype == np.float32
    assert ops.multiply(ops.arange(3), 0.5).dtype == np.float32
    with ember.GradientTape() as tape:
        y = ops.sum(ops.power(np.float64(2.0), x))
    assert tape.gradient(y, x).dtype == np.float32


@pytest.mark.parametrize("name,ref", [
    ("sign", np.sign), ("floor", np.floor), ("ceil", np.ceil), ("round", np.round),
    ("isnan", np.isnan), ("isfinite", np.isfinite), ("isinf", np.isinf),
    ("logical_not", np.logical_not),
])
def test_nondifferentiable_unary(name, ref):
    x = np.array([-1.5, 0.0, 2.5, np.inf, np.nan])
    np.testing.assert_array_equal(getattr(ops, name)(x).numpy(), ref(x))


@pytest.mark.parametrize("name,ref", [
    ("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less),
    ("less_equal", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("logical_and", np.logical_and),
    ("logical_or", np.logical_or), ("logical_xor", np.logical_xor),
    ("floor_divide", np.floor_divide), ("mod", np.mod),
])
def test_nondifferentiable_binary(name, ref):
    a, b = np.array([1.0, 2.0, 3.0, 0.0]), np.array([2.0, 2.0, 1.0, 1.0])
    np.testing.assert_array_equal(getattr(ops, name)(a, b).numpy(), ref(a, b))


def test_sign_has_no_gradient():
    x = ember.Variable(np.array([1.0, -2.0]))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.sign(x))
    assert tape.gradient(y, x) is None


def test_stop_gradient_blocks_the_gradient():
    x = ember.Variable(np.array([1.0, 2.0]))
    with ember.GradientTape() as tape:
        y = ops.sum(x * ops.stop_gradient(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 2.0])


def test_maximum_ties_go_to_the_first_argument():
    x = ember.Variable(np.array([1.0, 2.0]))
    y = ember.Variable(np.array([1.0, 1.0]))
    with ember.GradientTape() as tape:
        z = ops.sum(ops.maximum(x, y))
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [1, 1])
    np.testing.assert_array_equal(gy.numpy(), [0, 0])


@settings(max_examples=25, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    seed=st.integers(0, 1000),
)
def test_multiply_gradient_on_random_broadcast_shapes(shapes, seed):
    a, b = rand(shapes.input_shapes[0], seed), rand(shapes.input_shapes[1], seed + 1)
    close(ops.multiply(a, b).data, a * b)
    assert_grads(lambda x, y: x * y + x, a, b)
