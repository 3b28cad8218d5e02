"""Saving and loading, interoperable with Keras 3: ``.keras``, ``.weights.h5``, legacy ``.h5``.

``model.save("m.keras")`` writes the archive Keras 3 writes; ``ember.saving.load_model`` reads
archives written by Keras or ember (and legacy ``.h5`` files). Loading never runs code from a
file; see :func:`load_model`. HDF5 support needs ``h5py`` (``pip install 'ember[h5]'``).
"""

from ember.registry import register_keras_serializable
from ember.saving.file_editor import KerasFileEditor
from ember.saving.model_config import clone_model
from ember.saving.saving_api import load_model, model_from_json, save_model
from ember.saving.serialization_lib import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)


def save_weights(model, filepath, overwrite=True):
    """``model.save_weights(filepath)``."""
    from ember.saving import saving_lib

    saving_lib.save_weights(model, filepath, overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """``model.load_weights(filepath)``."""
    from ember.saving import saving_lib

    saving_lib.load_weights(model, filepath, skip_mismatch=skip_mismatch)


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``"package>Name"`` when registered with
    :func:`register_keras_serializable`, else its own name (``"Dense"``, ``"relu"``)."""
    from ember import registry

    return registry.get_registered_name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered as ``name``, looked up as Keras does: in the active
    :class:`CustomObjectScope`, the user registrations, then ``custom_objects`` and
    ``module_objects``; None when absent (built-ins are not "registered": use the ``get`` of
    their module, such as ``ember.layers.deserialize``)."""
    from ember.saving.serialization_lib import _scoped_custom_objects

    for table in (_scoped_custom_objects(None), get_custom_objects(), custom_objects or {},
                  module_objects or {}):
        if name in table:
            return table[name]
    return None


__all__ = ["KerasFileEditor",
           "save_model", "load_model", "model_from_json", "clone_model", "save_weights",
           "load_weights", "register_keras_serializable", "get_custom_objects",
           "custom_object_scope", "CustomObjectScope", "serialize_keras_object",
           "deserialize_keras_object", "get_registered_name", "get_registered_object"]
