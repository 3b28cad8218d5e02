"""Creation ops (ember/ops/creation.py): array, empty, spaced sequences, windows, dtype."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import close


def test_array():
    assert ops.array([1, 2]).dtype == np.int32
    assert ops.array([1.0, 2.0]).dtype == np.float32
    t = ops.array([1, 2], dtype="float16")
    assert t.dtype == np.float16
    close(t.data, [1, 2])


def test_empty_and_empty_like():
    e = ops.empty((2, 3))
    assert e.shape == (2, 3) and e.dtype == np.float32
    assert ops.empty(3, "int32").dtype == np.int32
    like = ops.empty_like(np.ones((2, 2), "int8"))
    assert like.shape == (2, 2) and like.dtype == np.int8
    assert ops.empty_like(np.ones(2), "float16").dtype == np.float16


@pytest.mark.parametrize("name,args,kwargs", [
    ("geomspace", (1, 1000, 4), {}), ("geomspace", (-1, -100, 3), {"endpoint": False}),
    ("geomspace", ([1.0, 2.0], [10.0, 20.0], 3), {"axis": 1}),
    ("logspace", (0, 3, 4), {}), ("logspace", (0, 3, 5), {"base": 2, "endpoint": False}),
    ("logspace", ([1.0, 2.0], 3.0, 3), {"axis": -1}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_spaced(name, args, kwargs):
    got = getattr(ops, name)(*args, **kwargs)
    assert got.dtype == np.float32
    close(got.data, getattr(np, name)(*args, **kwargs), rtol=1e-6)


def test_spaced_dtype_and_error():
    got = ops.geomspace(1, 1000, 4, dtype="int32")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got.data, np.geomspace(1, 1000, 4).astype("int32"))
    assert ops.logspace(0, 1, 3, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match=r"geomspace: .*zero.* \(start=0, stop=10\)"):
        ops.geomspace(0, 10, 3)


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
@pytest.mark.parametrize("m", [0, 1, 6, 7])
def test_windows(name, m):
    got = getattr(ops, name)(m)
    assert got.dtype == np.float32
    close(got.data, getattr(np, name)(m), atol=1e-7)


def test_kaiser_and_window_errors():
    close(ops.kaiser(6, 2.5).data, np.kaiser(6, 2.5), rtol=1e-6)
    close(ops.kaiser(np.int32(4), ops.convert_to_tensor(0.0)).data, np.ones(4))
    with pytest.raises(TypeError, match=r"hamming: the window length must be an integer"):
        ops.hamming(2.5)
    with pytest.raises(TypeError, match=r"bartlett: the window length must be an integer"):
        ops.bartlett(np.ones(3, "int32"))


def test_dtype():
    assert ops.dtype(np.ones(2, "float16")) == "float16"
    assert ops.dtype(ember.Variable(np.ones(2, "float32"))) == "float32"
    assert ops.dtype([1, 2]) == "int32"
    assert ops.dtype(1.5) == "float32"
    assert ops.dtype(ops.tri(2) > 0) == "bool"
