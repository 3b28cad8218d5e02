"""Helpers for the ops' ``backward_ops``: gradients written with ember ops, so that a recording
tape can differentiate them again (second derivatives, Hessians, gradient penalties)."""

from ember.autodiff.function import Function
from ember.backend import xp
from ember.ops._helpers import shape_of  # noqa: F401  (re-exported for the op files)


def sum_to(g, shape):
    """``g`` summed down to ``shape``: the gradient of broadcasting an input of that shape."""
    from ember.ops.reduction import sum as _sum
    from ember.ops.shape import reshape

    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    return reshape(_sum(g, axis=axes) if axes else g, shape)


class _Step(Function):
    """A piecewise-constant function of ``x`` (``test(x)`` as ``x``'s dtype) whose gradient is
    zero but connected: the second derivative through relu or abs is 0, as in TensorFlow,
    rather than None."""

    def __init__(self, test):
        self.test = test

    def forward(self, x):
        return self.test(x).astype(x.dtype, copy=False)

    def backward(self, gy):
        return (xp.zeros_like(gy),)

    def backward_ops(self, gy, x):
        return (_Step(lambda a: xp.zeros_like(a)).apply(gy),)


def step(x, test):
    """``test(x)`` (a mask or a sign, as ``x``'s dtype), with a zero gradient."""
    return _Step(test).apply(x)
