"""``tf.bitwise``: bitwise operations on integer tensors of one dtype (no gradient), on the
engines of ``keras.ops.bitwise_*``. Shifts by at least the bit width give 0 (left, or right of
a non-negative value) or -1 (right of a negative value), as TensorFlow."""

from ember import ops
from ember.backend import xp
from ember.ops._helpers import no_gradient
from ember.tf.array_ops import _dtype_name, _same_dtype, _to_tensor
from ember.tf.errors import InvalidArgumentError


def _integers(x, y, op):
    a, b = _same_dtype(x, y, op) if y is not None else (_to_tensor(x), None)
    if a.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"{op}: Value for attr 'T' of {_dtype_name(a.dtype)} is not in the list of allowed "
            "values: int8, int16, int32, int64, uint8, uint16, uint32, uint64")
    return a, b


def bitwise_and(x, y, name=None):
    """Elementwise ``x & y``."""
    return ops.bitwise_and(*_integers(x, y, "bitwise_and"))


def bitwise_or(x, y, name=None):
    """Elementwise ``x | y``."""
    return ops.bitwise_or(*_integers(x, y, "bitwise_or"))


def bitwise_xor(x, y, name=None):
    """Elementwise ``x ^ y``."""
    return ops.bitwise_xor(*_integers(x, y, "bitwise_xor"))


def invert(x, name=None):
    """Elementwise ``~x`` (every bit flipped)."""
    a, _ = _integers(x, None, "invert")
    return ops.bitwise_invert(a)


def _shift(x, y, op, left):
    a, b = _integers(x, y, op)
    bits = a.dtype.itemsize * 8

    def shift(p, q):
        q = q.astype(p.dtype)
        over = (q >= bits) | (q < 0)
        safe = xp.where(over, 0, q)
        out = xp.left_shift(p, safe) if left else xp.right_shift(p, safe)
        fill = 0 if left else xp.where(p < 0, -1, 0).astype(p.dtype)
        return xp.where(over, fill, out).astype(p.dtype)

    return no_gradient(shift, a, b)


def left_shift(x, y, name=None):
    """Elementwise ``x << y``."""
    return _shift(x, y, "left_shift", True)


def right_shift(x, y, name=None):
    """Elementwise ``x >> y`` (arithmetic: the sign bit is kept)."""
    return _shift(x, y, "right_shift", False)


__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
