"""The only module of ember that imports the array library.

Everything else gets arrays and array functions from here: ``xp`` is the default array module
(NumPy today), ``xp_of(a)`` the module an array belongs to (so a CuPy backend can be added as a new
file, without touching ops or layers), and ``np`` is host NumPy for code that always works on the
host (datasets, saving, serving).
"""

import os

# OpenBLAS's idle worker threads spin for a while after each GEMM, taking the other core from
# the memory-bound work between GEMMs (convolution windows, pooling); ask them to sleep sooner
# (measured: -10% per step of Keras's MNIST convnet). Only effective when ember is the first to
# load NumPy; a user's own setting wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402

from ember.backend import _memory  # noqa: E402

_memory.keep_large_blocks()

xp = np
ndarray = np.ndarray


def xp_of(array):
    """The array module that ``array`` belongs to (NumPy for anything not on a device)."""
    return np


def is_array(value):
    return isinstance(value, np.ndarray)


def to_numpy(value):
    """A host NumPy array for ``value`` (an array, a Tensor, a scalar or a nested list)."""
    if hasattr(value, "__ember_array__"):
        value = value.__ember_array__()
    return np.asarray(value)


# ``keras.backend``'s public names, loaded from ember.backend.keras_api on first use so that
# importing this module (which everything does) stays cheap
_KERAS_NAMES = ("backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
                "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type",
                "set_epsilon", "set_floatx", "set_image_data_format", "standardize_dtype")


def __getattr__(name):
    if name in _KERAS_NAMES:
        from ember.backend import keras_api

        return getattr(keras_api, name)
    raise AttributeError(f"module 'ember.backend' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_KERAS_NAMES))


__all__ = ["np", "xp", "xp_of", "ndarray", "is_array", "to_numpy"]
