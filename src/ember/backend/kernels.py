"""Fused float32 loops for the hot paths, in C (``_kernels.c``, built at install time when a C
compiler is present).

NumPy makes one pass over memory per call: Adam's update is 12 passes over the parameters, and
on the tutorial's network those passes cost as much as all its matrix products. A kernel does
the same arithmetic in one pass. Each has a NumPy twin at its call site, which is what runs
without the compiled module, for other dtypes, and inside ``with kernels.disabled():``; the
twins are the readable definition, and ``tests/backend/test_kernels.py`` checks that both give
the same numbers: bit for bit, except where a kernel adds in another order (column sums, which
it accumulates in float64; overlapping windows) or computes ``exp`` itself (softmax, within a
few ulp).

=================  ===========================================  ================================
kernel             does                                         NumPy twin
=================  ===========================================  ================================
``adam``           Adam's update of p, m, v in one pass         ``Adam._update_arrays``
``max_pool``       2D max pooling, keeping each window's argmax  ``MaxPool.forward``
``max_pool_grad``  routes the gradient to the argmax            ``MaxPool.backward``
``col2im``         adds window gradients back into the image    ``conv.col2im``
``bias_relu``      ``relu(y + b)`` in place                     ``BiasAct.forward``
``relu_grad_sums`` ReLU's gradient (flushing subnormals) and    ``BiasAct.backward``
                   its column sums (the bias gradient)
``softmax``        softmax over rows, probabilities kept normal  ``Softmax.forward``
=================  ===========================================  ================================

``EMBER_KERNELS=0`` in the environment turns them off for the whole process.
"""

import contextlib
import os

_module = []  # [the compiled module or None], once looked up
_off = [os.environ.get("EMBER_KERNELS", "1") == "0"]


def _load():
    try:
        from ember.backend import _kernels
    except ImportError:  # built without a C compiler
        _kernels = None
    _module.append(_kernels)
    return _kernels


def get(name):
    """The compiled kernel ``name``, or None (not built, or turned off)."""
    if _off[0]:
        return None
    module = _module[0] if _module else _load()
    return getattr(module, name, None) if module is not None else None


def available():
    """Whether the compiled kernels are in use."""
    return get("adam") is not None


@contextlib.contextmanager
def disabled():
    """Run the NumPy twins inside the block (to compare, or to debug)."""
    old = _off[0]
    _off[0] = True
    try:
        yield
    finally:
        _off[0] = old
