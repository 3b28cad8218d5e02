"""Linear algebra: matmul (batched), dot, tensordot, einsum."""

from ember.autodiff.function import Function
from ember.backend import xp
from ember.ops._helpers import binary_operands, raw, unbroadcast


class MatMul(Function):
    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return xp.matmul(a, b)

    def backward(self, gy):
        a, b = self.saved
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:  # inner product
            return (gy * b if self.needs[0] else None, gy * a if self.needs[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if self.needs[0]:
            ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if self.needs[1]:
            if a2.ndim == 2 and g2.ndim == 2:
                gb = a2.T @ g2
            else:
                gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2)
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb


def matmul(x1, x2):
    """Matrix product with NumPy's rules (batched over leading axes, broadcasting)."""
    a, b = binary_operands(x1, x2, "matmul")
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: inputs must have rank >= 1. Received shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise ValueError(
            f"matmul: the last axis of x1 ({ka}) must equal the second-to-last axis of x2 ({kb}). "
            f"Received shapes {sa} and {sb}"
        )
    return MatMul().apply(a, b)
