"""tf.DType objects (ember.tf.dtypes), against what TensorFlow 2.21 does."""

import pickle

import numpy as np
import pytest

import ember as tf
from ember import layers, ops


def test_reprs_and_names_as_tensorflow():
    # TF: repr(tf.float32) == "tf.float32", str(tf.float32) == "<dtype: 'float32'>"
    assert repr(tf.float32) == "tf.float32"
    assert str(tf.float32) == "float32"  # TF: "<dtype: 'float32'>"; see dtypes.py
    assert tf.float32.name == "float32"
    assert tf.string.name == "string"
    assert tf.double is tf.float64 and tf.half is tf.float16


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "int16", "int32",
                                  "int64", "uint8", "uint16", "uint32", "uint64", "bool",
                                  "complex64", "complex128"])
def test_each_dtype_equals_its_name_numpy_dtype_and_type(name):
    dt = getattr(tf, name)
    assert dt == name
    assert dt == np.dtype(name)
    assert np.dtype(name) == dt
    assert dt == np.dtype(name).type
    assert dt.as_numpy_dtype is np.dtype(name).type
    assert tf.dtypes.as_dtype(name) is dt
    assert tf.as_dtype(np.dtype(name)) is dt
    assert dt != "foo" and dt != None  # noqa: E711 - the comparison under test


def test_predicates():
    assert tf.float16.is_floating and not tf.float16.is_integer
    assert tf.int32.is_integer and not tf.int32.is_floating and not tf.int32.is_unsigned
    assert tf.uint8.is_unsigned and tf.uint8.is_integer
    assert tf.bool.is_bool and not tf.bool.is_integer
    assert tf.complex64.is_complex and not tf.complex64.is_floating
    assert tf.float32.is_numeric and not tf.string.is_numeric


def test_limits_and_sizes_as_tensorflow():
    # TF: float32.min -3.4028235e+38, int8.min -128, uint8.max 255, size in bytes, string 0
    assert tf.float32.min == np.finfo(np.float32).min and tf.float32.max == np.finfo(np.float32).max
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.max == 255
    assert tf.bool.min is False and tf.bool.max is True
    assert tf.float32.size == 4 and tf.float64.size == 8 and tf.bool.size == 1
    assert tf.string.size == 0
    assert tf.float32.limits == (tf.float32.min, tf.float32.max)
    with pytest.raises(TypeError, match="minimum/maximum"):
        _ = tf.string.min


def test_as_dtype_from_python_types_and_errors():
    # TF: as_dtype(float) -> float32, as_dtype(int) -> int32
    assert tf.as_dtype(float) is tf.float32
    assert tf.as_dtype(int) is tf.int32
    assert tf.as_dtype(bool) is tf.bool
    assert tf.as_dtype(str) is tf.string
    assert tf.as_dtype("double") is tf.float64
    assert tf.as_dtype(np.float16) is tf.float16
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`: 'foo'"):
        tf.as_dtype("foo")


def test_bfloat16_present_with_ml_dtypes():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert tf.bfloat16 == np.dtype(ml_dtypes.bfloat16)
    assert tf.bfloat16.is_floating and tf.bfloat16.size == 2
    assert tf.bfloat16.max == float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)


def test_dtype_is_hashable_and_pickles():
    assert {tf.float32: 1}["float32"] == 1
    assert pickle.loads(pickle.dumps(tf.int64)) is tf.int64


def test_accepted_wherever_ember_takes_a_dtype():
    x = tf.constant([1.7, -1.7])
    assert ops.cast(x, tf.int32).dtype == np.int32
    assert tf.cast(x, tf.int32).numpy().tolist() == [1, -1]  # truncation, as TF
    assert tf.zeros([2], tf.float64).dtype == np.float64
    assert tf.Variable([1.0], dtype=tf.float64).dtype == np.float64
    layer = layers.Dense(2, dtype=tf.float64)
    assert layer(np.ones((1, 3))).dtype == np.float64
    assert layer.get_config()["dtype"] is not None
    inp = layers.Input((3,), dtype=tf.int32)
    assert inp.dtype == "int32"
    assert np.zeros(2, dtype=tf.float16).dtype == np.float16


def test_tensor_dtype_is_numpy_and_equals_dtype_objects():
    x = tf.constant([1, 2])
    assert isinstance(x.dtype, np.dtype)  # the engine's representation (see dtypes.py)
    assert x.dtype == tf.int32 and tf.int32 == x.dtype
    assert tf.as_dtype(x.dtype) is tf.int32


def test_string_dtype_is_numpy_object():
    assert tf.string == np.dtype(object)
    assert tf.string.as_numpy_dtype is object
    assert tf.constant(["a"]).dtype == tf.string
