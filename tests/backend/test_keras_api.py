"""``keras.backend``'s names on ember.backend (ember/backend/keras_api.py); the promotion grid is
checked against Keras in tests/keras_parity/test_config_parity.py."""

import itertools
import subprocess
import sys

import numpy as np
import pytest

import ember
import ember.backend as B
from ember import config
from ember.backend import keras_api

INTS = ["uint8", "uint16", "uint32", "int8", "int16", "int32", "int64"]
FLOATS = ["bfloat16", "float16", "float32", "float64"]


@pytest.fixture
def floatx64():
    config.set_floatx("float64")
    yield
    config.set_floatx("float32")


def test_names_resolve_lazily_and_are_listed():
    for name in B._KERAS_NAMES:
        assert callable(getattr(B, name)) and name in dir(B)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = B.nope
    # importing ember.backend (which every module does) does not load the Keras names
    code = "import ember.backend, sys; print('ember.backend.keras_api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("dtype, name", [
    (None, "float32"), (int, "int32"), (float, "float32"), (bool, "bool"), (str, "string"),
    ("int", "int32"), (np.float16, "float16"), (np.dtype("int64"), "int64"),
    ("uint16", "uint16"), ("bfloat16", "bfloat16"), ("complex64", "complex64"),
    ("string", "string"),
])
def test_standardize_dtype(dtype, name):
    assert B.standardize_dtype(dtype) == name
    assert ember.utils.standardize_dtype is B.standardize_dtype


def test_standardize_dtype_of_tensors_dtypes():
    assert B.standardize_dtype(ember.ops.ones((2,), dtype="int16").dtype) == "int16"


@pytest.mark.parametrize("bad", ["float", "double", "str", "foo", 3])
def test_standardize_dtype_rejects(bad):
    with pytest.raises(ValueError, match="Invalid dtype"):
        B.standardize_dtype(bad)


def test_float_and_int_predicates():
    for d in FLOATS + ["float8_e4m3fn", float]:
        assert B.is_float_dtype(d) and not B.is_int_dtype(d)
    for d in INTS + ["uint64", int]:
        assert B.is_int_dtype(d) and not B.is_float_dtype(d)
    for d in ("bool", "complex64", "string"):
        assert not B.is_int_dtype(d) and not B.is_float_dtype(d)
    with pytest.raises(ValueError, match="Invalid dtype"):
        B.is_float_dtype("foo")


def test_result_type_agrees_with_numpy_within_a_kind():
    # inside one kind the lattice is NumPy's promotion (ints below 64 bits, floats)
    for a, b in itertools.product(INTS[:6], repeat=2):
        assert B.result_type(a, b) == np.result_type(a, b).name, (a, b)
    for a, b in itertools.product(["float16", "float32", "float64"], repeat=2):
        assert B.result_type(a, b) == np.result_type(a, b).name, (a, b)


def test_result_type_float_beats_int_without_widening():
    # unlike NumPy (int32 + float32 -> float64), the float operand's type wins
    for i, f in itertools.product(INTS + ["bool"], FLOATS):
        assert B.result_type(i, f) == f and B.result_type(f, i) == f
    assert np.result_type("int32", "float32").name == "float64"


def test_result_type_python_scalars_are_weak():
    for d in INTS + FLOATS:
        assert B.result_type(d, int) == d
    for d in FLOATS:
        assert B.result_type(d, float) == d
    for d in INTS:
        assert B.result_type(d, float) == config.floatx()
    assert B.result_type("bool", int) == "int32"
    assert B.result_type("bool", float) == "float32"
    assert B.result_type(int) == "int32" and B.result_type(float) == "float32"
    assert B.result_type(int, float) == "float32"


def test_result_type_weak_results_follow_floatx(floatx64):
    assert B.result_type() == "float64"
    assert B.result_type(None) == "float64"
    assert B.result_type(int) == "int64" and B.result_type(float) == "float64"
    assert B.result_type("int8", float) == "float64"


def test_result_type_is_symmetric_and_idempotent():
    every = INTS + FLOATS + ["bool", "complex64"]
    for a, b in itertools.product(every, repeat=2):
        assert B.result_type(a, b) == B.result_type(b, a)
    for a in every:
        assert B.result_type(a, a) == a == B.result_type(a)


def test_result_type_unsigned_and_signed_meet_above_both():
    assert B.result_type("uint8", "int8") == "int16"
    assert B.result_type("uint16", "int16") == "int32"
    assert B.result_type("uint32", "int32") == "int64"
    assert B.result_type("uint64", "int8") == "float32"  # past int64: the weak float, floatx


def test_result_type_errors():
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        B.result_type("float8_e4m3fn", "float32")
    with pytest.raises(ValueError, match="not a valid dtype for Keras type promotion"):
        B.result_type("string", "int32")
    with pytest.raises(ValueError, match="Invalid dtype"):
        B.result_type("foo")


def test_get_uid_and_clear_session():
    B.clear_session()
    assert [B.get_uid("thing"), B.get_uid("thing"), B.get_uid("other")] == [1, 2, 1]
    assert ember.layers.Dense(1, name=None).name == "dense"
    assert ember.layers.Dense(1).name == "dense_1"
    B.clear_session(free_memory=False)
    assert B.get_uid("thing") == 1
    assert ember.layers.Dense(1).name == "dense"


def test_is_keras_tensor_and_settings():
    assert B.is_keras_tensor(ember.Input((2,)))
    assert not B.is_keras_tensor(np.ones(2)) and not B.is_keras_tensor(ember.ops.ones(2))
    assert B.backend() == "ember" and B.epsilon() == config.epsilon()
    assert keras_api.image_data_format is config.image_data_format
