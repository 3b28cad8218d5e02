"""ember.backend.half: products of float16/bfloat16 arrays through float32 GEMMs."""

import numpy as np
import pytest

from ember.backend import half

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)


def _pair(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((5, 7)).astype(dtype), rng.standard_normal((7, 3)).astype(dtype))


@pytest.mark.parametrize("dtype", ["float16", BF16], ids=["float16", "bfloat16"])
def test_matmul_of_half_operands_is_the_float32_product_rounded(dtype):
    a, b = _pair(dtype)
    out = half.matmul(a, b)
    assert out.dtype == np.dtype(dtype)
    expected = (a.astype(np.float32) @ b.astype(np.float32)).astype(dtype)
    np.testing.assert_array_equal(out.astype(np.float32), expected.astype(np.float32))


def test_matmul_of_float32_is_numpy_matmul():
    a, b = _pair("float32")
    out = half.matmul(a, b)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, a @ b)


def test_matmul_of_mixed_dtypes_promotes_as_numpy():
    a, _ = _pair("float16")
    _, b = _pair("float32")
    out = half.matmul(a, b)
    assert out.dtype == np.result_type(a.dtype, b.dtype) == np.float32
    np.testing.assert_allclose(out, a.astype(np.float32) @ b, rtol=1e-6)


def test_matmul_broadcasts_batches():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 4, 5)).astype("float16")
    b = rng.standard_normal((5, 3)).astype("float16")
    out = half.matmul(a, b)
    assert out.shape == (2, 4, 3) and out.dtype == np.float16
    np.testing.assert_array_equal(
        out, np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.float16))


def test_matmul_overflow_gives_inf_without_warning():
    # a loss-scaled float16 product that overflows is an expected inf (LossScaleOptimizer)
    a = np.full((2, 2), 60000, dtype="float16")
    with np.errstate(all="raise"):
        out = half.matmul(a, a)
    assert np.isinf(out).all()


@pytest.mark.parametrize("dtype", ["float16", BF16], ids=["float16", "bfloat16"])
def test_einsum_of_half_operands(dtype):
    a, b = _pair(dtype)
    out = half.einsum("ij,jk->ik", a, b)
    assert out.dtype == np.dtype(dtype)
    expected = np.einsum("ij,jk->ik", a.astype(np.float32), b.astype(np.float32)).astype(dtype)
    np.testing.assert_array_equal(out.astype(np.float32), expected.astype(np.float32))
    a32, b32 = _pair("float32")
    np.testing.assert_array_equal(half.einsum("ij,jk->ik", a32, b32),
                                  np.einsum("ij,jk->ik", a32, b32))


def test_is_half():
    assert half.is_half(np.dtype("float16")) and half.is_half(BF16)
    assert not half.is_half(np.dtype("float32"))
    assert not half.is_half(np.dtype("int16"))
