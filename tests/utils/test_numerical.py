import pytest

from ember.backend import np
from ember.utils import normalize, to_categorical


def test_to_categorical_basic():
    out = to_categorical([0, 2, 1], num_classes=4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(4, dtype="float32")[[0, 2, 1]])


def test_to_categorical_infers_classes_and_squeezes_last_axis():
    labels = np.array([[1], [3], [0]])
    out = to_categorical(labels)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.argmax(-1), [1, 3, 0])


def test_to_categorical_keeps_leading_shape():
    labels = np.array([[0, 1], [2, 0]], dtype="uint8")
    out = to_categorical(labels, 3)
    assert out.shape == (2, 2, 3)
    assert out[1, 0, 2] == 1 and out.sum() == 4


def test_to_categorical_integral_floats_and_scalar():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert to_categorical(2, 3).tolist() == [0.0, 0.0, 1.0]


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[3\]"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"\[-1\]"):
        to_categorical([-1, 1], num_classes=3)
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])


def test_normalize_l2_and_l1():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype="float32")
    out = normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize([1, 1, 2], order=1), [0.25, 0.25, 0.5])
