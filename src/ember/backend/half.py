"""Matrix products of half-precision arrays (float16, and bfloat16 from ``ml_dtypes``).

NumPy has no half-precision BLAS: its float16 ``matmul`` is a plain loop (about 200 times
slower than float32 on a 128 x 784 x 128 product), and ``ml_dtypes``' bfloat16 ``matmul``
returns float32. So half-precision operands are multiplied in float32 and the product is
rounded back to their dtype: the float32 accumulation that GPU tensor cores do too.
"""

from ember.backend import xp


def is_half(dtype):
    """Whether ``dtype`` is float16 or bfloat16."""
    return dtype.itemsize == 2 and (dtype.kind == "f" or dtype.name == "bfloat16")


def matmul(a, b):
    """``a @ b`` (NumPy arrays); float16/bfloat16 operands are multiplied in float32, and the
    product of two operands of one half dtype is returned in that dtype."""
    half_a, half_b = is_half(a.dtype), is_half(b.dtype)
    if not (half_a or half_b):
        return xp.matmul(a, b)
    # an overflow to inf is expected here: it is how a LossScaleOptimizer learns to lower its
    # scale (the step is skipped), so NumPy's warnings about it are noise
    with xp.errstate(over="ignore", invalid="ignore"):
        out = xp.matmul(a.astype(xp.float32) if half_a else a,
                        b.astype(xp.float32) if half_b else b)
        return out.astype(a.dtype) if a.dtype == b.dtype else out


def einsum(subscripts, a, b):
    """``xp.einsum(subscripts, a, b)``, with float16/bfloat16 operands handled as in
    :func:`matmul` (NumPy's einsum refuses bfloat16)."""
    half_a, half_b = is_half(a.dtype), is_half(b.dtype)
    if not (half_a or half_b):
        return xp.einsum(subscripts, a, b)
    with xp.errstate(over="ignore", invalid="ignore"):
        out = xp.einsum(subscripts, a.astype(xp.float32) if half_a else a,
                        b.astype(xp.float32) if half_b else b)
        return out.astype(a.dtype) if a.dtype == b.dtype else out
