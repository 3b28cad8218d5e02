"""Merge layers: forward against NumPy, broadcasting, masks, gradients, configs, errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np

from ember import layers
from ember.autodiff.tensor import Tensor
from ember.backend import np


@pytest.mark.parametrize("cls,fn", [
    (layers.Add, lambda xs: sum(xs)),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, lambda xs: sum(xs) / 3),
    (layers.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (layers.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
])
def test_elementwise_merges(cls, fn):
    xs = [rng(i).standard_normal((2, 3, 4)).astype("float32") for i in range(3)]
    layer = cls()
    np.testing.assert_allclose(to_np(layer(xs)), fn(xs), rtol=1e-6)
    assert layer.compute_output_shape([(None, 3, 4)] * 3) == (None, 3, 4)
    grad_check(cls(dtype="float64"), [x.astype("float64") for x in xs],
               call=lambda l, *t: l(list(t)))


def test_subtract_and_broadcasting():
    a, b = rng(1).standard_normal((2, 3, 4)), rng(2).standard_normal((2, 1, 4))
    layer = layers.Subtract()
    np.testing.assert_allclose(to_np(layer([a.astype("float32"), b.astype("float32")])), a - b,
                               rtol=1e-6)
    assert layer.compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 3, 4)
    grad_check(layers.Subtract(dtype="float64"), [a, b], call=lambda l, *t: l(list(t)))


def test_concatenate():
    a, b = rng(3).standard_normal((2, 3, 4)), rng(4).standard_normal((2, 3, 2))
    layer = layers.Concatenate()
    np.testing.assert_array_equal(to_np(layer([a, b])), np.concatenate([a, b], -1)
                                  .astype("float32"))
    assert layer.compute_output_shape([(None, 3, 4), (None, 3, 2)]) == (None, 3, 6)
    c = rng(5).standard_normal((2, 1, 4))
    np.testing.assert_array_equal(to_np(layers.Concatenate(axis=1)([a, c])),
                                  np.concatenate([a, c], 1).astype("float32"))
    grad_check(layers.Concatenate(axis=1, dtype="float64"), [a, c], call=lambda l, *t: l(list(t)))
    assert layers.Concatenate(axis=1).get_config()["axis"] == 1


@pytest.mark.parametrize("shapes,axes", [
    (((3, 4), (3, 4)), 1), (((3, 4, 5), (3, 6, 5)), 2), (((3, 4, 5), (3, 4, 2)), (1, 1)),
    (((3, 5, 4), (3, 4)), (-1, -1))])
def test_dot(shapes, axes):
    a, b = rng(6).standard_normal(shapes[0]), rng(7).standard_normal(shapes[1])
    layer = layers.Dot(axes=axes)
    y = to_np(layer([a.astype("float32"), b.astype("float32")]))
    ax = (axes, axes) if isinstance(axes, int) else axes
    ax = (ax[0] % a.ndim, ax[1] % b.ndim)
    ref = np.stack([np.tensordot(a[i], b[i], axes=(ax[0] - 1, ax[1] - 1)) for i in range(3)])
    if ref.ndim == 1:
        ref = ref[:, None]
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    assert y.shape[1:] == layer.compute_output_shape([(None,) + s[1:] for s in shapes])[1:]
    grad_check(layers.Dot(axes=axes, dtype="float64"), [a, b], call=lambda l, *t: l(list(t)))


def test_dot_normalize_is_cosine_similarity():
    a, b = rng(8).standard_normal((4, 5)), rng(9).standard_normal((4, 5))
    y = to_np(layers.Dot(axes=1, normalize=True)([a, b]))[:, 0]
    ref = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    grad_check(layers.Dot(axes=1, normalize=True, dtype="float64"), [a, b],
               call=lambda l, *t: l(list(t)))


def test_masks_combine():
    a, b = Tensor(np.ones((2, 3, 4), dtype="float32")), Tensor(np.ones((2, 3, 4),
                                                                       dtype="float32"))
    a._keras_mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    b._keras_mask = np.array([[1, 0, 1], [1, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(np.asarray(layers.Add()([a, b])._keras_mask),
                                  [[1, 0, 0], [1, 0, 0]])
    c = Tensor(np.ones((2, 3, 4), dtype="float32"))
    np.testing.assert_array_equal(np.asarray(layers.Concatenate()([a, c])._keras_mask),
                                  np.ones((2, 3), dtype=bool))
    np.testing.assert_array_equal(np.asarray(layers.Concatenate(axis=1)([a, c])._keras_mask),
                                  np.concatenate([a._keras_mask, np.ones((2, 3), bool)], 1))


def test_functional_forms_and_symbolic_shapes():
    from ember.layers import Input

    x, y = Input((5,)), Input((5,))
    assert layers.add([x, y]).shape == (None, 5)
    assert layers.concatenate([x, y]).shape == (None, 10)
    assert layers.dot([x, y], axes=1).shape == (None, 1)
    a = np.ones((2, 5), dtype="float32")
    np.testing.assert_allclose(to_np(layers.maximum([a, 2 * a])), 2 * a)


@pytest.mark.parametrize("make,n", [(layers.Add, 2), (layers.Average, 3), (layers.Maximum, 2),
                                    (lambda: layers.Concatenate(axis=1), 2),
                                    (lambda: layers.Dot(axes=(1, 1), normalize=True), 2)])
def test_config_round_trip(make, n):
    xs = [rng(i).standard_normal((2, 3)).astype("float32") for i in range(n)]
    assert_roundtrip(make(), xs)


def test_errors():
    with pytest.raises(ValueError, match=r"Add 'ad'.*incompatible.*\(2, 3\), \(2, 4\)"):
        layers.Add(name="ad")([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"Subtract 'sb'.*exactly 2.*3 inputs"):
        layers.Subtract(name="sb")([np.zeros((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"Add 'a1'.*at least 2.*1 inputs"):
        layers.Add(name="a1")([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"Concatenate 'cc'.*matching.*\(2, 3, 4\), \(2, 5, 2\)"):
        layers.Concatenate(name="cc")([np.zeros((2, 3, 4)), np.zeros((2, 5, 2))])
    with pytest.raises(ValueError, match=r"Dot 'dt'.*differ.*\(3, 4\).*\(3, 5\)"):
        layers.Dot(axes=1, name="dt")([np.zeros((3, 4)), np.zeros((3, 5))])
    with pytest.raises(TypeError, match=r"Dot.*axes"):
        layers.Dot(axes="x")
