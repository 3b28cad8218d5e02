"""tf.TensorShape (ember.tf.tensor_shape), against what TensorFlow 2.21 does, and Tensor.shape."""

import pickle

import numpy as np
import pytest

import ember as tf
from ember.tf.tensor_shape import TensorShape


def test_repr_str_and_accessors():
    s = tf.TensorShape([2, None, 3])
    assert repr(s) == "TensorShape([2, None, 3])"
    assert str(s) == "(2, None, 3)"
    assert s.rank == 3 and s.ndims == 3
    assert s.dims == [2, None, 3] and s.as_list() == [2, None, 3]
    assert not s.is_fully_defined() and s.num_elements() is None
    assert s[0] == 2 and type(s[0]) is int and s[1] is None
    assert s[1:] == (None, 3) and isinstance(s[1:], TensorShape)


def test_fully_defined_shape_and_equality_with_tuples_and_lists():
    s = tf.TensorShape([2, 3])
    assert s.num_elements() == 6 and s.is_fully_defined()
    assert s == (2, 3) and s == [2, 3] and s == tf.TensorShape((2, 3))
    assert s != (3, 2) and s != [2, 3, 1]
    assert hash(s) == hash((2, 3))
    a, b = s  # unpacks as a tuple
    assert (a, b) == (2, 3)


def test_concatenate_merge_and_compatibility():
    s = tf.TensorShape([2, 3])
    assert s.concatenate([4]) == (2, 3, 4)
    assert s + tf.TensorShape([4]) == (2, 3, 4)
    assert isinstance(s + tf.TensorShape([4]), TensorShape)
    # with a plain tuple: tuple concatenation, so reshape targets with -1 keep working
    assert s + (-1,) == (2, 3, -1) and type(s + (-1,)) is tuple
    assert (1,) + s == (1, 2, 3)
    assert s.merge_with([2, None]) == (2, 3)
    assert tf.TensorShape([None, 3]).merge_with([2, None]) == (2, 3)
    assert s.is_compatible_with([None, 3]) and not s.is_compatible_with([3, 3])
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(3, 3\) are not compatible"):
        s.merge_with([3, 3])
    with pytest.raises(ValueError, match="must have rank 3"):
        s.assert_has_rank(3)
    assert s.with_rank(2) is s


def test_unknown_rank():
    u = tf.TensorShape(None)
    assert repr(u) == "TensorShape(None)" and u.rank is None and u.dims is None
    assert not u.is_fully_defined() and u.num_elements() is None
    with pytest.raises(ValueError, match="as_list\\(\\) is not defined on an unknown"):
        u.as_list()
    assert u.is_compatible_with([1, 2])
    assert u.merge_with([1, 2]) == (1, 2)
    assert tf.TensorShape([1]).concatenate(u).rank is None
    assert u != tf.TensorShape([]) and u == tf.TensorShape(None)


def test_bad_dims():
    with pytest.raises(TypeError, match="dimensions must be integers"):
        tf.TensorShape(["a"])
    with pytest.raises(ValueError, match="dimensions must be >= 0"):
        tf.TensorShape([-3])


def test_pickles():
    for s in (tf.TensorShape([2, None]), tf.TensorShape(None)):
        assert repr(pickle.loads(pickle.dumps(s))) == repr(s)


def test_tensor_shape_is_a_tensorshape_that_stays_a_tuple():
    x = tf.zeros([2, 3])
    assert isinstance(x.shape, TensorShape) and isinstance(x.shape, tuple)
    assert repr(x.shape) == "TensorShape([2, 3])" and f"{x.shape}" == "(2, 3)"
    assert x.shape.as_list() == [2, 3] and x.shape.rank == 2
    assert x.shape == (2, 3)
    assert np.zeros(x.shape).shape == (2, 3)
    assert tf.Variable(np.ones((4, 1))).shape.num_elements() == 4
