"""Utilities, as ``keras.utils``: seeding, gradient checking, files, labels.

Names are resolved lazily so that ``import ember`` stays fast.
"""

import importlib

_LAZY = {
    "set_random_seed": "ember.utils.random",
    "check_gradients": "ember.autodiff.gradcheck",
    "get_file": "ember.utils.file_utils",
    "to_categorical": "ember.utils.numerical",
    "normalize": "ember.utils.numerical",
    "pad_sequences": "ember.utils.sequence_utils",
    "Progbar": "ember.utils.progbar",
    "PyDataset": "ember.utils.py_dataset",
    "Sequence": "ember.utils.py_dataset",
    "clear_session": "ember.utils.naming",
    "pack_x_y_sample_weight": "ember.trainers.data_adapter",
    "unpack_x_y_sample_weight": "ember.trainers.data_adapter",
    "is_keras_tensor": "ember.layers.node",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ember.utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
