"""``keras.ops.numpy`` is a namespace of the same functions as ``keras.ops``; and the vector ops
``cross``, ``cdist``, ``in_top_k`` against Keras (values, dtypes, gradients)."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember
from ember import ops


def test_numpy_namespace_has_every_keras_name_and_the_same_functions(keras):
    names = {n for n in dir(keras.ops.numpy) if not n.startswith("_")}
    assert names == set(dir(ops.numpy))
    for name in names:
        assert getattr(ops.numpy, name) is getattr(ops, name), name
    with pytest.raises(AttributeError, match="ember.ops.numpy.*no_such_op"):
        ops.numpy.no_such_op  # noqa: B018


rng = np.random.default_rng(0)
CROSS = [
    (rng.normal(size=3), rng.normal(size=3), {}),
    (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), {}),
    (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), {}),
    (rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), {}),
    (rng.normal(size=(3, 5)), rng.normal(size=(3, 5)), {"axisa": 0, "axisb": 0}),
    (rng.normal(size=(3, 5)), rng.normal(size=(3, 5)), {"axis": 0}),
    (rng.normal(size=(2, 3, 5)), rng.normal(size=(3, 5)), {"axisa": 1, "axisb": 0, "axisc": 0}),
    (np.array([1, 0, 0]), np.array([0, 1, 0]), {}),
]


@pytest.mark.parametrize("a, b, kwargs", CROSS)
def test_cross(keras, a, b, kwargs):
    a = a.astype("float32") if a.dtype.kind == "f" else a.astype("int32")
    b = b.astype("float32") if b.dtype.kind == "f" else b.astype("int32")
    got, want = ops.cross(a, b, **kwargs), keras.ops.cross(a, b, **kwargs)
    assert str(got.dtype) == str(to_numpy(want).dtype)
    assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_cross_errors(keras):
    with pytest.raises(ValueError, match="cross: the vectors must have 2 or 3 components"):
        ops.cross(np.ones(4), np.ones(4))


@pytest.mark.parametrize("xs, ys", [((2, 3), (4, 3)), ((5, 2, 3), (5, 4, 3)), ((1, 1), (3, 1))])
def test_cdist(keras, xs, ys):
    x = rng.normal(size=xs).astype("float32")
    y = rng.normal(size=ys).astype("float32")
    got, want = ops.cdist(x, y), keras.ops.cdist(x, y)
    assert str(got.dtype) == str(to_numpy(want).dtype)
    assert_close(got, want, rtol=1e-5, atol=1e-5)
    # away from zero distances the gradient is finite and equals JAX's
    import jax

    gx = jax.grad(lambda a: keras.ops.sum(keras.ops.cdist(a, y)))(x)
    v = ember.Variable(x)
    with ember.GradientTape() as tape:
        s = ops.sum(ops.cdist(v, y))
    assert_close(tape.gradient(s, v), gx, rtol=1e-4, atol=1e-5)


def test_cdist_gradient_and_errors():
    ember.check_gradients(lambda a, b: ops.cdist(a, b),
                          [rng.normal(size=(3, 2)), rng.normal(size=(4, 2))])
    with pytest.raises(ValueError, match="Last dimension of inputs to `cdist` must match"):
        ops.cdist(np.ones((2, 3)), np.ones((4, 2)))
    assert ops.cdist(np.ones((1, 2), "int32"), np.zeros((1, 2), "int32")).dtype == np.float32


@pytest.mark.parametrize("targets, predictions, k", [
    ([1, 0], [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], 1),
    ([1, 0], [[0.1, 0.5, 0.5], [0.3, 0.3, 0.4]], 1),   # a tie at the k-th value is in
    ([2, 0, 1], [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.9, 0.0, 0.1]], 2),
    ([0, 1], [[1.0, 2.0], [3.0, 4.0]], 2),
])
def test_in_top_k(keras, targets, predictions, k):
    t = np.array(targets, "int32")
    p = np.array(predictions, "float32")
    got, want = ops.in_top_k(t, p, k), keras.ops.in_top_k(t, p, k)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), to_numpy(want))


def test_in_top_k_errors_and_tf_name():
    with pytest.raises(ValueError, match="in_top_k: predictions must be"):
        ops.in_top_k(np.array([0]), np.ones(3), 1)
    got = ember.math.in_top_k(np.array([1]), np.array([[0.2, 0.8]], "float32"), 1)
    assert got.numpy().tolist() == [True]


@pytest.mark.parametrize("shape, pattern, lengths", [
    ((2, 3, 4), "b h w -> b (h w)", {}),
    ((2, 3, 4), "b h w -> w b h", {}),
    ((2, 6, 4), "b (h1 h2) w -> b h1 h2 w", {"h1": 3}),
    ((2, 3, 4), "b h w -> (b h) w", {}),
    ((2, 3, 4), "b h w -> b (w h)", {}),
    ((6, 4), "(b1 b2) w -> b2 w b1", {"b2": 3}),
    ((2, 3, 4, 5), "b h w c -> b (h w c)", {}),
])
def test_rearrange(keras, shape, pattern, lengths):
    x = np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)
    got, want = ops.rearrange(x, pattern, **lengths), keras.ops.rearrange(x, pattern, **lengths)
    np.testing.assert_array_equal(got.numpy(), to_numpy(want))
    ember.check_gradients(lambda a: ops.rearrange(a, pattern, **lengths) * 1.5,
                          [rng.normal(size=shape)])


@pytest.mark.parametrize("pattern, lengths, match", [
    ("b h w", {}, "one '->'"),
    ("b h -> b h", {}, "2 input axes"),
    ("b h w -> b h", {}, "each axis name must appear once"),
    ("b h h -> b h h", {}, "each axis name must appear once"),
    ("b (h1 h2) w -> b h1 h2 w", {}, "cannot infer the sizes"),
    ("b (h1 h2) w -> b h1 h2 w", {"h1": 2}, "cannot be split"),
    ("b h w -> b h w", {"h": 5}, "has size 3, not 5"),
    ("... w -> w ...", {}, "not an axis name"),
    ("b (h (w)) -> b h w", {}, "nested parentheses"),
])
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.zeros((2, 3, 4)), pattern, **lengths)
