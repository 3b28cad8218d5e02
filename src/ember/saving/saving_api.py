"""``save_model`` / ``load_model``: the format follows the file name (spec §1, §6)."""

import json
import os

from ember.saving import saving_lib, serialization_lib


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save a model as ``.keras`` (the format Keras 3 writes and reads), or as legacy ``.h5``.

    Args:
        model: the model.
        filepath: a path ending in ``.keras`` (or ``.h5``/``.hdf5``), or an open binary file.
        overwrite: replace an existing file (otherwise FileExistsError).
        zipped: ``False`` writes a directory holding the three members instead of a ZIP.
        include_optimizer: legacy ``.h5`` only: also write the compile arguments and the
            optimizer state (default True).

    Example::

        model.save("mnist.keras")
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"save_model: unknown arguments {sorted(kwargs)}.")
    path = filepath if hasattr(filepath, "write") else os.fspath(filepath)
    if isinstance(path, str) and path.endswith((".h5", ".hdf5")):
        from ember.saving import legacy_h5

        legacy_h5.save_model(model, path, overwrite=overwrite,
                             include_optimizer=include_optimizer)
        return
    if not include_optimizer:
        raise ValueError("save_model: include_optimizer=False is only supported for the legacy "
                         ".h5 format; call model.save_weights() for weights only.")
    if isinstance(path, str) and not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for "
            "the native Keras format (recommended) or a `.h5` extension (legacy). "
            f"Received: filepath={path}")
    saving_lib.save_model(model, path, overwrite=overwrite,
                          zipped=True if zipped is None else zipped)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model from ``.keras`` (archive or unzipped directory) or legacy ``.h5``.

    Loading never runs code from the file: classes resolve only to ember's own, to classes
    registered with :func:`register_keras_serializable`, or to ``custom_objects``; a Lambda
    layer's stored bytecode is refused unless ``safe_mode=False``.

    Args:
        filepath: ``.keras`` / ``.h5`` / ``.hdf5`` path, or an open ``.keras`` binary file.
        custom_objects: ``{name: class or function}`` for custom classes.
        compile: restore the compile arguments and the optimizer state (default True).
        safe_mode: refuse code stored in the file (default True).

    Example::

        model = ember.saving.load_model("mnist.keras")
        model.predict(x_test)
    """
    if hasattr(filepath, "read"):
        return saving_lib.load_model(filepath, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):
        raise ValueError(f"{path} holds weights only: build the model, then call "
                         "model.load_weights().")
    if path.endswith((".h5", ".hdf5")):
        from ember.saving import legacy_h5

        return legacy_h5.load_model(path, custom_objects, compile, safe_mode)
    if path.endswith(".keras") or os.path.isdir(path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path}")
        return saving_lib.load_model(path, custom_objects, compile, safe_mode)
    raise ValueError(
        "File format not supported: load_model reads a '.keras' archive or a legacy '.h5' "
        f"file. Received: filepath={path}")


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from ``model.to_json()``'s string."""
    config = saving_lib.parse_json(json_string, "model_from_json")
    return saving_lib.deserialize_model(config, custom_objects, compile=True, safe_mode=True,
                                        source="model_from_json")


def to_json(model, **kwargs):
    """The model's config as a JSON string (``json.dumps`` keyword arguments accepted)."""
    return json.dumps(saving_lib.model_config(model), **kwargs)


def serialize_keras_object(obj):
    return serialization_lib.serialize_keras_object(obj)
