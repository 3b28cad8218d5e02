"""Datasets, as ``keras.datasets``: each submodule has ``load_data()`` returning Keras's arrays.

Submodules are imported on first use, so ``import ember.datasets`` costs nothing.
"""

import importlib

_SUBMODULES = (
    "mnist",
    "fashion_mnist",
    "cifar10",
    "cifar100",
    "imdb",
    "boston_housing",
    "california_housing",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ember.datasets' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
