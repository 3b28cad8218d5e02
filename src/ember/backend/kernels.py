"""Fused loops for the hot paths, compiled by Numba when it is installed (``ember[fast]``).

NumPy makes one pass over memory per call: Adam's update is 12 passes over the parameters, and
on the tutorial's network those passes cost as much as all its matrix products. A kernel here
does the same arithmetic in one pass. Each kernel has a NumPy twin at its call site that
computes the same float32 operations in the same order (no fused multiply-add, no fast-math),
so results are identical with or without Numba; ``tests/backend/test_kernels.py`` checks this.

Numba is imported on the first ``get`` (never by ``import ember``), and compiled kernels are
cached on disk. ``EMBER_JIT=0`` or ``with kernels.disabled():`` turns the kernels off.
"""

import contextlib
import math
import os

_compiled = None  # name -> compiled kernel, once Numba has been tried
_off = [os.environ.get("EMBER_JIT", "1") == "0"]


def adam(p, g, m, v, c1, c2, eps, alpha):
    """Adam on 1-D float32 arrays: ``m += (g - m) * c1; v += (g * g - v) * c2;
    p -= m / (sqrt(v) + eps) * alpha``."""
    c1, c2 = p.dtype.type(c1), p.dtype.type(c2)
    eps, alpha = p.dtype.type(eps), p.dtype.type(alpha)
    for i in range(p.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * c1
        vi = v[i] + (gi * gi - v[i]) * c2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (math.sqrt(vi) + eps) * alpha


_KERNELS = {"adam": adam}


def _compile():
    try:
        import numba
    except ImportError:
        return {}
    # error_model="numpy": no ZeroDivisionError check, which would stop vectorization.
    jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False)
    return {name: jit(fn) for name, fn in _KERNELS.items()}


def get(name):
    """The compiled kernel ``name``, or None (Numba missing or kernels disabled)."""
    global _compiled
    if _off[0]:
        return None
    if _compiled is None:
        _compiled = _compile()
    return _compiled.get(name)


def available():
    """Whether compiled kernels are in use."""
    return get("adam") is not None


@contextlib.contextmanager
def disabled():
    """Run the NumPy versions inside the block (to compare, or to debug)."""
    old = _off[0]
    _off[0] = True
    try:
        yield
    finally:
        _off[0] = old
